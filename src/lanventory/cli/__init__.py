"""The ``lanventory`` command: the root group, and the modules that add their commands to it."""

from lanventory.cli import agent, imports, legacy, tokens, transfer
from lanventory.cli.root import main

__all__ = ["agent", "imports", "legacy", "main", "tokens", "transfer"]
