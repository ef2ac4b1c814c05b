"""The batches received from remote agents: what makes applying one idempotent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Connection

from lanventory.store.tables import agent_batches

#: How long a received batch id is remembered (an agent retries within minutes or hours).
REMEMBERED = timedelta(days=90)


@dataclass(frozen=True, slots=True)
class ReceivedBatch:
    """A batch already applied: who sent it, when, and the run it became."""

    id: str
    agent: str
    network: str
    source: str
    received_at: datetime
    run_id: int | None


def received(connection: Connection, batch_id: str) -> ReceivedBatch | None:
    """The batch ``batch_id`` if it was already applied."""
    row = connection.execute(select(agent_batches).where(agent_batches.c.id == batch_id)).first()
    return None if row is None else ReceivedBatch(*row)


def mark_received(
    connection: Connection,
    batch_id: str,
    *,
    agent: str,
    network: str,
    source: str,
    run_id: int,
    now: datetime,
) -> None:
    """Remember that ``batch_id`` became run ``run_id`` (in the transaction that recorded it),
    and forget the ids older than :data:`REMEMBERED`."""
    connection.execute(delete(agent_batches).where(agent_batches.c.received_at < now - REMEMBERED))
    connection.execute(
        insert(agent_batches).values(
            id=batch_id,
            agent=agent,
            network=network,
            source=source,
            received_at=now,
            run_id=run_id,
        )
    )
