"""An observation batch: one source run of a remote agent, as it travels to the server.

The agent reads and parses its sources locally; a batch carries the parsed
result of one run (or the reason the run failed) for one network, under an
id the agent chose. The server applies a batch exactly once: sending the
same id again changes nothing.
"""

from __future__ import annotations

import ipaddress
from datetime import datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from lanventory.ingest import RunReport
from lanventory.inventory.model import check_network_name
from lanventory.net import normalize_mac
from lanventory.sources import PARSERS, SWEEP_SOURCES
from lanventory.sources.observation import IpConflict, Observation, ParseResult

#: Sources a batch may come from: every parser and both sweep engines.
BATCH_SOURCES = frozenset(PARSERS) | SWEEP_SOURCES
#: Longest reported string (hostname, vendor, client id) a batch may carry.
MAX_TEXT = 65536
#: Most observations in one batch (a run of a very large lease file still fits).
MAX_OBSERVATIONS = 2_000_000

Text = Annotated[str, Field(max_length=MAX_TEXT)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _address(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise ValueError(f"{value!r} is not an IPv4 or IPv6 address") from None


class BatchObservation(_Strict):
    """One observation: this MAC was at this address at ``seen_at``."""

    mac: str = Field(description="Any common spelling; stored as aa:bb:cc:dd:ee:ff.")
    ip: str | None = None
    seen_at: AwareDatetime
    active: bool = True
    hostname: Text | None = None
    vendor: Text | None = None
    client_id: Text | None = None
    vendor_class: Text | None = Field(default=None, description="DHCP option 60, if recorded.")

    @field_validator("mac")
    @classmethod
    def _mac(cls, value: str) -> str:
        return normalize_mac(value)

    _ip = field_validator("ip")(_address)


class BatchConflict(_Strict):
    """Several MACs answered for one address in the run."""

    ip: str
    macs: list[str] = Field(min_length=2, max_length=256)
    where: Annotated[str, Field(max_length=1000)] = ""

    _ip = field_validator("ip")(_address)


class Batch(_Strict):
    """One source run of an agent, for one network."""

    id: str = Field(
        pattern=r"^[A-Za-z0-9_-]{8,64}$",
        description="Chosen by the agent; the server applies each id once.",
    )
    network: str
    source: str = Field(description="The source type: a parser name, native or arp-scan.")
    started_at: AwareDatetime = Field(description="When the run started on the agent.")
    captured_at: AwareDatetime = Field(
        description="The time the rules judge the capture at (presence, pruning)."
    )
    inputs: list[Annotated[str, Field(max_length=1000)]] = Field(default=[], max_length=64)
    lines: int = Field(default=0, ge=0)
    complete: bool = Field(
        default=True, description="False if the input was cut short: nothing is marked absent."
    )
    error: Annotated[str, Field(max_length=4000)] | None = Field(
        default=None, description="Why the run failed on the agent; recorded as a failed run."
    )
    observations: list[BatchObservation] = Field(default=[], max_length=MAX_OBSERVATIONS)
    skipped: dict[Annotated[str, Field(max_length=64)], Annotated[int, Field(ge=0)]] = Field(
        default={}, max_length=64, description="Lines skipped, by reason."
    )
    conflicts: list[BatchConflict] = Field(default=[], max_length=10000)
    extra: dict[str, Any] = Field(default={}, description="Source-specific figures (sweep stats).")

    @field_validator("network")
    @classmethod
    def _network(cls, value: str) -> str:
        return check_network_name(value)

    @field_validator("source")
    @classmethod
    def _source(cls, value: str) -> str:
        if value not in BATCH_SOURCES:
            raise ValueError(
                f"unknown source {value!r}: use one of {', '.join(sorted(BATCH_SOURCES))}"
            )
        return value

    def parse_result(self) -> ParseResult:
        """The run's parsed result, as the server's ingest takes it."""
        return ParseResult(
            observations=[
                Observation(
                    o.mac,
                    o.ip,
                    self.source,
                    o.seen_at,
                    active=o.active,
                    hostname=o.hostname,
                    vendor=o.vendor,
                    client_id=o.client_id,
                    vendor_class=o.vendor_class,
                )
                for o in self.observations
            ],
            skipped_elsewhere=dict(self.skipped),
            conflicts=[IpConflict(c.ip, tuple(c.macs), c.where) for c in self.conflicts],
            lines=self.lines,
            error=self.error,
            complete=self.complete,
        )


def batch_of(
    batch_id: str,
    report: RunReport,
    started: datetime,
    result: ParseResult | None,
) -> Batch:
    """The batch of one run made on the agent (``result`` None: the run failed, see ``report``)."""
    base: dict[str, Any] = {
        "id": batch_id,
        "network": report.network,
        "source": report.source,
        "started_at": started,
        "captured_at": started,
        "inputs": report.inputs,
        "extra": report.extra,
    }
    if result is None:
        return Batch(**base, error=report.error or "the run failed")
    return Batch(
        **base,
        lines=result.lines,
        complete=result.complete,
        error=result.error,
        observations=[
            BatchObservation(
                mac=o.mac,
                ip=o.ip,
                seen_at=o.seen_at,
                active=o.active,
                hostname=o.hostname,
                vendor=o.vendor,
                client_id=o.client_id,
                vendor_class=o.vendor_class,
            )
            for o in result.observations
        ],
        skipped=result.skipped_by_reason(),
        conflicts=[
            BatchConflict(ip=c.ip, macs=list(c.macs), where=c.where) for c in result.conflicts
        ],
    )
