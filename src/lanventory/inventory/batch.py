"""Dedup within one batch of observations (SPEC rules 1–2)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from lanventory.net import is_ipv6
from lanventory.sources.observation import IpConflict, Observation


def dedup(observations: Sequence[Observation]) -> tuple[list[Observation], list[IpConflict]]:
    """One observation per MAC, and at most one MAC claiming each IP.

    Per MAC the most recent observation wins, an active one before any
    inactive one, a later one on ties (Kea's log is append-only). When two
    MACs claim the same IP in one batch, the first keeps it; the others keep
    their presence but make no claim on the IP, and the clash is reported.
    """
    best: dict[str, tuple[tuple[bool, float, int], Observation]] = {}
    for position, obs in enumerate(observations):
        key = (obs.active, obs.seen_at.timestamp(), position)
        held = best.get(obs.mac)
        if held is None or key > held[0]:
            best[obs.mac] = (key, obs)
    kept = [obs for _, obs in sorted(best.values(), key=lambda item: item[0][2])]
    claimed: dict[str, str] = {}
    conflicts: list[IpConflict] = []
    result: list[Observation] = []
    for obs in kept:
        if obs.ip is not None and obs.active and not is_ipv6(obs.ip):
            holder = claimed.setdefault(obs.ip, obs.mac)
            if holder != obs.mac:
                conflicts.append(IpConflict(obs.ip, (holder, obs.mac), obs.source))
                obs = replace(obs, ip=None)
        result.append(obs)
    return result, conflicts


def current_addresses(
    observations: Sequence[Observation], kept: Sequence[Observation]
) -> dict[str, set[str]]:
    """Every IPv4 address each MAC was actively seen at in one batch.

    ``kept`` is :func:`dedup`'s answer: the IPs it gave stay with their MAC.
    Any other address goes to the first MAC seen at it; a MAC that answers
    for an address another one already holds in this batch does not get it.
    """
    claimed = {
        obs.ip: obs.mac for obs in kept if obs.ip is not None and obs.active and not is_ipv6(obs.ip)
    }
    addresses: dict[str, set[str]] = {}
    for obs in observations:
        if obs.ip is None or not obs.active or is_ipv6(obs.ip):
            continue
        if claimed.setdefault(obs.ip, obs.mac) == obs.mac:
            addresses.setdefault(obs.mac, set()).add(obs.ip)
    return addresses
