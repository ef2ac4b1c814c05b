"""MAC and IP address values: the one place where addresses are normalised.

Every source hands its raw strings to :func:`parse_mac` and :func:`parse_ipv4`;
nothing downstream re-normalises.

>>> parse_mac("AA-BB-CC-00-11-22")
MacResult(mac='aa:bb:cc:00:11:22', reason=None)
>>> parse_mac("aabb.cc00.1122").mac
'aa:bb:cc:00:11:22'
>>> parse_mac("01:00:5e:00:00:01").reason
'multicast'
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_HEX12 = re.compile(r"[0-9a-f]{12}")
#: The canonical form itself (what most sources write): checked without reformatting.
_CANONICAL = re.compile(r"[0-9a-f][02468ace](?::[0-9a-f]{2}){5}")
_SEPARATED = re.compile(r"[0-9a-f]{1,2}([:-])(?:[0-9a-f]{1,2}\1){4}[0-9a-f]{1,2}")
_CISCO = re.compile(r"[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4}")
_DOTTED = re.compile(r"(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})")


@dataclass(frozen=True, slots=True)
class MacResult:
    """A canonical MAC (``aa:bb:cc:dd:ee:ff``) or the reason it was rejected."""

    mac: str | None
    reason: str | None


def _hex_digits(text: str) -> str | None:
    """The 12 hex digits of a MAC written in any common spelling, or None."""
    raw = text.strip().lower()
    if _HEX12.fullmatch(raw):
        return raw
    if _CISCO.fullmatch(raw):
        return raw.replace(".", "")
    if _SEPARATED.fullmatch(raw):
        return "".join(part.zfill(2) for part in re.split(r"[:-]", raw))
    return None


def parse_mac(text: str) -> MacResult:
    """Normalise a MAC to lowercase colon form, or say why it identifies nothing.

    Accepts ``:``/``-`` separated octets (one or two digits each), Cisco dotted
    form and bare hex, in any case. Rejects all-zero, broadcast and multicast
    (I/G bit set) addresses, which no host uses as its own source address.
    """
    if _CANONICAL.fullmatch(text) and text != "00:00:00:00:00:00":
        return MacResult(text, None)  # already canonical, unicast and not zero
    digits = _hex_digits(text)
    if digits is None:
        return MacResult(None, "malformed")
    if digits == "0" * 12:
        return MacResult(None, "all-zero")
    if digits == "f" * 12:
        return MacResult(None, "broadcast")
    first = int(digits[:2], 16)
    if first & 0x01:
        return MacResult(None, "multicast")
    return MacResult(":".join(digits[i : i + 2] for i in range(0, 12, 2)), None)


def normalize_mac(text: str) -> str:
    """The canonical form of ``text``; raises ValueError naming what is wrong."""
    result = parse_mac(text)
    if result.mac is None:
        raise ValueError(f"not a device MAC address ({result.reason}): {text!r}")
    return result.mac


def is_locally_administered(mac: str) -> bool:
    """True when the U/L bit (0x02 of the first octet) is set: a randomized or
    otherwise locally assigned address that no IEEE registry covers."""
    return bool(int(mac[:2], 16) & 0x02)


def parse_ipv4(text: str) -> str | None:
    """A usable IPv4 host address in dotted form, or None.

    Strict dotted quad (no leading zeros, which some tools read as octal).
    Drops 0.0.0.0/8, loopback, link-local, multicast and reserved addresses
    (broadcast included): none of them locates a device on a LAN.

    >>> parse_ipv4(" 198.18.0.5 "), parse_ipv4("169.254.1.1"), parse_ipv4("010.0.0.1")
    ('198.18.0.5', None, None)
    """
    match = _DOTTED.fullmatch(text.strip())
    if match is None:
        return None
    parts = match.groups()
    if any(len(part) > 1 and part[0] == "0" for part in parts):
        return None
    a, b, c, d = (int(part) for part in parts)
    if max(a, b, c, d) > 255 or a in (0, 127) or a >= 224 or (a == 169 and b == 254):
        return None
    return f"{a}.{b}.{c}.{d}"


def is_ipv6(address: str) -> bool:
    """True for an IPv6 address string (they all contain a colon, IPv4 never does)."""
    return ":" in address
