"""A MAC answering for several IPv4 addresses: one primary ``ip``, the rest extras.

Observations at the same time: the last one listed decides the primary (dedup's tie rule).
"""

from __future__ import annotations

import random
from datetime import timedelta

from lanventory.inventory.batch import current_addresses, dedup
from lanventory.inventory.model import EventType
from lanventory.inventory.state import NetworkState
from lanventory.sources import arp_scan
from lanventory.sources.observation import ParseResult, SourceText
from tests.conftest import fixture_path
from tests.inventory.test_rules import T0, A, B, C, events, obs, run

CAPTURE = fixture_path("arp-scan/handmade-multi-address-arp-scan-1.10.0.txt")


def captured() -> ParseResult:
    text = CAPTURE.read_text()
    return arp_scan.parse([SourceText(CAPTURE.name, text)], T0)


def addresses(state: NetworkState, mac: str) -> list[str | None]:
    return [state.devices[mac].ip, *state.extra_ips(mac)]


def test_current_addresses_gives_each_address_to_one_mac() -> None:
    batch = [obs(A, "198.18.0.2"), obs(A, "198.18.0.3"), obs(B, "198.18.0.3"), obs(B, "198.18.0.9")]
    kept, _ = dedup(batch)
    found = current_addresses(batch, kept)
    assert found[A] | found[B] == {"198.18.0.2", "198.18.0.3", "198.18.0.9"}
    assert not found[A] & found[B]


def test_inactive_and_ipv6_observations_are_not_current_addresses() -> None:
    batch = [obs(A, "198.18.0.2"), obs(A, "198.18.0.5", active=False), obs(A, "2001:db8::1")]
    kept, _ = dedup(batch)
    assert current_addresses(batch, kept) == {A: {"198.18.0.2"}}


def test_the_same_capture_shuffled_three_times_makes_no_ip_changed() -> None:
    base = captured().observations
    assert len({o.ip for o in base if o.mac == A}) == 3
    state = NetworkState("lan")
    seen = []
    shuffler = random.Random(8)
    for day in range(3):
        shuffled = list(base)
        shuffler.shuffle(shuffled)
        changes = run(state, *shuffled, now=T0 + timedelta(days=day))
        seen.extend(changes.events)
        assert sorted(addresses(state, A), key=str) == ["198.18.0.2", "198.18.0.20", "198.18.0.3"]
    assert [e.type for e in seen if e.mac == A] == [EventType.DEVICE_NEW]
    assert not [e for e in seen if e.type is EventType.IP_CHANGED]


def test_primary_stays_when_still_seen_and_the_others_become_extras() -> None:
    state = NetworkState("lan")
    run(state, obs(A, "198.18.0.2"))
    changes = run(state, obs(A, "198.18.0.3", T0), obs(A, "198.18.0.2", T0 - timedelta(seconds=1)))
    assert addresses(state, A) == ["198.18.0.2", "198.18.0.3"]
    assert events(changes, EventType.IP_CHANGED) == []


def test_a_primary_no_longer_seen_moves_to_the_most_recent_address() -> None:
    state = NetworkState("lan")
    run(state, obs(A, "198.18.0.2"))
    changes = run(state, obs(A, "198.18.0.3", T0), obs(A, "198.18.0.4", T0 + timedelta(seconds=1)))
    assert addresses(state, A) == ["198.18.0.4", "198.18.0.3"]
    assert events(changes, EventType.IP_CHANGED) == [
        (A, {"old": "198.18.0.2", "new": "198.18.0.4"})
    ]
    assert state.holder_of("198.18.0.2") is None


def test_extras_not_seen_by_a_complete_run_of_their_source_are_dropped() -> None:
    state = NetworkState("lan")
    run(state, obs(A, "198.18.0.3"), obs(A, "198.18.0.4"), obs(A, "198.18.0.2"))
    run(state, obs(A, "198.18.0.2"), obs(A, "198.18.0.4"), complete=False)
    assert addresses(state, A) == ["198.18.0.2", "198.18.0.3", "198.18.0.4"]
    run(state, obs(A, "198.18.0.2", source="dnsmasq"), source="dnsmasq")
    assert addresses(state, A) == ["198.18.0.2", "198.18.0.3", "198.18.0.4"]
    run(state, obs(B, "198.18.0.9"))  # a run that does not see A keeps its extras
    assert addresses(state, A) == ["198.18.0.2", "198.18.0.3", "198.18.0.4"]
    changes = run(state, obs(A, "198.18.0.2"), obs(A, "198.18.0.4"))
    assert addresses(state, A) == ["198.18.0.2", "198.18.0.4"]
    assert events(changes, EventType.IP_CHANGED) == []
    assert state.holder_of("198.18.0.3") is None


def test_another_device_taking_an_extra_takes_it_quietly() -> None:
    state = NetworkState("lan")
    run(state, obs(A, "198.18.0.3"), obs(A, "198.18.0.2"))
    changes = run(state, obs(B, "198.18.0.3"), complete=False)
    assert addresses(state, A) == ["198.18.0.2"]
    assert addresses(state, B) == ["198.18.0.3"]
    assert state.holder_of("198.18.0.3") == B
    assert events(changes, EventType.IP_CHANGED) == []
    assert changes.addresses == {A}


def test_another_device_taking_the_primary_promotes_an_extra() -> None:
    state = NetworkState("lan")
    run(state, obs(A, "198.18.0.3"), obs(A, "198.18.0.4"), obs(A, "198.18.0.2"))
    changes = run(state, obs(C, "198.18.0.2"), complete=False)
    assert addresses(state, C) == ["198.18.0.2"]
    assert addresses(state, A) == ["198.18.0.3", "198.18.0.4"]
    assert events(changes, EventType.IP_CHANGED) == [
        (A, {"old": "198.18.0.2", "new": "198.18.0.3", "taken_by": C})
    ]


def test_an_extra_claimed_from_another_primary_is_an_ip_changed_for_it() -> None:
    state = NetworkState("lan")
    run(state, obs(B, "198.18.0.3"))
    changes = run(state, obs(A, "198.18.0.3"), obs(A, "198.18.0.2"), complete=False)
    assert addresses(state, A) == ["198.18.0.2", "198.18.0.3"]
    assert addresses(state, B) == [None]
    assert (B, {"old": "198.18.0.3", "new": None, "taken_by": A}) in events(
        changes, EventType.IP_CHANGED
    )


def test_an_old_lease_for_an_extra_does_not_move_the_primary() -> None:
    state = NetworkState("lan")
    run(state, obs(A, "198.18.0.3"), obs(A, "198.18.0.2"))
    changes = run(state, obs(A, "198.18.0.3", active=False, source="kea"), source="kea")
    assert addresses(state, A) == ["198.18.0.2", "198.18.0.3"]
    assert changes.events == []


def test_pruning_a_device_frees_its_extras() -> None:
    state = NetworkState("lan")
    run(state, obs(A, "198.18.0.3"), obs(A, "198.18.0.2"))
    state.remove(A)
    assert state.holder_of("198.18.0.3") is None
    assert state.extras == {}
