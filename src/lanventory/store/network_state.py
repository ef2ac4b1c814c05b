"""Loading a network's state for the rules, and writing back what they changed."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import bindparam, case, delete, insert, select, update
from sqlalchemy.engine import Connection, RowMapping

from lanventory.inventory.model import Device, Sighting, Status
from lanventory.inventory.state import Changes, ExtraAddress, NetworkState
from lanventory.store.bulk import execute_many
from lanventory.store.retired import predecessors
from lanventory.store.runs import insert_events
from lanventory.store.tables import LIVE, device_addresses, devices, ip_history, sightings
from lanventory.store.upsert import upsert, upsert_many

_SOURCE_FIELDS = (
    "ip",
    "vendor",
    "hostname",
    "client_id",
    "vendor_class",
    "last_seen",
    "present",
    "randomized",
)


def device_from_row(row: RowMapping) -> Device:
    """A :class:`Device` from a ``devices`` row."""
    return Device(
        id=row["id"],
        network=row["network"],
        mac=row["mac"],
        ip=row["ip"],
        vendor=row["vendor"],
        hostname=row["hostname"],
        client_id=row["client_id"],
        vendor_class=row["vendor_class"],
        name=row["name"],
        grp=row["grp"],
        note=row["note"],
        status=Status(row["status"]),
        randomized=row["randomized"],
        flagged=row["flagged"],
        first_seen=row["first_seen"],
        last_seen=row["last_seen"],
        present=row["present"],
        watched=row["watched"],
    )


@dataclass(slots=True)
class LoadedNetwork:
    """A network's state plus what the writer needs: row ids and the IPs as loaded."""

    state: NetworkState
    ids: dict[str, int] = field(default_factory=dict)
    loaded_ips: dict[str, str | None] = field(default_factory=dict)


def load_network(connection: Connection, network: str) -> LoadedNetwork:
    """Every device of ``network`` with its sightings."""
    loaded = LoadedNetwork(NetworkState(network))
    for row in connection.execute(
        select(devices).where(devices.c.network == network, LIVE)
    ).mappings():
        device = device_from_row(row)
        loaded.state.devices[device.mac] = device
        loaded.ids[device.mac] = row["id"]
        loaded.loaded_ips[device.mac] = device.ip
    query = (
        select(devices.c.mac, sightings)
        .join(sightings, sightings.c.device_id == devices.c.id)
        .where(devices.c.network == network, LIVE)
    )
    for row in connection.execute(query).mappings():
        loaded.state.sightings.setdefault(row["mac"], {})[row["source"]] = Sighting(
            source=row["source"],
            last_seen=row["last_seen"],
            ip=row["ip"],
            current=row["current"],
            missed_runs=row["missed_runs"],
        )
    query = (
        select(devices.c.mac, device_addresses)
        .join(device_addresses, device_addresses.c.device_id == devices.c.id)
        .where(devices.c.network == network, LIVE)
    )
    for row in connection.execute(query).mappings():
        loaded.state.extras.setdefault(row["mac"], {})[row["ip"]] = ExtraAddress(
            source=row["source"], first_seen=row["first_seen"], last_seen=row["last_seen"]
        )
    return loaded


def _write_devices(connection: Connection, loaded: LoadedNetwork, changes: Changes) -> None:
    state = loaded.state
    if changes.pruned:
        # The rows a pruned device had retired by adopting their MACs go with it.
        ids = [loaded.ids[d.mac] for d in changes.pruned]
        ids.extend(row.id for row in predecessors(connection, ids, limit=None))
        connection.execute(delete(devices).where(devices.c.id.in_(ids)))
    updated = [state.devices[mac] for mac in sorted(changes.updated) if mac in state.devices]
    moved = [d for d in updated if d.ip != loaded.loaded_ips.get(d.mac)]
    if moved:
        # Free every IP that changes hands first, so the (network, ip) index
        # never sees two holders in between.
        execute_many(
            connection,
            update(devices).where(devices.c.id == bindparam("b_id")).values(ip=None),
            [{"b_id": loaded.ids[d.mac]} for d in moved],
        )
    if updated:
        execute_many(
            connection,
            update(devices)
            .where(devices.c.id == bindparam("b_id"))
            .values({name: bindparam(f"b_{name}") for name in _SOURCE_FIELDS}),
            [
                {"b_id": loaded.ids[d.mac], **{f"b_{n}": getattr(d, n) for n in _SOURCE_FIELDS}}
                for d in updated
            ],
        )
    inserted = [state.devices[mac] for mac in sorted(changes.inserted)]
    if inserted:
        execute_many(
            connection,
            insert(devices),
            [
                {
                    "network": d.network,
                    "mac": d.mac,
                    "ip": d.ip,
                    "vendor": d.vendor,
                    "hostname": d.hostname,
                    "client_id": d.client_id,
                    "vendor_class": d.vendor_class,
                    "status": d.status.value,
                    "randomized": d.randomized,
                    "flagged": d.flagged,
                    "first_seen": d.first_seen,
                    "last_seen": d.last_seen,
                    "present": d.present,
                }
                for d in inserted
            ],
        )
        fresh = changes.inserted
        query = select(devices.c.id, devices.c.mac).where(devices.c.network == state.network, LIVE)
        for device_id, mac in connection.execute(query):
            if mac in fresh:
                loaded.ids[mac] = device_id
                state.devices[mac].id = device_id


def _write_sightings(connection: Connection, loaded: LoadedNetwork, changes: Changes) -> None:
    rows = [
        {
            "device_id": loaded.ids[mac],
            "source": source,
            "last_seen": s.last_seen,
            "ip": s.ip,
            "current": s.current,
            "missed_runs": s.missed_runs,
        }
        for mac, source in changes.sightings
        if mac in loaded.state.devices
        for s in (loaded.state.sightings[mac][source],)
    ]
    upsert_many(connection, sightings, ("device_id", "source"), rows)


def _write_history(connection: Connection, loaded: LoadedNetwork, changes: Changes) -> None:
    rows = [
        {
            "device_id": loaded.ids[mac],
            "ip": ip,
            "family": 6 if ":" in ip else 4,
            "first_seen": first,
            "last_seen": last,
        }
        for (mac, ip), (first, last) in changes.history.items()
        if mac in loaded.state.devices
    ]
    if not rows:
        return
    statement = upsert(connection, ip_history)
    excluded = statement.excluded
    table = ip_history.c
    execute_many(
        connection,
        statement.on_conflict_do_update(
            index_elements=["device_id", "ip"],
            set_={
                "first_seen": case(
                    (excluded.first_seen < table.first_seen, excluded.first_seen),
                    else_=table.first_seen,
                ),
                "last_seen": case(
                    (excluded.last_seen > table.last_seen, excluded.last_seen),
                    else_=table.last_seen,
                ),
            },
        ),
        rows,
    )


def _write_addresses(connection: Connection, loaded: LoadedNetwork, changes: Changes) -> None:
    """Rewrite the extra addresses of every device whose extras changed.

    All of them are deleted before any is inserted, so an address that moves
    from one device to another never meets the ``(network, ip)`` index twice.
    """
    state = loaded.state
    macs = sorted(mac for mac in changes.addresses if mac in state.devices)
    if not macs:
        return
    ids = [loaded.ids[mac] for mac in macs]
    connection.execute(delete(device_addresses).where(device_addresses.c.device_id.in_(ids)))
    rows = [
        {
            "device_id": loaded.ids[mac],
            "network": state.network,
            "ip": ip,
            "source": extra.source,
            "first_seen": extra.first_seen,
            "last_seen": extra.last_seen,
        }
        for mac in macs
        for ip, extra in sorted(state.extras.get(mac, {}).items())
    ]
    if rows:
        execute_many(connection, insert(device_addresses), rows)


def save_changes(
    connection: Connection, loaded: LoadedNetwork, changes: Changes, run_id: int | None
) -> None:
    """Write one run's changes inside the caller's transaction."""
    _write_devices(connection, loaded, changes)
    _write_addresses(connection, loaded, changes)
    _write_sightings(connection, loaded, changes)
    _write_history(connection, loaded, changes)
    insert_events(connection, changes.events, run_id)
