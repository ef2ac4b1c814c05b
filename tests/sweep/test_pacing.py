"""The native sweeper's rate plan: slow down on evidence of loss, learn what worked."""

from __future__ import annotations

import random

import pytest

from lanventory.sweep.pacing import (
    DEFAULT_START_RATE,
    MARGIN,
    PassReport,
    RatePlan,
    delivery_by_position,
    delivery_by_retry,
    drain_rate,
)


def spread(found: int, targets: int, seed: int = 1) -> tuple[int, ...]:
    """Positions of ``found`` hosts spread evenly at random over a pass."""
    return tuple(sorted(random.Random(seed).sample(range(targets), found)))


def overflowing(targets: int, delivered: int, hosts: int, seed: int = 1) -> tuple[int, ...]:
    """Positions found when only the first ``delivered`` frames of a pass got through."""
    positions = random.Random(seed).sample(range(targets), hosts)
    return tuple(sorted(p for p in positions if p < delivered))


def test_even_finds_are_not_loss() -> None:
    for seed in range(50):
        assert delivery_by_position(PassReport(50_000, 4094, spread(250, 4094, seed))) is None


def test_a_handful_of_early_hosts_is_not_loss() -> None:
    # 6 of 12 finds in the first quarter: more than the 3 expected, but within chance
    found = (1, 3, 10, 20, 40, 50, 70, 100, 150, 200, 220, 250)
    assert delivery_by_position(PassReport(50_000, 254, found)) is None


def test_finds_bunched_at_the_start_are_loss() -> None:
    report = PassReport(50_000, 4094, overflowing(4094, 1100, 250))
    estimate = delivery_by_position(report)
    assert estimate is not None and estimate < 0.15


def test_delivery_by_retry() -> None:
    assert delivery_by_retry(PassReport(1000, 4094, spread(80, 4094)), PassReport(1000, 4014)) == 1
    found_later = PassReport(1000, 4014, spread(20, 4014))
    assert delivery_by_retry(PassReport(1000, 4094, spread(80, 4094)), found_later) == 0.8


def test_no_loss_keeps_the_rate_and_learns_a_little_faster() -> None:
    plan = RatePlan()
    first = PassReport(plan.first_rate(), 4094, spread(250, 4094))
    assert plan.next_rate([first]) == DEFAULT_START_RATE
    confirm = PassReport(DEFAULT_START_RATE, 3844)
    assert plan.learned_rate([first, confirm]) == int(DEFAULT_START_RATE * 1.05)


def test_loss_slows_the_next_pass_below_the_estimated_capacity() -> None:
    plan = RatePlan(start=50_000)
    first = PassReport(50_000, 4094, overflowing(4094, 1100, 250))
    second_rate = plan.next_rate([first])
    assert second_rate < 50_000 * 0.2
    assert plan.estimates and "by position" in plan.estimates[0]
    second = PassReport(second_rate, 4094 - first.found, spread(250 - first.found, 4094, 2))
    third_rate = plan.next_rate([first, second])
    assert third_rate <= second_rate  # never speeds up within a sweep
    confirm = PassReport(third_rate, 3844)
    assert plan.learned_rate([first, second, confirm]) == second_rate


def test_loss_seen_only_by_the_retry() -> None:
    plan = RatePlan(start=10_000)
    first = PassReport(10_000, 254, spread(10, 254))
    second = PassReport(10_000, 244, spread(10, 244))  # as many again: half were lost
    assert plan.next_rate([first, second]) == int(10_000 * 0.5 * MARGIN)


def test_learned_rate_without_a_confirming_pass() -> None:
    plan = RatePlan()
    first = PassReport(50_000, 254, spread(10, 254))
    assert plan.learned_rate([PassReport(50_000, 254), PassReport(50_000, 254)]) is None
    # cut off while still finding: the slowest rate is the best guess
    still_finding = [first, PassReport(20_000, 244, (3,)), PassReport(9_000, 243, (7,))]
    assert plan.learned_rate(still_finding) == 9_000


@pytest.mark.parametrize("rate", [100, 2000])
def test_a_fixed_rate_never_changes_and_learns_nothing(rate: int) -> None:
    plan = RatePlan(start=rate, fixed=True)
    first = PassReport(rate, 4094, overflowing(4094, 1100, 250))
    assert plan.next_rate([first]) == rate
    assert plan.learned_rate([first, PassReport(rate, 3900)]) is None


def test_the_drain_rate_is_the_pace_answers_came_back_at() -> None:
    # 60 hosts in the first quarter; the receiver took 2,000 frames/s while we sent 50,000/s
    positions = tuple(range(0, 1020, 17))
    queued = PassReport(50_000, 4094, positions, tuple(0.001 + p / 2000 for p in positions), 0.08)
    drained = drain_rate(queued)
    assert drained is not None and abs(drained - 2000) < 1
    plan = RatePlan(start=50_000)
    assert plan.next_rate([queued]) == int(2000 * 0.95)
    # answers as fast as we sent, 1 ms late: no bottleneck, whatever the latency
    spread_out = tuple(range(0, 4094, 68))
    times = tuple(0.001 + p / 50_000 for p in spread_out)
    paced = PassReport(50_000, 4094, spread_out, times, 0.08)
    assert drain_rate(paced) is None
    assert RatePlan(start=50_000).next_rate([paced]) == 50_000


def test_a_little_loss_slows_down_in_proportion() -> None:
    plan = RatePlan(start=10_000)
    first = PassReport(10_000, 4094, spread(95, 4094))
    second = PassReport(10_000, 3999, spread(5, 3999))
    assert plan.next_rate([first, second]) == 9_500
