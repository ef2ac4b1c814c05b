"""Upsert observations into a network's devices (SPEC rules 3 and 4)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime

from lanventory.inventory.addresses import free_address, keep_extras
from lanventory.inventory.model import Device, Event, EventType, Sighting
from lanventory.inventory.state import Changes, NetworkState
from lanventory.net import is_ipv6
from lanventory.sources.observation import Observation
from lanventory.stable_macs import DEFAULT_STABLE_PREFIXES, StablePrefix, is_rotating
from lanventory.store.device_text import storable

VendorLookup = Callable[[str], str | None]


def _reported(text: str | None) -> str | None:
    """A string a device reported, as the store keeps it (so an unchanged one compares equal)."""
    return None if text is None else storable(text)


def _vendor(obs: Observation, randomized: bool, lookup: VendorLookup) -> str | None:
    """The registry's vendor; the source's own guess only for universal MACs."""
    if randomized:
        return None
    return lookup(obs.mac) or _reported(obs.vendor)


def _insert(
    state: NetworkState,
    obs: Observation,
    lookup: VendorLookup,
    stable: tuple[StablePrefix, ...],
) -> Device:
    randomized = is_rotating(obs.mac, stable)
    device = Device(
        network=state.network,
        mac=obs.mac,
        first_seen=obs.seen_at,
        last_seen=obs.seen_at,
        vendor=_vendor(obs, randomized, lookup),
        hostname=_reported(obs.hostname),
        client_id=_reported(obs.client_id),
        vendor_class=_reported(obs.vendor_class),
        randomized=randomized,
    )
    state.devices[obs.mac] = device
    return device


def _update(device: Device, obs: Observation, lookup: VendorLookup) -> bool:
    """Refresh what the sources report; never an owner field. True if it changed."""
    before = (
        device.vendor,
        device.hostname,
        device.client_id,
        device.vendor_class,
        device.last_seen,
    )
    fresh = obs.active or obs.seen_at >= device.last_seen
    if fresh:
        device.vendor = _vendor(obs, device.randomized, lookup) or device.vendor
        device.hostname = _reported(obs.hostname) or device.hostname
        device.client_id = _reported(obs.client_id) or device.client_id
        device.vendor_class = _reported(obs.vendor_class) or device.vendor_class
    device.last_seen = max(device.last_seen, obs.seen_at)
    after = (device.vendor, device.hostname, device.client_id, device.vendor_class)
    return before != (*after, device.last_seen)


def _claim_ip(
    state: NetworkState, device: Device, obs: Observation, changes: Changes, now: datetime
) -> None:
    """Give ``device`` the observed IPv4 address, clearing any previous holder (rule 4).

    IPv6 addresses are only recorded in the device's IP history: the ``ip``
    column and the ``(network, ip)`` uniqueness are IPv4's.

    An active observation always takes its IP. An inactive one (an expired
    lease, a stale neighbour entry) only records where the device was last: it
    takes the IP only when nobody else holds it, so an old lease never steals
    an address from a device that is on it now (nor moves a device's primary
    address to one of its extras). A previous holder is cleared as
    :func:`~lanventory.inventory.addresses.free_address` says.
    """
    ip = obs.ip
    if ip is None or ip == device.ip or is_ipv6(ip):
        return
    if state.holder_of(ip) is not None and not obs.active:
        return
    free_address(state, ip, device, changes, now)
    if ip in state.extras.get(device.mac, {}):
        changes.addresses.add(device.mac)  # one of its extras becomes its primary
    old = device.ip
    state.set_ip(device, ip)
    if device.mac in changes.inserted:
        return
    changes.touch(device)
    changes.moved.add(device.mac)
    changes.events.append(
        Event(now, state.network, device.mac, EventType.IP_CHANGED, {"old": old, "new": ip})
    )


def _sight(state: NetworkState, obs: Observation, changes: Changes) -> None:
    """Record the observation in its source's sighting (written only if it changed)."""
    per_source = state.sightings.setdefault(obs.mac, {})
    sighting = per_source.get(obs.source)
    if sighting is None:
        sighting = per_source[obs.source] = Sighting(source=obs.source, last_seen=obs.seen_at)
        before = None
    else:
        before = (sighting.last_seen, sighting.ip, sighting.current, sighting.missed_runs)
    sighting.last_seen = max(sighting.last_seen, obs.seen_at)
    if (obs.active or sighting.ip is None) and obs.ip is not None and not is_ipv6(obs.ip):
        sighting.ip = obs.ip
    if obs.active:
        sighting.current = True
        sighting.missed_runs = 0
    if before != (sighting.last_seen, sighting.ip, sighting.current, sighting.missed_runs):
        changes.sightings.add((obs.mac, obs.source))


def merge(
    state: NetworkState,
    observations: Iterable[Observation],
    changes: Changes,
    now: datetime,
    lookup: VendorLookup,
    stable: tuple[StablePrefix, ...] = DEFAULT_STABLE_PREFIXES,
    *,
    addresses: Mapping[str, set[str]] | None = None,
    complete: bool = False,
) -> set[str]:
    """Upsert deduplicated observations; returns the MACs seen active in this run.

    An unseen MAC becomes a ``new`` device; an existing one gets its IP,
    vendor, hostname and last_seen refreshed. Presence is settled afterwards
    from the sightings (see :mod:`lanventory.inventory.presence`).

    ``addresses`` (from :func:`~lanventory.inventory.batch.current_addresses`)
    gives every address each MAC was actively seen at: a device keeps its
    primary ``ip`` when it is among them, and the others become its extra
    addresses (see :mod:`lanventory.inventory.addresses`); ``complete`` says
    the run was whole, so extras its source no longer saw are dropped.
    """
    seen: set[str] = set()
    for obs in observations:
        changes.counts.observations += 1
        device = state.devices.get(obs.mac)
        if device is None:
            device = _insert(state, obs, lookup, stable)
            changes.inserted.add(obs.mac)
            changes.was_present[obs.mac] = False
            changes.counts.new += 1
            changes.events.append(
                Event(
                    now,
                    state.network,
                    obs.mac,
                    EventType.DEVICE_NEW,
                    {"ip": obs.ip, "source": obs.source, "hostname": obs.hostname},
                )
            )
        elif _update(device, obs, lookup):
            changes.touch(device)
        seen_at = addresses.get(obs.mac, set()) if addresses is not None and obs.active else None
        if seen_at is None or device.ip not in seen_at:
            _claim_ip(state, device, obs, changes, now)
        if seen_at is not None:
            keep_extras(state, device, obs, seen_at, changes, now, complete=complete)
        _sight(state, obs, changes)
        if obs.active:
            changes.counts.active += 1
            seen.add(obs.mac)
            changes.watch(device)  # settled afterwards: written if its presence changes
    return seen
