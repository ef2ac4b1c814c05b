"""``lanventory export`` and ``lanventory import export-file|devices-json``."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from lanventory.cli import main
from tests.conftest import fixture_path

SEED_STYLE = str(fixture_path("devices-json", "seed-002-style-devices.json"))
SPREADSHEET = fixture_path("export-file", "spreadsheet-saved-excel-csv-utf8.csv")
HEADER = "network,mac,name,group,note,status,flagged"
CONFIG = """
[[networks]]
name = "lan"
cidr = "192.168.1.0/24"

[[networks]]
name = "guest"
cidr = "192.168.2.0/24"
"""

Cli = Callable[..., tuple[int, str]]


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "lanventory.toml"
    path.write_text("")
    return path


@pytest.fixture
def cli(db_url: str, tmp_path: Path, config: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    monkeypatch.setenv("LANVENTORY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LANVENTORY_CONFIG", str(config))
    runner = CliRunner()

    def invoke(*args: str) -> tuple[int, str]:
        result = runner.invoke(main, ["--db", db_url, *args], catch_exceptions=False)
        return result.exit_code, result.output

    return invoke


def export(cli: Cli, *args: str) -> list[dict[str, object]]:
    code, out = cli("export", "--format", "json", *args)
    assert code == 0, out
    items: list[dict[str, object]] = json.loads(out)
    return items


def test_devices_json_moves_in_once(cli: Cli) -> None:
    code, out = cli("import", "devices-json", SEED_STYLE, "--network", "lan")
    assert code == 0, out
    lines = out.splitlines()
    assert (
        lines[0] == "seed-002-style-devices.json: devices-json: 8 created, 0 updated, 0 unchanged"
    )
    assert lines[1:] == [
        "skipped entry 5 (192.168.1.21, Office printer): no MAC: it will appear as new when first seen online",
        "skipped entry 6 (192.168.1.22, Doorbell): no MAC: it will appear as new when first seen online",
        "skipped entry 8 (192.168.1.34, Garage sensor): no MAC: it will appear as new when first seen online",
        "skipped entry 9 (192.168.1.35, Spare Chromecast): no MAC: it will appear as new when first seen online",
        "skipped entry 11 (192.168.1.51, raspberrypi): no MAC: it will appear as new when first seen online",
        "skipped entry 13 (192.168.1.77, Hue bridge): not a device MAC address (malformed): 'EC:B5:FA:77:77'",
    ]
    before = export(cli)
    code, out = cli("import", "devices-json", SEED_STYLE, "-n", "lan")
    assert code == 0
    assert out.splitlines()[0].endswith("0 created, 0 updated, 8 unchanged")
    assert export(cli) == before
    code, out = cli("devices", "--status", "known", "--json")
    assert len(json.loads(out)) == 7


def test_devices_json_that_is_not_a_list_changes_nothing(cli: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "devices.json"
    for text, message in (("{not json", "not valid JSON"), ('{"a": 1}', "a list of devices")):
        bad.write_text(text)
        code, out = cli("import", "devices-json", str(bad), "-n", "lan")
        assert code == 1 and message in out
    assert export(cli) == []


def test_export_edit_import(cli: Cli, tmp_path: Path) -> None:
    cli("import", "devices-json", SEED_STYLE, "-n", "lan")
    sheet = tmp_path / "devices.csv"
    code, out = cli("export", "-o", str(sheet))
    assert code == 0 and f"{sheet}: 8 devices" in out
    text = sheet.read_bytes().decode("utf-8")
    assert text.startswith("\ufeff" + HEADER) and "\r\n" in text
    code, out = cli("import", "export-file", str(sheet))
    assert (
        code == 0 and out.strip() == "devices.csv: export-file: 0 created, 0 updated, 8 unchanged"
    )
    edited = text.replace("Orbi router", "Main router").replace("Living room TV", "=TV")
    sheet.write_bytes(edited.encode("utf-8"))
    code, out = cli("import", "export-file", str(sheet))
    assert out.strip() == "devices.csv: export-file: 0 created, 2 updated, 6 unchanged"
    names = {item["mac"]: item["name"] for item in export(cli)}
    assert names["9c:3d:cf:10:20:01"] == "Main router"
    assert names["a8:23:fe:01:02:20"] == "=TV"


def test_a_spreadsheet_saved_file_applies(cli: Cli) -> None:
    cli("import", "devices-json", SEED_STYLE, "-n", "lan")
    code, out = cli("import", "export-file", str(SPREADSHEET))
    assert code == 0, out
    assert out.splitlines() == [
        "spreadsheet-saved-excel-csv-utf8.csv: export-file: 1 created, 4 updated, 4 unchanged",
        "ignored columns: Who uses it",
    ]
    items = {item["mac"]: item for item in export(cli)}
    assert items["04:d9:f5:aa:15:15"]["status"] == "ignored"
    assert items["3c:22:fb:00:00:01"]["name"] == "Guest iPad"
    assert items["3c:22:fb:00:00:01"]["present"] is False


def test_one_bad_row_and_nothing_is_applied(cli: Cli, tmp_path: Path) -> None:
    cli("import", "devices-json", SEED_STYLE, "-n", "lan")
    before = export(cli)
    sheet = tmp_path / "edited.csv"
    sheet.write_text(
        f"{HEADER}\n"
        "lan,9c:3d:cf:10:20:01,Renamed,Network,,known,false\n"
        "lan,9c:3d:cf:10:20:13,Sat,Network,,kown,false\n"
        "lan,02:00:00:00:00:99,New one,,,known,false\n"
        "lan,01:00:5e:00:00:01,Multicast,,,known,false\n"
    )
    code, out = cli("import", "export-file", str(sheet))
    assert code == 1
    assert out.splitlines() == [
        "row 3 (9c:3d:cf:10:20:13): status must be one of new, known, ignored, not 'kown'",
        "row 5 (01:00:5e:00:00:01): not a device MAC address (multicast): '01:00:5e:00:00:01'",
        "Error: edited.csv: nothing imported: 2 of 4 rows rejected",
    ]
    assert export(cli) == before


def test_format_choice(cli: Cli, tmp_path: Path) -> None:
    cli("import", "devices-json", SEED_STYLE, "-n", "lan")
    code, out = cli("export", "--network", "lan")
    assert code == 0 and out.startswith("\ufeff" + HEADER)
    target = tmp_path / "naming.json"
    code, _ = cli("export", "-o", str(target))
    items = json.loads(target.read_text())
    assert len(items) == 8
    copy = tmp_path / "naming.txt"
    copy.write_text(target.read_text())
    code, out = cli("import", "export-file", str(copy))
    assert code == 2 and "give --format csv|json" in out
    code, out = cli("import", "export-file", str(copy), "--format", "json")
    assert code == 0 and "8 unchanged" in out
    code, out = cli("export", "--network", "Not A Slug")
    assert code == 2 and "not a slug" in out


def test_configured_networks_are_enforced(cli: Cli, config: Path, tmp_path: Path) -> None:
    config.write_text(CONFIG)
    code, out = cli("import", "devices-json", SEED_STYLE, "-n", "iot")
    assert code == 2
    assert "network 'iot' is not configured (configured networks: lan, guest)" in out
    sheet = tmp_path / "naming.csv"
    sheet.write_text(f"{HEADER}\niot,02:00:00:00:00:01,Plug,,,known,\n")
    code, out = cli("import", "export-file", str(sheet))
    assert code == 1
    assert (
        "row 2 (02:00:00:00:00:01): network 'iot' is not configured (configured networks: guest, lan)"
        in out
    )


def test_files_that_cannot_be_read(cli: Cli, tmp_path: Path) -> None:
    sheet = tmp_path / "naming.csv"
    sheet.write_bytes(f"{HEADER}\nlan,02:00:00:00:00:01,Küche,,,known,\n".encode("cp1252"))
    code, out = cli("import", "export-file", str(sheet))
    assert code == 1 and "naming.csv: the file is not UTF-8 text" in out
    sheet.write_text("network,mac\n")
    code, out = cli("import", "export-file", str(sheet))
    assert code == 1 and "missing columns: name, group, note, status, flagged" in out
