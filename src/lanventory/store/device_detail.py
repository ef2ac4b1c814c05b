"""Device queries for the API: the searchable lists, one device in full, deletion."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine, delete, or_, select
from sqlalchemy.engine import Connection

from lanventory.inventory.model import Device, Event, EventType, Sighting, Status
from lanventory.store.adoption import identity
from lanventory.store.devices import DeviceNotFound, get_device
from lanventory.store.engine import write_transaction
from lanventory.store.history import EventRecord, list_events
from lanventory.store.network_state import device_from_row
from lanventory.store.retired import Retired, predecessors
from lanventory.store.runs import insert_events
from lanventory.store.tables import (
    LIVE,
    device_addresses,
    device_names,
    devices,
    ip_history,
    sightings,
)

#: The columns a search text is looked for in.
SEARCHED = (devices.c.name, devices.c.hostname, devices.c.ip, devices.c.mac, devices.c.vendor)


@dataclass(frozen=True, slots=True)
class IpRecord:
    """An address a device has used, and when."""

    ip: str
    family: int
    first_seen: datetime
    last_seen: datetime
    #: The MAC the device used it under (a predecessor's, after an adoption).
    mac: str | None = None


@dataclass(frozen=True, slots=True)
class DeviceDetail:
    """A device with its address history, its sightings per source and its latest events.

    After adoptions, the address history and the events are those of all the
    MACs the device went by (``predecessors``, newest retired first).
    """

    device: Device
    ips: list[IpRecord]
    sightings: list[Sighting]
    events: list[EventRecord]
    predecessors: list[Retired] = field(default_factory=list)


def search_devices(
    connection: Connection,
    status: Status,
    *,
    network: str | None = None,
    present: bool | None = None,
    text: str | None = None,
) -> list[Device]:
    """Devices of one status, in one query, filtered by network, presence and ``text``.

    ``text`` is looked for, ignoring case, in the name, hostname, IP, MAC and
    vendor, and in the names the device was heard under (mDNS, reverse DNS);
    ``%`` and ``_`` in it match only themselves.
    """
    query = select(devices).where(devices.c.status == status.value, LIVE)
    if network is not None:
        query = query.where(devices.c.network == network)
    if present is not None:
        query = query.where(devices.c.present == present)
    if text:
        needle = text.strip()
        heard = (
            select(device_names.c.id)
            .where(
                device_names.c.device_id == devices.c.id,
                device_names.c.name.icontains(needle, autoescape=True),
            )
            .exists()
        )
        query = query.where(
            or_(*(column.icontains(needle, autoescape=True) for column in SEARCHED), heard)
        )
    query = query.order_by(devices.c.network, devices.c.mac)
    return [device_from_row(row) for row in connection.execute(query).mappings()]


def device_detail(
    connection: Connection, network: str, mac: str, *, events: int = 50
) -> DeviceDetail | None:
    """One device in full, with its ``events`` most recent events; None if unknown."""
    device = get_device(connection, network, mac)
    if device is None or device.id is None:
        return None
    earlier = predecessors(connection, [device.id])
    macs = {device.id: device.mac} | {row.id: row.mac for row in earlier}
    history = connection.execute(
        select(ip_history)
        .where(ip_history.c.device_id.in_(macs))
        .order_by(ip_history.c.last_seen.desc(), ip_history.c.ip, ip_history.c.device_id)
    ).mappings()
    seen_by = connection.execute(
        select(sightings).where(sightings.c.device_id == device.id).order_by(sightings.c.source)
    ).mappings()
    return DeviceDetail(
        device=device,
        ips=[
            IpRecord(r["ip"], r["family"], r["first_seen"], r["last_seen"], macs[r["device_id"]])
            for r in history
        ],
        sightings=[
            Sighting(r["source"], r["last_seen"], r["ip"], r["current"], r["missed_runs"])
            for r in seen_by
        ],
        events=list_events(
            connection, network=network, identity=identity(connection, device), limit=events
        ),
        predecessors=earlier,
    )


def delete_device(engine: Engine, network: str, mac: str, now: datetime) -> Device:
    """Delete a device with its sightings and address history, recording a ``deleted``
    event; raises DeviceNotFound."""
    with write_transaction(engine) as connection:
        device = get_device(connection, network, mac)
        if device is None:
            raise DeviceNotFound(f"no device {mac} on network {network!r}")
        # The rows it retired by adopting their MACs go with it.
        ids = [device.id, *(row.id for row in predecessors(connection, [device.id or 0]))]
        connection.execute(delete(sightings).where(sightings.c.device_id.in_(ids)))
        connection.execute(delete(ip_history).where(ip_history.c.device_id.in_(ids)))
        connection.execute(delete(device_addresses).where(device_addresses.c.device_id.in_(ids)))
        connection.execute(delete(devices).where(devices.c.id.in_(ids)))
        data = {
            "ip": device.ip,
            "name": device.name,
            "hostname": device.hostname,
            "status": device.status.value,
        }
        insert_events(connection, [Event(now, network, mac, EventType.DELETED, data)], None)
        return device
