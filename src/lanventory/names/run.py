"""The names job of one network: reverse DNS for each device, one mDNS browse, one write.

Lookups happen first, without a transaction; what they found is written in
one write transaction, as one run of each source that ran (``reverse-dns``,
``mdns``) like every other source's: a ``run_finished`` event when it
worked; when it failed, a failed run with its ``source_failed`` event, and
that source's stored names stay as they were.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine

from lanventory.names.mdns import Browse, MdnsError, browse, interface_address
from lanventory.names.mdns_hosts import MdnsHost, hosts_by_address
from lanventory.names.ptr import PtrAnswer
from lanventory.names.ptr_cache import PtrCache
from lanventory.names.resolver import Query, lookup_ptrs, query_ptr
from lanventory.network_config import NetworkConfig
from lanventory.store.device_names import (
    RUN_SOURCES,
    DeviceName,
    NameSource,
    NameTarget,
    name_targets,
    save_names,
)
from lanventory.store.engine import write_transaction
from lanventory.store.runs import finish_run, record_failed_run, start_run

_LOGGER = logging.getLogger(__name__)

#: An mDNS name is kept this long after the last browse that found it.
MDNS_KEEP = timedelta(days=1)
#: Failed PTR lookups quoted in a failed run's error.
ERRORS_QUOTED = 3

Clock = Callable[[], datetime]
#: Runs the job's database write: right here by default, on the server's one writer in ``serve``.
WriteNames = Callable[[Callable[[], None]], None]


def _write_here(job: Callable[[], None]) -> None:
    job()


@dataclass(slots=True)
class NamedDevice:
    """One device and the names this run found for it."""

    target: NameTarget
    ptr: PtrAnswer | None = None
    mdns: MdnsHost | None = None


@dataclass(slots=True)
class NamesReport:
    """What one names run on a network did."""

    network: str
    devices: list[NamedDevice] = field(default_factory=list)
    ptr_errors: list[str] = field(default_factory=list)
    mdns_error: str | None = None
    ptr_ran: bool = False
    mdns_ran: bool = False

    @property
    def ok(self) -> bool:
        """No lookup failed."""
        return not self.ptr_errors and self.mdns_error is None

    def summary(self) -> str:
        """One line: how many devices got which names, and what failed."""
        parts = [f"{self.network} <- names: {len(self.devices)} devices with IPv4"]
        if self.ptr_ran:
            named = sum(1 for d in self.devices if d.ptr is not None and d.ptr.name)
            parts.append(f"reverse DNS {named} named")
        if self.mdns_ran:
            parts.append(f"mDNS {sum(1 for d in self.devices if d.mdns is not None)} found")
        line = ", ".join(parts)
        if self.ptr_errors:
            line += f"; reverse DNS FAILED for {len(self.ptr_errors)}: {self.ptr_errors[0]}"
        if self.mdns_error is not None:
            line += f"; mDNS FAILED: {self.mdns_error}"
        return line


def found_names(report: NamesReport, now: datetime) -> list[DeviceName]:
    """The rows a run's findings make: every PTR answer, and every device mDNS found."""
    rows = []
    for named in report.devices:
        device_id = named.target.device_id
        if named.ptr is not None:
            rows.append(DeviceName(device_id, "ptr", named.ptr.name, named.ptr.expires_at))
        if named.mdns is not None and (named.mdns.name or named.mdns.instances):
            rows.append(
                DeviceName(
                    device_id,
                    "mdns",
                    named.mdns.name or named.mdns.instances[0],
                    now + MDNS_KEEP,
                    named.mdns.services,
                )
            )
    return rows


def run_names(
    engine: Engine,
    network: NetworkConfig,
    *,
    clock: Clock,
    cache: PtrCache | None = None,
    query: Query = query_ptr,
    browser: Browse = browse,
    address: str | None = None,
    write: WriteNames = _write_here,
) -> NamesReport:
    """Look up and store the names of ``network``'s live devices (its ``names`` table says how).

    ``address`` is where mDNS listens (default: the interface's address in the
    network); ``query`` and ``browser`` do the network I/O (tests pass fakes).
    """
    config = network.names
    report = NamesReport(network.name)
    if config is None:
        return report
    now = clock()
    with engine.connect() as connection:
        targets = name_targets(connection, network.name)
    report.devices = [NamedDevice(target) for target in targets]
    if config.reverse_dns and config.resolver is not None and targets:
        report.ptr_ran = True
        answers, report.ptr_errors = lookup_ptrs(
            [t.ip for t in targets],
            str(config.resolver),
            cache if cache is not None else PtrCache(),
            now,
            timeout=config.timeout,
            query=query,
        )
        for named in report.devices:
            named.ptr = answers.get(named.target.ip)
    if config.mdns:
        try:
            where = address
            if where is None:
                assert network.interface is not None  # checked by the config
                where = interface_address(network.interface, network.cidr)
            hosts = hosts_by_address(browser(where, config.browse_seconds))
        except (MdnsError, OSError) as error:
            report.mdns_error = str(error)
            _LOGGER.warning("mDNS browse on %s failed: %s", network.name, error)
        else:
            report.mdns_ran = True
            for named in report.devices:
                named.mdns = hosts.get(named.target.ip)
    rows = found_names(report, now)
    inputs = {"ptr": [str(config.resolver)], "mdns": [network.interface or address or ""]}
    ran = {"ptr": report.ptr_ran, "mdns": config.mdns}

    def store() -> None:
        with write_transaction(engine) as connection:
            for source in ("ptr", "mdns"):
                if ran[source]:
                    _record(connection, report, source, rows, inputs[source], now, clock)

    if any(ran.values()):
        write(store)
    return report


def _record(
    connection: Connection,
    report: NamesReport,
    source: NameSource,
    rows: list[DeviceName],
    inputs: list[str],
    started_at: datetime,
    clock: Clock,
) -> None:
    """Store one source's names as a run of its own, or record its failure."""
    name, network = RUN_SOURCES[source], report.network
    errors = report.ptr_errors if source == "ptr" else [e for e in [report.mdns_error] if e]
    if errors:
        error = "; ".join(errors[:ERRORS_QUOTED])
        if len(errors) > ERRORS_QUOTED:
            error += f" (and {len(errors) - ERRORS_QUOTED} more)"
        record_failed_run(connection, name, network, started_at, clock(), error, inputs)
        return
    mine = [row for row in rows if row.source == source]
    run_id = start_run(connection, name, network, started_at, inputs)
    drop: list[NameSource] = [source] if source == "mdns" else []
    save_names(connection, network, mine, clock(), drop_expired=drop)
    named = sum(1 for row in mine if row.name)
    finish_run(
        connection,
        run_id,
        clock(),
        source=name,
        network=network,
        ok=True,
        observations=len(mine),
        counts={"named": named, "devices": len(report.devices)},
    )
