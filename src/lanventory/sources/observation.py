"""What every parser produces: observations, and the lines it skipped and why."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class SourceText:
    """One input handed to a parser: a name for messages (a path) and its text."""

    name: str
    text: str


@dataclass(frozen=True, slots=True)
class Observation:
    """One fact from one source: this MAC was at this IP at ``seen_at``.

    ``active`` is False for facts that place a device on the network in the past
    but not now (an expired or reclaimed lease): they update what is known about
    the device but never count as presence. The network is bound by the run.
    """

    mac: str
    ip: str | None
    source: str
    seen_at: datetime
    active: bool = True
    hostname: str | None = None
    vendor: str | None = None
    client_id: str | None = None
    subnet_id: int | None = None
    #: The DHCP vendor class (option 60), where the source records it.
    vendor_class: str | None = None


@dataclass(frozen=True, slots=True)
class Skip:
    """A line a parser could not use: where it is, why, and its text."""

    where: str
    reason: str
    text: str


@dataclass(frozen=True, slots=True)
class IpConflict:
    """Two MACs answering for one IP in the same capture (conflict or proxy ARP)."""

    ip: str
    macs: tuple[str, ...]
    where: str


@dataclass(slots=True)
class ParseResult:
    """A parser's whole answer.

    ``error`` set means the input's overall structure is wrong: the run fails and
    nothing is applied. ``complete`` False means the input was cut short (e.g. a
    crash-truncated last line): what was read is applied, but nothing is marked
    absent on its strength.
    """

    observations: list[Observation] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)
    conflicts: list[IpConflict] = field(default_factory=list)
    lines: int = 0
    error: str | None = None
    complete: bool = True
    #: Lines skipped where the input was parsed (a remote agent), by reason.
    skipped_elsewhere: dict[str, int] = field(default_factory=dict)

    def skipped_by_reason(self) -> dict[str, int]:
        """How many lines were skipped for each reason, most common first."""
        counts = Counter(skip.reason for skip in self.skipped)
        counts.update(self.skipped_elsewhere)
        return dict(counts.most_common())


def combine(parts: Iterable[ParseResult]) -> ParseResult:
    """One result for several inputs read in one run: the first error wins, and
    the run is complete only if every input was."""
    merged = ParseResult()
    for part in parts:
        merged.observations += part.observations
        merged.skipped += part.skipped
        merged.conflicts += part.conflicts
        merged.lines += part.lines
        merged.error = merged.error or part.error
        merged.complete = merged.complete and part.complete
    return merged
