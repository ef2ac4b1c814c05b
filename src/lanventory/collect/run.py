"""A configured network's lease and neighbour sources, run now: read, parse, map, ingest."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine

from lanventory.collect.error import CollectError
from lanventory.collect.files import read_kea_lease_files, read_texts
from lanventory.collect.kea_api import fetch_leases, fetch_subnets
from lanventory.collect.neigh import collect_neigh
from lanventory.config import Settings
from lanventory.ingest import RunReport, Write, ingest_result, parse, record_failure, write_here
from lanventory.inventory.merge import VendorLookup
from lanventory.network_config import (
    DnsmasqSource,
    IscDhcpdSource,
    KeaApiSource,
    KeaCsvSource,
    NeighSource,
    NetworkConfig,
    SourceConfig,
)
from lanventory.sources.kea_subnets import parse_subnets
from lanventory.sources.network_map import Subnets, for_network
from lanventory.sources.observation import ParseResult, SourceText

Clock = Callable[[], datetime]

#: Sources whose data may cover several networks: their observations are mapped.
_MAPPED = frozenset({"kea-csv", "kea-api", "dnsmasq", "isc-dhcpd"})


def _read(network: NetworkConfig, source: SourceConfig) -> tuple[list[SourceText], Subnets | None]:
    """The raw inputs of one source (and Kea's subnet map when it has one)."""
    match source:
        case KeaCsvSource():
            texts = read_kea_lease_files(source.path)
            if source.path6 is not None:
                texts += read_kea_lease_files(source.path6)
            return texts, None
        case KeaApiSource():
            texts = fetch_leases(
                socket_path=source.socket,
                url=source.url,
                username=source.username,
                password=source.password,
                page_size=source.page_size,
                timeout=source.timeout,
            )
            answer = fetch_subnets(
                socket_path=source.socket,
                url=source.url,
                username=source.username,
                password=source.password,
                timeout=source.timeout,
            )
            try:
                subnets = parse_subnets(answer.text)
            except ValueError as error:
                raise CollectError(f"{answer.name}: Kea's answer is unusable: {error}") from None
            return texts, subnets
        case DnsmasqSource() | IscDhcpdSource():
            return read_texts([source.path]), None
        case NeighSource():
            return collect_neigh(network.interface, proc_path=source.path), None
    raise CollectError(f"unknown source type {source.type!r}")  # pragma: no cover


@dataclass(slots=True)
class Collected:
    """One source read and parsed, not yet applied: ``result`` is None if it could not be read
    (``report.error`` says why)."""

    report: RunReport
    started: datetime
    result: ParseResult | None


def collect_source(
    settings: Settings, network: NetworkConfig, source: SourceConfig, *, clock: Clock
) -> Collected:
    """Read and parse one configured source of ``network`` now, and keep ``network``'s share.

    Lease sources may cover several networks: each observation goes to the
    configured network its Kea subnet or its address belongs to, and the
    ones that fit no configured network are counted as skipped ``unmapped``.
    """
    started = clock()
    report = RunReport(source.type, network.name, [], ok=False)
    try:
        texts, subnets = _read(network, source)
    except CollectError as error:
        report.inputs = [_describe(network, source)]
        report.error = str(error)
        return Collected(report, started, None)
    report.inputs = [text.name for text in texts]
    result = parse(source.type, texts, started)
    if result.error is None and source.type in _MAPPED:
        result = _share(result, network, settings, subnets)
    return Collected(report, started, result)


def run_source(
    db: Engine,
    settings: Settings,
    network: NetworkConfig,
    source: SourceConfig,
    *,
    lookup: VendorLookup,
    clock: Clock,
    write: Write = write_here,
) -> RunReport:
    """Run one configured source of ``network`` now and ingest its share.

    A source that cannot be read records a failed run and changes nothing.
    ``write`` runs the database write (reading and parsing run where called).
    """
    collected = collect_source(settings, network, source, clock=clock)
    report, started, result = collected.report, collected.started, collected.result
    if result is None:
        return write(lambda: record_failure(db, report, started, clock))
    return write(
        lambda: ingest_result(
            db,
            report,
            result,
            started_at=started,
            now=started,
            policy=settings.policy,
            lookup=lookup,
            clock=clock,
        )
    )


def _share(
    result: ParseResult, network: NetworkConfig, settings: Settings, subnets: Subnets | None
) -> ParseResult:
    networks = {configured.name: configured.cidr for configured in settings.networks}
    share, unmapped = for_network(result, network.name, networks, subnets)
    share.skipped.extend(unmapped)
    return share


def _describe(network: NetworkConfig, source: SourceConfig) -> str:
    match source:
        case KeaApiSource():
            return str(source.socket or source.url)
        case NeighSource():
            return str(source.path or f"ip neigh dev {network.interface}")
        case _:
            return str(source.path)


def sources_to_run(
    settings: Settings, network: str | None, kind: str | None
) -> list[tuple[NetworkConfig, SourceConfig]]:
    """The configured sources ``collect`` runs: all, or those of one network and/or type."""
    chosen = [settings.network(network)] if network is not None else settings.networks
    return [(n, s) for n in chosen for s in n.sources if kind is None or s.type == kind]
