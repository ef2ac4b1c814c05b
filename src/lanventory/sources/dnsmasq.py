"""dnsmasq lease files (``dnsmasq.leases``, OpenWrt's ``/tmp/dhcp.leases``).

dnsmasq rewrites the whole file on every change, one lease per line::

    1795419000 3c:22:fb:12:34:56 192.168.1.23 macbook-air 01:3c:22:fb:12:34:56
    0 b8:27:eb:aa:bb:cc 192.168.1.57 pihole *
    1795420800 06-00:11:22:33:44:99 192.168.1.91 tokenring-box *
    duid 00:01:00:01:2c:5e:7a:10:02:42:c0:a8:01:01
    1795460400 T7 2001:db8:1::ff07 * 00:03:00:01:de:ad:7e:11:22:33
    vendorclass 192.168.1.64 75:64:68:63:70:20:31:2e:32:39:2e:31

Fields are ``<expiry> <mac> <ip> <hostname|*> <client-id|*>``. ``expiry`` is
absolute epoch seconds, 0 meaning infinite (builds with HAVE_BROKEN_RTC write
the lease length instead; their leases read as long expired). A hardware
address that is not plain Ethernet carries a ``%02x-`` type prefix. The
``duid`` line holds the server's DUID and starts the DHCPv6 leases, which have
no MAC. dnsmasq >= 2.92 may add ``vendorclass`` and ``agent-info`` lines.

dnsmasq does not record when a client last talked to it: an active lease is
seen at ``now`` (the lease is live, so the client holds it now), an expired
one at its expiry time (the last moment it was known to hold it).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime

from lanventory.net import parse_ipv4, parse_mac
from lanventory.sources.observation import Observation, ParseResult, Skip, SourceText, combine

SOURCE = "dnsmasq"

#: Lines dnsmasq >= 2.92 appends after the leases: not leases themselves.
TRAILER_KEYWORDS = frozenset({"vendorclass", "agent-info"})
_KEYWORDS = TRAILER_KEYWORDS | {"duid"}
_FIELDS = 5
_NUMBER = re.compile(r"[0-9]{1,20}")
_TYPED_HWADDR = re.compile(r"([0-9a-fA-F]{2})-((?:[0-9a-fA-F]{1,2}(?::[0-9a-fA-F]{1,2})*)?)")
#: ARPHRD_ETHER and ARPHRD_IEEE802: both carry a 6-byte IEEE MAC.
_MAC_HWTYPES = frozenset({1, 6})


def _hwaddr(field: str) -> tuple[str | None, str | None]:
    """(mac, None) for a usable hardware address, else (None, reason)."""
    typed = _TYPED_HWADDR.fullmatch(field)
    if typed is not None:
        hwtype, field = int(typed.group(1), 16), typed.group(2)
        if not field:
            return None, "no-hwaddr"
        if hwtype not in _MAC_HWTYPES:
            return None, f"unsupported-hwtype ({hwtype})"
    mac = parse_mac(field)
    if mac.mac is None:
        return None, f"invalid-mac ({mac.reason})"
    return mac.mac, None


def _lease(fields: list[str], now: datetime) -> Observation | str:
    """The observation for a DHCPv4 lease line, or why it has none."""
    expiry_text, hwaddr, address, hostname, client_id = fields
    mac, reason = _hwaddr(hwaddr)
    if mac is None:
        return reason or "invalid-mac"
    ip = parse_ipv4(address)
    if ip is None:
        return "bad-address"
    expiry = int(expiry_text)
    active = expiry == 0 or expiry > now.timestamp()
    return Observation(
        mac=mac,
        ip=ip,
        source=SOURCE,
        seen_at=now if active else datetime.fromtimestamp(expiry, UTC),
        active=active,
        hostname=None if hostname == "*" else hostname,
        client_id=None if client_id == "*" else client_id.lower(),
    )


def parse_text(text: str, now: datetime, *, name: str = "<dnsmasq.leases>") -> ParseResult:
    """Parse one lease file, judged as of ``now``.

    Lines that are not leases are skipped with a reason: ``dhcpv6-no-mac`` for
    DHCPv6 leases, ``trailer`` for the 2.92 extras, ``malformed-line`` for
    anything dnsmasq does not write. A last line without its line end was cut
    short while dnsmasq rewrote the file: it is skipped (``truncated-line``) and
    the result is incomplete. An empty file is a server with no leases; a file
    in which no line at all has dnsmasq's shape fails.
    """
    result = ParseResult()
    rows = text.split("\n")
    ends_cleanly = rows[-1] == ""
    recognised = 0
    dhcpv6 = False
    for number, raw in enumerate(rows, start=1):
        line = raw.rstrip("\r")
        fields = line.split()
        if not fields:
            continue
        result.lines += 1
        where = f"{name}:{number}"
        keyword = fields[0]
        if number == len(rows) and not ends_cleanly:
            # dnsmasq ends every line it writes: this one was cut short mid-write,
            # and its last field (a client id, a hostname) may be cut with it.
            if _NUMBER.fullmatch(keyword) or keyword in _KEYWORDS:
                recognised += 1
            result.complete = False
            result.skipped.append(Skip(where, "truncated-line", line))
            continue
        if keyword == "duid" and len(fields) == 2:
            recognised += 1
            dhcpv6 = True
            continue
        if keyword in TRAILER_KEYWORDS and len(fields) == 3:
            recognised += 1
            result.skipped.append(Skip(where, "trailer", line))
            continue
        if not _NUMBER.fullmatch(keyword) or len(fields) != _FIELDS:
            result.skipped.append(Skip(where, "malformed-line", line))
            continue
        recognised += 1
        if dhcpv6:
            result.skipped.append(Skip(where, "dhcpv6-no-mac", line))
            continue
        lease = _lease(fields, now)
        if isinstance(lease, Observation):
            result.observations.append(lease)
        else:
            result.skipped.append(Skip(where, lease, line))
    if result.lines and not recognised:
        first = next(line for line in text.splitlines() if line.strip())
        result.error = (
            f"{name}: not a dnsmasq lease file: no line has the form "
            f"'<expiry> <mac> <ip> <hostname|*> <client-id|*>' (the first is {first[:120]!r})"
        )
    return result


def parse(inputs: Sequence[SourceText], now: datetime) -> ParseResult:
    """Parse dnsmasq lease files (normally exactly one), judged as of ``now``."""
    return combine(parse_text(source.text, now, name=source.name) for source in inputs)
