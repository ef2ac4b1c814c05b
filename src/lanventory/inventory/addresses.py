"""A device's several current IPv4 addresses: one primary ``ip`` and its extras.

A MAC that answers for several addresses in one run (a router, proxy ARP, a
host with aliases, containers behind a bridge) keeps them all. One address is
held by at most one device: an active observation that claims an address
takes it from whichever device held it.
"""

from __future__ import annotations

from datetime import datetime

from lanventory.inventory.model import Device, Event, EventType
from lanventory.inventory.state import Changes, NetworkState, ip_order
from lanventory.sources.observation import Observation


def free_address(
    state: NetworkState, ip: str, taker: Device, changes: Changes, now: datetime
) -> None:
    """Take ``ip`` from any other device that holds it, for ``taker`` (rule 4).

    Held as another device's primary address: that device's lowest extra
    address, if it has one, becomes its primary, and an ``ip_changed`` event
    names the taker. Held as an extra address: it is dropped quietly (the
    holder keeps its primary address, so nothing it is known by changes).
    """
    holder_mac = state.holder_of(ip)
    if holder_mac is None or holder_mac == taker.mac:
        return
    holder = state.devices[holder_mac]
    if holder.ip != ip:
        state.drop_extra(holder_mac, ip)
        changes.addresses.add(holder_mac)
        return
    extras = state.extra_ips(holder_mac)
    successor = extras[0] if extras else None
    changes.touch(holder)
    state.set_ip(holder, successor)
    if successor is not None:
        changes.addresses.add(holder_mac)
    changes.moved.add(holder_mac)
    changes.events.append(
        Event(
            now,
            state.network,
            holder_mac,
            EventType.IP_CHANGED,
            {"old": ip, "new": successor, "taken_by": taker.mac},
        )
    )


def keep_extras(
    state: NetworkState,
    device: Device,
    obs: Observation,
    seen_at: set[str],
    changes: Changes,
    now: datetime,
    *,
    complete: bool,
) -> None:
    """Make every address of ``seen_at`` but the primary one an extra address of ``device``.

    ``obs`` is the device's deciding observation of this run and ``seen_at``
    every IPv4 address the run actively saw it at. The source becomes the
    keeper of those extras; after a ``complete`` run, the extras that source
    kept and no longer saw are dropped quietly. Extras kept by other sources,
    and all extras after an incomplete run, stay.
    """
    mac = device.mac
    held = state.extras.get(mac, {})
    for ip in sorted(seen_at - {device.ip}, key=ip_order):
        if ip not in held:
            free_address(state, ip, device, changes, now)
        state.add_extra(mac, ip, obs.source, obs.seen_at)
        changes.addresses.add(mac)
    if not complete:
        return
    for ip, extra in list(state.extras.get(mac, {}).items()):
        if extra.source == obs.source and ip not in seen_at:
            state.drop_extra(mac, ip)
            changes.addresses.add(mac)
