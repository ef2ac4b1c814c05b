"""arp-scan output: the default format, ``--plain`` and the man page's CSV ``--format``.

Default output (fields separated by single tabs)::

    Interface: eth0, type: EN10MB, MAC: 50:65:f3:f0:6d:7c, IPv4: 10.0.0.106
    Starting arp-scan 1.10.0 with 256 hosts (https://github.com/royhills/arp-scan)
    10.0.0.14\ta4:1f:72:7f:25:bb\tDell Inc.
    10.0.0.77\t00:0c:29:90:07:e9\tVMware, Inc. (DUP: 2)

    15 packets received by filter, 0 packets dropped by kernel
    Ending arp-scan 1.10.0: 256 hosts scanned in 1.532 seconds (167.10 hosts/sec). 14 responded

Default output without its closing ``Ending arp-scan`` line is a scan that did
not finish: the run fails so that nothing is marked absent. A last line without
its line end was cut short: it is skipped and the capture is incomplete.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum

from lanventory.net import parse_ipv4, parse_mac
from lanventory.sources.observation import (
    IpConflict,
    Observation,
    ParseResult,
    Skip,
    SourceText,
    combine,
)

SOURCE = "arp-scan"


class Layout(StrEnum):
    """The three output layouts arp-scan can print."""

    DEFAULT = "default"
    PLAIN = "plain"
    CSV = "csv"


_HEADER_PREFIXES = ("Interface:", "Starting arp-scan", "Target list from interface:")
_FOOTER_PACKETS = re.compile(r"^\d+ packets received by filter")
_FOOTER_END = re.compile(r"^Ending arp-scan .*?(\d+) responded\s*$")
_HOST = re.compile(
    r"^(?P<ip>[^\t]+)\t(?P<mac>[0-9A-Fa-f:]{11,17})(?: \([0-9A-Fa-f:]+\))?\t(?P<rest>.*)$"
)
_SUFFIX = re.compile(
    r"\s\((?:DUP: (?P<dup>\d+)|802\.1Q VLAN=\d+|802\.2 LLC/SNAP|ARP Proto=0x[0-9A-Fa-f]+)\)$"
)
_UNKNOWN_VENDOR = re.compile(r"^\(Unknown(?::[^)]*)?\)$")
_COUNT = re.compile(r"[0-9]{1,9}")
#: The reason for a last line that lost its end (and maybe more).
TRUNCATED = "truncated-line"


def detect_layout(text: str) -> Layout:
    """Which layout ``text`` is in, judged from its first non-blank line."""
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith(_HEADER_PREFIXES):
            return Layout.DEFAULT
        return Layout.PLAIN if "\t" in raw else Layout.CSV
    return Layout.PLAIN


def _vendor(text: str) -> tuple[str | None, int | None]:
    """Split the vendor column into the vendor and the DUP number, if any."""
    vendor = text.strip()
    dup: int | None = None
    while match := _SUFFIX.search(vendor):
        if match.group("dup"):
            dup = int(match.group("dup"))
        vendor = vendor[: match.start()].rstrip()
    if not vendor or _UNKNOWN_VENDOR.match(vendor):
        return None, dup
    return vendor, dup


def _host_fields(line: str, layout: Layout) -> tuple[str, str, str | None, int | None] | None:
    """(ip, mac, vendor, dup) of a host line, or None when it is not one."""
    if layout is Layout.CSV:
        row = next(csv.reader([line]), [])
        if not 2 <= len(row) <= 4:
            return None
        vendor, _ = _vendor(row[2]) if len(row) > 2 else (None, None)
        dup = int(row[3]) if len(row) > 3 and _COUNT.fullmatch(row[3].strip()) else None
        return row[0].strip(), row[1].strip(), vendor, dup
    match = _HOST.match(line)
    if match is None:
        return None
    vendor, dup = _vendor(match.group("rest").split("\t")[0])
    return match.group("ip"), match.group("mac"), vendor, dup


def parse_text(
    text: str, now: datetime, *, name: str = "<arp-scan>", layout: Layout | None = None
) -> ParseResult:
    """Parse one arp-scan capture taken at ``now``.

    ``layout`` None detects it; pass :attr:`Layout.DEFAULT` when the default
    layout was asked for, so that output missing its banner fails too.
    """
    layout = layout or detect_layout(text)
    result = ParseResult()
    holders: dict[str, str] = {}
    seen: set[tuple[str, str]] = set()
    started = ended = False
    responded: int | None = None
    lines = text.splitlines()
    # arp-scan ends every line it prints: a last line without its end was cut short.
    cut_at = len(lines) if not text.endswith("\n") else 0
    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip("\r")
        where = f"{name}:{number}"
        if not line.strip():
            continue
        if layout is Layout.DEFAULT:
            if line.startswith(_HEADER_PREFIXES):
                started = True
                continue
            if _FOOTER_PACKETS.match(line):
                continue
            if footer := _FOOTER_END.match(line):
                ended, responded = True, int(footer.group(1))
                continue
        result.lines += 1
        fields = _host_fields(line, layout)
        if fields is None:
            result.skipped.append(Skip(where, "malformed-line", line))
            continue
        if number == cut_at:  # a host line, but its vendor or DUP count may be cut
            result.skipped.append(Skip(where, TRUNCATED, line))
            continue
        raw_ip, raw_mac, vendor, _dup = fields
        mac = parse_mac(raw_mac)
        if mac.mac is None:
            reason = (
                "malformed-line" if mac.reason == "malformed" else f"invalid-mac ({mac.reason})"
            )
            result.skipped.append(Skip(where, reason, line))
            continue
        ip = parse_ipv4(raw_ip)
        if ip is None:
            result.skipped.append(Skip(where, "bad-address", line))
            continue
        if (ip, mac.mac) in seen:
            continue  # a DUP reply from the same host
        seen.add((ip, mac.mac))
        holder = holders.setdefault(ip, mac.mac)
        if holder != mac.mac:
            result.conflicts.append(IpConflict(ip, (holder, mac.mac), where))
        result.observations.append(
            Observation(mac=mac.mac, ip=ip, source=SOURCE, seen_at=now, vendor=vendor)
        )
    _judge(result, layout, name, started, ended, responded, len(seen))
    return result


def _judge(
    result: ParseResult,
    layout: Layout,
    name: str,
    started: bool,
    ended: bool,
    responded: int | None,
    hosts: int,
) -> None:
    """Decide whether the capture as a whole can be trusted.

    Default output must have its banner and closing line, or the run fails;
    if fewer hosts were read than its footer says responded, the capture is
    incomplete. Plain and CSV output have no footer to check against: any
    unreadable or cut line makes them incomplete, and lines with no host at
    all mean this is not arp-scan output.
    """
    if layout is Layout.DEFAULT:
        if not (started and ended):
            missing = "banner ('Starting arp-scan')" if not started else "closing 'Ending arp-scan'"
            result.error = (
                f"{name}: arp-scan output has no {missing} line: the scan did not run to the "
                "end (interrupted or truncated output), so it cannot show who is absent"
            )
        elif responded is not None and hosts < responded:
            result.complete = False
        return
    unreadable = any(skip.reason != TRUNCATED for skip in result.skipped)
    if unreadable and not result.observations:
        result.error = (
            f"{name}: not arp-scan output: none of its {result.lines} lines is a host line "
            "(IP, MAC and vendor separated by tabs, or the CSV --format)"
        )
    elif result.skipped:
        result.complete = False


def parse(inputs: Sequence[SourceText], now: datetime) -> ParseResult:
    """Parse arp-scan captures taken at ``now`` (normally exactly one)."""
    return combine(parse_text(source.text, now, name=source.name) for source in inputs)
