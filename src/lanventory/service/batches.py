"""Applying an agent's batch on the server: exactly once, as one run, all or nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine
from sqlalchemy.engine import Connection

from lanventory.agent.batch import Batch
from lanventory.config import Settings
from lanventory.ingest import RunReport, ingest_result
from lanventory.inventory.merge import VendorLookup
from lanventory.store.agent_batches import mark_received, received

Clock = Callable[[], datetime]


@dataclass(frozen=True, slots=True)
class Receipt:
    """What became of a batch: its run, whether it applied, and whether it was a repeat."""

    batch: str
    run_id: int | None
    ok: bool
    duplicate: bool
    error: str | None = None
    summary: str | None = None


def receive_batch(
    engine: Engine,
    batch: Batch,
    *,
    agent: str,
    settings: Settings,
    lookup: VendorLookup,
    clock: Clock,
) -> Receipt:
    """Apply ``batch`` from ``agent`` as one run of its network, unless it was applied before.

    The batch id is recorded in the transaction that records the run, failed
    or not, so a batch sent twice (the answer to the first send was lost)
    changes nothing the second time. A batch whose run failed on the agent is
    recorded as a failed run with the agent's reason. The rules judge the
    capture at the agent's ``captured_at``, so a batch held back by an outage
    means what it meant when it was made. Run this on the server's one writer.
    """
    with engine.connect() as connection:
        before = received(connection, batch.id)
    if before is not None:
        return Receipt(batch.id, before.run_id, True, duplicate=True)

    def remember(connection: Connection, run_id: int) -> None:
        mark_received(
            connection,
            batch.id,
            agent=agent,
            network=batch.network,
            source=batch.source,
            run_id=run_id,
            now=clock(),
        )

    report = RunReport(batch.source, batch.network, [f"agent {agent}", *batch.inputs], ok=False)
    report.extra = {**batch.extra, "agent": agent, "batch": batch.id}
    done = ingest_result(
        engine,
        report,
        batch.parse_result(),
        started_at=batch.started_at,
        now=batch.captured_at,
        policy=settings.policy,
        lookup=lookup,
        clock=clock,
        recorded=remember,
    )
    return Receipt(batch.id, done.run_id, done.ok, False, done.error, done.summary())
