"""Merge one network's legacy plan into its inventory: create, or advance only newer facts.

A device the inventory does not have is created (``present`` false, the
chosen status); one it has keeps every owner field, and takes the legacy IP,
hostname and ``last_seen`` only from a row more recent than what it knows, an
earlier ``first_seen``, and the addresses its IP history lacks. An address
another inventory device holds is never taken from it. Each created or
changed device gets one ``imported`` event; an unchanged one gets none, so a
second import of the same table changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lanventory.inventory.merge import VendorLookup
from lanventory.inventory.model import Device, Event, EventType, Policy, Status
from lanventory.inventory.prune import is_prunable
from lanventory.inventory.state import Changes, NetworkState
from lanventory.legacy.dhcp_leases import SOURCE, NetworkPlan, PlannedDevice

#: ``(mac, ip) -> (first_seen, last_seen)`` of a network's stored IP history.
KnownHistory = Mapping[tuple[str, str], tuple[datetime, datetime]]


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count} {word if count == 1 else plural or word + 's'}"


@dataclass(slots=True)
class NetworkImport:
    """What importing one network's plan did: the summary line and the run record's figures."""

    plan: NetworkPlan
    label: str
    new: int = 0
    updated: int = 0
    conflicts: int = 0
    prunable: int = 0
    run_id: int | None = None

    @property
    def unchanged(self) -> int:
        """Devices the inventory already had exactly as the table says."""
        return len(self.plan.devices) - self.new - self.updated

    @property
    def changed(self) -> bool:
        """True when the import created or changed at least one device."""
        return bool(self.new or self.updated)

    def summary(self) -> str:
        """``lan <- legacy-dhcp-leases (router_webui.dhcp_leases): 41 rows, 37 devices …``."""
        plan = self.plan
        where = self.label
        renamed = [name for name in plan.legacy_names if name != plan.network]
        if renamed:
            where += f", network {', '.join(repr(name) for name in renamed)}"
        split = f"{self.new} new, {self.updated} updated"
        if self.unchanged:
            split += f", {self.unchanged} unchanged"
        text = (
            f"{plan.network} <- {SOURCE} ({where}): {_plural(plan.rows, 'row')}, "
            f"{_plural(len(plan.devices), 'device')} ({split}), "
            f"{_plural(plan.merged, 'duplicate row')} merged, "
            f"{_plural(self.conflicts, 'IP conflict')} resolved"
        )
        if plan.unusable_ips:
            text += (
                f", {_plural(plan.unusable_ips, 'unusable address', 'unusable addresses')} ignored"
            )
        skipped = sum(plan.skipped.values())
        reasons = ", ".join(f"{reason} {count}" for reason, count in plan.skipped.most_common())
        text += f"; skipped {_plural(skipped, 'row')}" + (f" ({reasons})" if reasons else "")
        if not self.changed:
            text += "; nothing to change"
        return text

    def run_counts(self) -> dict[str, Any]:
        """The figures stored with the run record."""
        return {
            "new": self.new,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "merged": self.plan.merged,
            "conflicts": self.conflicts,
            "skipped": dict(self.plan.skipped.most_common()),
            "unusable_ips": self.plan.unusable_ips,
            "prunable": self.prunable,
            "table": self.label,
            "legacy_networks": list(self.plan.legacy_names),
        }


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _create(
    state: NetworkState, planned: PlannedDevice, status: Status, now: datetime, lookup: VendorLookup
) -> Device:
    randomized = planned.randomized
    device = Device(
        network=state.network,
        mac=planned.mac,
        first_seen=planned.first_seen or now,
        last_seen=planned.last_seen or planned.first_seen or now,
        hostname=planned.hostname,
        vendor=None if randomized else lookup(planned.mac),
        status=status,
        randomized=randomized,
    )
    state.devices[planned.mac] = device
    return device


def _advance(device: Device, planned: PlannedDevice, edits: dict[str, list[Any]]) -> bool:
    """Take the newer facts of ``planned``; True when its address should move too."""
    newer = planned.last_seen is not None and planned.last_seen > device.last_seen
    if newer and planned.last_seen is not None:
        edits["last_seen"] = [_iso(device.last_seen), _iso(planned.last_seen)]
        device.last_seen = planned.last_seen
        if planned.hostname is not None and planned.hostname != device.hostname:
            edits["hostname"] = [device.hostname, planned.hostname]
            device.hostname = planned.hostname
    if planned.first_seen is not None and planned.first_seen < device.first_seen:
        edits["first_seen"] = [_iso(device.first_seen), _iso(planned.first_seen)]
        device.first_seen = planned.first_seen
    return newer and planned.ip is not None and planned.ip != device.ip


def _claim_ips(
    state: NetworkState, claims: list[tuple[PlannedDevice, Device]], movers: set[str]
) -> int:
    """Give each claimant its address unless another device holds it; returns the refusals.

    Devices that move first let go of their old address, so two of them may
    swap; the most recent claim is served first. A mover that cannot have its
    new address keeps its old one when that is still free.
    """
    old = {device.mac: device.ip for _, device in claims if device.mac in movers}
    for _, device in claims:
        if device.mac in movers:
            state.set_ip(device, None)
    refused = 0
    for planned, device in sorted(claims, key=lambda claim: claim[0].recency, reverse=True):
        ip = planned.ip
        if ip is not None and state.holder_of(ip) is None:
            state.set_ip(device, ip)
            continue
        refused += 1
        previous = old.get(device.mac)
        if previous is not None and state.holder_of(previous) is None:
            state.set_ip(device, previous)
    return refused


def _history(
    planned: PlannedDevice, known: KnownHistory, changes: Changes, now: datetime
) -> tuple[list[str], list[str]]:
    """Record the addresses the stored history lacks or spans too narrowly: (added, widened)."""
    added, widened = [], []
    for ip, (first, last) in sorted(planned.history.items()):
        first, last = first or last, last or first
        stored = known.get((planned.mac, ip))
        if stored is None:
            changes.history[(planned.mac, ip)] = (first or now, last or now)
            added.append(ip)
        elif first is not None and last is not None and (first < stored[0] or last > stored[1]):
            changes.history[(planned.mac, ip)] = (min(first, stored[0]), max(last, stored[1]))
            widened.append(ip)
    return added, widened


def apply_plan(
    state: NetworkState,
    plan: NetworkPlan,
    known: KnownHistory,
    *,
    label: str,
    status: Status,
    now: datetime,
    policy: Policy,
    lookup: VendorLookup,
) -> tuple[Changes, NetworkImport]:
    """Merge ``plan`` into ``state`` (the network's devices) and say what changed.

    ``known`` is the network's stored IP history; ``label`` names the table in
    events and the summary (``router_webui.dhcp_leases``).
    """
    changes = Changes()
    outcome = NetworkImport(plan, label)
    edits: dict[str, dict[str, list[Any]]] = {}
    claims: list[tuple[PlannedDevice, Device]] = []
    movers: set[str] = set()
    for mac, planned in plan.devices.items():
        device = state.devices.get(mac)
        edits[mac] = {}
        if device is None:
            device = _create(state, planned, status, now, lookup)
            changes.inserted.add(mac)
            changes.was_present[mac] = False
            if planned.ip is not None:
                claims.append((planned, device))
        elif _advance(device, planned, edits[mac]):
            movers.add(mac)
            claims.append((planned, device))
    before = {mac: state.devices[mac].ip for mac in movers}
    outcome.conflicts = len(plan.conflicts) + _claim_ips(state, claims, movers)
    for mac in movers:
        if state.devices[mac].ip != before[mac]:
            edits[mac]["ip"] = [before[mac], state.devices[mac].ip]
    for mac, planned in plan.devices.items():
        device = state.devices[mac]
        created = mac in changes.inserted
        added, widened = _history(planned, known, changes, now)
        if added:
            edits[mac]["ip_history"] = [None, ", ".join(added)]
        if not created and not edits[mac] and not widened:
            continue
        data: dict[str, Any] = {"from": SOURCE, "created": created, "table": label}
        if created:
            outcome.new += 1
            created_edits = {"ip": [None, device.ip], "hostname": [None, device.hostname]}
            edits[mac] = {k: v for k, v in created_edits.items() if v[1]} | edits[mac]
            data |= {
                "status": device.status.value,
                "rows": planned.rows,
                "first_seen": _iso(device.first_seen),
                "last_seen": _iso(device.last_seen),
            }
        else:
            outcome.updated += 1
            changes.touch(device)
        if widened:
            data["history_widened"] = widened
        if plan.legacy_names != [plan.network]:
            data["legacy_network"] = ", ".join(plan.legacy_names)
        data["changes"] = edits[mac]
        changes.events.append(Event(now, state.network, mac, EventType.IMPORTED, data))
    outcome.prunable = sum(is_prunable(state.devices[mac], now, policy) for mac in plan.devices)
    changes.counts.new, changes.counts.updated = outcome.new, outcome.updated
    changes.counts.conflicts = outcome.conflicts
    return changes, outcome
