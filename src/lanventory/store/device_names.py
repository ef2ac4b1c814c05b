"""Names from reverse DNS and mDNS, one row per device and source.

Only live devices (not retired) are named. The owner's ``devices.name`` is
never written here: these names are shown beside it, with their source.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import Connection, delete, select, tuple_

from lanventory.inventory.state import ip_order
from lanventory.store.tables import LIVE, device_names, devices
from lanventory.store.upsert import upsert_many

NameSource = Literal["ptr", "mdns"]
#: The sources in the order they are shown.
SOURCES: tuple[NameSource, ...] = ("mdns", "ptr")
#: The ``source`` of each one's run records.
RUN_SOURCES: dict[NameSource, str] = {"ptr": "reverse-dns", "mdns": "mdns"}


@dataclass(frozen=True, slots=True)
class NameTarget:
    """A live device with an IPv4 address: what a names run looks up."""

    device_id: int
    mac: str
    ip: str
    name: str | None
    hostname: str | None


@dataclass(frozen=True, slots=True)
class DeviceName:
    """A name one source gives a device; ``name`` None means the source says it has none."""

    device_id: int
    source: NameSource
    name: str | None
    expires_at: datetime
    services: tuple[str, ...] = ()


def name_targets(connection: Connection, network: str) -> list[NameTarget]:
    """Every live device of ``network`` that has an IPv4 address, by address."""
    query = select(
        devices.c.id, devices.c.mac, devices.c.ip, devices.c.name, devices.c.hostname
    ).where(devices.c.network == network, LIVE, devices.c.ip.is_not(None))
    found = [
        NameTarget(row.id, row.mac, row.ip, row.name, row.hostname)
        for row in connection.execute(query)
    ]
    return sorted(found, key=lambda t: ip_order(t.ip))


def _live_ids(connection: Connection, network: str, ids: Iterable[int]) -> set[int]:
    wanted = set(ids)
    if not wanted:
        return set()
    query = select(devices.c.id).where(devices.c.network == network, LIVE, devices.c.id.in_(wanted))
    return set(connection.execute(query).scalars())


def save_names(
    connection: Connection,
    network: str,
    found: Sequence[DeviceName],
    now: datetime,
    *,
    drop_expired: Iterable[NameSource] = (),
) -> None:
    """Store what a names run found on ``network``.

    A name replaces the device's previous one from that source; a ``None``
    name removes it. Then each source in ``drop_expired`` (one that ran
    successfully) loses the names of the network's devices that expired by
    ``now``. Devices retired or deleted meanwhile are left out.
    """
    live = _live_ids(connection, network, (item.device_id for item in found))
    rows = [
        {
            "device_id": item.device_id,
            "source": item.source,
            "name": item.name,
            "services": list(item.services) if item.source == "mdns" else None,
            "expires_at": item.expires_at,
            "updated_at": now,
        }
        for item in found
        if item.device_id in live and item.name is not None
    ]
    gone = [
        (item.device_id, item.source)
        for item in found
        if item.device_id in live and item.name is None
    ]
    if gone:
        connection.execute(
            delete(device_names).where(
                tuple_(device_names.c.device_id, device_names.c.source).in_(gone)
            )
        )
    upsert_many(connection, device_names, ("device_id", "source"), rows)
    sources = list(drop_expired)
    if sources:
        of_network = select(devices.c.id).where(devices.c.network == network)
        connection.execute(
            delete(device_names).where(
                device_names.c.source.in_(sources),
                device_names.c.expires_at <= now,
                device_names.c.device_id.in_(of_network),
            )
        )


def names_of(connection: Connection, device_ids: Iterable[int]) -> dict[int, list[DeviceName]]:
    """The stored names of these devices, mDNS first, by device id."""
    wanted = set(device_ids)
    if not wanted:
        return {}
    rows = connection.execute(
        select(device_names).where(device_names.c.device_id.in_(wanted))
    ).mappings()
    found: dict[int, list[DeviceName]] = {}
    for row in rows:
        found.setdefault(row["device_id"], []).append(
            DeviceName(
                device_id=row["device_id"],
                source=row["source"],
                name=row["name"],
                expires_at=row["expires_at"],
                services=tuple(row["services"] or ()),
            )
        )
    for names in found.values():
        names.sort(key=lambda item: SOURCES.index(item.source))
    return found


def advertised_services(names: Iterable[DeviceName]) -> list[str]:
    """The service types among a device's names (its mDNS row's), sorted."""
    return sorted({service for item in names if item.source == "mdns" for service in item.services})


def heard_name(names: Iterable[DeviceName]) -> str | None:
    """The name a device was heard under: its mDNS name, else its reverse DNS name."""
    return next((item.name for item in names if item.name), None)
