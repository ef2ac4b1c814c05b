"""Adopting a rotated MAC: the new device takes over the old one's identity.

When the owner (or, if enabled, auto-adopt) says that a new randomized MAC
is the same phone or laptop as an older one, the new device inherits what
the owner gave the old one (:data:`INHERITED`), the old row is retired (kept,
pointing to its successor) and both histories read as one. Undo gives back
what the new device had before, except for what the owner changed since.

The rules here are pure: they take devices and the clock's reading and say
what changes; :mod:`lanventory.store.adoption` reads and writes the rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lanventory.inventory.model import Device, Event, EventType, Status
from lanventory.inventory.rotation import Suggestion

#: The owner fields a successor inherits from the device it adopts.
INHERITED = ("name", "grp", "note", "status", "flagged", "watched")


class AdoptionError(ValueError):
    """The adoption (or its undo) cannot be done; the message says why."""


@dataclass(frozen=True, slots=True)
class Adoption:
    """What adopting changes: the successor's owner fields, and the events to record.

    ``before`` holds the successor's fields as they were and ``inherited`` the
    values it got, so :func:`undo_fields` can tell an inherited value from a
    later owner edit.
    """

    fields: dict[str, Any]
    before: dict[str, Any]
    inherited: dict[str, Any]
    events: list[Event]


def owner_fields(device: Device) -> dict[str, Any]:
    """The device's :data:`INHERITED` fields, as JSON values."""
    values = {name: getattr(device, name) for name in INHERITED}
    values["status"] = device.status.value
    return values


def _inherit(successor: Device, predecessor: Device) -> dict[str, Any]:
    """The successor's owner fields after adopting ``predecessor``.

    What the owner gave the old device wins; a field the old one left empty
    keeps the new one's value. A ``new`` predecessor does not demote a
    reviewed successor; flagged and watched stay on if either had them.
    """
    mine, theirs = owner_fields(successor), owner_fields(predecessor)
    fields = {name: theirs[name] if theirs[name] is not None else mine[name] for name in INHERITED}
    if predecessor.status is Status.NEW:
        fields["status"] = mine["status"]
    fields["flagged"] = bool(theirs["flagged"] or mine["flagged"])
    fields["watched"] = bool(theirs["watched"] or mine["watched"])
    return fields


def adopt(successor: Device, predecessor: Device, now: datetime, *, auto: bool = False) -> Adoption:
    """Let ``successor`` adopt ``predecessor``; raises AdoptionError when it cannot.

    Both must be devices of one network under different MACs. Records an
    ``adopted`` event on the new MAC and a ``retired`` event on the old one
    (``auto`` says the evidence decided, not the owner).
    """
    if successor.network != predecessor.network:
        raise AdoptionError(
            f"{predecessor.mac} is on network {predecessor.network!r}, "
            f"{successor.mac} on {successor.network!r}: only a device of the same network "
            "can be adopted"
        )
    if successor.mac == predecessor.mac:
        raise AdoptionError(f"{successor.mac} cannot adopt itself")
    before = owner_fields(successor)
    fields = _inherit(successor, predecessor)
    inherited = {name: value for name, value in fields.items() if value != before[name]}
    by = "auto" if auto else "owner"
    network = successor.network
    events = [
        Event(
            now,
            network,
            successor.mac,
            EventType.ADOPTED,
            {"from": predecessor.mac, "by": by, "inherited": inherited, "before": before},
        ),
        Event(now, network, predecessor.mac, EventType.RETIRED, {"into": successor.mac, "by": by}),
    ]
    return Adoption(fields=fields, before=before, inherited=inherited, events=events)


def undo_fields(
    current: Mapping[str, Any], before: Mapping[str, Any], inherited: Mapping[str, Any]
) -> dict[str, Any]:
    """The successor's owner fields after undoing an adoption.

    A field that still holds the value it inherited goes back to what it was
    before; one the owner changed since keeps the owner's value.
    """
    fields = dict(current)
    for name, value in inherited.items():
        if name in fields and fields[name] == value:
            fields[name] = before.get(name)
    return fields


def undo_events(successor: Device, predecessor_mac: str, now: datetime) -> list[Event]:
    """The ``adoption_undone`` events of both MACs."""
    data = {"successor": successor.mac, "predecessor": predecessor_mac}
    return [
        Event(now, successor.network, successor.mac, EventType.ADOPTION_UNDONE, data),
        Event(now, successor.network, predecessor_mac, EventType.ADOPTION_UNDONE, data),
    ]


def unambiguous(suggestions: Sequence[Suggestion]) -> Suggestion | None:
    """The one suggestion auto-adopt may follow, or None.

    Only when there is exactly one candidate, it has the same DHCP hostname,
    and it was last seen within the rotation window (every suggestion is).
    """
    if len(suggestions) != 1:
        return None
    (only,) = suggestions
    return only if "hostname" in only.matched else None
