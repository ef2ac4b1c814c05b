"""The ``lanventory`` command: the root group, and the modules that add their commands to it."""

from lanventory.cli import imports, legacy, tokens, transfer
from lanventory.cli.root import main

__all__ = ["imports", "legacy", "main", "tokens", "transfer"]
