"""SPEC rules 1–12 as table-driven tests on plain values: no database, no clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lanventory.inventory.batch import dedup
from lanventory.inventory.edit import EditError, apply_edit
from lanventory.inventory.model import Device, EventType, Policy, Status
from lanventory.inventory.presence import absent_days
from lanventory.inventory.prune import is_prunable
from lanventory.inventory.run import apply_run
from lanventory.inventory.state import Changes, NetworkState
from lanventory.sources.observation import Observation, ParseResult

T0 = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
POLICY = Policy()
A, B, C = "00:16:3e:00:00:0a", "00:16:3e:00:00:0b", "00:16:3e:00:00:0c"
RANDOM = "ae:3f:91:6b:20:c4"
VENDORS = {A: "Xensource, Inc.", B: "Xensource, Inc.", C: "Xensource, Inc."}


def obs(
    mac: str,
    ip: str | None,
    at: datetime = T0,
    *,
    active: bool = True,
    source: str = "arp-scan",
    **kw: object,
) -> Observation:
    return Observation(mac=mac, ip=ip, source=source, seen_at=at, active=active, **kw)  # type: ignore[arg-type]


def run(
    state: NetworkState,
    *observations: Observation,
    now: datetime = T0,
    policy: Policy = POLICY,
    source: str = "arp-scan",
    complete: bool = True,
    sweep: bool = False,
) -> Changes:
    result = ParseResult(observations=list(observations), complete=complete)
    return apply_run(state, source, result, now, policy, VENDORS.get, sweep=sweep)


def events(changes: Changes, kind: EventType) -> list[tuple[str | None, dict[str, object]]]:
    return [(e.mac, e.data) for e in changes.events if e.type is kind]


# Rule 1–2: identity and dedup -------------------------------------------------


def test_an_unseen_mac_becomes_a_new_present_device() -> None:
    state = NetworkState("lan")
    changes = run(
        state, obs(A, "198.18.0.10", hostname="nas"), obs(RANDOM, "198.18.0.11", vendor="Apple")
    )
    dev = state.devices[A]
    assert (dev.status, dev.present, dev.ip, dev.hostname, dev.vendor) == (
        Status.NEW,
        True,
        "198.18.0.10",
        "nas",
        "Xensource, Inc.",
    )
    assert dev.first_seen == dev.last_seen == T0 and not dev.randomized
    phone = state.devices[RANDOM]
    assert phone.randomized and phone.vendor is None  # rule 8: no vendor for a randomized MAC
    assert [m for m, _ in events(changes, EventType.DEVICE_NEW)] == [A, RANDOM]
    assert changes.counts.new == 2 and changes.inserted == {A, RANDOM}


@pytest.mark.parametrize(
    ("batch", "expected_ip"),
    [
        ([obs(A, "198.18.0.1", T0), obs(A, "198.18.0.2", T0 + timedelta(1))], "198.18.0.2"),
        ([obs(A, "198.18.0.2", T0 + timedelta(1)), obs(A, "198.18.0.1", T0)], "198.18.0.2"),
        ([obs(A, "198.18.0.1", T0), obs(A, "198.18.0.2", T0)], "198.18.0.2"),  # tie: later line
        (
            [obs(A, "198.18.0.1", T0), obs(A, "198.18.0.2", T0 + timedelta(1), active=False)],
            "198.18.0.1",
        ),
    ],
    ids=["newest", "newest-first", "tie-later", "active-beats-inactive"],
)
def test_dedup_keeps_the_most_recent_observation_per_mac(
    batch: list[Observation], expected_ip: str
) -> None:
    kept, conflicts = dedup(batch)
    assert [o.ip for o in kept] == [expected_ip] and conflicts == []


def test_two_macs_claiming_one_ip_in_a_batch_is_a_conflict_and_the_first_keeps_it() -> None:
    kept, conflicts = dedup([obs(A, "198.18.0.7"), obs(B, "198.18.0.7")])
    assert [(o.mac, o.ip) for o in kept] == [(A, "198.18.0.7"), (B, None)]
    assert conflicts[0].macs == (A, B)
    state = NetworkState("lan")
    changes = run(state, obs(A, "198.18.0.7"), obs(B, "198.18.0.7"))
    assert state.devices[A].ip == "198.18.0.7" and state.devices[B].ip is None
    assert state.devices[B].present and changes.counts.conflicts == 1


# Rule 3: upsert never overwrites the owner's fields ----------------------------


def test_upsert_refreshes_source_fields_and_never_owner_fields() -> None:
    state = NetworkState("lan")
    run(state, obs(A, "198.18.0.10", hostname="old"))
    dev = state.devices[A]
    dev.name, dev.grp, dev.note, dev.status, dev.flagged = (
        "NAS",
        "Network",
        "rack",
        Status.KNOWN,
        True,
    )
    later = T0 + timedelta(hours=1)
    run(state, obs(A, "198.18.0.10", later, hostname="new", vendor="Other"), now=later)
    assert (dev.name, dev.grp, dev.note, dev.status, dev.flagged) == (
        "NAS",
        "Network",
        "rack",
        Status.KNOWN,
        True,
    )
    assert (dev.hostname, dev.last_seen, dev.first_seen) == ("new", later, T0)


def test_an_older_observation_does_not_overwrite_newer_attributes() -> None:
    state = NetworkState("lan")
    run(state, obs(A, "198.18.0.10", hostname="fresh"))
    run(
        state,
        obs(
            A,
            "198.18.0.10",
            T0 - timedelta(days=3),
            active=False,
            hostname="stale",
            source="kea-csv",
        ),
        source="kea-csv",
    )
    assert state.devices[A].hostname == "fresh" and state.devices[A].last_seen == T0


# Rule 4: IP moves --------------------------------------------------------------


def test_taking_another_devices_ip_clears_the_previous_holder() -> None:
    state = NetworkState("lan")
    run(state, obs(A, "198.18.0.10"), obs(B, "198.18.0.11"))
    changes = run(
        state,
        obs(B, "198.18.0.10"),
        obs(A, "198.18.0.10", active=False),
        now=T0 + timedelta(minutes=5),
    )
    assert state.devices[B].ip == "198.18.0.10" and state.devices[A].ip is None
    assert sorted(events(changes, EventType.IP_CHANGED), key=lambda e: str(e[0])) == [
        (A, {"old": "198.18.0.10", "new": None, "taken_by": B}),
        (B, {"old": "198.18.0.11", "new": "198.18.0.10"}),
    ]
    assert changes.counts.moved == 2


def test_two_devices_swapping_ips_in_one_batch() -> None:
    state = NetworkState("lan")
    run(state, obs(A, "198.18.0.10"), obs(B, "198.18.0.11"))
    run(state, obs(A, "198.18.0.11"), obs(B, "198.18.0.10"))
    assert (state.devices[A].ip, state.devices[B].ip) == ("198.18.0.11", "198.18.0.10")


def test_an_inactive_observation_never_steals_an_ip() -> None:
    state = NetworkState("lan")
    run(state, obs(A, "198.18.0.10"))
    run(
        state,
        obs(B, "198.18.0.10", T0 - timedelta(hours=2), active=False, source="kea-csv"),
        source="kea-csv",
    )
    assert state.devices[A].ip == "198.18.0.10" and state.devices[B].ip is None
    run(
        state,
        obs(C, "198.18.0.20", T0 - timedelta(hours=2), active=False, source="kea-csv"),
        source="kea-csv",
    )
    assert (
        state.devices[C].ip == "198.18.0.20" and not state.devices[C].present
    )  # a free IP is recorded


def test_ipv6_addresses_go_to_history_only() -> None:
    state = NetworkState("lan")
    run(state, obs(A, "198.18.0.10"))
    changes = run(
        state,
        obs(A, "2001:db8::10", source="kea-csv"),
        obs(A, "2001:db8::11", T0 - timedelta(minutes=1), source="kea-csv"),
        obs(B, "2001:db8::20", source="kea-csv"),
        source="kea-csv",
    )
    assert state.devices[A].ip == "198.18.0.10" and state.devices[B].ip is None
    assert set(changes.history) == {(A, "2001:db8::10"), (A, "2001:db8::11"), (B, "2001:db8::20")}
    assert not events(changes, EventType.IP_CHANGED)
    assert state.sightings[A]["kea-csv"].ip is None


# Rule 5: presence ----------------------------------------------------------------


def test_a_device_missed_by_a_successful_run_goes_absent() -> None:
    state = NetworkState("lan")
    run(state, obs(A, "198.18.0.10"), obs(B, "198.18.0.11"))
    later = T0 + timedelta(hours=1)
    changes = run(state, obs(A, "198.18.0.10", later), now=later)
    assert not state.devices[B].present and state.devices[A].present
    assert [m for m, _ in events(changes, EventType.OFFLINE)] == [B]
    back = run(state, obs(A, "198.18.0.10", later), obs(B, "198.18.0.11", later), now=later)
    assert [m for m, _ in events(back, EventType.ONLINE)] == [B] and back.counts.online == 1


@pytest.mark.parametrize(
    ("result", "why"),
    [
        (ParseResult(observations=[]), "empty run"),
        (ParseResult(observations=[obs(A, "198.18.0.10")], complete=False), "truncated run"),
        (ParseResult(observations=[obs(A, "198.18.0.10", active=False)]), "no active observation"),
    ],
)
def test_the_mark_absent_guard(result: ParseResult, why: str) -> None:
    state = NetworkState("lan")
    run(state, obs(A, "198.18.0.10"), obs(B, "198.18.0.11"))
    changes = apply_run(state, "arp-scan", result, T0, POLICY, VENDORS.get)
    assert state.devices[B].present, why
    assert not changes.absence_evaluated and events(changes, EventType.OFFLINE) == []


def test_a_failed_run_cannot_be_applied() -> None:
    with pytest.raises(ValueError, match="failed run"):
        apply_run(
            NetworkState("lan"), "arp-scan", ParseResult(error="boom"), T0, POLICY, VENDORS.get
        )


@pytest.mark.parametrize(("away_after", "absent_after_runs"), [(1, 1), (2, 2), (3, 3)])
def test_away_after_missed_runs(away_after: int, absent_after_runs: int) -> None:
    policy = Policy(away_after_missed_runs=away_after)
    state = NetworkState("lan")
    run(state, obs(A, "198.18.0.10"), obs(B, "198.18.0.11"), policy=policy)
    for missed in range(1, 5):
        run(state, obs(A, "198.18.0.10"), policy=policy)
        assert state.devices[B].present is (missed < absent_after_runs)


def test_presence_is_any_source_seeing_the_device() -> None:
    state = NetworkState("lan")
    run(
        state,
        obs(A, "198.18.0.10", source="kea-csv"),
        obs(B, "198.18.0.11", source="kea-csv"),
        source="kea-csv",
    )
    run(state, obs(B, "198.18.0.11"))  # the sweep misses A, but A's lease is still active
    assert state.devices[A].present
    run(state, obs(B, "198.18.0.11", source="kea-csv"), source="kea-csv")  # the lease ended too
    assert not state.devices[A].present


def test_an_inactive_lease_is_evidence_of_absence_for_that_source() -> None:
    state = NetworkState("lan")
    run(
        state,
        obs(A, "198.18.0.10", source="kea-csv"),
        obs(B, "198.18.0.11", source="kea-csv"),
        source="kea-csv",
    )
    run(
        state,
        obs(A, "198.18.0.10", source="kea-csv"),
        obs(B, "198.18.0.11", active=False, source="kea-csv"),
        source="kea-csv",
    )
    assert not state.devices[B].present and state.devices[B].ip == "198.18.0.11"


# Rule 6: prune -------------------------------------------------------------------


def device(**kw: object) -> Device:
    base: dict[str, object] = {"network": "lan", "mac": A, "first_seen": T0, "last_seen": T0}
    return Device(**(base | kw))  # type: ignore[arg-type]


H, D = timedelta(hours=1), timedelta(days=1)


@pytest.mark.parametrize(
    ("status", "present", "randomized", "age", "pruned"),
    [
        (Status.NEW, False, True, 25 * H, True),
        (Status.NEW, False, True, 23 * H, False),
        (Status.NEW, False, False, 15 * D, True),
        (Status.NEW, False, False, 13 * D, False),
        (Status.NEW, True, True, 90 * D, False),
        (Status.KNOWN, False, True, 90 * D, False),
        (Status.IGNORED, False, False, 90 * D, False),
    ],
)
def test_prune_rule(
    status: Status, present: bool, randomized: bool, age: timedelta, pruned: bool
) -> None:
    dev = device(status=status, present=present, randomized=randomized, last_seen=T0 - age)
    assert is_prunable(dev, T0, POLICY) is pruned


def test_prune_runs_only_after_a_successful_sweep() -> None:
    state = NetworkState("lan")
    old = T0 - timedelta(days=2)
    run(state, obs(RANDOM, "198.18.0.50", old), obs(A, "198.18.0.10", old), now=old)
    run(state, obs(A, "198.18.0.10", source="kea-csv"), source="kea-csv", sweep=False)
    assert RANDOM in state.devices
    changes = run(state, obs(A, "198.18.0.10"), sweep=True)
    assert RANDOM not in state.devices and changes.counts.pruned == 1
    assert events(changes, EventType.PRUNED)[0][0] == RANDOM
    assert state.holder_of("198.18.0.50") is None


# Rule 7: absent marker -------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "present", "age", "days"),
    [
        (Status.KNOWN, False, 30 * D, 30),
        (Status.KNOWN, False, 29 * D, None),
        (Status.KNOWN, True, 40 * D, None),
        (Status.NEW, False, 40 * D, None),
    ],
)
def test_absent_marker(status: Status, present: bool, age: timedelta, days: int | None) -> None:
    assert (
        absent_days(device(status=status, present=present, last_seen=T0 - age), T0, POLICY) == days
    )


# Owner edits -------------------------------------------------------------------------


def test_edit_records_a_diff() -> None:
    dev = device()
    event = apply_edit(
        dev, {"name": " NAS ", "grp": "Network", "status": "known", "flagged": True}, T0
    )
    assert event is not None and event.type is EventType.EDITED
    assert event.data == {
        "changes": {
            "name": [None, "NAS"],
            "grp": [None, "Network"],
            "status": ["new", "known"],
            "flagged": [False, True],
        }
    }
    assert apply_edit(dev, {"name": "NAS"}, T0) is None
    apply_edit(dev, {"name": ""}, T0)
    assert dev.name is None


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"ip": "1.2.3.4"}, "cannot edit ip"),
        ({"status": "gone"}, "status must be one of new, known, ignored"),
        ({"flagged": "yes"}, "flagged must be true or false"),
        ({"name": "x" * 300}, "longer than 255"),
        ({"grp": 5}, "grp must be text"),
    ],
)
def test_bad_edits_are_refused_and_change_nothing(fields: dict[str, object], message: str) -> None:
    dev = device(name="keep")
    with pytest.raises(EditError, match=message):
        apply_edit(dev, {"name": "changed", **fields}, T0)
    assert dev.name == "keep"


def test_policy_refuses_zero_missed_runs() -> None:
    with pytest.raises(ValueError):
        Policy(away_after_missed_runs=0)


def test_an_edit_with_a_character_no_database_can_store_is_refused() -> None:
    device = Device("lan", "aa:bb:cc:00:00:01", T0, T0)
    for text in ("tv\x00", "tv\ud800"):
        with pytest.raises(EditError, match="name contains a NUL or a lone surrogate"):
            apply_edit(device, {"name": text}, T0)
    assert device.name is None
