"""Rotated MACs: which absent device a new randomized MAC is likely to replace.

A phone or laptop with MAC randomization comes back under a fresh locally
administered address now and then. When such a device appears, the devices
of its network that could be its previous self are the randomized ones that
are absent and were last seen shortly before it first appeared (within the
rotation window, or overlapping it by at most :data:`OVERLAP`), and that
share something with it: the DHCP hostname, the DHCP client-id, or the IPv4
address the new MAC now holds.

Each :class:`Suggestion` carries its evidence in words and a score in 0..1::

    score = min(1, 0.5·hostname + 0.4·client_id + 0.25·ip + 0.2·vendor_class + 0.15·closeness)

where ``hostname``, ``client_id``, ``ip`` and ``vendor_class`` (the DHCP
vendor class, option 60, where a source records it) are 1 when that piece of
evidence is there (else 0), and ``closeness`` falls linearly from 1 (last
seen when the new MAC appeared, or overlapping it) to 0 (a whole window
before). A hostname or client-id match alone scores at least 0.4, an IP
takeover alone at most 0.4, a vendor class alone (many phones of one make
send the same) at most 0.35; time closeness alone suggests nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from lanventory.inventory.model import Device
from lanventory.inventory.state import NetworkState
from lanventory.stable_macs import StablePrefix, is_rotating

#: How long an old MAC may still have been seen after the new one appeared
#: (a phone reconnecting answers ARP under both for a moment).
OVERLAP = timedelta(minutes=5)
#: The weight of each piece of evidence in the score.
HOSTNAME_WEIGHT = 0.5
CLIENT_ID_WEIGHT = 0.4
IP_WEIGHT = 0.25
VENDOR_CLASS_WEIGHT = 0.2
CLOSENESS_WEIGHT = 0.15


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A likely predecessor of a new randomized MAC, with why and how likely."""

    mac: str
    score: float
    last_seen: datetime
    evidence: list[str] = field(default_factory=list)
    #: Which evidence matched: ``hostname``, ``client_id``, ``vendor_class``, ``ip``.
    matched: frozenset[str] = frozenset()


def suggest_predecessors(
    state: NetworkState,
    device: Device,
    now: datetime,
    window: timedelta,
    prefixes: Iterable[StablePrefix],
) -> list[Suggestion]:
    """The likely predecessors of ``device`` in ``state``, most likely first.

    Only a device whose own MAC rotates gets suggestions, and only rotating
    MACs are suggested (``prefixes``: the stable prefixes that do not rotate).
    Candidates last seen after ``now`` (a clock that went back) are left out.
    Equal scores go to the most recently seen first.
    """
    stable = tuple(prefixes)
    if not (device.randomized and is_rotating(device.mac, stable)):
        return []
    found = []
    for old in state.devices.values():
        if old.mac == device.mac or old.present or not old.randomized:
            continue
        if not is_rotating(old.mac, stable) or old.last_seen > now:
            continue
        suggestion = _judge(state, device, old, window)
        if suggestion is not None:
            found.append(suggestion)
    found.sort(key=lambda s: (-s.score, -s.last_seen.timestamp(), s.mac))
    return found


def _judge(state: NetworkState, new: Device, old: Device, window: timedelta) -> Suggestion | None:
    """``old`` as a suggestion for ``new``, or None when it is out of time or shares nothing."""
    gap = new.first_seen - old.last_seen
    if gap > window or gap < -OVERLAP:
        return None
    evidence: list[str] = []
    matched: set[str] = set()
    score = 0.0
    hostname = _same_text(new.hostname, old.hostname)
    if hostname is not None:
        evidence.append(f"same hostname `{hostname}`")
        matched.add("hostname")
        score += HOSTNAME_WEIGHT
    client_id = _same_text(new.client_id, old.client_id)
    if client_id is not None:
        evidence.append(f"same client-id `{client_id}`")
        matched.add("client_id")
        score += CLIENT_ID_WEIGHT
    vendor_class = _same_text(new.vendor_class, old.vendor_class)
    if vendor_class is not None:
        evidence.append(f"same vendor class `{vendor_class}`")
        matched.add("vendor_class")
        score += VENDOR_CLASS_WEIGHT
    took_over = new.ip is not None and new.ip in last_ips(state, old)
    if took_over:
        score += IP_WEIGHT
        matched.add("ip")
    elif not evidence:
        return None
    evidence.append(_timing(gap))
    if took_over:
        evidence.append(f"took over {new.ip}")
    closeness = 1.0 if gap <= timedelta(0) else 1.0 - gap / window
    score = min(1.0, score + CLOSENESS_WEIGHT * closeness)
    return Suggestion(old.mac, round(score, 3), old.last_seen, evidence, frozenset(matched))


def _same_text(new: str | None, old: str | None) -> str | None:
    """The new device's value when both are set and equal ignoring case and spaces around."""
    if not new or not old or not new.strip():
        return None
    return new.strip() if new.strip().casefold() == old.strip().casefold() else None


def last_ips(state: NetworkState, device: Device) -> set[str]:
    """The IPv4 addresses ``device`` last had: its primary, its extras and each source's last."""
    ips = {s.ip for s in state.sightings.get(device.mac, {}).values() if s.ip is not None}
    ips.update(state.extras.get(device.mac, {}))
    if device.ip is not None:
        ips.add(device.ip)
    return ips


def _timing(gap: timedelta) -> str:
    """How the old MAC's last sighting relates to the new one's first, in words."""
    if gap < timedelta(0):
        return f"old MAC last seen {_span(-gap)} after the new one appeared"
    if gap < timedelta(minutes=1):
        return "old MAC last seen less than a minute before the new one appeared"
    return f"old MAC last seen {_span(gap)} before the new one appeared"


def _span(gap: timedelta) -> str:
    """``3 min``, ``2 h 5 min``; under a minute is ``less than a minute``."""
    minutes = int(gap.total_seconds() // 60)
    if minutes < 1:
        return "less than a minute"
    hours, minutes = divmod(minutes, 60)
    if not hours:
        return f"{minutes} min"
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"
