"""`lanventory import`: bring devices in from other tools and from exports."""

from __future__ import annotations

from lanventory.cli.root import main


@main.group("import")
def import_group() -> None:
    """Import devices: a hand-kept devices.json, an export file, or a legacy lease table."""
