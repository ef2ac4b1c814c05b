"""ISC Kea memfile DHCPv4 lease files (``kea-leases4.csv`` and its LFC siblings).

A record looks like this (schema 3.0, Kea >= 2.4)::

    address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context,pool_id
    192.168.1.64,a4:cf:12:01:02:03,01:a4:cf:12:01:02:03,3600,1795418000,1,0,0,Kitchen Display&#x2c 2nd gen,0,,2

The file is an append-only log keyed by address: a later row supersedes an
earlier one, across files read in Kea's order, and a row with
``valid_lifetime`` 0 deletes the address. Fields are split on commas only (no
quoting); ``hostname`` and ``user_context`` escape bytes as ``&#xNN``.
:func:`parse` also takes ``kea-leases6.csv`` files (see :mod:`kea_leases6`).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

from lanventory.gc_pause import paused_gc
from lanventory.net import parse_ipv4, parse_mac
from lanventory.sources.observation import Observation, ParseResult, Skip, SourceText

SOURCE = "kea-csv"

#: Schema 3.0 columns; older schemas are prefixes of it (1.0 stops at hostname,
#: 2.0 adds state, 2.1 user_context, 3.0 pool_id). Newer Kea only appends.
V4_COLUMNS = (
    "address",
    "hwaddr",
    "client_id",
    "valid_lifetime",
    "expire",
    "subnet_id",
    "fqdn_fwd",
    "fqdn_rev",
    "hostname",
    "state",
    "user_context",
    "pool_id",
)
_MIN_COLUMNS = 9  # schema 1.0

INFINITE_LIFETIME = 0xFFFFFFFF
#: The last second a date can hold (9999-12-31T23:59:59Z): a later cltt is no time at all.
MAX_TIMESTAMP = 253402300799
STATE_DEFAULT = 0
STATE_DECLINED = 1
STATE_NAMES = {0: "default", 1: "declined", 2: "expired-reclaimed", 3: "released", 4: "registered"}

_ESCAPE = re.compile(rb"&#x([0-9a-fA-F]{2})")


def is_active(state: int, valid_lifetime: int, expire: int, now: datetime) -> bool:
    """Kea's one test for a live lease: state 0 and not yet expired (or infinite).

    >>> now = datetime.fromtimestamp(1795417200, UTC)
    >>> is_active(0, 3600, 1795419000, now), is_active(2, 3600, 1795419000, now)
    (True, False)
    >>> is_active(0, INFINITE_LIFETIME, 1000, now)
    True
    """
    if state != STATE_DEFAULT:
        return False
    return valid_lifetime == INFINITE_LIFETIME or expire > now.timestamp()


def unescape(field: str) -> str:
    """Undo Kea's ``&#xNN`` escaping: bytes first, then UTF-8.

    >>> unescape("Kitchen Display&#x2c 2nd gen")
    'Kitchen Display, 2nd gen'
    >>> unescape("caf&#xc3&#xa9 &#xzz")
    'café &#xzz'
    """
    if "&#x" not in field:
        return field
    raw = field.encode("utf-8", "surrogateescape")
    return _ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), raw).decode("utf-8", "replace")


@dataclass(frozen=True, slots=True)
class Lease:
    """The current row for one address after the whole log was replayed."""

    address: str
    hwaddr: str
    client_id: str | None
    valid_lifetime: int
    expire: int
    subnet_id: int
    hostname: str | None
    state: int
    user_context: dict[str, Any] | None
    pool_id: int
    where: str
    line: str

    @property
    def cltt(self) -> int:
        """Client last transmission time: when the client last talked to Kea."""
        return self.expire - self.valid_lifetime

    def is_active(self, now: datetime) -> bool:
        """State 0 and not yet expired (or infinite): see :func:`is_active`."""
        return is_active(self.state, self.valid_lifetime, self.expire, now)


@dataclass(slots=True)
class LeaseLog:
    """The replayed lease log: the current lease per address, plus what was skipped."""

    leases: dict[str, Lease]
    skipped: list[Skip]
    lines: int
    error: str | None
    complete: bool


def _header(text: str, name: str) -> tuple[tuple[str, ...] | None, str | None]:
    first = text.split("\n", 1)[0].rstrip("\r")
    columns = tuple(first.split(","))
    if len(columns) < _MIN_COLUMNS or columns[: len(V4_COLUMNS)] != V4_COLUMNS[: len(columns)]:
        shown = first[:120] if first else "(empty file)"
        return None, (
            f"{name}: not a Kea DHCPv4 or DHCPv6 lease file: the header is {shown!r}, "
            f"expected it to start with {','.join(V4_COLUMNS[:_MIN_COLUMNS])} (DHCPv4) "
            "or address,duid,valid_lifetime,... (DHCPv6)"
        )
    return columns, None


def _int(value: str, default: int) -> int:
    return int(value) if value else default


#: Addresses repeat on every renewal: parse each distinct one once.
_address = functools.lru_cache(maxsize=1 << 17)(parse_ipv4)


class _Row(NamedTuple):
    """A row that passed the per-line checks; the rest is parsed only if it survives."""

    numbers: tuple[int, int, int, int, int]
    name: str
    number: int
    line: str


def _check(
    fields: list[str], index: dict[str, int]
) -> tuple[str, tuple[int, int, int, int, int]] | str:
    """(address, numbers) of a row, or why it is unusable. Kea refuses such a row
    and keeps the lease it had, so these checks run on every line."""
    address = _address(fields[0])
    if address is None:
        return "bad-address"
    try:
        numbers = (
            int(fields[3]),
            int(fields[4]),
            int(fields[5]),
            _int(fields[index["state"]], STATE_DEFAULT) if "state" in index else STATE_DEFAULT,
            _int(fields[index["pool_id"]], 0) if "pool_id" in index else 0,
        )
    except ValueError:
        return "bad-number"
    if not times_fit(numbers[0], numbers[1]):
        return "bad-number"
    return address, numbers


def times_fit(valid_lifetime: int, expire: int) -> bool:
    """Whether a lifetime and an expiry are Kea's (32-bit lifetime, a cltt that is a date)."""
    return (
        0 <= valid_lifetime <= INFINITE_LIFETIME and 0 <= expire - valid_lifetime <= MAX_TIMESTAMP
    )


def _lease(address: str, row: _Row, index: dict[str, int]) -> Lease:
    fields = row.line.split(",")  # split again: kept rows hold only their line, to save memory
    valid_lifetime, expire, subnet_id, state, pool_id = row.numbers
    context: dict[str, Any] | None = None
    raw_context = unescape(fields[index["user_context"]]) if "user_context" in index else ""
    if raw_context:
        try:
            parsed = json.loads(raw_context)
        except ValueError:
            parsed = None
        context = parsed if isinstance(parsed, dict) else None
    return Lease(
        address=address,
        hwaddr=fields[1],
        client_id=fields[2].lower() or None,
        valid_lifetime=valid_lifetime,
        expire=expire,
        subnet_id=subnet_id,
        hostname=unescape(fields[8]).strip() or None,
        state=state,
        user_context=context,
        pool_id=pool_id,
        where=f"{row.name}:{row.number}",
        line=row.line,
    )


def replay(inputs: Sequence[SourceText]) -> LeaseLog:
    """Replay lease files in the given order (Kea's load order): last row wins.

    A row whose column count does not fit the header is skipped and counted,
    never fatal; one cut off at the very end of a file (a crash mid-write)
    marks the log incomplete. A file whose header is not a v4 lease header
    fails the whole log.
    """
    with paused_gc():  # millions of short-lived rows and no reference cycles
        return _replay(inputs)


def _replay(inputs: Sequence[SourceText]) -> LeaseLog:
    """Read the files backwards, newest row first: the first usable row of an
    address decides it, and the older rows of a decided address are only
    counted (and checked for their shape), never parsed. On a busy server's
    log most rows are superseded renewals, so this skips most of the work."""
    decided: set[str] = set()
    decided_text: set[str] = set()  # the same, as the rows wrote them (no parsing needed)
    current: dict[str, tuple[_Row, dict[str, int]]] = {}
    skipped: list[Skip] = []
    lines = 0
    complete = True
    headers = []
    for source in inputs:
        columns, error = _header(source.text, source.name)
        if columns is None:
            return LeaseLog({}, skipped, lines, error, complete)
        headers.append(columns)
    for source, columns in zip(reversed(inputs), reversed(headers), strict=True):
        text, name = source.text, source.name
        index = {column: position for position, column in enumerate(columns)}
        commas = len(columns) - 1
        header_end = text.find("\n")
        if header_end < 0:
            complete = complete and not text.strip()  # a header cut short, or nothing at all
            continue
        number = text.count("\n", header_end) + 1  # the line number of the last line
        position = len(text)
        last = True
        if text.endswith("\n"):
            position -= 1
            number -= 1
            cut = False
        else:
            cut = True  # the last line has no line end: Kea may have been cut off mid-write
        while position > header_end:
            start = text.rfind("\n", header_end, position) + 1
            line = text[start:position]
            position = start - 1
            where_number, number = number, number - 1
            truncated, last = last and cut, False
            if line.endswith("\r"):
                line = line[:-1]
            if not line or line.isspace():
                continue
            lines += 1
            comma = line.find(",")
            if line[:comma] in decided_text:  # a newer row already decided this address
                if truncated or line.count(",") != commas:
                    reason = "truncated-row" if truncated else "malformed-row"
                    complete = complete and not truncated
                    skipped.append(Skip(f"{name}:{where_number}", reason, line))
                continue
            fields = line.split(",")
            if truncated or len(fields) != commas + 1:
                # Kea ends every row it writes: a last row without its line end was cut
                # off mid-write, even when its columns are all there (the last one cut short).
                reason = "truncated-row" if truncated else "malformed-row"
                complete = complete and not truncated
                skipped.append(Skip(f"{name}:{where_number}", reason, line))
                continue
            checked = _check(fields, index)
            if isinstance(checked, str):
                skipped.append(Skip(f"{name}:{where_number}", checked, line))
                continue
            address, numbers = checked
            decided_text.add(fields[0])
            if address in decided:
                continue  # the same address written another way, decided by a newer row
            decided.add(address)
            if numbers[0] != 0:  # valid_lifetime 0 deletes the address
                current[address] = (_Row(numbers, name, where_number, line), index)
    skipped.reverse()  # in the files' order
    leases = {
        address: _lease(address, row, index) for address, (row, index) in reversed(current.items())
    }
    return LeaseLog(leases, skipped, lines, None, complete)


def to_observations(log: LeaseLog, now: datetime, source: str = SOURCE) -> ParseResult:
    """Observations for the current leases: declined leases and bad MACs are skipped."""
    result = ParseResult(
        skipped=list(log.skipped), lines=log.lines, error=log.error, complete=log.complete
    )
    if log.error is not None:
        return result
    for lease in log.leases.values():
        if lease.state == STATE_DECLINED:
            result.skipped.append(Skip(lease.where, "declined", lease.line))
            continue
        mac = parse_mac(lease.hwaddr)
        if mac.mac is None:
            reason = "no-hwaddr" if not lease.hwaddr else f"invalid-mac ({mac.reason})"
            result.skipped.append(Skip(lease.where, reason, lease.line))
            continue
        result.observations.append(
            Observation(
                mac=mac.mac,
                ip=lease.address,
                source=source,
                seen_at=datetime.fromtimestamp(lease.cltt, UTC),
                active=lease.is_active(now),
                hostname=lease.hostname,
                client_id=lease.client_id,
                subnet_id=lease.subnet_id,
            )
        )
    return result


def parse(inputs: Sequence[SourceText], now: datetime) -> ParseResult:
    """Parse lease files given in Kea's load order, evaluated as of ``now``.

    DHCPv4 and DHCPv6 files may come together (told apart by their header):
    each family is replayed on its own, in the given order, and the results
    are combined.
    """
    with paused_gc():  # many short-lived objects and no reference cycles
        return _parse(inputs, now)


def _parse(inputs: Sequence[SourceText], now: datetime) -> ParseResult:
    # kea_leases6 builds on this module, so it is imported where it is used.
    from lanventory.sources.kea_leases6 import is_v6_file
    from lanventory.sources.kea_leases6 import parse as parse_v6

    v6 = [source for source in inputs if is_v6_file(source.text)]
    if not v6:
        return to_observations(replay(inputs), now)
    v4 = [source for source in inputs if not is_v6_file(source.text)]
    result6 = parse_v6(v6, now)
    if not v4:
        return result6
    result = to_observations(replay(v4), now)
    result.observations.extend(result6.observations)
    result.skipped.extend(result6.skipped)
    result.lines += result6.lines
    result.error = result.error or result6.error
    result.complete = result.complete and result6.complete
    return result
