"""What the HTML pages read besides the device lists: counts, choices, last runs."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from lanventory.inventory.model import Status
from lanventory.store.history import RunRecord, list_runs
from lanventory.store.tables import LIVE, devices, runs


def waiting_count(connection: Connection) -> int:
    """How many devices wait in the review queue (status ``new``)."""
    query = (
        select(func.count()).select_from(devices).where(devices.c.status == Status.NEW.value, LIVE)
    )
    return int(connection.execute(query).scalar_one())


def device_networks(connection: Connection) -> list[str]:
    """Every network that has devices, by name."""
    query = select(devices.c.network).distinct().where(LIVE).order_by(devices.c.network)
    return [str(name) for name in connection.execute(query).scalars()]


def owner_groups(connection: Connection) -> list[str]:
    """Every group the owner has given a device, by name."""
    query = select(devices.c.grp).distinct().where(devices.c.grp.is_not(None), LIVE)
    names = [str(name) for name in connection.execute(query).scalars()]
    return sorted(names, key=lambda name: (name.casefold(), name))


def last_runs(connection: Connection) -> list[RunRecord]:
    """The latest run of every source on every network, by network and source."""
    pairs = connection.execute(
        select(runs.c.network, runs.c.source).distinct().order_by(runs.c.network, runs.c.source)
    ).all()
    latest = []
    for network, source in pairs:
        found = list_runs(connection, network=network, source=source, limit=1)
        latest.extend(found)
    return latest
