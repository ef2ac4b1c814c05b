"""Adoption in the database: retiring the old row, the chain of predecessors, undo.

A retired row stays in ``devices`` with ``retired_at`` and ``retired_into``
(its successor's id) set and no current address: the rules, the lists and
``(network, mac)`` lookups no longer see it (:data:`~lanventory.store.tables.LIVE`),
but its sightings and address history stay, so the successor's history can
show them and the link stays explainable. If the old MAC is seen again later,
it becomes a device of its own.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.engine import Connection

from lanventory.inventory.adoption import (
    AdoptionError,
    adopt,
    owner_fields,
    unambiguous,
    undo_events,
    undo_fields,
)
from lanventory.inventory.model import Device, EventType, Policy
from lanventory.inventory.rotation import suggest_predecessors
from lanventory.inventory.state import Changes
from lanventory.store.devices import DeviceNotFound, get_device, write_owner_fields
from lanventory.store.engine import write_transaction
from lanventory.store.history import MacSpan, list_events
from lanventory.store.network_state import LoadedNetwork
from lanventory.store.retired import MAX_CHAIN, predecessors
from lanventory.store.runs import insert_events
from lanventory.store.tables import device_addresses, devices


def successor_of(connection: Connection, network: str, mac: str) -> tuple[str, datetime] | None:
    """For a MAC that is not a live device: the MAC of the device that adopted it
    most recently, and when; None if it was never adopted."""
    old = devices.alias("old")
    query = (
        select(devices.c.mac, old.c.retired_at)
        .join(old, old.c.retired_into == devices.c.id)
        .where(old.c.network == network, old.c.mac == mac, old.c.retired_at.is_not(None))
        .order_by(old.c.retired_at.desc())
        .limit(1)
    )
    row = connection.execute(query).first()
    return None if row is None else (row[0], row[1])


def identity(connection: Connection, device: Device) -> list[MacSpan]:
    """The MACs ``device`` went by and when, for one continuous history.

    Its own MAC counts from after the last time a row with that MAC was
    retired (earlier events belong to that row); each predecessor's MAC
    counts up to its retirement.
    """
    earlier = select(func.max(devices.c.retired_at)).where(
        devices.c.network == device.network,
        devices.c.mac == device.mac,
        devices.c.retired_at.is_not(None),
    )
    since = connection.execute(earlier).scalar_one_or_none()
    spans = [MacSpan(device.mac, after=since)]
    if device.id is not None:
        spans.extend(
            MacSpan(row.mac, until=row.retired_at) for row in predecessors(connection, [device.id])
        )
    return spans


def _live(connection: Connection, network: str, mac: str) -> Device:
    device = get_device(connection, network, mac)
    if device is None or device.id is None:
        raise DeviceNotFound(f"no device {mac} on network {network!r}")
    return device


def adopt_device(
    engine: Engine, network: str, new_mac: str, old_mac: str, now: datetime, *, auto: bool = False
) -> Device:
    """Let ``new_mac`` adopt ``old_mac`` on ``network`` in one transaction.

    The new device inherits the owner's fields; the old row is retired into
    it, losing its current addresses. Raises DeviceNotFound or AdoptionError.
    """
    with write_transaction(engine) as connection:
        successor = _live(connection, network, new_mac)
        predecessor = _live(connection, network, old_mac)
        adopt_in(connection, successor, predecessor, now, auto=auto)
        return successor


def adopt_in(
    connection: Connection,
    successor: Device,
    predecessor: Device,
    now: datetime,
    *,
    auto: bool = False,
    run_id: int | None = None,
) -> None:
    """Adopt within the caller's transaction (both devices as stored, with their ids)."""
    adoption = adopt(successor, predecessor, now, auto=auto)
    write_owner_fields(connection, successor, adoption.fields)
    connection.execute(
        delete(device_addresses).where(device_addresses.c.device_id == predecessor.id)
    )
    connection.execute(
        update(devices)
        .where(devices.c.id == predecessor.id)
        .values(retired_into=successor.id, retired_at=now, ip=None, present=False)
    )
    insert_events(connection, adoption.events, run_id)


def auto_adopt(
    connection: Connection,
    loaded: LoadedNetwork,
    changes: Changes,
    now: datetime,
    policy: Policy,
    run_id: int | None,
) -> list[tuple[str, str]]:
    """Adopt, after a run is saved, each new randomized MAC with one unambiguous
    predecessor; the ``(new, old)`` pairs adopted.

    A predecessor that is the only candidate of two new MACs is ambiguous too:
    neither adopts it.
    """
    state = loaded.state
    chosen: dict[str, str] = {}
    for mac in sorted(changes.inserted):
        device = state.devices.get(mac)
        if device is None or not device.randomized:
            continue
        found = suggest_predecessors(
            state, device, now, policy.rotation_window, policy.stable_mac_prefixes
        )
        choice = unambiguous(found)
        if choice is not None:
            chosen[mac] = choice.mac
    claims = Counter(chosen.values())
    adopted = []
    for new, old in sorted(chosen.items()):
        if claims[old] == 1:
            adopt_in(
                connection, state.devices[new], state.devices[old], now, auto=True, run_id=run_id
            )
            adopted.append((new, old))
    return adopted


def undo_adoption(engine: Engine, network: str, mac: str, now: datetime) -> Device:
    """Undo the latest adoption by the device ``mac``: the old MAC is a device again.

    The successor's owner fields return to what they were before, except those
    the owner changed since. Raises DeviceNotFound, or AdoptionError when it
    adopted nothing or the old MAC is back as a device of its own.
    """
    with write_transaction(engine) as connection:
        successor = _live(connection, network, mac)
        assert successor.id is not None
        latest = connection.execute(
            select(devices.c.id, devices.c.mac)
            .where(devices.c.retired_into == successor.id, devices.c.retired_at.is_not(None))
            .order_by(devices.c.retired_at.desc(), devices.c.id.desc())
            .limit(1)
        ).first()
        if latest is None:
            raise AdoptionError(f"{mac} on network {network!r} has adopted no device")
        old_id, old_mac = latest
        if get_device(connection, network, old_mac) is not None:
            raise AdoptionError(
                f"{old_mac} is back on network {network!r} as a device of its own: "
                "delete that device first to undo the adoption"
            )
        before, inherited = _adoption_record(connection, network, mac, old_mac)
        fields = undo_fields(owner_fields(successor), before, inherited)
        write_owner_fields(connection, successor, fields)
        connection.execute(
            update(devices).where(devices.c.id == old_id).values(retired_into=None, retired_at=None)
        )
        insert_events(connection, undo_events(successor, old_mac, now), None)
        return successor


def _adoption_record(
    connection: Connection, network: str, mac: str, old_mac: str
) -> tuple[dict[str, object], dict[str, object]]:
    """What the ``adopted`` event of ``mac`` adopting ``old_mac`` kept: before and inherited."""
    for record in list_events(
        connection, network=network, mac=mac, event_type=EventType.ADOPTED, limit=MAX_CHAIN
    ):
        if record.data.get("from") == old_mac:
            return dict(record.data.get("before") or {}), dict(record.data.get("inherited") or {})
    return {}, {}
