"""One source run, end to end: parse, apply the rules, store, all or nothing."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine

from lanventory.gc_pause import paused_gc
from lanventory.inventory.merge import VendorLookup
from lanventory.inventory.model import Policy
from lanventory.inventory.run import apply_run
from lanventory.inventory.state import Counts
from lanventory.sources import PARSERS, SWEEP_SOURCES
from lanventory.sources.observation import IpConflict, ParseResult, SourceText
from lanventory.store.adoption import auto_adopt
from lanventory.store.engine import write_transaction
from lanventory.store.network_state import load_network, save_changes
from lanventory.store.runs import finish_run, record_failed_run, start_run
from lanventory.store.stable_prefixes import effective_policy

_LOGGER = logging.getLogger(__name__)

Clock = Callable[[], datetime]


@dataclass(slots=True)
class RunReport:
    """What one run did, for the CLI's summary line and the API."""

    source: str
    network: str
    inputs: list[str]
    ok: bool
    run_id: int | None = None
    error: str | None = None
    lines: int = 0
    counts: Counts = field(default_factory=Counts)
    skipped: dict[str, int] = field(default_factory=dict)
    conflicts: list[IpConflict] = field(default_factory=list)
    absence_evaluated: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> str:
        """One line: what was read, what changed, what was skipped and why."""
        names = ", ".join(
            name.rsplit("/", 1)[-1] if name.startswith("/") else name for name in self.inputs
        )
        head = f"{self.network} <- {self.source} ({names})"
        if not self.ok:
            return f"{head}: FAILED: {self.error}"
        c = self.counts
        text = (
            f"{head}: {c.observations} observations ({c.active} active), {c.new} new, "
            f"{c.updated} updated, {c.moved} moved, {c.absent} absent"
        )
        if c.online:
            text += f", {c.online} back online"
        if c.pruned:
            text += f", {c.pruned} pruned"
        if c.conflicts:
            text += f", {c.conflicts} IP conflicts"
        total = sum(self.skipped.values())
        reasons = ", ".join(f"{reason} {count}" for reason, count in self.skipped.items())
        text += f"; skipped {total} line{'' if total == 1 else 's'}" + (
            f" ({reasons})" if reasons else ""
        )
        if not self.absence_evaluated:
            text += "; absence not evaluated (input incomplete or no device seen)"
        return text

    def run_counts(self) -> dict[str, Any]:
        """The figures stored with the run record."""
        return {
            **asdict(self.counts),
            "skipped": self.skipped,
            "conflicts": [{"ip": c.ip, "macs": list(c.macs)} for c in self.conflicts],
            "absence_evaluated": self.absence_evaluated,
            **self.extra,
        }


#: Runs inside the transaction that records a run, successful or failed, with the run's id.
Recorded = Callable[[Connection, int], None]

#: Runs a run's database write: ``write_here`` by default, the server's one writer in ``serve``.
Write = Callable[[Callable[[], RunReport]], RunReport]


def write_here(job: Callable[[], RunReport]) -> RunReport:
    """Run a run's database write right here, on the calling thread."""
    return job()


def parse(source: str, inputs: Sequence[SourceText], now: datetime) -> ParseResult:
    """Run the parser for ``source``; an unknown source name is a ValueError."""
    try:
        parser = PARSERS[source]
    except KeyError:
        valid = ", ".join(sorted(PARSERS))
        raise ValueError(f"unknown format {source!r}: valid formats are {valid}") from None
    return parser(inputs, now)


def record_failure(
    engine: Engine,
    report: RunReport,
    started_at: datetime,
    clock: Clock,
    *,
    recorded: Recorded | None = None,
) -> RunReport:
    """Store a failed run (and its ``source_failed`` event); nothing else changes.

    ``recorded`` runs in the same transaction (an agent's batch is marked received there).
    """
    report.ok = False
    with write_transaction(engine) as connection:
        run_id = record_failed_run(
            connection,
            report.source,
            report.network,
            started_at,
            clock(),
            report.error or "unknown error",
            report.inputs,
            report.run_counts(),
            opened=report.run_id,
        )
        if recorded is not None:
            recorded(connection, run_id)
    report.run_id = run_id
    return report


def ingest(
    engine: Engine,
    source: str,
    network: str,
    inputs: Sequence[SourceText],
    *,
    now: datetime,
    policy: Policy,
    lookup: VendorLookup,
    clock: Clock,
    run_id: int | None = None,
) -> RunReport:
    """Parse ``inputs`` as ``source`` and apply them to ``network`` in one transaction.

    ``now`` is the time the rules evaluate the capture at; ``clock`` stamps the
    run record. A structurally broken input, or any error while applying,
    records a failed run and leaves the inventory exactly as it was.
    """
    started_at = clock()
    result = parse(source, inputs, now)
    return ingest_result(
        engine,
        RunReport(source, network, [t.name for t in inputs], ok=False, run_id=run_id),
        result,
        started_at=started_at,
        now=now,
        policy=policy,
        lookup=lookup,
        clock=clock,
    )


def ingest_result(
    engine: Engine,
    report: RunReport,
    result: ParseResult,
    *,
    started_at: datetime,
    now: datetime,
    policy: Policy,
    lookup: VendorLookup,
    clock: Clock,
    after: Callable[[Connection], None] | None = None,
    recorded: Recorded | None = None,
) -> RunReport:
    """Apply an already parsed ``result`` as the run ``report`` describes, all or nothing.

    ``after`` runs inside the same transaction once the run is applied (a
    sweep stores the rate it learned there). ``recorded`` runs in the
    transaction that records the run whether it succeeded or failed.
    """
    source, network = report.source, report.network
    opened = report.run_id  # a run record opened in advance, or None
    report.lines = result.lines
    report.skipped = result.skipped_by_reason()
    report.conflicts = list(result.conflicts)
    if result.error is not None:
        report.error = result.error
        return record_failure(engine, report, started_at, clock, recorded=recorded)
    try:
        with write_transaction(engine) as connection:
            run_id = opened or start_run(connection, source, network, started_at, report.inputs)
            policy = effective_policy(connection, policy)
            with paused_gc():  # a large run makes many objects and no cycles
                loaded = load_network(connection, network)
                changes = apply_run(
                    loaded.state, source, result, now, policy, lookup, sweep=source in SWEEP_SOURCES
                )
                save_changes(connection, loaded, changes, run_id)
                if network in policy.auto_adopt_networks:
                    auto_adopt(connection, loaded, changes, now, policy, run_id)
            if after is not None:
                after(connection)
            report.run_id, report.ok = run_id, True
            report.counts = changes.counts
            report.absence_evaluated = changes.absence_evaluated
            finish_run(
                connection,
                run_id,
                clock(),
                source=source,
                network=network,
                ok=True,
                lines=result.lines,
                observations=changes.counts.observations,
                counts=report.run_counts(),
            )
            if recorded is not None:
                recorded(connection, run_id)
    except Exception as error:  # the transaction is rolled back: record why
        _LOGGER.exception("%s run on %s failed", source, network)
        report.ok, report.run_id, report.counts = False, opened, Counts()
        report.error = f"could not apply the run: {type(error).__name__}: {error}"
        return record_failure(engine, report, started_at, clock, recorded=recorded)
    return report
