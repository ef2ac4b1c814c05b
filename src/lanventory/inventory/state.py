"""A network's inventory as the rules see it, and the record of what a run changed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from lanventory.inventory.model import Device, Event, Sighting


@dataclass(slots=True)
class ExtraAddress:
    """An IPv4 address a device answers for besides its primary ``ip``.

    ``source`` is the source whose runs keep it: a complete run of that source
    which sees the device without this address drops it.
    """

    source: str
    first_seen: datetime
    last_seen: datetime


@dataclass(slots=True)
class NetworkState:
    """All devices of one network with their sightings, keyed by MAC.

    The rules work on the state they are given (loaded fresh for each run)
    and record every change in a :class:`Changes` for the store to write.
    A device's current addresses are its primary ``ip`` and its ``extras``;
    one address is held by at most one device, as primary or extra.
    """

    network: str
    devices: dict[str, Device] = field(default_factory=dict)
    sightings: dict[str, dict[str, Sighting]] = field(default_factory=dict)
    extras: dict[str, dict[str, ExtraAddress]] = field(default_factory=dict)
    _ip_index: dict[str, str] | None = None

    def _index(self) -> dict[str, str]:
        if self._ip_index is None:
            index = {d.ip: d.mac for d in self.devices.values() if d.ip is not None}
            for mac, held in self.extras.items():
                index.update(dict.fromkeys(held, mac))
            self._ip_index = index
        return self._ip_index

    def holder_of(self, ip: str) -> str | None:
        """The MAC of the device that currently holds ``ip`` (as primary or extra), if any."""
        return self._index().get(ip)

    def set_ip(self, device: Device, ip: str | None) -> None:
        """Move ``device``'s primary address to ``ip``, keeping the holder index right.

        An address the device held as an extra stops being one.
        """
        index = self._ip_index
        if ip is not None:
            self.extras.get(device.mac, {}).pop(ip, None)
        if index is not None:
            if device.ip is not None and index.get(device.ip) == device.mac:
                del index[device.ip]
            if ip is not None:
                index[ip] = device.mac
        device.ip = ip

    def add_extra(self, mac: str, ip: str, source: str, at: datetime) -> None:
        """Record (or refresh) ``ip`` as an extra address of ``mac`` kept by ``source``."""
        held = self.extras.setdefault(mac, {})
        extra = held.get(ip)
        if extra is None:
            held[ip] = ExtraAddress(source, at, at)
        else:
            extra.source = source
            extra.first_seen = min(extra.first_seen, at)
            extra.last_seen = max(extra.last_seen, at)
        self._index()[ip] = mac

    def drop_extra(self, mac: str, ip: str) -> None:
        """Forget ``ip`` as an extra address of ``mac``."""
        held = self.extras.get(mac, {})
        if held.pop(ip, None) is not None and self._index().get(ip) == mac:
            del self._index()[ip]
        if not held:
            self.extras.pop(mac, None)

    def extra_ips(self, mac: str) -> list[str]:
        """The extra addresses of ``mac``, in address order."""
        return sorted(self.extras.get(mac, {}), key=ip_order)

    def remove(self, mac: str) -> Device:
        """Drop a device, its sightings and its addresses from the state."""
        device = self.devices.pop(mac)
        self.sightings.pop(mac, None)
        for ip in list(self.extras.get(mac, {})):
            self.drop_extra(mac, ip)
        self.set_ip(device, None)
        return device


def ip_order(ip: str) -> tuple[int, ...]:
    """A dotted IPv4 address as numbers, for sorting."""
    return tuple(int(part) for part in ip.split("."))


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
    #: Devices whose extra addresses changed (their rows are rewritten).
    addresses: set[str] = field(default_factory=set)
    pruned: list[Device] = field(default_factory=list)
    was_present: dict[str, bool] = field(default_factory=dict)
    counts: Counts = field(default_factory=Counts)
    absence_evaluated: bool = False

    def watch(self, device: Device) -> None:
        """Note that ``device``'s presence may change in this run (remembering it as it was)."""
        self.was_present.setdefault(device.mac, device.present)

    def touch(self, device: Device) -> None:
        """Note that an existing device changed (remembering its prior presence)."""
        self.watch(device)
        if device.mac not in self.inserted:
            self.updated.add(device.mac)

    def see_ip(self, mac: str, ip: str, at: datetime) -> None:
        """Extend the IP history span of ``(mac, ip)`` to cover ``at``."""
        first, last = self.history.get((mac, ip), (at, at))
        self.history[(mac, ip)] = (min(first, at), max(last, at))
