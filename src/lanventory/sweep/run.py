"""A configured network's sweep, run now: sweep, ingest, remember what was learned."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import Connection, Engine

from lanventory.collect.arp_scan import run_arp_scan
from lanventory.collect.error import CollectError
from lanventory.config import Settings
from lanventory.ingest import RunReport, Write, ingest_result, parse, record_failure, write_here
from lanventory.inventory.merge import VendorLookup
from lanventory.network_config import NetworkConfig, SweepConfig
from lanventory.sources.observation import ParseResult
from lanventory.store.engine import write_transaction
from lanventory.store.runs import start_run
from lanventory.store.sweep_rates import learned_rate, remember_rate
from lanventory.sweep.native import SweepStats, sweep
from lanventory.sweep.pacing import DEFAULT_START_RATE, RatePlan

EngineName = Literal["native", "arp-scan"]
Clock = Callable[[], datetime]


def sweep_settings(network: NetworkConfig) -> SweepConfig:
    """The network's sweep settings (the defaults when it has only an interface)."""
    return network.sweep if network.sweep is not None else SweepConfig()


def _target(network: NetworkConfig) -> str:
    return f"{network.interface} {network.cidr}"


@dataclass(slots=True)
class Swept:
    """One sweep done, not yet applied: ``result`` is None if it could not run
    (``report.error`` says why); ``stats`` come from the native sweeper."""

    report: RunReport
    started: datetime
    result: ParseResult | None
    stats: SweepStats | None = None


def sweep_network(
    network: NetworkConfig,
    *,
    engine: EngineName | None,
    learned: int | None,
    clock: Clock,
    run_id: int | None = None,
) -> Swept:
    """Sweep ``network`` (which must be configured) now, starting at the ``learned`` rate."""
    config = sweep_settings(network)
    chosen = engine or config.engine
    started = clock()
    report = RunReport(chosen, network.name, [_target(network)], ok=False, run_id=run_id)
    if network.interface is None:
        report.error = f"network {network.name!r} has no 'interface' to sweep on"
        return Swept(report, started, None)
    if chosen == "arp-scan":
        try:
            text = run_arp_scan(network.interface, network.cidr, binary=config.arp_scan)
        except CollectError as error:
            report.error = str(error)
            return Swept(report, started, None)
        report.inputs = [text.name]
        return Swept(report, started, parse("arp-scan", [text], started))
    fixed = config.rate > 0
    plan = RatePlan(start=config.rate if fixed else learned or DEFAULT_START_RATE, fixed=fixed)
    try:
        outcome = sweep(
            network,
            plan=plan,
            timeout=config.timeout,
            max_rounds=config.max_rounds,
            now=started,
        )
    except CollectError as error:
        report.error = str(error)
        return Swept(report, started, None)
    stats = outcome.stats
    report.extra = {
        "sweep": {
            "sent": stats.sent,
            "answered": stats.answered,
            "rounds": stats.rounds,
            "rates": stats.rates,
            "found_per_round": stats.found_per_round,
            "duration": round(stats.duration, 3),
            "duplicates": stats.duplicates,
            "learned_rate": stats.learned_rate,
        }
    }
    return Swept(report, started, outcome.result, stats)


def run_sweep(
    db: Engine,
    settings: Settings,
    network: NetworkConfig,
    *,
    engine: EngineName | None,
    lookup: VendorLookup,
    clock: Clock,
    write: Write = write_here,
    run_id: int | None = None,
) -> tuple[RunReport, SweepStats | None]:
    """Sweep ``network`` (which must be configured) now and ingest what answered.

    A sweep that cannot run (no privilege, no such interface, arp-scan
    missing or failing) records a failed run and changes nothing else.
    ``write`` runs each database write (the sweep itself runs where called);
    ``run_id`` is a run record opened in advance for this sweep.
    """
    learned = None
    if network.interface is not None:
        with db.connect() as connection:
            learned = learned_rate(connection, network.name, network.interface)
    swept = sweep_network(network, engine=engine, learned=learned, clock=clock, run_id=run_id)
    report, started, result, stats = swept.report, swept.started, swept.result, swept.stats
    if result is None:
        return write(lambda: record_failure(db, report, started, clock)), None
    interface = network.interface or ""

    def remember(connection: Connection) -> None:
        if stats is not None and stats.learned_rate is not None:
            remember_rate(connection, network.name, interface, stats.learned_rate, clock())

    applied = write(
        lambda: ingest_result(
            db,
            report,
            result,
            started_at=started,
            now=started,
            policy=settings.policy,
            lookup=lookup,
            clock=clock,
            after=remember,
        )
    )
    return applied, stats


def networks_to_sweep(settings: Settings, name: str | None) -> list[NetworkConfig]:
    """The configured networks ``scan`` sweeps: one by name, or every one with a sweep.

    A network named explicitly may be swept with the default settings if it
    has an interface; without a name only networks with a ``sweep`` table
    are. Raises ConfigError for an unknown name.
    """
    if name is not None:
        return [settings.network(name)]
    return [network for network in settings.networks if network.sweep is not None]


def open_sweep_run(db: Engine, network: NetworkConfig, started: datetime) -> int:
    """Open the run record of a sweep about to start (so its id can be given out now)."""
    with write_transaction(db) as connection:
        source = sweep_settings(network).engine
        return start_run(connection, source, network.name, started, [_target(network)])
