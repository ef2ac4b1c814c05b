"""Rows retired by adoptions: the chain of MACs a device took over.

A retired row names the device that adopted it (``retired_into``); that
device may itself have been adopted later, so a device's predecessors are
found by following the links back, however many rotations there were.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.engine import Connection

from lanventory.store.tables import devices

#: The longest chain of predecessors followed (a MAC rotated this many times).
MAX_CHAIN = 100


@dataclass(frozen=True, slots=True)
class Retired:
    """A row an adoption retired: the MAC it had, when it was retired and into what."""

    id: int
    mac: str
    retired_at: datetime
    retired_into: int
    first_seen: datetime
    last_seen: datetime


def predecessors(
    connection: Connection, device_ids: Iterable[int], limit: int | None = MAX_CHAIN
) -> list[Retired]:
    """Every row retired into one of ``device_ids``, directly or through others, newest
    first; at most ``limit`` (None: all)."""
    found: list[Retired] = []
    frontier = list(device_ids)
    seen = set(frontier)
    while frontier and (limit is None or len(found) < limit):
        query = select(
            devices.c.id,
            devices.c.mac,
            devices.c.retired_at,
            devices.c.retired_into,
            devices.c.first_seen,
            devices.c.last_seen,
        ).where(devices.c.retired_into.in_(frontier), devices.c.retired_at.is_not(None))
        rows = [Retired(*row) for row in connection.execute(query) if row[0] not in seen]
        seen.update(row.id for row in rows)
        found.extend(rows)
        frontier = [row.id for row in rows]
    found.sort(key=lambda row: (row.retired_at, row.id), reverse=True)
    return found if limit is None else found[:limit]
