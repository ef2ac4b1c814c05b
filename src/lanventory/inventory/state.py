"""A network's inventory as the rules see it, and the record of what a run changed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from lanventory.inventory.model import Device, Event, Sighting


@dataclass(slots=True)
class NetworkState:
    """All devices of one network with their sightings, keyed by MAC.

    The rules work on the state they are given (loaded fresh for each run)
    and record every change in a :class:`Changes` for the store to write.
    """

    network: str
    devices: dict[str, Device] = field(default_factory=dict)
    sightings: dict[str, dict[str, Sighting]] = field(default_factory=dict)
    _ip_index: dict[str, str] | None = None

    def holder_of(self, ip: str) -> str | None:
        """The MAC of the device that currently holds ``ip``, if any."""
        if self._ip_index is None:
            self._ip_index = {d.ip: d.mac for d in self.devices.values() if d.ip is not None}
        return self._ip_index.get(ip)

    def set_ip(self, device: Device, ip: str | None) -> None:
        """Move ``device`` to ``ip``, keeping the holder index right."""
        index = self._ip_index
        if index is not None:
            if device.ip is not None and index.get(device.ip) == device.mac:
                del index[device.ip]
            if ip is not None:
                index[ip] = device.mac
        device.ip = ip

    def remove(self, mac: str) -> Device:
        """Drop a device and its sightings from the state."""
        device = self.devices.pop(mac)
        self.sightings.pop(mac, None)
        self.set_ip(device, None)
        return device


@dataclass(slots=True)
class Counts:
    """The figures of one run, as the summary line prints them."""

    observations: int = 0
    active: int = 0
    new: int = 0
    updated: int = 0
    moved: int = 0
    online: int = 0
    absent: int = 0
    pruned: int = 0
    conflicts: int = 0


@dataclass(slots=True)
class Changes:
    """Everything one run changed, for the store to write in one transaction."""

    inserted: set[str] = field(default_factory=set)
    updated: set[str] = field(default_factory=set)
    moved: set[str] = field(default_factory=set)
    sightings: set[tuple[str, str]] = field(default_factory=set)
    history: dict[tuple[str, str], tuple[datetime, datetime]] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    pruned: list[Device] = field(default_factory=list)
    was_present: dict[str, bool] = field(default_factory=dict)
    counts: Counts = field(default_factory=Counts)
    absence_evaluated: bool = False

    def watch(self, device: Device) -> None:
        """Note that ``device``'s presence may change in this run (remembering it as it was)."""
        self.was_present.setdefault(device.mac, device.present)

    def touch(self, device: Device) -> None:
        """Note that an existing device changed (remembering its prior presence)."""
        self.was_present.setdefault(device.mac, device.present)
        if device.mac not in self.inserted:
            self.updated.add(device.mac)

    def see_ip(self, mac: str, ip: str, at: datetime) -> None:
        """Extend the IP history span of ``(mac, ip)`` to cover ``at``."""
        first, last = self.history.get((mac, ip), (at, at))
        self.history[(mac, ip)] = (min(first, at), max(last, at))
