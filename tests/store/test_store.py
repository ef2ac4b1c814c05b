"""The store, on SQLite and on a real PostgreSQL: every test runs on both."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, func, insert, select
from sqlalchemy.exc import IntegrityError

from lanventory.collect.files import kea_lease_files, read_texts
from lanventory.ingest import RunReport, ingest
from lanventory.inventory.edit import EditError
from lanventory.inventory.model import Policy, Status
from lanventory.sources.observation import SourceText
from lanventory.store import network_state, schema
from lanventory.store.devices import DeviceNotFound, edit_device, get_device, list_devices
from lanventory.store.tables import devices, events, ip_history, metadata, runs, sightings
from lanventory.vendors import load_table
from tests.conftest import SAMPLE_NOW, fixture_path

LOOKUP = load_table(None).lookup
BANNER = "Interface: br0, type: EN10MB, MAC: 02:42:c0:a8:01:0a, IPv4: 198.18.0.1\nStarting arp-scan 1.10.0 with 256 hosts (https://github.com/royhills/arp-scan)\n"


def scan(*hosts: tuple[str, str]) -> str:
    lines = "".join(f"{ip}\t{mac}\t(Unknown)\n" for ip, mac in hosts)
    return (
        BANNER
        + lines
        + f"\n1 packets received by filter, 0 packets dropped by kernel\nEnding arp-scan 1.10.0: 256 hosts scanned in 1.0 seconds (256 hosts/sec). {len(hosts)} responded\n"
    )


def clock() -> datetime:
    return SAMPLE_NOW


def run(
    engine: Engine,
    source: str,
    text_or_inputs: str | list[SourceText],
    now: datetime = SAMPLE_NOW,
    policy: Policy | None = None,
) -> RunReport:
    inputs = (
        [SourceText("capture", text_or_inputs)]
        if isinstance(text_or_inputs, str)
        else text_or_inputs
    )
    return ingest(
        engine,
        source,
        "lan",
        inputs,
        now=now,
        policy=policy or Policy(),
        lookup=LOOKUP,
        clock=clock,
    )


def snapshot(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    """Every row of every inventory table (runs and events aside)."""
    with engine.connect() as connection:
        return {
            table.name: [
                dict(r)
                for r in connection.execute(
                    select(table).order_by(*table.primary_key.columns)
                ).mappings()
            ]
            for table in (devices, sightings, ip_history)
        }


def rows(engine: Engine, table: Any) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        return [dict(r) for r in connection.execute(select(table)).mappings()]


def test_migrated_schema_matches_the_table_definitions(engine: Engine) -> None:
    with engine.connect() as connection:
        diff = compare_metadata(
            MigrationContext.configure(connection, opts={"compare_type": True}), metadata
        )
    assert diff == []


def test_the_head_constant_is_the_newest_migration(engine: Engine) -> None:
    assert schema.HEAD == schema.head_revision()
    assert schema.current_revision(engine) == schema.HEAD


def test_kea_sample_ingest(engine: Engine) -> None:
    inputs = read_texts(
        kea_lease_files(fixture_path("kea-csv", "shared-sample-kea-3.0", "kea-leases4.csv"))
    )
    report = run(engine, "kea-csv", inputs)
    assert report.ok and report.counts.new == 8 and report.counts.active == 5
    with engine.connect() as connection:
        found = {d.ip: d for d in list_devices(connection, network="lan")}
    assert set(found) == {
        "192.168.1.5",
        "192.168.1.23",
        "192.168.1.57",
        "192.168.1.64",
        "192.168.1.77",
        "192.168.1.88",
        "192.168.1.90",
        "192.168.1.99",
    }
    assert {ip for ip, d in found.items() if d.present} == {
        "192.168.1.5",
        "192.168.1.23",
        "192.168.1.57",
        "192.168.1.64",
        "192.168.1.90",
    }
    kitchen = found["192.168.1.64"]
    assert (kitchen.hostname, kitchen.vendor, kitchen.status) == (
        "Kitchen Display, 2nd gen",
        "Espressif Inc.",
        Status.NEW,
    )
    assert found["192.168.1.90"].randomized and found["192.168.1.90"].vendor is None
    assert found["192.168.1.23"].last_seen == datetime.fromtimestamp(1795419000 - 3600, UTC)
    (run_row,) = rows(engine, runs)
    assert (
        run_row["ok"]
        and run_row["counts"]["skipped"] == {"declined": 1}
        and run_row["observations"] == 8
    )
    assert sum(1 for e in rows(engine, events) if e["type"] == "device_new") == 8


def test_a_failed_parse_records_a_failed_run_and_changes_nothing(engine: Engine) -> None:
    run(
        engine,
        "arp-scan",
        scan(("198.18.0.10", "00:16:3e:00:00:0a"), ("198.18.0.11", "00:16:3e:00:00:0b")),
    )
    before = snapshot(engine)
    cut = scan(("198.18.0.10", "00:16:3e:00:00:0a")).split("\n\n")[0]
    report = run(engine, "arp-scan", cut, now=SAMPLE_NOW + timedelta(hours=1))
    assert not report.ok and "Ending arp-scan" in (report.error or "")
    assert snapshot(engine) == before
    failed = [r for r in rows(engine, runs) if not r["ok"]]
    assert len(failed) == 1 and "Ending arp-scan" in failed[0]["error"]
    assert [e["data"]["source"] for e in rows(engine, events) if e["type"] == "source_failed"] == [
        "arp-scan"
    ]


def test_an_error_while_applying_rolls_everything_back(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    run(engine, "arp-scan", scan(("198.18.0.10", "00:16:3e:00:00:0a")))
    before = snapshot(engine)
    events_before = len(rows(engine, events))

    def explode(*_args: object) -> None:
        raise RuntimeError("disk on fire")

    # Devices are written first; the failure comes after, inside the same transaction.
    monkeypatch.setattr(network_state, "_write_history", explode)
    report = run(
        engine,
        "arp-scan",
        scan(("198.18.0.10", "00:16:3e:00:00:0b"), ("198.18.0.12", "00:16:3e:00:00:0c")),
    )
    assert not report.ok and "disk on fire" in (report.error or "")
    assert snapshot(engine) == before
    new_events = rows(engine, events)[events_before:]
    assert [e["type"] for e in new_events] == ["source_failed", "run_finished"]


def test_ip_moves_and_swaps_never_violate_the_ip_index(engine: Engine) -> None:
    a, b, c = "00:16:3e:00:00:0a", "00:16:3e:00:00:0b", "00:16:3e:00:00:0c"
    assert run(engine, "arp-scan", scan(("198.18.0.10", a), ("198.18.0.11", b))).ok
    report = run(
        engine, "arp-scan", scan(("198.18.0.11", a), ("198.18.0.10", b), ("198.18.0.12", c))
    )
    assert report.ok and report.counts.moved == 2
    report = run(
        engine, "arp-scan", scan(("198.18.0.12", a), ("198.18.0.11", c))
    )  # c takes b's old IP... b is absent
    assert report.ok
    with engine.connect() as connection:
        got = {d.mac: (d.ip, d.present) for d in list_devices(connection)}
    assert got == {a: ("198.18.0.12", True), b: ("198.18.0.10", False), c: ("198.18.0.11", True)}
    history = {(r["device_id"], r["ip"]) for r in rows(engine, ip_history)}
    assert len(history) == 7  # a: .10 .11 .12, b: .11 .10, c: .12 .11


def test_both_unique_indexes_hold(engine: Engine) -> None:
    row = {"network": "lan", "first_seen": SAMPLE_NOW, "last_seen": SAMPLE_NOW}
    with engine.begin() as connection:
        connection.execute(
            insert(devices),
            [
                row | {"mac": "00:16:3e:00:00:01", "ip": None},
                row | {"mac": "00:16:3e:00:00:02", "ip": None},
            ],
        )
        connection.execute(
            insert(devices),
            [row | {"mac": "00:16:3e:00:00:01", "network": "iot", "ip": "198.18.0.1"}],
        )
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(insert(devices), [row | {"mac": "00:16:3e:00:00:01"}])
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(
            insert(devices),
            [row | {"mac": "00:16:3e:00:00:03", "network": "iot", "ip": "198.18.0.1"}],
        )


def test_owner_edits_survive_later_ingests(engine: Engine) -> None:
    mac = "00:16:3e:00:00:0a"
    run(engine, "arp-scan", scan(("198.18.0.10", mac)))
    edited = edit_device(
        engine,
        "lan",
        mac,
        {"name": "NAS", "grp": "Network", "status": "known", "flagged": True},
        SAMPLE_NOW,
    )
    assert edited.status is Status.KNOWN
    run(engine, "arp-scan", scan(("198.18.0.20", mac)), now=SAMPLE_NOW + timedelta(hours=1))
    with engine.connect() as connection:
        dev = get_device(connection, "lan", mac)
    assert dev is not None and (dev.name, dev.grp, dev.status, dev.flagged, dev.ip) == (
        "NAS",
        "Network",
        Status.KNOWN,
        True,
        "198.18.0.20",
    )
    assert [e["data"] for e in rows(engine, events) if e["type"] == "edited"][0]["changes"][
        "name"
    ] == [None, "NAS"]
    with pytest.raises(DeviceNotFound):
        edit_device(engine, "lan", "00:16:3e:00:00:99", {"name": "x"}, SAMPLE_NOW)
    with pytest.raises(EditError):
        edit_device(engine, "lan", mac, {"status": "bogus"}, SAMPLE_NOW)


def test_prune_deletes_with_sightings_and_history_but_keeps_events(engine: Engine) -> None:
    phone, nas = "ae:3f:91:6b:20:c4", "00:16:3e:00:00:0a"
    run(engine, "arp-scan", scan(("198.18.0.50", phone), ("198.18.0.10", nas)))
    report = run(
        engine, "arp-scan", scan(("198.18.0.10", nas)), now=SAMPLE_NOW + timedelta(hours=23)
    )
    assert report.counts.absent == 1 and report.counts.pruned == 0  # absent, but not for 24 h yet
    report = run(
        engine, "arp-scan", scan(("198.18.0.10", nas)), now=SAMPLE_NOW + timedelta(hours=25)
    )
    assert report.counts.pruned == 1
    with engine.connect() as connection:
        assert [d.mac for d in list_devices(connection)] == [nas]
        assert connection.execute(select(func.count()).select_from(sightings)).scalar_one() == 1
        assert connection.execute(select(func.count()).select_from(ip_history)).scalar_one() == 1
    assert [e["mac"] for e in rows(engine, events) if e["type"] == "pruned"] == [phone]


def test_large_batch_round_trip(engine: Engine) -> None:
    ids = count(1)
    hosts = [
        (f"198.18.{n // 250}.{n % 250 + 1}", f"00:16:3e:01:{n // 256:02x}:{n % 256:02x}")
        for n in (next(ids) for _ in range(2000))
    ]
    assert run(engine, "arp-scan", scan(*hosts)).counts.new == 2000
    shifted = [
        (ip, hosts[(i + 1) % len(hosts)][1]) for i, (ip, _) in enumerate(hosts)
    ]  # everyone moves
    report = run(engine, "arp-scan", scan(*shifted))
    assert report.ok and report.counts.moved >= 2000
    with engine.connect() as connection:
        got = {d.mac: d.ip for d in list_devices(connection)}
    assert got == {mac: ip for ip, mac in shifted}
