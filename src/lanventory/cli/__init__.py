"""The ``lanventory`` command: the root group, and the modules that add their commands to it."""

from lanventory.cli import adopt, agent, imports, legacy, names, tokens, transfer
from lanventory.cli.root import main

__all__ = ["adopt", "agent", "imports", "legacy", "main", "names", "tokens", "transfer"]
