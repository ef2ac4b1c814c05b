"""A hand-kept devices.json read as naming, pure."""

from __future__ import annotations

import json

import pytest

from lanventory.inventory.model import Status
from lanventory.naming.decode import FileError
from lanventory.naming.devices_json import NO_MAC, SkippedEntry, parse_devices_json
from lanventory.naming.row import NamingRow
from tests.conftest import fixture_path

SEED_STYLE = fixture_path("devices-json", "seed-002-style-devices.json")


def test_the_seed_style_list() -> None:
    parsed = parse_devices_json(SEED_STYLE.read_text(), "lan")
    rows = {row.mac: row for row in parsed.rows}
    assert len(rows) == 8
    assert rows["04:d9:f5:aa:15:15"] == NamingRow(
        3,
        "lan",
        "04:d9:f5:aa:15:15",
        "Unknown ASUS",
        None,  # the "Flagged" group was the flag
        "not ours? check the router's lease",
        Status.NEW,
        True,
        vendor="ASUS",
    )
    assert rows["9c:3d:cf:10:20:13"].name == "Orbi satellite (upstairs)"
    assert rows["8c:f5:a3:17:11:71"].status is Status.KNOWN  # "flag": "no"
    assert rows["8c:f5:a3:17:11:71"].flagged is False
    # Upper-case keys, camelCase and snake_case spellings, dashed MACs.
    assert rows["a8:23:fe:01:02:20"].grp == "Entertainment"
    assert rows["a8:23:fe:01:02:20"].vendor == "LG Electronics"
    plug = rows["b0:be:76:01:02:30"]
    assert (plug.name, plug.grp, plug.status) == ("Kitchen plug", "Smart Home", Status.KNOWN)
    assert rows["f0:18:98:42:42:42"].note == "work laptop"
    assert all(row.status is Status.KNOWN for row in parsed.rows if not row.flagged)
    assert parsed.skipped == [
        SkippedEntry(5, "192.168.1.21", "Office printer", NO_MAC),
        SkippedEntry(6, "192.168.1.22", "Doorbell", NO_MAC),
        SkippedEntry(8, "192.168.1.34", "Garage sensor", NO_MAC),
        SkippedEntry(9, "192.168.1.35", "Spare Chromecast", NO_MAC),
        SkippedEntry(11, "192.168.1.51", "raspberrypi", NO_MAC),
        SkippedEntry(
            13,
            "192.168.1.77",
            "Hue bridge",
            "not a device MAC address (malformed): 'EC:B5:FA:77:77'",
        ),
    ]
    assert parsed.skipped[0].describe() == (
        "entry 5 (192.168.1.21, Office printer): "
        "no MAC: it will appear as new when first seen online"
    )


def test_a_devices_key_wraps_the_list() -> None:
    text = json.dumps({"Devices": [{"MAC_Address": "74:AC:B9:12:34:56", "Name": "TV"}]})
    parsed = parse_devices_json(text, "iot")
    assert [(row.network, row.mac, row.name) for row in parsed.rows] == [
        ("iot", "74:ac:b9:12:34:56", "TV")
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[{", "not valid JSON"),
        ('"devices"', "a list of devices"),
        ('{"hosts": []}', "this one is dict with the keys hosts"),
        ('{"devices": {"a": 1}}', "a list of devices"),
    ],
)
def test_a_file_that_is_not_a_list_is_refused(text: str, message: str) -> None:
    with pytest.raises(FileError, match=message):
        parse_devices_json(text, "lan")


def test_odd_entries_are_skipped_with_the_reason() -> None:
    entries = [
        {"mac": "74:ac:b9:12:34:56", "name": 42, "flag": 1},
        "a string",
        {"mac": "74-AC-B9-12-34-56", "name": "Again"},
        {"ip": "192.168.1.9", "mac": "74:ac:b9:00:00:09", "name": "Odd", "flag": "maybe"},
        {"mac": "74:ac:b9:00:00:0a", "label": "Long", "notes": "n" * 4001},
        {"mac": "74:ac:b9:00:00:0b", "hostname": "printer", "vendor": "v" * 300},
    ]
    parsed = parse_devices_json(json.dumps(entries), "lan")
    assert [(row.mac, row.name, row.status, row.flagged) for row in parsed.rows] == [
        ("74:ac:b9:12:34:56", "42", Status.NEW, True),
        ("74:ac:b9:00:00:0b", None, Status.KNOWN, False),  # a hostname is not a name
    ]
    assert parsed.rows[1].vendor is None
    assert parsed.skipped == [
        SkippedEntry(2, None, None, "not an object: str"),
        SkippedEntry(3, None, "Again", "the same MAC as entry 1"),
        SkippedEntry(
            4,
            "192.168.1.9",
            "Odd",
            "flagged must be true, false, yes, no, 1, 0 or empty, not 'maybe'",
        ),
        SkippedEntry(5, None, "Long", "note is longer than 4000 characters"),
    ]
