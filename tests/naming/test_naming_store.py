"""Applying naming to the store, on SQLite and a real PostgreSQL: all rows or none."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from lanventory.ingest import ingest
from lanventory.inventory.model import Policy, Status
from lanventory.naming.devices_json import parse_devices_json
from lanventory.naming.export_file import parse_export_file, render_csv, render_json
from lanventory.naming.row import NamingRow
from lanventory.sources.observation import SourceText
from lanventory.store import naming as store_naming
from lanventory.store.devices import edit_device, get_device
from lanventory.store.naming import apply_naming, export_rows
from lanventory.store.tables import devices, events
from lanventory.vendors import load_table
from tests.conftest import SAMPLE_NOW, fixture_path

LATER = SAMPLE_NOW + timedelta(hours=1)
SEED_STYLE = fixture_path("devices-json", "seed-002-style-devices.json")
ARP = "Interface: br0, type: EN10MB, MAC: 02:42:c0:a8:01:0a, IPv4: 198.18.0.1\n{lines}\nEnding arp-scan 1.10.0: 256 hosts scanned in 1.0 seconds (256 hosts/sec). 1 responded\n"


def row(mac: str, **fields: Any) -> NamingRow:
    values: dict[str, Any] = {
        "row": 2,
        "network": "lan",
        "mac": mac,
        "name": None,
        "grp": None,
        "note": None,
        "status": Status.KNOWN,
        "flagged": False,
    }
    values.update(fields)
    return NamingRow(**values)


def seen(engine: Engine, mac: str, ip: str) -> None:
    """A device the sources saw (through a real arp-scan ingest)."""
    text = ARP.format(lines=f"{ip}\t{mac}\t(Unknown)")
    ingest(
        engine,
        "arp-scan",
        "lan",
        [SourceText("capture", text)],
        now=SAMPLE_NOW,
        policy=Policy(),
        lookup=load_table(None).lookup,
        clock=lambda: SAMPLE_NOW,
    )


def imported_events(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        query = select(events).where(events.c.type == "imported").order_by(events.c.id)
        return [dict(r) for r in connection.execute(query).mappings()]


def device_rows(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        query = select(devices).order_by(devices.c.network, devices.c.mac)
        return [dict(r) for r in connection.execute(query).mappings()]


def test_a_row_for_an_unseen_device_creates_it(engine: Engine) -> None:
    report = apply_naming(
        engine,
        [row("da:a1:19:60:60:60", name="Pixel", grp="Personal", flagged=True)],
        source="export-file",
        now=SAMPLE_NOW,
    )
    assert (report.created, report.updated, report.unchanged) == (1, 0, 0)
    with engine.connect() as connection:
        device = get_device(connection, "lan", "da:a1:19:60:60:60")
    assert device is not None
    assert (device.name, device.grp, device.status, device.flagged) == (
        "Pixel",
        "Personal",
        Status.KNOWN,
        True,
    )
    assert device.present is False and device.ip is None and device.randomized is True
    assert device.first_seen == device.last_seen == SAMPLE_NOW
    [event] = imported_events(engine)
    assert event["mac"] == "da:a1:19:60:60:60" and event["at"] == SAMPLE_NOW
    assert event["data"] == {
        "from": "export-file",
        "created": True,
        "changes": {
            "name": [None, "Pixel"],
            "grp": [None, "Personal"],
            "status": ["new", "known"],
            "flagged": [False, True],
        },
    }


def test_a_row_sets_an_existing_devices_naming_and_nothing_else(engine: Engine) -> None:
    seen(engine, "74:ac:b9:12:34:56", "192.168.1.1")
    edit_device(engine, "lan", "74:ac:b9:12:34:56", {"watched": True, "note": "old"}, SAMPLE_NOW)
    [before] = device_rows(engine)
    report = apply_naming(
        engine,
        [row("74:ac:b9:12:34:56", name="Router", grp="Network", vendor="Ubiquiti")],
        source="export-file",
        now=LATER,
    )
    assert (report.created, report.updated, report.unchanged) == (0, 1, 0)
    [after] = device_rows(engine)
    assert (after["name"], after["grp"], after["note"], after["status"]) == (
        "Router",
        "Network",
        None,  # an empty cell clears the note
        "known",
    )
    assert after["watched"] is True  # not part of the naming
    assert before["ip"] == "192.168.1.1" and before["present"] is True
    for kept in ("ip", "hostname", "first_seen", "last_seen", "present", "randomized", "id"):
        assert after[kept] == before[kept], kept
    assert before["vendor"] == after["vendor"] == "Ubiquiti Networks Inc."  # it had one
    [event] = imported_events(engine)
    assert event["data"]["created"] is False
    assert event["data"]["changes"]["note"] == ["old", None]


def test_the_files_vendor_is_kept_only_when_the_device_has_none(engine: Engine) -> None:
    apply_naming(engine, [row("02:00:00:00:00:01")], source="export-file", now=SAMPLE_NOW)
    apply_naming(
        engine,
        [row("02:00:00:00:00:01", vendor="ASUS"), row("02:00:00:00:00:02", vendor="LG")],
        source="devices-json",
        now=LATER,
    )
    apply_naming(
        engine, [row("02:00:00:00:00:01", vendor="Other")], source="devices-json", now=LATER
    )
    assert [(d["mac"], d["vendor"]) for d in device_rows(engine)] == [
        ("02:00:00:00:00:01", "ASUS"),
        ("02:00:00:00:00:02", "LG"),
    ]
    assert imported_events(engine)[1]["data"]["changes"] == {"vendor": [None, "ASUS"]}


def test_export_then_import_changes_nothing(engine: Engine) -> None:
    seen(engine, "74:ac:b9:12:34:56", "192.168.1.1")
    apply_naming(
        engine,
        [
            row("74:ac:b9:12:34:56", name='=HYPERLINK("x")', note="<b>bold</b>\x1b[31m"),
            row("02:00:00:00:00:01", network="iot", name="'quoted", flagged=True),
            row("02:00:00:00:00:02", status=Status.IGNORED, grp="+1"),
        ],
        source="export-file",
        now=SAMPLE_NOW,
    )
    before_rows, before_events = device_rows(engine), imported_events(engine)
    for render, fmt in ((render_csv, "csv"), (render_json, "json")):
        with engine.connect() as connection:
            text = render(export_rows(connection))  # type: ignore[operator]
        parsed = parse_export_file(text, fmt)  # type: ignore[arg-type]
        assert parsed.rejected == []
        report = apply_naming(engine, parsed.rows, source="export-file", now=LATER)
        assert (report.created, report.updated, report.unchanged) == (0, 0, 3)
    assert device_rows(engine) == before_rows
    assert imported_events(engine) == before_events


def test_export_rows_order_and_filter(engine: Engine) -> None:
    apply_naming(
        engine,
        [
            row("02:00:00:00:00:01", name="b"),
            row("02:00:00:00:00:02", grp="Network", name="a"),
            row("02:00:00:00:00:03", grp="Media"),
            row("02:00:00:00:00:04", network="iot"),
        ],
        source="export-file",
        now=SAMPLE_NOW,
    )
    with engine.connect() as connection:
        every = export_rows(connection)
        iot = export_rows(connection, "iot")
    assert [r["mac"][-2:] for r in every] == ["04", "03", "02", "01"]
    assert [r["mac"] for r in iot] == ["02:00:00:00:00:04"]
    assert every[0]["present"] is False and every[0]["last_seen"] == "2026-11-23T07:00:00Z"


def test_devices_json_twice_changes_nothing_the_second_time(engine: Engine) -> None:
    parsed = parse_devices_json(SEED_STYLE.read_text(), "lan")
    first = apply_naming(engine, parsed.rows, source="devices-json", now=SAMPLE_NOW)
    assert (first.created, first.updated, first.unchanged) == (8, 0, 0)
    after_first, events_first = device_rows(engine), imported_events(engine)
    assert len(events_first) == 8
    assert {e["data"]["from"] for e in events_first} == {"devices-json"}
    asus = next(d for d in after_first if d["mac"] == "04:d9:f5:aa:15:15")
    assert (asus["status"], asus["flagged"], asus["grp"], asus["vendor"]) == (
        "new",
        True,
        None,
        "ASUS",
    )
    second = apply_naming(engine, parsed.rows, source="devices-json", now=LATER)
    assert (second.created, second.updated, second.unchanged) == (0, 0, 8)
    assert device_rows(engine) == after_first
    assert imported_events(engine) == events_first


def test_a_failure_while_applying_changes_nothing(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    apply_naming(engine, [row("02:00:00:00:00:01", name="kept")], source="x", now=SAMPLE_NOW)
    before_rows, before_events = device_rows(engine), imported_events(engine)

    def broken(*_args: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(store_naming, "_write_naming", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        apply_naming(
            engine,
            [row("02:00:00:00:00:01", name="lost"), row("02:00:00:00:00:09", name="new")],
            source="x",
            now=LATER,
        )
    assert device_rows(engine) == before_rows
    assert imported_events(engine) == before_events


def test_two_rows_for_one_device_are_refused(engine: Engine) -> None:
    with pytest.raises(ValueError, match="same device"):
        apply_naming(
            engine, [row("02:00:00:00:00:01"), row("02:00:00:00:00:01")], source="x", now=LATER
        )
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(devices)).scalar() == 0


def test_hostile_strings_are_stored_intact(engine: Engine) -> None:
    hostile = '<script>alert("x")</script>\x07\x1b[31m' + "é" * 3000
    apply_naming(
        engine,
        [row("02:00:00:00:00:01", name=hostile[:255], note=hostile)],
        source="export-file",
        now=SAMPLE_NOW,
    )
    [stored] = device_rows(engine)
    assert stored["note"] == hostile and stored["name"] == hostile[:255]
