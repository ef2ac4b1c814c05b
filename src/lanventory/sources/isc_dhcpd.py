"""ISC dhcpd lease files (``dhcpd.leases``, ``dhcpd6.leases``).

The file is a log in dhcpd's configuration syntax; the last block for an
address is the current one::

    authoring-byte-order little-endian;
    lease 192.168.1.57 {
      starts 1 2026/11/23 06:00:05;           # UTC; or "epoch N;", or "never;"
      ends 1 2026/11/23 08:00:05;
      cltt 1 2026/11/23 06:00:05;
      binding state active;
      next binding state free;
      hardware ethernet b8:27:eb:aa:bb:cc;
      uid "\\001\\270'\\353\\252\\273\\314";
      client-hostname "raspberrypi";
      set vendor-class-identifier = "dhcpcd-9.4.1:Linux";  # option 60, kept as vendor_class
      on expiry or release { set ddns-rev-name = "57.1.168.192.in-addr.arpa."; }
    }
    ia-na "\\001\\000\\000\\000..." { cltt ...; iaaddr 2001:db8:1::1a2 { ... } }

A lease is active when its binding state is ``active`` and it ends after
``now`` (or ``never``, or has no ``ends``); any other lease with a MAC is an
inactive observation. ``seen_at`` is ``cltt`` (the client's last
transmission), else ``starts``, else ``now``. DHCPv6 ``ia-*`` blocks carry no
MAC and are skipped. A syntax error keeps what was read before it and marks
the result incomplete.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from lanventory.net import parse_ipv4, parse_mac
from lanventory.sources.dhcpd_lexer import Statement, parse_statements, tokenize
from lanventory.sources.observation import Observation, ParseResult, Skip, SourceText

SOURCE = "isc-dhcpd"

TIME_KEYWORDS = frozenset({"starts", "ends", "tstp", "tsfp", "atsfp", "cltt"})
DHCPV6_BLOCKS = frozenset({"ia-na", "ia-ta", "ia-pd"})
#: Top-level statements dhcpd writes into lease files that hold no lease.
OTHER_STATEMENTS = frozenset(
    {"authoring-byte-order", "server-duid", "host", "group", "failover", "subclass", "class"}
)
_DATE = re.compile(r"([0-9]{4})/([0-9]{1,2})/([0-9]{1,2})")
_TIME = re.compile(r"([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})")
_EPOCH = re.compile(r"[0-9]{1,12}")
_HEX_BYTES = re.compile(r"[0-9a-fA-F]{1,2}(?::[0-9a-fA-F]{1,2})*")
_NEVER = None
#: 9999-12-31T23:59:59Z: later epochs do not fit a datetime.
_LAST_EPOCH = 253402300799


def parse_time(words: Sequence[str]) -> int | None:
    """Epoch seconds of a lease time's words, None for ``never``.

    Accepts ``W YYYY/MM/DD HH:MM:SS`` (UTC, the weekday is ignored), ``epoch
    N`` (``db-time-format local``) and ``never``; raises ValueError otherwise.

    >>> parse_time(["1", "2026/11/23", "07:00:00"]), parse_time(["epoch", "5"]), parse_time(["never"])
    (1795417200, 5, None)
    """
    if list(words) == ["never"]:
        return _NEVER
    if len(words) == 2 and words[0] == "epoch" and _EPOCH.fullmatch(words[1]):
        epoch = int(words[1])
        if epoch <= _LAST_EPOCH:
            return epoch
    if len(words) == 3:
        date, time = _DATE.fullmatch(words[1]), _TIME.fullmatch(words[2])
        if date and time:
            year, month, day = (int(part) for part in date.groups())
            hour, minute, second = (int(part) for part in time.groups())
            return int(datetime(year, month, day, hour, minute, second, tzinfo=UTC).timestamp())
    raise ValueError(f"not a lease time: {' '.join(words)!r}")


@dataclass(slots=True)
class Lease:
    """What one ``lease`` block says."""

    address: str
    where: str
    source_lines: list[str]
    span: tuple[int, int]
    times: dict[str, int | None]
    state: str | None = None
    hardware: tuple[str, str] | None = None
    client_id: str | None = None
    hostname: str | None = None
    vendor_class: str | None = None
    problem: str | None = None

    @property
    def text(self) -> str:
        """The block as written, for a skip."""
        first, last = self.span
        return "\n".join(self.source_lines[first - 1 : last])

    def is_active(self, now: datetime) -> bool:
        """Binding state active and not yet ended (no ``ends`` counts as never)."""
        ends = self.times.get("ends", _NEVER)
        return self.state == "active" and (ends is _NEVER or ends > now.timestamp())

    def seen_at(self, now: datetime) -> datetime:
        """When the client last talked: ``cltt``, else ``starts``, else ``now``."""
        for keyword in ("cltt", "starts"):
            moment = self.times.get(keyword)
            if moment is not None:
                return datetime.fromtimestamp(moment, UTC)
        return now


def _client_id(statement: Statement) -> str | None:
    """A ``uid`` as lowercase ``:``-hex of its bytes (quoted or hex form)."""
    value = statement.words[1] if len(statement.words) == 2 else None
    if value is None:
        return None
    if value.data is not None:
        return value.data.hex(":") or None
    if _HEX_BYTES.fullmatch(value.text):
        return ":".join(part.zfill(2) for part in value.text.lower().split(":"))
    return None


def _apply(lease: Lease, statement: Statement) -> None:
    """Fold one statement of a lease block into ``lease``."""
    words = [token.text for token in statement.words]
    keyword = statement.keyword
    if statement.block is not None or not words:
        return  # "on expiry or release { ... }" and the like
    if keyword in TIME_KEYWORDS:
        try:
            lease.times[keyword] = parse_time(words[1:])
        except ValueError:
            lease.problem = lease.problem or f"bad-time ({keyword})"
    elif keyword == "binding" and len(words) == 3 and words[1] == "state":
        lease.state = words[2].lower()
    elif keyword == "hardware" and len(words) == 3:
        lease.hardware = (words[1].lower(), words[2])
    elif keyword == "uid":
        lease.client_id = _client_id(statement)
    elif keyword == "client-hostname" and len(words) == 2:
        lease.hostname = words[1] or None
    elif keyword == "set" and words[1:3] == ["vendor-class-identifier", "="] and len(words) == 4:
        lease.vendor_class = words[3] or None


def _lease(statement: Statement, name: str, lines: list[str]) -> Lease | Skip:
    where = f"{name}:{statement.line}"
    span = (statement.line, statement.end)
    words = statement.words
    shaped = len(words) == 2 and statement.block is not None
    address = parse_ipv4(words[1].text) if shaped else None
    if address is None or statement.block is None:
        reason = "bad-address" if shaped else "malformed-lease"
        return Skip(where, reason, "\n".join(lines[span[0] - 1 : span[1]]))
    lease = Lease(address, where, lines, span, {})
    for inner in statement.block:
        _apply(lease, inner)
    return lease


def _observation(lease: Lease, now: datetime) -> Observation | Skip:
    if lease.problem is not None:
        return Skip(lease.where, lease.problem, lease.text)
    if lease.hardware is None:
        return Skip(lease.where, "no-hwaddr", lease.text)
    hwtype, hwaddr = lease.hardware
    if hwtype != "ethernet":
        return Skip(lease.where, f"unsupported-hwtype ({hwtype})", lease.text)
    mac = parse_mac(hwaddr)
    if mac.mac is None:
        return Skip(lease.where, f"invalid-mac ({mac.reason})", lease.text)
    return Observation(
        mac=mac.mac,
        ip=lease.address,
        source=SOURCE,
        seen_at=lease.seen_at(now),
        active=lease.is_active(now),
        hostname=lease.hostname,
        client_id=lease.client_id,
        vendor_class=lease.vendor_class,
    )


def _is_known(statement: Statement) -> bool:
    keyword = statement.keyword
    return keyword in ("lease", *DHCPV6_BLOCKS, *OTHER_STATEMENTS)


def _read(source: SourceText, result: ParseResult, leases: dict[str, Lease]) -> None:
    """Read one file into ``leases`` (last block per address wins)."""
    name = source.name
    lines = source.text.split("\n")
    document = parse_statements(*tokenize(source.text))
    known = 0
    for statement in document.statements:
        result.lines += 1
        where = f"{name}:{statement.line}"
        keyword = statement.keyword
        known += _is_known(statement)
        if keyword == "lease":
            lease = _lease(statement, name, lines)
            if isinstance(lease, Skip):
                result.skipped.append(lease)
            else:
                leases.pop(lease.address, None)
                leases[lease.address] = lease
        elif keyword in DHCPV6_BLOCKS and statement.block is not None:
            text = "\n".join(lines[statement.line - 1 : statement.end])
            result.skipped.append(Skip(where, "dhcpv6-no-mac", text))
        elif keyword not in OTHER_STATEMENTS:
            text = lines[statement.line - 1]
            result.skipped.append(Skip(where, "unknown-statement", text))
    problem, unfinished = document.problem, document.unfinished
    if unfinished is not None:
        known += _is_known(unfinished)
    if known == 0 and (document.statements or problem is not None):
        result.error = (
            f"{name}: not an ISC dhcpd lease file: it has no 'lease', 'ia-na' or other "
            "dhcpd.leases statement"
            + (f" (line {problem.line}: {problem.reason})" if problem is not None else "")
        )
        return
    if problem is not None:
        result.complete = False
        text = lines[problem.line - 1] if problem.line <= len(lines) else ""
        result.skipped.append(
            Skip(f"{name}:{problem.line}", f"syntax-error ({problem.reason})", text)
        )


def parse(inputs: Sequence[SourceText], now: datetime) -> ParseResult:
    """Parse lease files in the order dhcpd wrote them, judged as of ``now``.

    The last block for an address wins, across files too (pass
    ``dhcpd.leases~`` before ``dhcpd.leases``). Never raises: a file that is
    not a lease file sets ``error``; a syntax error keeps what came before it.
    """
    result = ParseResult()
    leases: dict[str, Lease] = {}
    for source in inputs:
        _read(source, result, leases)
        if result.error is not None:
            return result
    for lease in leases.values():
        outcome = _observation(lease, now)
        if isinstance(outcome, Skip):
            result.skipped.append(outcome)
        else:
            result.observations.append(outcome)
    return result
