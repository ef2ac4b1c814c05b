"""The rules with stable prefixes: no randomized flag, the ordinary prune, the source's vendor,
and the flag re-decided on the next run when the list changes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select

from lanventory.ingest import ingest
from lanventory.inventory.model import EventType, Policy
from lanventory.inventory.prune import is_prunable
from lanventory.inventory.run import apply_run
from lanventory.inventory.state import Changes, NetworkState
from lanventory.sources.observation import Observation, ParseResult, SourceText
from lanventory.stable_macs import stable_prefixes
from lanventory.store.tables import devices

T0 = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
KVM, DOCKER, PHONE = "52:54:00:12:34:56", "02:42:ac:11:00:02", "ae:3f:91:6b:20:c4"
MESH = "a2:b4:c6:01:02:03"
POLICY = Policy()
NO_STABLE = replace(POLICY, stable_mac_prefixes=())
WITH_MESH = replace(POLICY, stable_mac_prefixes=stable_prefixes(["a2:b4:c6 mesh repeater"]))


def obs(mac: str, ip: str, at: datetime = T0, **kw: object) -> Observation:
    return Observation(mac=mac, ip=ip, source="arp-scan", seen_at=at, active=True, **kw)  # type: ignore[arg-type]


def run(
    state: NetworkState,
    *observations: Observation,
    now: datetime = T0,
    policy: Policy = POLICY,
    sweep: bool = False,
) -> Changes:
    result = ParseResult(observations=list(observations), complete=True)
    return apply_run(state, "arp-scan", result, now, policy, {}.get, sweep=sweep)


def test_a_stable_prefix_is_not_randomized_and_keeps_the_sources_vendor() -> None:
    state = NetworkState("lan")
    run(
        state,
        obs(KVM, "198.18.0.2", vendor="QEMU virtual NIC"),
        obs(DOCKER, "198.18.0.3"),
        obs(PHONE, "198.18.0.4", vendor="Apple"),
    )
    kvm, docker, phone = (state.devices[m] for m in (KVM, DOCKER, PHONE))
    assert not kvm.randomized and kvm.vendor == "QEMU virtual NIC"
    assert not docker.randomized
    assert phone.randomized and phone.vendor is None


def test_a_stable_device_gets_the_ordinary_prune_period() -> None:
    state = NetworkState("lan")
    run(state, obs(KVM, "198.18.0.2"), obs(PHONE, "198.18.0.4"))
    kvm, phone = state.devices[KVM], state.devices[PHONE]
    kvm.present = phone.present = False
    two_days = T0 + timedelta(days=2)
    assert is_prunable(phone, two_days, POLICY) and not is_prunable(kvm, two_days, POLICY)
    assert is_prunable(kvm, T0 + timedelta(days=15), POLICY)
    changes = run(state, obs("00:16:3e:00:00:0a", "198.18.0.9"), now=two_days, sweep=True)
    assert [d.mac for d in changes.pruned] == [PHONE] and KVM in state.devices


def test_adding_a_prefix_fixes_existing_devices_on_their_next_run() -> None:
    state = NetworkState("lan")
    run(state, obs(MESH, "198.18.0.5"), obs(KVM, "198.18.0.2"))
    assert state.devices[MESH].randomized
    later = T0 + timedelta(minutes=5)
    unchanged = run(state, obs(MESH, "198.18.0.5", later), obs(KVM, "198.18.0.2"), now=later)
    assert MESH in unchanged.updated  # last_seen moved: the usual update
    other = run(state, obs(KVM, "198.18.0.2", T0), now=later, policy=WITH_MESH)
    assert not state.devices[MESH].randomized
    assert other.updated == {MESH} and other.counts.updated == 1  # written though unseen
    assert not [e for e in other.events if e.type is EventType.DEVICE_NEW]
    again = run(state, obs(KVM, "198.18.0.2", T0), now=later, policy=WITH_MESH)
    assert again.updated == set()  # no flip, nothing written


def test_dropping_a_prefix_makes_its_devices_randomized_again_without_a_vendor() -> None:
    state = NetworkState("lan")
    run(state, obs(KVM, "198.18.0.2", vendor="QEMU virtual NIC"))
    changes = run(state, obs(PHONE, "198.18.0.4"), policy=NO_STABLE)
    kvm = state.devices[KVM]
    assert kvm.randomized and kvm.vendor is None and KVM in changes.updated


def _randomized(engine: Engine) -> dict[str, bool]:
    with engine.connect() as connection:
        rows = connection.execute(select(devices.c.mac, devices.c.randomized)).all()
    return {row.mac: row.randomized for row in rows}


def test_the_flip_is_stored(engine: Engine) -> None:
    # The store writes ``randomized`` of an updated device (store.network_state._SOURCE_FIELDS).
    capture = f"198.18.0.2\t{KVM}\tQEMU\n198.18.0.5\t{MESH}\t(Unknown: locally administered)\n"

    def sweep(policy: Policy, now: datetime) -> None:
        report = ingest(
            engine,
            "arp-scan",
            "lan",
            [SourceText("capture", capture)],
            now=now,
            policy=policy,
            lookup={}.get,
            clock=lambda: now,
        )
        assert report.ok, report.error

    sweep(POLICY, T0)
    assert _randomized(engine) == {KVM: False, MESH: True}
    sweep(WITH_MESH, T0 + timedelta(hours=1))
    assert _randomized(engine) == {KVM: False, MESH: False}
    sweep(NO_STABLE, T0 + timedelta(hours=2))
    assert _randomized(engine) == {KVM: True, MESH: True}
