"""The Linux neighbour table: ``ip -j [-s] neigh``, ``ip neigh`` text and ``/proc/net/arp``.

The layout is told from the text itself, because the collector falls back
from one to the other depending on what the host has::

    [{"dst":"192.168.1.10","dev":"eth0","lladdr":"3c:22:fb:12:34:56","state":["REACHABLE"]},
     {"dst":"192.168.1.11","dev":"eth0","lladdr":"da:a1:19:aa:bb:cc","confirmed":60,"state":["STALE"]}]

    192.168.1.10 dev eth0 lladdr 3c:22:fb:12:34:56 REACHABLE
    2001:db8:1::10 dev eth0 lladdr 3c:22:fb:12:34:56 router STALE

    IP address       HW type     Flags       HW address            Mask     Device
    192.168.1.10     0x1         0x2         3c:22:fb:12:34:56     *        eth0

REACHABLE and PERMANENT entries are present now (active observations);
STALE, DELAY and PROBE ones were resolved once and only update the last known
address (inactive observations); INCOMPLETE, FAILED, NOARP and stateless
entries, and any without a usable MAC, are skipped. IPv6 entries are kept,
except link-local (fe80::/10) ones; multicast destinations are skipped.

``seen_at`` is ``now`` minus ``confirmed`` when ``ip -s`` gave it, else ``now``.
``/proc/net/arp`` has no NUD state: every resolved entry (flag ATF_COM) counts
as active, stale ones included, because the kernel keeps them while they
stay resolved.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from lanventory.net import parse_mac
from lanventory.sources.observation import Observation, ParseResult, Skip, SourceText, combine

SOURCE = "neigh"

PRESENT_STATES = frozenset({"REACHABLE", "PERMANENT"})
RESOLVED_STATES = frozenset({"STALE", "DELAY", "PROBE"})
#: Every NUD state ``ip`` prints, in its order; the unresolved ones name the skip reason.
NUD_STATES = (
    "INCOMPLETE",
    "REACHABLE",
    "STALE",
    "DELAY",
    "PROBE",
    "FAILED",
    "NOARP",
    "PERMANENT",
    "NONE",
)
PROC_HEADER = "IP address"
ATF_COM, ATF_PUBL = 0x02, 0x08
ARPHRD_ETHER = 0x1

#: ``ip neigh`` text: keywords followed by a value, and the ``-s`` statistics.
_SECONDS = re.compile(r"[0-9]{1,9}")
_VALUED = frozenset({"dev", "lladdr", "proto", "ref", "used", "probes", "vrf", "nomaster"})


class Layout(StrEnum):
    """The three ways the neighbour table is read."""

    JSON = "ip -j neigh"
    TEXT = "ip neigh"
    PROC = "/proc/net/arp"


def detect_layout(text: str) -> Layout:
    """Which layout ``text`` is in, from its first non-blank character."""
    start = text.lstrip()
    if start.startswith("["):
        return Layout.JSON
    if start.startswith(PROC_HEADER):
        return Layout.PROC
    return Layout.TEXT


@dataclass(frozen=True, slots=True)
class Entry:
    """One neighbour entry, whatever layout it came from."""

    dst: str
    lladdr: str | None
    states: tuple[str, ...]
    confirmed: int | None = None
    flagged: str | None = None


def _address(dst: str) -> tuple[str | None, str | None]:
    """(canonical address, None), or (None, why the entry locates no device)."""
    try:
        address = ipaddress.ip_address(dst)
    except ValueError:
        return None, "bad-address"
    if address.is_multicast:
        return None, "multicast"
    if address.version == 6 and address.is_link_local:
        return None, "link-local"
    if address.is_unspecified or address.is_loopback:
        return None, "bad-address"
    if address.version == 6 and address.scope_id is not None:
        return None, "bad-address"  # "%zone": ip never prints one for a neighbour
    return str(address), None


def _observation(entry: Entry, now: datetime) -> Observation | str:
    """The observation an entry makes, or the reason it makes none."""
    if entry.flagged is not None:
        return entry.flagged
    ip, reason = _address(entry.dst)
    if ip is None:
        return reason or "bad-address"
    if PRESENT_STATES.intersection(entry.states):
        active = True
    elif RESOLVED_STATES.intersection(entry.states):
        active = False
    else:
        if not entry.states:
            return "none"
        known = [state for state in entry.states if state in NUD_STATES]
        return known[0].lower() if known else "unknown-state"
    if not entry.lladdr:
        return "no-lladdr"
    mac = parse_mac(entry.lladdr)
    if mac.mac is None:
        return f"invalid-mac ({mac.reason})"
    seen_at = now
    if entry.confirmed is not None:
        seen_at = now - timedelta(seconds=entry.confirmed)
    return Observation(mac=mac.mac, ip=ip, source=SOURCE, seen_at=seen_at, active=active)


def _json_entry(item: Any) -> Entry | None:
    if not isinstance(item, dict) or not isinstance(item.get("dst"), str):
        return None
    states = item.get("state", [])
    if not isinstance(states, list):
        states = [states]
    lladdr = item.get("lladdr")
    confirmed = item.get("confirmed")
    flagged = "deleted" if item.get("deleted") else "proxy" if "proxy" in item else None
    return Entry(
        dst=item["dst"],
        lladdr=lladdr if isinstance(lladdr, str) else None,
        states=tuple(str(state).upper() for state in states),
        confirmed=confirmed if isinstance(confirmed, int) and 0 <= confirmed < 2**31 else None,
        flagged=flagged,
    )


def _text_entry(line: str) -> Entry | None:
    words = line.split()
    if not words or words[0] in ("Deleted", "miss"):
        return None
    dst, rest = words[0], words[1:]
    lladdr: str | None = None
    confirmed: int | None = None
    states: list[str] = []
    flagged: str | None = None
    position = 0
    while position < len(rest):
        word = rest[position]
        value = rest[position + 1] if position + 1 < len(rest) else ""
        if word in _VALUED:
            position += 1
            if word == "lladdr":
                lladdr = value
            elif word == "used" and value.count("/") == 2:
                _used, seconds, _updated = value.split("/")
                confirmed = int(seconds) if _SECONDS.fullmatch(seconds) else None
        elif word in NUD_STATES:
            states.append(word)
        elif word == "proxy":
            flagged = "proxy"
        position += 1
    try:
        ipaddress.ip_address(dst)
    except ValueError:
        return None
    return Entry(dst, lladdr, tuple(states), confirmed, flagged)


def _proc_entry(line: str) -> Entry | None:
    fields = line.split()
    if len(fields) != 6:
        return None
    dst, hwtype, flags_text, hwaddr, _mask, _device = fields
    try:
        flags, hardware = int(flags_text, 16), int(hwtype, 16)
    except ValueError:
        return None
    flagged = None
    if flags & ATF_PUBL:
        flagged = "proxy"
    elif not flags & ATF_COM:
        flagged = "incomplete"
    elif hardware != ARPHRD_ETHER:
        flagged = f"unsupported-hwtype ({hwtype})"
    # Resolved entries are kept while they stay resolved: present, as far as
    # this file can tell (it has no NUD state).
    return Entry(dst, hwaddr, ("REACHABLE",), flagged=flagged)


def _json_items(text: str, name: str) -> tuple[list[Any], str | None]:
    """The entries of the JSON array (the text starts with '['), or what is wrong."""
    try:
        items: list[Any] = json.loads(text)
    except (ValueError, RecursionError) as error:
        return [], f"{name}: not valid 'ip -j neigh' JSON ({error})"
    return items, None


def parse_text(text: str, now: datetime, *, name: str = "<neigh>") -> ParseResult:
    """Parse one dump of the neighbour table taken at ``now``.

    JSON that does not parse fails the result. In the text layouts, a last
    line without its line end was cut short: it is skipped
    (``truncated-line``) and the result is incomplete.
    """
    result = ParseResult()
    layout = detect_layout(text)
    if layout is Layout.JSON:
        items, result.error = _json_items(text, name)
        rows = [
            (f"{name}:entry {n}", _json_entry(item), json.dumps(item, separators=(",", ":")))
            for n, item in enumerate(items, start=1)
        ]
        cut = None
    else:
        lines = text.splitlines()
        # ip and the kernel end every line: a last line without its end was cut short.
        last = len(lines) if not text.endswith("\n") else 0
        read = _proc_entry if layout is Layout.PROC else _text_entry
        rows = [
            (f"{name}:{n}", read(line), line.rstrip("\r"))
            for n, line in enumerate(lines, start=1)
            if line.strip() and (n == last or not line.startswith(PROC_HEADER))
        ]
        cut = f"{name}:{last}" if last else None
    for where, entry, shown in rows:
        result.lines += 1
        if where == cut:
            result.skipped.append(Skip(where, "truncated-line", shown))
            result.complete = False
            continue
        if entry is None:
            result.skipped.append(Skip(where, "malformed-line", shown))
            continue
        outcome = _observation(entry, now)
        if isinstance(outcome, Observation):
            result.observations.append(outcome)
        else:
            result.skipped.append(Skip(where, outcome, shown))
    if result.error is None and rows and all(entry is None for _, entry, _ in rows):
        result.error = (
            f"{name}: not a neighbour table: expected 'ip -j neigh' JSON, 'ip neigh' lines "
            f"('<address> dev <dev> lladdr <mac> <STATE>') or /proc/net/arp "
            f"(the first line is {text.lstrip().splitlines()[0][:120]!r})"
        )
    return result


def parse(inputs: Sequence[SourceText], now: datetime) -> ParseResult:
    """Parse neighbour table dumps taken at ``now`` (normally exactly one)."""
    return combine(parse_text(source.text, now, name=source.name) for source in inputs)
