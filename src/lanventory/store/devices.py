"""Device queries and owner edits."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.engine import Connection

from lanventory.inventory.edit import apply_edit
from lanventory.inventory.model import Device, Status
from lanventory.store.engine import write_transaction
from lanventory.store.network_state import device_from_row
from lanventory.store.runs import insert_events
from lanventory.store.tables import LIVE, devices


class DeviceNotFound(LookupError):
    """No device with that network and MAC."""


def list_devices(
    connection: Connection, *, network: str | None = None, status: Status | None = None
) -> list[Device]:
    """Devices, optionally of one network or status, by network, group, name and IP."""
    query = select(devices).where(LIVE)
    if network is not None:
        query = query.where(devices.c.network == network)
    if status is not None:
        query = query.where(devices.c.status == status.value)
    query = query.order_by(
        devices.c.network, devices.c.grp, devices.c.name, devices.c.ip, devices.c.mac
    )
    return [device_from_row(row) for row in connection.execute(query).mappings()]


def get_device(connection: Connection, network: str, mac: str) -> Device | None:
    """One device by its identity."""
    query = select(devices).where(devices.c.network == network, devices.c.mac == mac, LIVE)
    row = connection.execute(query).mappings().first()
    return None if row is None else device_from_row(row)


def owner_names(connection: Connection, network: str, macs: Iterable[str]) -> dict[str, str]:
    """What the owner named each of ``macs`` on ``network`` (those that have a name)."""
    query = select(devices.c.mac, devices.c.name).where(
        devices.c.network == network, devices.c.mac.in_(list(macs)), LIVE
    )
    return {mac: name for mac, name in connection.execute(query) if name}


def edit_device(
    engine: Engine, network: str, mac: str, fields: Mapping[str, Any], now: datetime
) -> Device:
    """Apply an owner edit and record it; raises DeviceNotFound or EditError."""
    with write_transaction(engine) as connection:
        device = get_device(connection, network, mac)
        if device is None:
            raise DeviceNotFound(f"no device {mac} on network {network!r}")
        event = apply_edit(device, fields, now)
        if event is not None:
            write_owner_fields(connection, device, {})
            insert_events(connection, [event], None)
        return device


def write_owner_fields(connection: Connection, device: Device, fields: Mapping[str, Any]) -> None:
    """Set ``fields`` (owner fields, ``status`` as text) on ``device`` and store all of
    its owner fields."""
    for name, value in fields.items():
        setattr(device, name, Status(value) if name == "status" else value)
    connection.execute(
        update(devices)
        .where(devices.c.id == device.id)
        .values(
            name=device.name,
            grp=device.grp,
            note=device.note,
            status=device.status.value,
            flagged=device.flagged,
            watched=device.watched,
        )
    )
