"""Presence from sightings (SPEC rules 5 and 7)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from lanventory.inventory.model import Device, Event, EventType, Policy, Sighting, Status
from lanventory.inventory.state import Changes, NetworkState


def is_present(sightings: Mapping[str, Sighting]) -> bool:
    """Present while at least one source saw the device in its latest runs."""
    return any(sighting.current for sighting in sightings.values())


def mark_missed(
    state: NetworkState, source: str, seen: set[str], changes: Changes, policy: Policy
) -> None:
    """Count a successful run of ``source`` against every device it did not see.

    A sighting stops being current after ``away_after_missed_runs`` such runs.
    The caller applies the guard: only a complete run that saw at least one
    device may call this (a failed, empty or truncated run marks nothing).
    """
    for mac, per_source in state.sightings.items():
        sighting = per_source.get(source)
        if sighting is None or mac in seen or not sighting.current:
            continue
        sighting.missed_runs += 1
        if sighting.missed_runs >= policy.away_after_missed_runs:
            sighting.current = False
        changes.sightings.add((mac, source))
        changes.watch(state.devices[mac])


def settle(state: NetworkState, changes: Changes, now: datetime) -> None:
    """Recompute presence of every touched device and record online/offline."""
    for mac, was_present in changes.was_present.items():
        device = state.devices.get(mac)
        if device is None:
            continue
        device.present = is_present(state.sightings.get(mac, {}))
        if mac in changes.inserted or device.present == was_present:
            continue
        changes.updated.add(mac)
        if device.present:
            changes.counts.online += 1
            changes.events.append(
                Event(now, state.network, mac, EventType.ONLINE, {"ip": device.ip})
            )
        else:
            changes.counts.absent += 1
            changes.events.append(
                Event(
                    now,
                    state.network,
                    mac,
                    EventType.OFFLINE,
                    {"last_seen": device.last_seen.isoformat()},
                )
            )


def absent_days(device: Device, now: datetime, policy: Policy) -> int | None:
    """Days a ``known`` device has been absent, once that reaches the marker threshold."""
    if device.status is not Status.KNOWN or device.present:
        return None
    away = now - device.last_seen
    return away.days if away >= policy.absent_marker_after else None
