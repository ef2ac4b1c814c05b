"""Prune unreviewed devices that are gone (SPEC rule 6)."""

from __future__ import annotations

from datetime import datetime

from lanventory.inventory.model import Device, Event, EventType, Policy, Status
from lanventory.inventory.state import Changes, NetworkState


def is_prunable(device: Device, now: datetime, policy: Policy) -> bool:
    """``new``, absent, and unseen for longer than its TTL (24 h randomized, 14 d otherwise).

    ``known`` and ``ignored`` devices are never pruned.
    """
    if device.status is not Status.NEW or device.present:
        return False
    ttl = policy.prune_randomized_after if device.randomized else policy.prune_after
    return device.last_seen < now - ttl


def prune(state: NetworkState, changes: Changes, now: datetime, policy: Policy) -> None:
    """Remove every prunable device from the state, recording a ``pruned`` event each."""
    for mac in [mac for mac, d in state.devices.items() if is_prunable(d, now, policy)]:
        device = state.remove(mac)
        changes.inserted.discard(mac)
        changes.updated.discard(mac)
        changes.pruned.append(device)
        changes.counts.pruned += 1
        changes.events.append(
            Event(
                now,
                state.network,
                mac,
                EventType.PRUNED,
                {"last_seen": device.last_seen.isoformat(), "randomized": device.randomized},
            )
        )
