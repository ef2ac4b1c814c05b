"""The export file, pure: rendering with formula neutralisation, and reading it back."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest

from lanventory.inventory.model import Device, Status
from lanventory.naming.decode import FileError, decode_text
from lanventory.naming.export_file import (
    COLUMNS,
    CONTEXT_COLUMNS,
    export_record,
    format_of,
    neutralise,
    parse_export_file,
    render_csv,
    render_json,
    restore,
)
from lanventory.naming.row import NamingRow, RejectedRow
from tests.conftest import SAMPLE_NOW, fixture_path

HEADER = ",".join(COLUMNS)
HOSTILE = {
    "markup": '<script>alert("x")</script><img src=x onerror=alert(1)>',
    "control": "bell\x07 escape\x1b[31mred\x1b[0m del\x7f",
    "lines": 'two\nlines, a "quote" and a comma',
    "long": "x" * 4000,
}


def _device(**fields: object) -> Device:
    values: dict[str, object] = {
        "network": "lan",
        "mac": "74:ac:b9:12:34:56",
        "first_seen": SAMPLE_NOW,
        "last_seen": SAMPLE_NOW,
    }
    values.update(fields)
    return Device(**values)  # type: ignore[arg-type]


def _cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))


def test_csv_is_what_a_spreadsheet_opens() -> None:
    device = _device(
        name="Living room TV",
        grp="Entertainment",
        status=Status.KNOWN,
        flagged=True,
        ip="192.168.1.20",
        vendor="LG Electronics",
    )
    text = render_csv([export_record(device)])
    assert text.startswith("\ufeff" + HEADER + "," + ",".join(CONTEXT_COLUMNS) + "\r\n")
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    assert _cells(text)[1] == [
        "lan",
        "74:ac:b9:12:34:56",
        "Living room TV",
        "Entertainment",
        "",
        "known",
        "true",
        "192.168.1.20",
        "",
        "LG Electronics",
        "false",
        "false",
        "2026-11-23T07:00:00Z",
    ]


@pytest.mark.parametrize(
    ("text", "cell"),
    [
        ('=HYPERLINK("http://evil.invalid","x")', '\'=HYPERLINK("http://evil.invalid","x")'),
        ("+1", "'+1"),
        ("-2", "'-2"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("'already quoted", "''already quoted"),
        ("Plain name", "Plain name"),
        ("a=b", "a=b"),
    ],
)
def test_formula_cells_are_neutralised_and_restored(text: str, cell: str) -> None:
    assert neutralise(text) == cell
    assert restore(cell) == text


def test_restore_leaves_an_owners_own_quote() -> None:
    assert restore("'quoted'") == "'quoted'"
    assert restore("'") == "'"


def test_neutralisation_round_trips_through_a_csv_file() -> None:
    names = ['=HYPERLINK("http://evil.invalid")', "+1", "-2", "@SUM(A1)", "'x", "''y"]
    devices = [
        _device(mac=f"02:00:00:00:00:0{i}", name=name, note=name, status=Status.KNOWN)
        for i, name in enumerate(names)
    ]
    text = render_csv(export_record(d) for d in devices)
    assert [row[2] for row in _cells(text)[1:]] == [neutralise(n) for n in names]
    parsed = parse_export_file(text, "csv")
    assert parsed.rejected == []
    assert [(row.name, row.note) for row in parsed.rows] == [(n, n) for n in names]


def test_context_cells_are_neutralised_too() -> None:
    device = _device(hostname="=cmd|' /C calc'!A0", vendor="@evil")
    row = _cells(render_csv([export_record(device)]))[1]
    assert row[8] == "'=cmd|' /C calc'!A0" and row[9] == "'@evil"


def test_hostile_strings_round_trip_intact() -> None:
    devices = [
        _device(mac=f"02:00:00:00:01:0{i}", name=value[:255], note=value)
        for i, value in enumerate(HOSTILE.values())
    ]
    for render, fmt in ((render_csv, "csv"), (render_json, "json")):
        parsed = parse_export_file(render(export_record(d) for d in devices), fmt)  # type: ignore[operator]
        assert parsed.rejected == []
        assert [row.note for row in parsed.rows] == list(HOSTILE.values())


def test_json_has_the_same_keys_typed() -> None:
    device = _device(name="TV", status=Status.KNOWN)
    items = json.loads(render_json([export_record(device)]))
    assert list(items[0]) == [*COLUMNS, *CONTEXT_COLUMNS]
    assert items[0]["flagged"] is False and items[0]["note"] is None
    assert items[0]["last_seen"] == "2026-11-23T07:00:00Z"


def test_export_record_converts_to_utc() -> None:
    local = datetime.fromisoformat("2026-11-23T09:00:00+02:00")
    assert export_record(_device(last_seen=local))["last_seen"] == "2026-11-23T07:00:00Z"
    assert export_record(_device(last_seen=SAMPLE_NOW.astimezone(UTC)))["status"] == "new"


def test_a_spreadsheet_saved_csv_reads_back() -> None:
    """BOM, CRLF, TRUE/FALSE, a capitalised status, a cell over two lines, an extra
    column and an empty last row, as a spreadsheet saves them."""
    path = fixture_path("export-file", "spreadsheet-saved-excel-csv-utf8.csv")
    parsed = parse_export_file(decode_text(path.read_bytes()), "csv")
    assert parsed.rejected == []
    assert parsed.ignored_columns == ["Who uses it"]
    by_mac = {row.mac: row for row in parsed.rows}
    assert len(by_mac) == 9
    assert by_mac["04:d9:f5:aa:15:15"] == NamingRow(
        4,
        "lan",
        "04:d9:f5:aa:15:15",
        "Neighbour's ASUS?",
        None,
        "not ours? check the router's lease",
        Status.IGNORED,
        True,
    )
    assert by_mac["a8:23:fe:01:02:20"].note == '=HYPERLINK("http://example.invalid","click")'
    assert by_mac["b0:be:76:01:02:30"].name == "Kitchen plug"
    assert by_mac["f0:18:98:42:42:42"].note == "work laptop\nasset tag 4711"
    assert by_mac["3c:22:fb:00:00:01"].row == 10


def test_missing_columns_refuse_the_whole_file() -> None:
    with pytest.raises(FileError, match=r"missing columns: note, status, flagged"):
        parse_export_file("network,mac,name,group\nlan,74:ac:b9:12:34:56,TV,\n", "csv")
    with pytest.raises(FileError, match=r"repeated column: name"):
        parse_export_file(HEADER + ",Name\n", "csv")
    with pytest.raises(FileError, match="empty"):
        parse_export_file("", "csv")


def test_grp_is_accepted_for_group_and_headers_are_loose() -> None:
    text = " Network ,MAC,name,grp,note,Status,flagged\nlan,74-AC-B9-12-34-56,TV,Media,,known,\n"
    parsed = parse_export_file(text, "csv")
    assert parsed.rows[0].grp == "Media" and parsed.ignored_columns == []


def test_every_bad_row_is_rejected_with_its_spreadsheet_row_number() -> None:
    long_note = "n" * 10_000
    text = (
        f"{HEADER},ip\n"
        'lan,74:ac:b9:12:34:56,"Two\nline name",,,known,false,\n'  # row 2, over two lines
        "lan,not-a-mac,Printer,,,known,false,\n"  # row 3
        "Home Net,74:ac:b9:00:00:01,X,,,maybe,perhaps,\n"  # row 4
        ",,,,,,,\n"  # row 5, empty: skipped
        "lan,01:00:5e:00:00:01,Multicast,,,known,,\n"  # row 6
        f"lan,74:ac:b9:00:00:02,Big,,{long_note},known,,\n"  # row 7
        "lan,74:AC:B9:12:34:56,Again,,,known,,\n"  # row 8: same as row 2
        "lan,,No MAC,,,known,,\n"  # row 9
        "lan,74:ac:b9:00:00:03,Extra,,,known,,,surplus\n"  # row 10
    )
    parsed = parse_export_file(text, "csv")
    assert [row.mac for row in parsed.rows] == ["74:ac:b9:12:34:56"]
    assert parsed.rows[0].name == "Two\nline name"
    assert parsed.rejected == [
        RejectedRow(3, "not-a-mac", "not a device MAC address (malformed): 'not-a-mac'"),
        RejectedRow(
            4,
            "74:ac:b9:00:00:01",
            "network name 'Home Net' is not a slug: use lowercase letters, digits, '-' and '_' "
            "(at most 64, starting with a letter or digit); status must be one of new, known, "
            "ignored, not 'maybe'; flagged must be true, false, yes, no, 1, 0 or empty, "
            "not 'perhaps'",
        ),
        RejectedRow(
            6, "01:00:5e:00:00:01", "not a device MAC address (multicast): '01:00:5e:00:00:01'"
        ),
        RejectedRow(7, "74:ac:b9:00:00:02", "note is longer than 4000 characters"),
        RejectedRow(8, "74:ac:b9:12:34:56", "the same device as row 2"),
        RejectedRow(9, None, "no MAC"),
        RejectedRow(10, "74:ac:b9:00:00:03", "9 cells, but the header has 8 columns"),
    ]
    assert parsed.rejected[1].describe().startswith("row 4 (74:ac:b9:00:00:01): network name")


def test_group_limits_speak_of_the_group_column() -> None:
    text = f"{HEADER}\nlan,74:ac:b9:12:34:56,TV,{'g' * 65},,known,\n"
    assert parse_export_file(text, "csv").rejected[0].reason == (
        "group is longer than 64 characters"
    )


def test_nul_characters_are_refused() -> None:
    text = f"{HEADER}\nlan,74:ac:b9:12:34:56,T\x00V,,,known,\n"
    assert parse_export_file(text, "csv").rejected[0].reason == "name contains a NUL character"


@pytest.mark.parametrize(
    ("cell", "flagged"),
    [("true", True), ("TRUE", True), ("yes", True), ("1", True), ("false", False)]
    + [("No", False), ("0", False), ("", False)],
)
def test_flag_spellings(cell: str, flagged: bool) -> None:
    text = f"{HEADER}\nlan,74:ac:b9:12:34:56,TV,,,known,{cell}\n"
    assert parse_export_file(text, "csv").rows[0].flagged is flagged


def test_configured_networks_are_enforced() -> None:
    text = f"{HEADER}\nlan,74:ac:b9:12:34:56,TV,,,known,\niot,74:ac:b9:12:34:57,Plug,,,known,\n"
    parsed = parse_export_file(text, "csv", networks=["lan", "guest"])
    assert [row.network for row in parsed.rows] == ["lan"]
    assert parsed.rejected[0].reason == (
        "network 'iot' is not configured (configured networks: guest, lan)"
    )
    assert len(parse_export_file(text, "csv").rows) == 2


def test_json_export_file_problems() -> None:
    with pytest.raises(FileError, match="not valid JSON"):
        parse_export_file("[{", "json")
    with pytest.raises(FileError, match="a list of objects, not dict"):
        parse_export_file('{"network": "lan"}', "json")
    with pytest.raises(FileError, match="missing columns: status, flagged"):
        parse_export_file(
            '[{"network": "lan", "mac": "x", "name": "", "group": "", "note": ""}]', "json"
        )
    good = dict.fromkeys(COLUMNS) | {"network": "lan", "mac": "74:ac:b9:12:34:56"}
    items = [
        good | {"status": "known", "flagged": True, "name": 42, "owner": "me"},
        "text",
        {"network": "lan", "mac": "74:ac:b9:12:34:57"},
        good | {"mac": "74:ac:b9:12:34:58", "status": "known", "note": ["a"]},
    ]
    parsed = parse_export_file(json.dumps(items), "json")
    assert parsed.rows == []
    assert parsed.ignored_columns == ["owner"]
    assert parsed.rejected == [
        RejectedRow(1, "74:ac:b9:12:34:56", "name must be text, not int"),
        RejectedRow(2, None, "not an object: str"),
        RejectedRow(3, "74:ac:b9:12:34:57", "missing name, group, note, status, flagged"),
        RejectedRow(4, "74:ac:b9:12:34:58", "note must be text, not list"),
    ]


def test_decoding() -> None:
    assert decode_text("\ufeffnetwork".encode()) == "network"
    with pytest.raises(FileError, match="not UTF-8"):
        decode_text("Küche".encode("cp1252"))


def test_format_from_the_file_name() -> None:
    assert format_of("devices.CSV") == "csv"
    assert format_of("export.json") == "json"
    assert format_of("devices.txt") is None and format_of("devices") is None
