"""The presence timeline of one device: spans present/absent, drawn as SVG rectangles.

Presence is known now (the device's ``present``) and changes only with an
``online`` or ``offline`` event, so walking the window's events backwards
from now gives the state at every moment. Before the device was first seen
there is nothing to draw.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from lanventory.inventory.model import Device, EventType
from lanventory.store.history import EventRecord

#: The drawing's width in SVG units (it is scaled to the page).
WIDTH = 1000.0
State = Literal["present", "absent", "unknown"]


@dataclass(frozen=True, slots=True)
class Span:
    """A stretch of time in one state, placed on the drawing."""

    start: datetime
    end: datetime
    state: State
    x: float
    width: float


@dataclass(frozen=True, slots=True)
class Tick:
    """A day boundary on the drawing."""

    at: datetime
    x: float
    label: str


@dataclass(frozen=True, slots=True)
class Timeline:
    """The drawing of the last ``days`` days: its spans, day ticks and share present."""

    days: int
    start: datetime
    end: datetime
    spans: list[Span]
    ticks: list[Tick]
    present_share: float


def _x(at: datetime, start: datetime, end: datetime) -> float:
    return round((at - start) / (end - start) * WIDTH, 2)


def _changes(records: list[EventRecord], start: datetime) -> list[tuple[datetime, bool]]:
    """(when, present after) for every presence change in the window, oldest first."""
    flips = [
        (record.at, record.type is EventType.ONLINE)
        for record in records
        if record.type in (EventType.ONLINE, EventType.OFFLINE) and record.at >= start
    ]
    flips.sort(key=lambda flip: flip[0])
    return flips


def presence_timeline(
    device: Device, records: list[EventRecord], now: datetime, days: int
) -> Timeline:
    """The device's presence over the ``days`` days before ``now``, from its events."""
    start = now - timedelta(days=days)
    flips = _changes(records, start)
    # the state before the first change is the opposite of what that change made it
    state = (not flips[0][1]) if flips else device.present
    bounds: list[tuple[datetime, State]] = []
    first = max(start, device.first_seen)
    if first > start:
        bounds.append((start, "unknown"))
    bounds.append((first, "present" if state else "absent"))
    for at, present in flips:
        bounds.append((max(at, first), "present" if present else "absent"))
    spans: list[Span] = []
    present_for = timedelta(0)
    for index, (begin, kind) in enumerate(bounds):
        stop = bounds[index + 1][0] if index + 1 < len(bounds) else now
        if stop <= begin:
            continue
        x = _x(begin, start, now)
        spans.append(Span(begin, stop, kind, x, round(_x(stop, start, now) - x, 2)))
        if kind == "present":
            present_for += stop - begin
    return Timeline(
        days=days,
        start=start,
        end=now,
        spans=spans,
        ticks=_ticks(start, now, days),
        present_share=present_for / (now - start),
    )


def _ticks(start: datetime, end: datetime, days: int) -> list[Tick]:
    """A tick at every local midnight in the window; labelled every day or every 5th."""
    local = start.astimezone()
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    step = 1 if days <= 7 else 5
    ticks = []
    index = 0
    while midnight < end:
        label = midnight.strftime("%a %d") if days <= 7 else midnight.strftime("%b %d")
        ticks.append(Tick(midnight, _x(midnight, start, end), label if index % step == 0 else ""))
        midnight += timedelta(days=1)
        index += 1
    return ticks
