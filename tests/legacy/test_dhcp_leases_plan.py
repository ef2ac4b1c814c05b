"""Legacy ``dhcp_leases`` rows to per-network plans, and plans merged into a network (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lanventory.inventory.model import Device, Policy, Status
from lanventory.inventory.state import NetworkState
from lanventory.legacy.apply import apply_plan
from lanventory.legacy.dhcp_leases import LeaseRow, LegacyImportError, plan_import

NOW = datetime(2025, 11, 20, 12, 0, tzinfo=UTC)


def at(day: int, hour: int = 12) -> datetime:
    return datetime(2025, 11, day, hour, tzinfo=UTC)


def row(
    mac: str | None,
    ip: str | None,
    day: int | None = None,
    *,
    network: str = "lan",
    hostname: str | None = None,
    id: int | None = None,
    times: dict[str, datetime] | None = None,
) -> LeaseRow:
    found = {"last_seen": at(day)} if day is not None else {}
    return LeaseRow(network, mac, ip, hostname, id, found | (times or {}))


def lookup(_mac: str) -> str | None:
    return "Raspberry Pi Trading Ltd"


def test_the_most_recent_row_gives_the_device_and_every_address_its_history() -> None:
    rows = [
        row("3c:22:fb:12:34:56", "192.168.1.23", 3, id=1, hostname="annas-mbp"),
        row("3C-22-FB-12-34-56", "192.168.1.41", 16, id=7, hostname=None),
        row("3c22.fb12.3456", "192.168.1.23", 5, id=3, times={"created_at": at(1)}),
    ]
    plan = plan_import(rows, now=NOW)
    lan = plan.networks["lan"]
    device = lan.devices["3c:22:fb:12:34:56"]
    assert (device.ip, device.hostname) == ("192.168.1.41", "annas-mbp")
    assert (device.first_seen, device.last_seen, device.rows) == (at(1), at(16), 3)
    assert device.history == {
        "192.168.1.23": (at(1), at(5)),
        "192.168.1.41": (at(16), at(16)),
    }
    assert (lan.rows, lan.merged, dict(lan.skipped)) == (3, 2, {})


def test_the_best_time_column_decides_and_id_breaks_ties() -> None:
    rows = [
        # updated_at beats lease_start; a lease end still ahead of now does not count
        row("00:11:32:aa:bb:cc", "192.168.1.5", times={"updated_at": at(10), "lease_start": at(2)}),
        row("00:11:32:aa:bb:cc", "192.168.1.6", times={"expires": NOW + timedelta(days=1)}),
        row("00:11:32:aa:bb:cc", "192.168.1.7", times={"lease_start": at(9), "created_at": at(8)}),
        row("b8:27:eb:00:00:01", "192.168.1.8", id=4),
        row("b8:27:eb:00:00:01", "192.168.1.9", id=11),
    ]
    lan = plan_import(rows, now=NOW).networks["lan"]
    nas = lan.devices["00:11:32:aa:bb:cc"]
    assert (nas.ip, nas.first_seen, nas.last_seen) == ("192.168.1.5", at(2), at(10))
    assert nas.history["192.168.1.6"] == (None, None)
    pi = lan.devices["b8:27:eb:00:00:01"]
    assert (pi.ip, pi.first_seen, pi.last_seen) == ("192.168.1.9", None, None)


def test_bad_macs_are_skipped_and_counted_by_reason() -> None:
    rows = [
        row("00:00:00:00:00:00", "192.168.1.250", 14),
        row("01:00:5e:00:00:fb", "192.168.1.251", 15),
        row("ff:ff:ff:ff:ff:ff", "192.168.1.252", 15),
        row("not-a-mac", "192.168.1.253", 15),
        row(None, "192.168.1.254", 15),
        row("b8:27:eb:4a:11:02", "192.168.1.10", 16),
    ]
    lan = plan_import(rows, now=NOW).networks["lan"]
    assert dict(lan.skipped) == {
        "zero-mac": 1,
        "multicast-mac": 1,
        "broadcast-mac": 1,
        "malformed-mac": 1,
        "no-mac": 1,
    }
    assert list(lan.devices) == ["b8:27:eb:4a:11:02"] and lan.merged == 0


def test_two_devices_on_one_address_the_most_recent_keeps_it() -> None:
    rows = [
        row("a4:83:e7:01:02:03", "192.168.1.50/24", 1, id=8),
        row("da:a1:19:5c:7e:01", "192.168.1.50", 12, id=9),
        row("f0:9f:c2:10:20:30", "192.168.2.7", 12, network="iot"),
        row("24:0a:c4:11:22:33", "192.168.2.7", 12, network="iot", id=2),
    ]
    plan = plan_import(rows, now=NOW)
    lan, iot = plan.networks["lan"], plan.networks["iot"]
    assert lan.devices["da:a1:19:5c:7e:01"].ip == "192.168.1.50"
    phone = lan.devices["a4:83:e7:01:02:03"]
    assert phone.ip is None and "192.168.1.50" in phone.history
    assert [(c.ip, c.holder, c.losers) for c in lan.conflicts] == [
        ("192.168.1.50", "da:a1:19:5c:7e:01", ("a4:83:e7:01:02:03",))
    ]
    assert iot.devices["24:0a:c4:11:22:33"].ip == "192.168.2.7"  # same time: the higher id
    assert lan.devices["da:a1:19:5c:7e:01"].randomized


def test_addresses_that_locate_nothing_are_ignored_and_ipv6_goes_to_history() -> None:
    rows = [
        row("00:11:32:aa:bb:cc", "169.254.10.1", 3),
        row("00:11:32:aa:bb:cc", "2001:db8::5", 4),
        row("00:11:32:aa:bb:cc", "fe80::1", 5),
    ]
    lan = plan_import(rows, now=NOW).networks["lan"]
    device = lan.devices["00:11:32:aa:bb:cc"]
    assert device.ip is None and set(device.history) == {"2001:db8::5"}
    assert lan.unusable_ips == 2


def test_networks_must_be_slugs_mapped_and_configured() -> None:
    rows = [row("b8:27:eb:4a:11:02", "192.168.1.10", 16, network="Guest WiFi")]
    rows.append(row("b8:27:eb:4a:11:03", "192.168.1.11", 16, network="LAN"))
    with pytest.raises(LegacyImportError) as refused:
        plan_import(rows, now=NOW)
    assert "'Guest WiFi' (1 row), 'LAN' (1 row)" in str(refused.value)
    assert "--network-map" in str(refused.value)
    mapping = {"Guest WiFi": "guest", "LAN": "lan"}
    assert list(plan_import(rows, now=NOW, network_map=mapping).networks) == ["guest", "lan"]
    with pytest.raises(LegacyImportError, match=r"'guest' \(configured networks: iot, lan\)"):
        plan_import(rows, now=NOW, network_map=mapping, configured=["lan", "iot"])
    with pytest.raises(LegacyImportError, match="does not have: 'Lan'"):
        plan_import(rows, now=NOW, network_map=mapping | {"Lan": "lan"})


def test_mapping_two_old_networks_onto_one_merges_their_rows() -> None:
    rows = [
        row("b8:27:eb:4a:11:02", "192.168.1.10", 3, network="LAN"),
        row("b8:27:eb:4a:11:02", "192.168.1.12", 9, network="lan"),
    ]
    lan = plan_import(rows, now=NOW, network_map={"LAN": "lan"}).networks["lan"]
    assert lan.legacy_names == ["LAN", "lan"] and lan.merged == 1
    assert lan.devices["b8:27:eb:4a:11:02"].ip == "192.168.1.12"


def test_created_devices_are_new_absent_with_one_imported_event_each() -> None:
    rows = [
        row("b8:27:eb:4a:11:02", "192.168.1.10", 16, hostname="pihole"),
        row("da:a1:19:5c:7e:01", "192.168.1.50", 12),
    ]
    lan = plan_import(rows, now=NOW).networks["lan"]
    state = NetworkState("lan")
    changes, outcome = apply_plan(
        state, lan, {}, label="db.t", status=Status.NEW, now=NOW, policy=Policy(), lookup=lookup
    )
    pi = state.devices["b8:27:eb:4a:11:02"]
    assert (pi.status, pi.present, pi.ip, pi.vendor, pi.randomized) == (
        Status.NEW,
        False,
        "192.168.1.10",
        "Raspberry Pi Trading Ltd",
        False,
    )
    phone = state.devices["da:a1:19:5c:7e:01"]
    assert phone.randomized and phone.vendor is None
    assert changes.inserted == {pi.mac, phone.mac} and not changes.updated
    assert [e.type.value for e in changes.events] == ["imported", "imported"]
    data = changes.events[0].data
    assert data["from"] == "legacy-dhcp-leases" and data["created"] is True
    assert data["changes"]["ip"] == [None, "192.168.1.10"]
    assert (outcome.new, outcome.updated, outcome.unchanged) == (2, 0, 0)
    # the phone (randomized, 8 days ago) is past its 24 h; the Pi (4 days) is not past 14 days
    assert outcome.prunable == 1


def test_existing_devices_keep_owner_fields_and_take_only_newer_facts() -> None:
    state = NetworkState("lan")
    anna = Device(
        "lan", "3c:22:fb:12:34:56", at(5), at(10), ip="192.168.1.23", name="Anna's MacBook"
    )
    anna.status = Status.KNOWN
    nas = Device("lan", "00:11:32:aa:bb:cc", at(1), at(19), ip="192.168.1.5", hostname="nas")
    other = Device("lan", "b8:27:eb:00:00:09", at(1), at(19), ip="192.168.1.60")
    for device in (anna, nas, other):
        state.devices[device.mac] = device
    rows = [
        row("3c:22:fb:12:34:56", "192.168.1.41", 16, hostname="mbp", times={"created_at": at(2)}),
        row("00:11:32:aa:bb:cc", "192.168.1.6", 9, hostname="diskstation"),
        row("a4:83:e7:01:02:03", "192.168.1.60", 17),
    ]
    lan = plan_import(rows, now=NOW).networks["lan"]
    known = {("00:11:32:aa:bb:cc", "192.168.1.6"): (at(9), at(9))}
    changes, outcome = apply_plan(
        state,
        lan,
        known,
        label="db.t",
        status=Status.KNOWN,
        now=NOW,
        policy=Policy(),
        lookup=lookup,
    )
    assert (anna.name, anna.status, anna.ip, anna.hostname) == (
        "Anna's MacBook",
        Status.KNOWN,
        "192.168.1.41",
        "mbp",
    )
    assert (anna.first_seen, anna.last_seen) == (at(2), at(16))
    assert (nas.ip, nas.hostname, nas.last_seen) == ("192.168.1.5", "nas", at(19))
    phone = state.devices["a4:83:e7:01:02:03"]
    assert phone.ip is None and other.ip == "192.168.1.60"  # never taken from a stored device
    assert phone.status is Status.KNOWN
    assert changes.updated == {anna.mac} and changes.inserted == {phone.mac}
    (event,) = [e for e in changes.events if e.mac == anna.mac]
    assert event.data["changes"]["ip"] == ["192.168.1.23", "192.168.1.41"]
    assert event.data["created"] is False
    assert (outcome.new, outcome.updated, outcome.unchanged, outcome.conflicts) == (1, 1, 1, 1)
    assert outcome.prunable == 0
    assert "nothing to change" not in outcome.summary()


def test_applying_the_same_plan_again_changes_nothing() -> None:
    rows = [
        row("3c:22:fb:12:34:56", "192.168.1.41", 16),
        row("3c:22:fb:12:34:56", "192.168.1.23", 3),
        row("b8:27:eb:4a:11:02", "192.168.1.10"),
    ]
    lan = plan_import(rows, now=NOW).networks["lan"]
    state = NetworkState("lan")
    first, _ = apply_plan(
        state, lan, {}, label="db.t", status=Status.NEW, now=NOW, policy=Policy(), lookup=lookup
    )
    later = NOW + timedelta(hours=1)
    again, outcome = apply_plan(
        state,
        plan_import(rows, now=later).networks["lan"],
        first.history,
        label="db.t",
        status=Status.NEW,
        now=later,
        policy=Policy(),
        lookup=lookup,
    )
    assert not again.events and not again.updated and not again.history
    assert (outcome.new, outcome.updated, outcome.unchanged) == (0, 0, 2)
    assert outcome.summary() == (
        "lan <- legacy-dhcp-leases (db.t): 3 rows, 2 devices (0 new, 0 updated, 2 unchanged), "
        "1 duplicate row merged, 0 IP conflicts resolved; skipped 0 rows; nothing to change"
    )
