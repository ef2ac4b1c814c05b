"""The ``lanventory`` command: the root group, and the modules that add their commands to it."""

from lanventory.cli import tokens
from lanventory.cli.root import main

__all__ = ["main", "tokens"]
