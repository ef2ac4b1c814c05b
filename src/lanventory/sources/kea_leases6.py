"""ISC Kea memfile DHCPv6 lease files (``kea-leases6.csv`` and its LFC siblings).

A record looks like this (schema 5.0, Kea >= 2.4)::

    address,duid,valid_lifetime,expire,subnet_id,pref_lifetime,lease_type,iaid,prefix_len,fqdn_fwd,fqdn_rev,hostname,hwaddr,state,user_context,hwtype,hwaddr_source,pool_id
    2001:db8:1::1a2,00:01:00:01:2b:be:34:00:3c:22:fb:12:34:56,43200,1795449600,1,27000,0,305419896,128,0,0,macbook-air,3c:22:fb:12:34:56,0,,1,2,0

The log works as the DHCPv4 one (:mod:`kea_csv`): keyed by address, last row
wins, ``valid_lifetime`` 0 deletes, split on commas only, ``&#xNN`` escapes.
A lease identifies a device only through its ``hwaddr`` (a DUID alone names no
MAC), and only addresses (``lease_type`` 0 NA, 1 TA) place it on the network:
a delegated prefix (2 PD) is routed to it, not one of its addresses.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NamedTuple

from lanventory.net import MacResult, parse_mac
from lanventory.sources import kea_csv
from lanventory.sources.observation import Observation, ParseResult, Skip, SourceText

SOURCE = "kea-csv"

#: Schema 5.0 columns; older schemas are prefixes of it (1.0 stops at hostname,
#: 2.0 adds hwaddr, 3.0 state, 3.1 user_context, 4.0 hwtype and hwaddr_source,
#: 5.0 pool_id). Newer Kea only appends.
V6_COLUMNS = (
    "address",
    "duid",
    "valid_lifetime",
    "expire",
    "subnet_id",
    "pref_lifetime",
    "lease_type",
    "iaid",
    "prefix_len",
    "fqdn_fwd",
    "fqdn_rev",
    "hostname",
    "hwaddr",
    "state",
    "user_context",
    "hwtype",
    "hwaddr_source",
    "pool_id",
)
_MIN_COLUMNS = 12  # schema 1.0
_HEADER_10 = ",".join(V6_COLUMNS[:_MIN_COLUMNS])

LEASE_TYPE_NA = 0
LEASE_TYPE_TA = 1
LEASE_TYPE_PD = 2
DECLINED_DUID = "00:00:00"


def is_v6_file(text: str) -> bool:
    """True when ``text`` starts with a DHCPv6 lease file header (any schema).

    >>> is_v6_file("address,duid,valid_lifetime,expire,subnet_id,pref_lifetime,lease_type,iaid,prefix_len,fqdn_fwd,fqdn_rev,hostname\\n")
    True
    >>> is_v6_file("address,hwaddr,client_id,valid_lifetime\\n")
    False
    """
    if not text.startswith(_HEADER_10):
        return False
    rest = text[len(_HEADER_10) : len(_HEADER_10) + 1]
    return rest in ("", ",", "\n", "\r")


@functools.lru_cache(maxsize=1 << 16)
def _address(text: str) -> str | None:
    """A usable IPv6 address in compressed form, or None (as ``net.parse_ipv4``
    drops addresses that locate no device: unspecified, loopback, link-local,
    multicast)."""
    try:
        address = ipaddress.IPv6Address(text.strip())
    except ValueError:
        return None
    if address.is_unspecified or address.is_loopback or address.is_link_local:
        return None
    if address.is_multicast:
        return None
    return address.compressed


@dataclass(frozen=True, slots=True)
class Lease6:
    """The current row for one address after the whole log was replayed."""

    address: str
    duid: str
    hwaddr: str
    valid_lifetime: int
    expire: int
    subnet_id: int
    lease_type: int
    prefix_len: int
    hostname: str | None
    state: int
    where: str
    line: str

    @property
    def cltt(self) -> int:
        """Client last transmission time: when the client last talked to Kea."""
        return self.expire - self.valid_lifetime

    @property
    def declined(self) -> bool:
        """Kea marks a declined address with state 1 and the DUID ``00:00:00``."""
        return self.state == kea_csv.STATE_DECLINED or self.duid == DECLINED_DUID

    def is_active(self, now: datetime) -> bool:
        """The DHCPv4 rule: state 0 and not yet expired (or infinite)."""
        return kea_csv.is_active(self.state, self.valid_lifetime, self.expire, now)


@dataclass(slots=True)
class Lease6Log:
    """The replayed lease log: the current lease per address, plus what was skipped."""

    leases: dict[str, Lease6]
    skipped: list[Skip]
    lines: int
    error: str | None
    complete: bool


class _Numbers(NamedTuple):
    valid_lifetime: int
    expire: int
    subnet_id: int
    lease_type: int
    prefix_len: int
    state: int


def _header(text: str, name: str) -> tuple[tuple[str, ...] | None, str | None]:
    end = text.find("\n")
    first = (text if end < 0 else text[:end]).rstrip("\r")
    columns = tuple(first.split(","))
    if len(columns) < _MIN_COLUMNS or columns[: len(V6_COLUMNS)] != V6_COLUMNS[: len(columns)]:
        shown = first[:120] if first else "(empty file)"
        return None, (
            f"{name}: not a Kea DHCPv6 lease file: the header is {shown!r}, "
            f"expected it to start with {_HEADER_10}"
        )
    return columns, None


def _check(fields: list[str], index: dict[str, int]) -> tuple[str, _Numbers] | str:
    """(address, numbers) of a row, or why it is unusable."""
    address = _address(fields[0])
    if address is None:
        return "bad-address"
    state = fields[index["state"]] if "state" in index else ""
    try:
        numbers = _Numbers(
            valid_lifetime=int(fields[2]),
            expire=int(fields[3]),
            subnet_id=int(fields[4]),
            lease_type=int(fields[6]),
            prefix_len=int(fields[8]),
            state=int(state) if state else kea_csv.STATE_DEFAULT,
        )
    except ValueError:
        return "bad-number"
    if not kea_csv.times_fit(numbers.valid_lifetime, numbers.expire):
        return "bad-number"
    return address, numbers


def replay(inputs: Sequence[SourceText]) -> Lease6Log:
    """Replay DHCPv6 lease files in the given order (Kea's load order): last row wins.

    The same rules as :func:`kea_csv.replay`: a row that does not fit the
    header is skipped, one cut off at the end of a file marks the log
    incomplete, a file that is not a v6 lease file fails the whole log.
    """
    leases: dict[str, Lease6] = {}
    skipped: list[Skip] = []
    lines = 0
    complete = True
    for source in inputs:
        columns, error = _header(source.text, source.name)
        if columns is None:
            return Lease6Log({}, skipped, lines, error, complete)
        index = {name: position for position, name in enumerate(columns)}
        rows = source.text.split("\n")
        ends_cleanly = rows[-1] == ""
        if len(rows) == 1 and source.text.strip():
            complete = False  # the header itself was cut short
        for number in range(1, len(rows)):
            line = rows[number].rstrip("\r")
            if not line or line.isspace():
                continue
            lines += 1
            where = f"{source.name}:{number + 1}"
            fields = line.split(",")
            cut = number == len(rows) - 1 and not ends_cleanly  # Kea ends every row it writes
            if cut or len(fields) != len(columns):
                reason = "malformed-row"
                if cut:
                    reason, complete = "truncated-row", False
                skipped.append(Skip(where, reason, line))
                continue
            checked = _check(fields, index)
            if isinstance(checked, str):
                skipped.append(Skip(where, checked, line))
                continue
            address, numbers = checked
            if numbers.valid_lifetime == 0:
                leases.pop(address, None)
                continue
            hwaddr = fields[index["hwaddr"]] if "hwaddr" in index else ""
            leases[address] = Lease6(
                address=address,
                duid=fields[1].lower(),
                hwaddr=hwaddr,
                valid_lifetime=numbers.valid_lifetime,
                expire=numbers.expire,
                subnet_id=numbers.subnet_id,
                lease_type=numbers.lease_type,
                prefix_len=numbers.prefix_len,
                hostname=kea_csv.unescape(fields[11]).strip() or None,
                state=numbers.state,
                where=where,
                line=line,
            )
    return Lease6Log(leases, skipped, lines, None, complete)


def _device_mac(lease: Lease6) -> MacResult:
    """The MAC of the device holding an address lease, or why there is none."""
    if lease.declined:
        return MacResult(None, "declined")
    if lease.lease_type == LEASE_TYPE_PD:
        return MacResult(None, "prefix-delegation")
    if lease.lease_type not in (LEASE_TYPE_NA, LEASE_TYPE_TA):
        return MacResult(None, "unknown-lease-type")
    if not lease.hwaddr:
        return MacResult(None, "no-hwaddr")
    mac = parse_mac(lease.hwaddr)
    return mac if mac.mac is not None else MacResult(None, f"invalid-mac ({mac.reason})")


def to_observations(log: Lease6Log, now: datetime, source: str = SOURCE) -> ParseResult:
    """Observations for the current address leases that carry a MAC.

    The DUID is not reported as ``client_id``: that field holds the DHCPv4
    client identifier, which a DHCPv6 lease must not overwrite.
    """
    result = ParseResult(
        skipped=list(log.skipped), lines=log.lines, error=log.error, complete=log.complete
    )
    if log.error is not None:
        return result
    for lease in log.leases.values():
        mac = _device_mac(lease)
        if mac.mac is None:
            result.skipped.append(Skip(lease.where, str(mac.reason), lease.line))
            continue
        result.observations.append(
            Observation(
                mac=mac.mac,
                ip=lease.address,
                source=source,
                seen_at=datetime.fromtimestamp(lease.cltt, UTC),
                active=lease.is_active(now),
                hostname=lease.hostname,
                subnet_id=lease.subnet_id,
            )
        )
    return result


def parse(inputs: Sequence[SourceText], now: datetime) -> ParseResult:
    """Parse DHCPv6 lease files given in Kea's load order, evaluated as of ``now``."""
    return to_observations(replay(inputs), now)
