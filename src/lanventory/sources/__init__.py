"""Pure parsers: text in, observations and per-line problems out.

A parser does no I/O and reads no clock: the collector reads the files and the
caller passes ``now``. Formats are chosen explicitly through :data:`PARSERS`,
never by sniffing a path.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from lanventory.sources import arp_scan, dnsmasq, isc_dhcpd, kea_api, kea_csv, neigh
from lanventory.sources.observation import (
    IpConflict,
    Observation,
    ParseResult,
    Skip,
    SourceText,
)

Parser = Callable[[Sequence[SourceText], datetime], ParseResult]

PARSERS: dict[str, Parser] = {
    "kea-csv": kea_csv.parse,
    "kea-api": kea_api.parse,
    "dnsmasq": dnsmasq.parse,
    "isc-dhcpd": isc_dhcpd.parse,
    "neigh": neigh.parse,
    "arp-scan": arp_scan.parse,
}

#: Sources whose successful run is a sweep of the whole network (prune follows it).
SWEEP_SOURCES = frozenset({"arp-scan", "native"})

__all__ = [
    "PARSERS",
    "SWEEP_SOURCES",
    "IpConflict",
    "Observation",
    "ParseResult",
    "Parser",
    "Skip",
    "SourceText",
]
