"""Rotation suggestions: which absent randomized device a new randomized MAC likely replaces."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lanventory.inventory.model import Device, Sighting
from lanventory.inventory.rotation import suggest_predecessors
from lanventory.inventory.state import NetworkState
from lanventory.stable_macs import DEFAULT_STABLE_PREFIXES, stable_prefixes

T0 = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
WINDOW = timedelta(hours=2)
NEW, OLD, OLDER = "ae:3f:91:6b:20:c4", "9a:11:22:33:44:55", "d6:01:02:03:04:05"
UNIVERSAL = "00:1a:2b:3c:4d:5e"


def device(mac: str, *, at: datetime, randomized: bool = True, **kw: object) -> Device:
    return Device(network="lan", mac=mac, first_seen=at, last_seen=at, randomized=randomized, **kw)  # type: ignore[arg-type]


def newcomer(**kw: object) -> Device:
    return device(NEW, at=T0, present=True, **kw)


def state_of(*devices: Device) -> NetworkState:
    state = NetworkState("lan")
    for d in devices:
        state.devices[d.mac] = d
    return state


def suggest(state: NetworkState, new: Device, window: timedelta = WINDOW) -> list[str]:
    return [s.mac for s in suggest_predecessors(state, new, T0, window, DEFAULT_STABLE_PREFIXES)]


def test_same_hostname_ignoring_case_is_evidence() -> None:
    new = newcomer(hostname="Annas-iPhone")
    old = device(OLD, at=T0 - timedelta(minutes=3), hostname="annas-iphone ")
    (found,) = suggest_predecessors(state_of(new, old), new, T0, WINDOW, DEFAULT_STABLE_PREFIXES)
    assert found.mac == OLD
    assert found.last_seen == old.last_seen
    assert found.evidence == [
        "same hostname `Annas-iPhone`",
        "old MAC last seen 3 min before the new one appeared",
    ]
    assert 0.6 < found.score <= 0.65


def test_same_client_id_is_evidence() -> None:
    new = newcomer(client_id="ff:00:11:22:33")
    old = device(OLD, at=T0 - timedelta(hours=1, minutes=5), client_id="FF:00:11:22:33")
    (found,) = suggest_predecessors(state_of(new, old), new, T0, WINDOW, DEFAULT_STABLE_PREFIXES)
    assert found.evidence == [
        "same client-id `ff:00:11:22:33`",
        "old MAC last seen 1 h 5 min before the new one appeared",
    ]


def test_an_ip_taken_over_is_evidence_from_the_ip_or_a_sighting() -> None:
    new = newcomer(ip="198.18.0.105")
    old = device(OLD, at=T0 - timedelta(minutes=10), ip="198.18.0.105")
    (found,) = suggest_predecessors(state_of(new, old), new, T0, WINDOW, DEFAULT_STABLE_PREFIXES)
    assert found.evidence == [
        "old MAC last seen 10 min before the new one appeared",
        "took over 198.18.0.105",
    ]
    assert found.score < 0.4
    # The rules clear the old device's ip when the new one takes it; its sighting keeps it.
    old.ip = None
    state = state_of(new, old)
    assert suggest(state, new) == []
    state.sightings[OLD] = {"dnsmasq": Sighting("dnsmasq", old.last_seen, ip="198.18.0.105")}
    assert suggest(state, new) == [OLD]


def test_every_piece_of_evidence_together() -> None:
    new = newcomer(hostname="Annas-iPhone", client_id="01:ab", ip="198.18.0.105")
    old = device(OLD, at=T0 + timedelta(minutes=2), hostname="Annas-iPhone", client_id="01:ab")
    old.ip = "198.18.0.105"
    (found,) = suggest_predecessors(
        state_of(new, old), new, T0 + timedelta(minutes=2), WINDOW, DEFAULT_STABLE_PREFIXES
    )
    assert found.score == 1.0
    assert found.evidence == [
        "same hostname `Annas-iPhone`",
        "same client-id `01:ab`",
        "old MAC last seen 2 min after the new one appeared",
        "took over 198.18.0.105",
    ]


@pytest.mark.parametrize(
    ("before", "found"),
    [
        (timedelta(hours=2), True),
        (timedelta(hours=2, minutes=1), False),
        (timedelta(minutes=-5), True),
        (timedelta(minutes=-6), False),
    ],
)
def test_only_within_the_window_or_a_short_overlap(before: timedelta, found: bool) -> None:
    new = newcomer(hostname="Annas-iPhone")
    old = device(OLD, at=T0 - before, hostname="Annas-iPhone")
    # Asked later, so an overlapping old device is not "in the future".
    listed = suggest_predecessors(
        state_of(new, old), new, T0 + timedelta(hours=1), WINDOW, DEFAULT_STABLE_PREFIXES
    )
    assert bool(listed) is found


def test_the_window_is_the_callers() -> None:
    new = newcomer(hostname="Annas-iPhone")
    old = device(OLD, at=T0 - timedelta(hours=3), hostname="Annas-iPhone")
    assert suggest(state_of(new, old), new) == []
    assert suggest(state_of(new, old), new, window=timedelta(hours=4)) == [OLD]


def test_a_present_old_device_is_not_suggested() -> None:
    new = newcomer(hostname="Annas-iPhone")
    old = device(OLD, at=T0 - timedelta(minutes=3), hostname="Annas-iPhone", present=True)
    assert suggest(state_of(new, old), new) == []


def test_universal_or_stable_macs_are_neither_asked_nor_suggested() -> None:
    old = device(OLD, at=T0 - timedelta(minutes=3), hostname="box")
    universal_new = device(UNIVERSAL, at=T0, randomized=False, hostname="box")
    assert suggest(state_of(universal_new, old), universal_new) == []
    universal_old = device(UNIVERSAL, at=T0 - timedelta(minutes=3), randomized=False)
    universal_old.hostname = "box"
    new = newcomer(hostname="box")
    assert suggest(state_of(new, universal_old), new) == []
    # A stable prefix in the owner's list wins over a stale randomized flag.
    listed = suggest_predecessors(
        state_of(new, old), new, T0, WINDOW, stable_prefixes(["9a:11:22 mesh"])
    )
    assert listed == []


def test_nothing_shared_means_no_suggestion() -> None:
    new = newcomer(hostname="Annas-iPhone", ip="198.18.0.7")
    old = device(OLD, at=T0 - timedelta(minutes=1), hostname="Bobs-Pixel", ip="198.18.0.8")
    blank = device(OLDER, at=T0 - timedelta(minutes=1), hostname="")
    assert suggest(state_of(new, old, blank), new) == []
    nameless = newcomer(hostname=" ")
    blank.hostname = " "
    assert suggest(state_of(nameless, blank), nameless) == []


def test_ordered_by_score_then_recency() -> None:
    new = newcomer(hostname="Annas-iPhone", ip="198.18.0.105")
    by_ip = device("da:00:00:00:00:01", at=T0 - timedelta(minutes=1), ip="198.18.0.105")
    near = device(OLD, at=T0 - timedelta(minutes=30), hostname="Annas-iPhone")
    far = device(OLDER, at=T0 - timedelta(minutes=90), hostname="Annas-iPhone")
    tie_old = device("da:00:00:00:00:02", at=T0 - timedelta(minutes=5), hostname="Annas-iPhone")
    tie_new = device("da:00:00:00:00:03", at=T0 - timedelta(minutes=5), hostname="Annas-iPhone")
    tie_new.last_seen = tie_old.last_seen + timedelta(seconds=1)
    state = state_of(new, by_ip, near, far, tie_old, tie_new)
    assert suggest(state, new) == [tie_new.mac, tie_old.mac, OLD, OLDER, by_ip.mac]
    scores = [s.score for s in suggest_predecessors(state, new, T0, WINDOW, ())]
    assert scores == sorted(scores, reverse=True)
    assert all(0 <= score <= 1 for score in scores)


def test_a_device_last_seen_after_now_is_left_out() -> None:
    new = newcomer(hostname="Annas-iPhone")
    old = device(OLD, at=T0 + timedelta(minutes=1), hostname="Annas-iPhone")
    assert suggest(state_of(new, old), new) == []


def test_a_vendor_class_alone_is_weak_evidence() -> None:
    new = newcomer()
    new.vendor_class = "android-dhcp-14"
    old = device(OLD, at=T0 - timedelta(minutes=1))
    old.vendor_class = "Android-DHCP-14 "
    (found,) = suggest_predecessors(state_of(new, old), new, T0, WINDOW, DEFAULT_STABLE_PREFIXES)
    assert found.evidence[0] == "same vendor class `android-dhcp-14`"
    assert found.matched == {"vendor_class"}
    assert found.score <= 0.35
