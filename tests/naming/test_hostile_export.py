"""``lanventory export`` of devices that reported hostile strings about themselves.

Hostnames and vendors arrive through the real parsers (Kea's lease file and
lease_cmds answer, arp-scan's output): formula starts (``=HYPERLINK(…)``,
``@SUM(1)``), markup, control characters and a 10,000-character hostname. In
the CSV every cell a spreadsheet would run starts with ``'``; the JSON is valid
and gives back the stored strings exactly; the CSV goes back in unchanged.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine

from lanventory.cli import main
from lanventory.naming.export_file import FORMULA_STARTS
from lanventory.store.devices import list_devices
from tests.store.test_hostile_strings import (
    ARP_SCAN_VENDORS,
    KEA_API_LEASES,
    KEA_CSV_HOSTNAMES,
    LONG,
    feed_all,
    stored,
)

Cli = Callable[..., tuple[int, str]]
#: What each device reported, as the store keeps it: mac -> (hostname, vendor).
REPORTED: dict[str, tuple[str | None, str | None]] = {
    **{mac: (stored(host), None) for mac, host in KEA_CSV_HOSTNAMES.items()},
    **{mac: (stored(host), None) for mac, (host, _client) in KEA_API_LEASES.items()},
    **{mac: (None, vendor) for mac, vendor in ARP_SCAN_VENDORS.items()},
}


@pytest.fixture
def cli(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    config = tmp_path / "lanventory.toml"
    config.write_text("")
    monkeypatch.setenv("LANVENTORY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LANVENTORY_CONFIG", str(config))
    runner = CliRunner()

    def invoke(*args: str) -> tuple[int, str]:
        result = runner.invoke(main, ["--db", db_url, *args], catch_exceptions=False)
        return result.exit_code, result.output

    return invoke


def spreadsheet_cell(text: str) -> str:
    """``text`` as the export must write it: with a ``'`` before a formula start."""
    return "'" + text if text.startswith((*FORMULA_STARTS, "'")) else text


def exported(cli: Cli, tmp_path: Path, fmt: str) -> str:
    """The export file ``lanventory export --output`` writes, as text."""
    path = tmp_path / f"devices.{fmt}"
    code, out = cli("export", "--output", str(path))
    assert code == 0, out
    return path.read_text(encoding="utf-8")


def test_csv_cells_never_run_as_formulas(engine: Engine, cli: Cli, tmp_path: Path) -> None:
    feed_all(engine)
    out = exported(cli, tmp_path, "csv")
    assert out.startswith("\ufeff")
    rows = {row["mac"]: row for row in csv.DictReader(io.StringIO(out[1:], newline=""))}
    assert set(REPORTED) <= set(rows)
    for mac, (hostname, vendor) in REPORTED.items():
        row = rows[mac]
        if hostname is not None:
            assert row["hostname"] == spreadsheet_cell(hostname), mac
        if vendor is not None:
            assert row["vendor"] == spreadsheet_cell(vendor), mac
    assert rows["04:99:99:00:00:01"]["hostname"] == '\'=HYPERLINK("http://x")'
    assert rows["04:77:77:00:00:01"]["hostname"] == "'@SUM(1)"
    assert rows["0c:99:99:00:00:01"]["vendor"] == '\'=HYPERLINK("http://x")'
    assert rows["0c:77:77:00:00:01"]["vendor"] == "'@SUM(1)"
    assert rows["00:77:77:00:00:01"]["hostname"] == LONG
    for row in rows.values():
        for column, cell in row.items():
            assert not cell.startswith(FORMULA_STARTS), (column, cell[:40])


def test_json_gives_back_the_exact_strings(engine: Engine, cli: Cli, tmp_path: Path) -> None:
    feed_all(engine)
    out = exported(cli, tmp_path, "json")
    code, printed = cli("export", "--format", "json")
    assert code == 0 and printed == out
    records = {record["mac"]: record for record in json.loads(out)}
    for mac, (hostname, vendor) in REPORTED.items():
        if hostname is not None:
            assert records[mac]["hostname"] == hostname, mac
        if vendor is not None:
            assert records[mac]["vendor"] == vendor, mac
    assert records["00:99:99:00:00:01"]["hostname"] == "tv\x01\x1b[31mred\x1b[0m"


def test_the_csv_on_standard_output_is_the_file(engine: Engine, cli: Cli, tmp_path: Path) -> None:
    feed_all(engine)
    out = exported(cli, tmp_path, "csv")
    code, printed = cli("export", "--format", "csv")
    assert code == 0 and printed == out


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_the_export_goes_back_in_unchanged(
    engine: Engine, cli: Cli, tmp_path: Path, fmt: str
) -> None:
    feed_all(engine)
    path = tmp_path / f"devices.{fmt}"
    code, out = cli("export", "--output", str(path))
    assert code == 0, out
    with engine.connect() as connection:
        before = list_devices(connection, network="lan")
    code, out = cli("import", "export-file", str(path))
    assert code == 0, out
    assert "0 updated" in out and "0 created" in out, out
    with engine.connect() as connection:
        assert list_devices(connection, network="lan") == before
