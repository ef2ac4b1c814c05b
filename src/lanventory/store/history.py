"""The run records and the event log, as the API pages through them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.engine import Connection, RowMapping

from lanventory.inventory.model import EventType
from lanventory.store.tables import events, runs


@dataclass(frozen=True, slots=True)
class EventRecord:
    """One stored event, with its id (the paging cursor)."""

    id: int
    at: datetime
    network: str
    mac: str | None
    type: EventType
    data: dict[str, Any]
    run_id: int | None


@dataclass(frozen=True, slots=True)
class MacSpan:
    """A MAC a device went by, and the stretch of time its events belong to the device."""

    mac: str
    #: Events after this time (None: from the start).
    after: datetime | None = None
    #: Events at or before this time (None: up to now).
    until: datetime | None = None

    def condition(self) -> ColumnElement[bool]:
        """The events of this span, as a WHERE condition."""
        parts = [events.c.mac == self.mac]
        if self.after is not None:
            parts.append(events.c.at > self.after)
        if self.until is not None:
            parts.append(events.c.at <= self.until)
        return and_(*parts)


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One stored run: a source applied to a network, or its failure."""

    id: int
    source: str
    network: str
    started_at: datetime
    finished_at: datetime | None
    ok: bool | None
    error: str | None
    inputs: list[str]
    lines: int
    observations: int
    counts: dict[str, Any]

    @property
    def status(self) -> str:
        """``running`` until it finishes, then ``ok`` or ``failed``."""
        if self.finished_at is None or self.ok is None:
            return "running"
        return "ok" if self.ok else "failed"

    @property
    def duration(self) -> float | None:
        """Seconds from start to finish, once finished."""
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


def _event(row: RowMapping) -> EventRecord:
    return EventRecord(
        id=int(row["id"]),
        at=row["at"],
        network=row["network"],
        mac=row["mac"],
        type=EventType(row["type"]),
        data=row["data"] or {},
        run_id=row["run_id"],
    )


def list_events(
    connection: Connection,
    *,
    network: str | None = None,
    mac: str | None = None,
    identity: Sequence[MacSpan] | None = None,
    event_type: EventType | None = None,
    since: datetime | None = None,
    before: int | None = None,
    after: int | None = None,
    limit: int = 100,
) -> list[EventRecord]:
    """Events matching every given filter, at most ``limit``.

    Newest first, below the ``before`` id; with ``after``, oldest first above
    that id instead (for following the log forward). ``identity`` gives one
    device's MACs over time (see :func:`lanventory.store.adoption.identity`).
    """
    query = select(events)
    if network is not None:
        query = query.where(events.c.network == network)
    if mac is not None:
        query = query.where(events.c.mac == mac)
    if identity:
        query = query.where(or_(*(span.condition() for span in identity)))
    if event_type is not None:
        query = query.where(events.c.type == event_type.value)
    if since is not None:
        query = query.where(events.c.at >= since)
    if before is not None:
        query = query.where(events.c.id < before)
    if after is not None:
        query = query.where(events.c.id > after).order_by(events.c.id)
    else:
        query = query.order_by(events.c.id.desc())
    return [_event(row) for row in connection.execute(query.limit(limit)).mappings()]


def list_runs(
    connection: Connection,
    *,
    network: str | None = None,
    source: str | None = None,
    ok: bool | None = None,
    before: int | None = None,
    limit: int = 50,
) -> list[RunRecord]:
    """Runs matching every given filter, newest first, below the ``before`` id.

    ``ok=False`` finds the failed runs; runs still going match neither value.
    """
    query = select(runs)
    if network is not None:
        query = query.where(runs.c.network == network)
    if source is not None:
        query = query.where(runs.c.source == source)
    if ok is not None:
        query = query.where(runs.c.ok == ok, runs.c.finished_at.is_not(None))
    if before is not None:
        query = query.where(runs.c.id < before)
    query = query.order_by(runs.c.id.desc()).limit(limit)
    return [
        RunRecord(
            id=row["id"],
            source=row["source"],
            network=row["network"],
            started_at=row["started_at"],
            finished_at=row["finished_at"],
            ok=row["ok"],
            error=row["error"],
            inputs=list(row["inputs"] or []),
            lines=row["lines"],
            observations=row["observations"],
            counts=row["counts"] or {},
        )
        for row in connection.execute(query).mappings()
    ]
