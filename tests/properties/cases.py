"""The real inputs of every format: each fixture as its collector hands it to the parser.

A case is one run's inputs (several files when the format reads several: Kea's
LFC siblings in load order, every ``lease4-get-page`` page) and the moment the
capture is judged at (a lab fixture's scenario time, else the samples' clock).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from lanventory.collect.files import read_texts
from lanventory.sources.observation import SourceText
from tests.conftest import SAMPLE_NOW, fixture_path


@dataclass(frozen=True, slots=True)
class Case:
    """One run's worth of real input for ``format``."""

    format: str
    files: tuple[str, ...]
    now: datetime = SAMPLE_NOW

    @property
    def id(self) -> str:
        """A readable test id: the format and the (last) file's name."""
        return f"{self.format}:{self.files[-1].rsplit('/', 1)[-1]}"

    def inputs(self) -> list[SourceText]:
        """The files read the way the collectors read them (UTF-8, bad bytes replaced)."""
        return read_texts([fixture_path(self.format, name) for name in self.files])


def _at(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


#: Scenario times of the lab recordings (``captured_at`` or ``now`` in their scenario.json).
_LAB_KEA_CSV = _at(1795425432)
_LAB_KEA_API = _at(1795417200)
_LAB_KEA_API_NETNS = _at(1795445832)
_LAB_DNSMASQ = _at(1795445837)
_LAB_NEIGH = _at(1795445859)
_LAB_ARP_SCAN = _at(1795425436)

_KEA_PAGES = tuple(f"lab-kea-2.2.0-lease4-get-page-{n}.unix.json" for n in (1, 2, 3, 4))
_KEA_NETNS_PAGES = tuple(
    f"lab-kea-2.2.0-netns-lease4-get-page-{n}.unix-socket.json" for n in (1, 2)
)

CASES: tuple[Case, ...] = (
    Case("kea-csv", ("lab-kea-2.2.0-leases4.csv",), _LAB_KEA_CSV),
    Case("kea-csv", ("shared-sample-kea-2.2-schema2.1.csv",)),
    Case("kea-csv", ("shared-sample-kea-2.4-schema5.0-leases6.csv",)),
    Case(
        "kea-csv",
        ("shared-sample-kea-3.0/kea-leases4.csv.2", "shared-sample-kea-3.0/kea-leases4.csv"),
    ),
    Case("kea-csv", ("shared-sample-kea-3.0-truncated.csv",)),
    Case("kea-api", ("lab-kea-2.2.0-lease4-get-all.unix.json",), _LAB_KEA_API),
    Case("kea-api", ("lab-kea-2.2.0-lease4-get-all.http.json",), _LAB_KEA_API),
    Case("kea-api", ("lab-kea-2.2.0-lease4-get-all.empty.http.json",), _LAB_KEA_API),
    Case("kea-api", ("lab-kea-2.2.0-lease4-get-all.no-hook.unix.json",), _LAB_KEA_API),
    Case("kea-api", _KEA_PAGES, _LAB_KEA_API),
    Case("kea-api", ("lab-kea-2.2.0-netns-lease4-get-all.http.json",), _LAB_KEA_API_NETNS),
    Case("kea-api", _KEA_NETNS_PAGES, _LAB_KEA_API_NETNS),
    Case("kea-api", ("shared-sample-kea-3.3-lease4-get-all.unix-socket.json",)),
    Case("kea-api", ("shared-sample-kea-3.3-lease4-get-page.http.json",)),
    Case("dnsmasq", ("lab-dnsmasq-2.90.leases",), _LAB_DNSMASQ),
    Case("dnsmasq", ("shared-sample-dnsmasq-2.92-extras.leases",)),
    Case("dnsmasq", ("shared-sample-dnsmasq-2.93test-dhcp4-dhcp6.leases",)),
    Case("dnsmasq", ("shared-sample-dnsmasq-openwrt-dhcp.leases",)),
    Case("isc-dhcpd", ("shared-sample-isc-dhcpd-4.4.3-P1.leases",)),
    Case("isc-dhcpd", ("shared-sample-isc-dhcpd-4.4.3-P1-localtime.leases",)),
    Case("isc-dhcpd", ("shared-sample-isc-dhcpd-4.4.3-P1-dhcpd6.leases",)),
    Case("neigh", ("lab-iproute2-6.1.0-ip-j-s-neigh.json",), _LAB_NEIGH),
    Case("neigh", ("lab-linux-6.18-proc-net-arp.txt",), _LAB_NEIGH),
    Case("neigh", ("shared-sample-iproute2-6.1.0-ip-j-4-neigh-dev.json",)),
    Case("neigh", ("shared-sample-iproute2-6.1.0-ip-j-neigh-nud-all.json",)),
    Case("neigh", ("shared-sample-iproute2-6.1.0-ip-j-neigh.json",)),
    Case("neigh", ("shared-sample-iproute2-6.1.0-ip-neigh.txt",)),
    Case("neigh", ("shared-sample-iproute2-6.1.0-ip-s-j-neigh.json",)),
    Case("neigh", ("shared-sample-linux-proc-net-arp.txt",)),
    Case("arp-scan", ("lab-arp-scan-1.10.0-default.txt",), _LAB_ARP_SCAN),
    Case("arp-scan", ("lab-arp-scan-1.10.0-plain.txt",), _LAB_ARP_SCAN),
    Case("arp-scan", ("shared-sample-arp-scan-1.10.0-default.txt",)),
    Case("arp-scan", ("shared-sample-arp-scan-1.10.0-format-csv.txt",)),
    Case("arp-scan", ("shared-sample-arp-scan-1.10.0-plain.txt",)),
    Case("arp-scan", ("shared-sample-arp-scan-1.10.1git-localnet.txt",)),
)


def cases_of(format_: str) -> list[Case]:
    """Every case of one format."""
    return [case for case in CASES if case.format == format_]
