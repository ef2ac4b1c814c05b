"""The owner's naming in bulk: the export's rows, and applying checked rows all at once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, bindparam, update
from sqlalchemy.engine import Connection

from lanventory.inventory.edit import apply_edit
from lanventory.inventory.model import Device, Event, EventType, Policy
from lanventory.inventory.state import Changes
from lanventory.naming.export_file import export_record
from lanventory.naming.row import NamingRow
from lanventory.stable_macs import StablePrefix, is_rotating
from lanventory.store.devices import list_devices
from lanventory.store.engine import write_transaction
from lanventory.store.network_state import load_network, save_changes
from lanventory.store.stable_prefixes import effective_policy
from lanventory.store.tables import devices

_WRITTEN = ("name", "grp", "note", "status", "flagged", "vendor")


@dataclass(slots=True)
class NamingReport:
    """What an import did: devices created, updated and left as they were."""

    source: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def summary(self) -> str:
        """``export-file: 2 created, 5 updated, 40 unchanged``."""
        return (
            f"{self.source}: {self.created} created, {self.updated} updated, "
            f"{self.unchanged} unchanged"
        )


def _export_order(device: Device) -> tuple[str, int, str, str, str]:
    """By network, then group (ungrouped last), name and MAC: the same on every backend."""
    grp = (device.grp or "").casefold()
    return (device.network, 0 if device.grp else 1, grp, (device.name or "").casefold(), device.mac)


def export_rows(connection: Connection, network: str | None = None) -> list[dict[str, Any]]:
    """Every device's line of the export (see :mod:`lanventory.naming.export_file`)."""
    found = sorted(list_devices(connection, network=network), key=_export_order)
    return [export_record(device) for device in found]


def _created(row: NamingRow, now: datetime, stable: tuple[StablePrefix, ...]) -> Device:
    """A device named before it was ever seen: absent, no address."""
    return Device(
        network=row.network,
        mac=row.mac,
        first_seen=now,
        last_seen=now,
        randomized=is_rotating(row.mac, stable),
    )


def _apply(device: Device, row: NamingRow, now: datetime) -> dict[str, list[Any]]:
    """Set the row's naming (and its vendor, if the device has none); the changes."""
    changes: dict[str, list[Any]] = {}
    if row.vendor and device.vendor is None:
        changes["vendor"] = [None, row.vendor]
        device.vendor = row.vendor
    edited = apply_edit(device, row.owner_fields(), now)
    if edited is not None:
        changes.update(edited.data["changes"])
    return changes


def apply_naming(
    engine: Engine,
    rows: Sequence[NamingRow],
    *,
    source: str,
    now: datetime,
    policy: Policy | None = None,
) -> NamingReport:
    """Apply checked rows in one write transaction: all of them or, on any error, none.

    A row for a device that does not exist creates it (never seen: absent,
    first and last seen ``now``, no IP); a row for an existing one sets its
    owner fields to the row's values (``watched`` stays as it is). Each
    created or changed device gets one ``imported`` event; an unchanged one
    gets none, so applying the same rows twice changes nothing the second time.
    A created device is randomized as ``policy``'s stable prefixes (and the
    owner's stored ones) say.
    """
    keys = [(row.network, row.mac) for row in rows]
    if len(set(keys)) != len(keys):
        raise ValueError("two rows for the same device")
    report = NamingReport(source)
    written: list[Device] = []
    with write_transaction(engine) as connection:
        stable = effective_policy(connection, policy or Policy()).stable_mac_prefixes
        for network in sorted({row.network for row in rows}):
            loaded = load_network(connection, network)
            changes = Changes()
            for row in sorted((r for r in rows if r.network == network), key=lambda r: r.mac):
                device = loaded.state.devices.get(row.mac)
                created = device is None
                if device is None:
                    device = loaded.state.devices[row.mac] = _created(row, now, stable)
                    changes.inserted.add(row.mac)
                diff = _apply(device, row, now)
                if not created and not diff:
                    report.unchanged += 1
                    continue
                if created:
                    report.created += 1
                else:
                    report.updated += 1
                written.append(device)
                data = {"from": source, "changes": diff, "created": created}
                changes.events.append(Event(now, network, row.mac, EventType.IMPORTED, data))
            save_changes(connection, loaded, changes, None)
        _write_naming(connection, written)
    return report


def _write_naming(connection: Connection, written: list[Device]) -> None:
    """Store the naming (and vendor) of the created and changed devices."""
    if not written:
        return
    connection.execute(
        update(devices)
        .where(devices.c.id == bindparam("b_id"))
        .values({name: bindparam(f"b_{name}") for name in _WRITTEN}),
        [
            {
                "b_id": device.id,
                **{f"b_{name}": getattr(device, name) for name in _WRITTEN},
                "b_status": device.status.value,
            }
            for device in written
        ],
    )
