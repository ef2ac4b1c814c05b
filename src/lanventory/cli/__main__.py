"""``python -m lanventory.cli``."""

import sys

from lanventory.cli import main

sys.exit(main())
