"""The inventory's values: devices, per-source sightings, events and the policy."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from lanventory.stable_macs import DEFAULT_STABLE_PREFIXES, StablePrefix


class Status(StrEnum):
    """Where a device stands with its owner."""

    NEW = "new"
    KNOWN = "known"
    IGNORED = "ignored"


class EventType(StrEnum):
    """What happened, as recorded in the append-only history."""

    DEVICE_NEW = "device_new"
    IP_CHANGED = "ip_changed"
    ONLINE = "online"
    OFFLINE = "offline"
    EDITED = "edited"
    PRUNED = "pruned"
    SOURCE_FAILED = "source_failed"
    RUN_FINISHED = "run_finished"
    DELETED = "deleted"
    IMPORTED = "imported"
    ADOPTED = "adopted"
    RETIRED = "retired"
    ADOPTION_UNDONE = "adoption_undone"


#: Fields only the owner sets; no source ever writes them.
OWNER_FIELDS = ("name", "grp", "note", "status", "flagged", "watched")


@dataclass(slots=True)
class Device:
    """One row per ``(network, mac)``: the MAC is the identity, the IP an attribute."""

    network: str
    mac: str
    first_seen: datetime
    last_seen: datetime
    ip: str | None = None
    vendor: str | None = None
    hostname: str | None = None
    client_id: str | None = None
    vendor_class: str | None = None
    name: str | None = None
    grp: str | None = None
    note: str | None = None
    status: Status = Status.NEW
    randomized: bool = False
    flagged: bool = False
    present: bool = False
    watched: bool = False
    id: int | None = None


@dataclass(slots=True)
class Sighting:
    """The last time one source saw one device, and whether its latest runs did."""

    source: str
    last_seen: datetime
    ip: str | None = None
    current: bool = False
    missed_runs: int = 0


@dataclass(frozen=True, slots=True)
class Event:
    """One entry of a device's history."""

    at: datetime
    network: str
    mac: str | None
    type: EventType
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Policy:
    """The tunable parts of the rules (SPEC rules 5–7)."""

    away_after_missed_runs: int = 1
    prune_randomized_after: timedelta = timedelta(hours=24)
    prune_after: timedelta = timedelta(days=14)
    absent_marker_after: timedelta = timedelta(days=30)
    #: Locally administered prefixes that do not rotate (:mod:`lanventory.stable_macs`).
    stable_mac_prefixes: tuple[StablePrefix, ...] = DEFAULT_STABLE_PREFIXES
    #: How long before a new randomized MAC appeared its predecessor may have gone
    #: (:mod:`lanventory.inventory.rotation`).
    rotation_window: timedelta = timedelta(hours=2)
    #: The networks where an unambiguous rotated MAC is adopted without the owner.
    auto_adopt_networks: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if self.away_after_missed_runs < 1:
            raise ValueError("away_after_missed_runs must be at least 1")


_NETWORK_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


def check_network_name(name: str) -> str:
    """A network name is a slug (``lan``, ``iot-2``); raises ValueError otherwise."""
    if not _NETWORK_NAME.fullmatch(name):
        raise ValueError(
            f"network name {name!r} is not a slug: use lowercase letters, digits, '-' and '_' "
            "(at most 64, starting with a letter or digit)"
        )
    return name
