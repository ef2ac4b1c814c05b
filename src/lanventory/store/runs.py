"""Run records and the event log."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, update
from sqlalchemy.engine import Connection

from lanventory.inventory.model import Event, EventType
from lanventory.store.bulk import execute_many
from lanventory.store.tables import events, runs


def insert_events(connection: Connection, items: Iterable[Event], run_id: int | None) -> None:
    """Append events to the history."""
    rows = [
        {
            "at": e.at,
            "network": e.network,
            "mac": e.mac,
            "type": e.type.value,
            "data": e.data,
            "run_id": run_id,
        }
        for e in items
    ]
    execute_many(connection, insert(events), rows)


def start_run(
    connection: Connection, source: str, network: str, started_at: datetime, inputs: Sequence[str]
) -> int:
    """Open a run record and return its id."""
    run_id = connection.execute(
        insert(runs)
        .values(source=source, network=network, started_at=started_at, inputs=list(inputs))
        .returning(runs.c.id)
    ).scalar_one()
    return int(run_id)


def finish_run(
    connection: Connection,
    run_id: int,
    finished_at: datetime,
    *,
    source: str,
    network: str,
    ok: bool,
    error: str | None = None,
    lines: int = 0,
    observations: int = 0,
    counts: dict[str, Any] | None = None,
) -> None:
    """Close a run record with its outcome and figures, and say so in a ``run_finished`` event."""
    connection.execute(
        update(runs)
        .where(runs.c.id == run_id)
        .values(
            finished_at=finished_at,
            ok=ok,
            error=error,
            lines=lines,
            observations=observations,
            counts=counts or {},
        )
    )
    summary = {"run_id": run_id, "source": source, "ok": ok, "error": error}
    if counts:
        summary.update({k: counts[k] for k in ("new", "updated", "absent") if k in counts})
    insert_events(
        connection, [Event(finished_at, network, None, EventType.RUN_FINISHED, summary)], run_id
    )


def record_failed_run(
    connection: Connection,
    source: str,
    network: str,
    started_at: datetime,
    finished_at: datetime,
    error: str,
    inputs: Sequence[str],
    counts: dict[str, Any] | None = None,
    opened: int | None = None,
) -> int:
    """A failed run and its ``source_failed`` event; nothing else changes.

    ``opened`` is the id of a run record opened earlier (a scan started from
    the API answers with it at once); it is closed instead of a new one made.
    """
    run_id = (
        start_run(connection, source, network, started_at, inputs) if opened is None else opened
    )
    failed = Event(
        finished_at, network, None, EventType.SOURCE_FAILED, {"source": source, "error": error}
    )
    insert_events(connection, [failed], run_id)
    finish_run(
        connection,
        run_id,
        finished_at,
        source=source,
        network=network,
        ok=False,
        error=error,
        counts=counts,
    )
    return run_id
