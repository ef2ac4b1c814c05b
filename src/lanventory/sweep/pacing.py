"""How fast the native sweeper sends, pass after pass, and what it learns.

Receivers drop broadcasts when a sender goes too fast: a Wi-Fi access point,
a cheap switch, a kernel bridge or macvlan queue only holds so many frames.
The sweeper starts fast and watches three kinds of evidence that frames were
lost:

* **timing**: answers come back at the pace the receiver's queue drains.
  When that pace is slower than the sending, the receiver is the bottleneck
  and its pace is the rate to send at (see :func:`drain_rate`).

* **position**: each pass sends in a shuffled order, so live hosts are spread
  evenly over it. If the hosts found early in a pass are much denser than
  those found later, the receiver's queue overflowed part-way through; the
  ratio of the two densities estimates the share of frames delivered.
* **retries**: a later pass only re-sends to addresses that did not answer.
  Every host it finds is one the previous pass lost, so
  ``found / (found + found_by_the_retry)`` estimates that pass's delivery.

The drain rate, or else a delivery estimate times the rate, gives what the
receiver can take; the next pass goes a safety margin below it. The rate of the last pass that found
anything, confirmed by a following pass that found nothing new, is the rate
that worked: it is remembered per network and used to start the next sweep.
Everything here is pure arithmetic on the pass reports.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

DEFAULT_START_RATE = 50_000
"""Packets per second of a first sweep that has learned nothing yet."""
MAX_RATE = 200_000
MIN_RATE = 50
MARGIN = 0.8
"""Go this far below the rate a receiver was estimated to take."""
LOSS_THRESHOLD = 0.8
"""Estimated delivery below this is loss; above it, noise or a genuinely slow host."""
MIN_EVIDENCE = 8
"""Hosts found in the head of a pass before its density is trusted."""
DRAIN_MARGIN = 0.95
"""A measured drain rate is precise: go only this far below it."""
SIGNIFICANCE = 3.0
"""How many standard deviations of excess early finds count as loss."""
PROBE_UP = 1.05
"""A sweep that lost nothing at its start rate lets the next one try this much faster."""


@dataclass(frozen=True, slots=True)
class PassReport:
    """One pass: its rate, how many addresses it sent to, and where the new answers were.

    ``found_positions`` are the send positions (0-based, in this pass's
    order) of the addresses that answered for the first time in this pass,
    in increasing order; ``found_times`` (when given) the seconds from the
    start of the pass to each of those answers, in the same order.
    ``send_seconds`` is how long sending the pass took.
    """

    rate: int
    targets: int
    found_positions: tuple[int, ...] = field(default=())
    found_times: tuple[float, ...] = field(default=())
    send_seconds: float = 0.0

    @property
    def found(self) -> int:
        """Hosts this pass found that no earlier pass had."""
        return len(self.found_positions)


def delivery_by_position(report: PassReport) -> float | None:
    """Tail density over head density of a pass's finds; None without evidence of loss.

    With no loss, the number of finds in the first quarter of the send order
    is binomial(found, 1/4). Only a head count more than :data:`SIGNIFICANCE`
    standard deviations above that is taken as loss, so a handful of hosts
    that happen to sit early in the order slows nothing down.
    """
    head_size = report.targets // 4
    if head_size == 0 or report.targets - head_size == 0:
        return None
    share = head_size / report.targets
    head = sum(1 for position in report.found_positions if position < head_size)
    spread = math.sqrt(report.found * share * (1 - share))
    if head < MIN_EVIDENCE or head - report.found * share <= SIGNIFICANCE * spread:
        return None
    tail = report.found - head
    return (tail / (report.targets - head_size)) / (head / head_size)


def drain_rate(report: PassReport) -> float | None:
    """Frames per second the receivers took, if they took fewer than were sent.

    When the sender outruns a receiver, requests wait in its queue and the
    answers come back at the pace the queue drains, not the pace of sending:
    the answer to the request at position ``p`` arrives about ``p / rate``
    after the start. The slope of answer time over position among the hosts
    in the first quarter of the pass (all sent before any queue could
    overflow) measures that rate; a constant network latency does not change
    the slope. None when there is too little evidence or no slower drain.
    """
    head_size = report.targets // 4
    points = [
        (position, seconds)
        for position, seconds in zip(report.found_positions, report.found_times, strict=False)
        if position < head_size
    ]
    if len(points) < MIN_EVIDENCE or report.send_seconds <= 0:
        return None
    mean_p = sum(p for p, _ in points) / len(points)
    mean_t = sum(s for _, s in points) / len(points)
    spread = sum((p - mean_p) ** 2 for p, _ in points)
    if spread == 0:
        return None
    slope = sum((p - mean_p) * (s - mean_t) for p, s in points) / spread
    if slope <= 0:
        return None
    drained = 1 / slope
    sent = report.targets / report.send_seconds
    return drained if drained < LOSS_THRESHOLD * sent else None


def delivery_by_retry(previous: PassReport, retry: PassReport) -> float | None:
    """What share of its live hosts ``previous`` reached, judged by what ``retry`` found."""
    if retry.found == 0:
        return 1.0
    return previous.found / (previous.found + retry.found)


def _clamp(rate: float) -> int:
    return max(MIN_RATE, min(MAX_RATE, int(rate)))


@dataclass(slots=True)
class RatePlan:
    """The rate of each pass of one sweep.

    ``fixed`` (a configured rate) sends every pass at ``start`` and learns
    nothing; otherwise :meth:`next_rate` slows down on evidence of loss.
    """

    start: int = DEFAULT_START_RATE
    fixed: bool = False
    estimates: list[str] = field(default_factory=list)

    def first_rate(self) -> int:
        """The rate of the first pass."""
        return _clamp(self.start)

    def next_rate(self, passes: Sequence[PassReport]) -> int:
        """The rate of the pass after ``passes`` (at least one)."""
        last = passes[-1]
        if self.fixed:
            return last.rate
        capacity: list[float] = []
        drained = drain_rate(last)
        by_position = delivery_by_position(last)
        if drained is not None:
            capacity.append(drained / MARGIN * DRAIN_MARGIN)
            self.estimates.append(f"pass {len(passes)}: receivers drained {drained:.0f}/s")
        elif by_position is not None and by_position < LOSS_THRESHOLD:
            capacity.append(by_position * last.rate)
            self.estimates.append(f"pass {len(passes)}: delivery {by_position:.2f} by position")
        if len(passes) >= 2:
            previous = passes[-2]
            by_retry = delivery_by_retry(previous, last)
            if by_retry is not None and by_retry < LOSS_THRESHOLD:
                capacity.append(by_retry * previous.rate)
                self.estimates.append(f"pass {len(passes) - 1}: delivery {by_retry:.2f} by retry")
            elif by_retry is not None and by_retry < 1:
                # a little loss: slow down in proportion, no extra margin
                capacity.append(by_retry * previous.rate / MARGIN)
                self.estimates.append(f"pass {len(passes) - 1}: delivery {by_retry:.2f} by retry")
        if not capacity:
            return last.rate
        return _clamp(min(last.rate, MARGIN * min(capacity)))

    def learned_rate(self, passes: Sequence[PassReport]) -> int | None:
        """The rate to start the next sweep of this network at, if this one showed one.

        A sweep proves a rate when its last pass found nothing new: the pass
        before it lost nothing, so its rate worked. If that was the first pass
        and nothing hinted at loss, the next sweep may go a little faster. A
        sweep cut off by its round limit while still finding hosts proves
        nothing, but its slowest rate is the best guess there is.
        """
        if self.fixed or not any(p.found for p in passes):
            return None
        if passes[-1].found:
            return _clamp(min(p.rate for p in passes))
        worked = next(p for p in reversed(passes) if p.found)
        if drain_rate(worked) is not None:
            # it found everyone, but the receivers' queue was filling: no headroom
            return _clamp(worked.rate * DRAIN_MARGIN)
        if worked is passes[0]:
            by_position = delivery_by_position(worked)
            if by_position is None or by_position >= LOSS_THRESHOLD:
                return _clamp(worked.rate * PROBE_UP)
        return _clamp(worked.rate)
