"""The CLI contract: ingest, devices, edit, db upgrade, vendors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from lanventory.cli import main
from tests.conftest import fixture_path

KEA = str(fixture_path("kea-csv", "shared-sample-kea-3.0", "kea-leases4.csv"))
ARP = str(fixture_path("arp-scan", "shared-sample-arp-scan-1.10.0-default.txt"))
NOW = "1795417200"


@pytest.fixture
def cli(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("LANVENTORY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LANVENTORY_CONFIG", str(tmp_path / "none.toml"))
    (tmp_path / "none.toml").write_text("")
    runner = CliRunner()

    def invoke(*args: str) -> tuple[int, str]:
        result = runner.invoke(main, ["--db", db_url, *args], catch_exceptions=False)
        return result.exit_code, result.output

    return invoke


def test_ingest_summaries_on_the_shared_samples(cli) -> None:
    code, out = cli("ingest", "kea-csv", KEA, "--network", "lan", "--now", NOW)
    assert code == 0
    assert out.strip() == (
        "lan <- kea-csv (kea-leases4.csv.2, kea-leases4.csv): 8 observations (5 active), "
        "8 new, 0 updated, 0 moved, 0 absent; skipped 1 line (declined 1)"
    )
    code, out = cli("ingest", "arp-scan", ARP, "--network", "lan", "--now", "2026-11-23T07:05:00Z")
    assert code == 0
    assert (
        "10 observations (10 active), 5 new" in out and "skipped 2 lines (malformed-line 2)" in out
    )


def test_devices_json_has_the_contract_fields(cli) -> None:
    cli("ingest", "kea-csv", KEA, "-n", "lan", "--now", NOW)
    code, out = cli("devices", "--json", "--network", "lan")
    assert code == 0
    items = json.loads(out)
    assert len(items) == 8
    required = {
        "network",
        "mac",
        "ip",
        "vendor",
        "hostname",
        "name",
        "grp",
        "note",
        "status",
        "randomized",
        "flagged",
        "first_seen",
        "last_seen",
        "present",
    }
    assert all(required <= set(item) for item in items)
    assert {i["mac"] for i in items if i["randomized"]} == {"ae:3f:91:6b:20:c4"}
    code, out = cli("devices", "--status", "known", "--json")
    assert json.loads(out) == []


def test_devices_table_is_readable_and_inert(cli, tmp_path: Path) -> None:
    hostile = tmp_path / "leases.csv"
    hostile.write_text(
        "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context,pool_id\n"
        "198.18.0.9,00:16:3e:00:00:09,,3600,1795419000,1,0,0,evil\x1b[31mred,0,,0\n"
    )
    cli("ingest", "kea-csv", str(hostile), "-n", "lan", "--now", NOW)
    code, out = cli("devices")
    assert code == 0 and "\x1b" not in out and "evil?[31mred" in out
    assert out.splitlines()[0].startswith("NETWORK")


def test_edit_then_list(cli) -> None:
    cli("ingest", "kea-csv", KEA, "-n", "lan", "--now", NOW)
    code, out = cli(
        "edit",
        "lan",
        "A4-CF-12-01-02-03",
        "--name",
        "Kitchen",
        "--group",
        "Smart Home",
        "--status",
        "known",
        "--flagged",
    )
    assert code == 0 and "Kitchen" in out
    code, out = cli("devices", "--status", "known", "--json")
    (item,) = json.loads(out)
    assert (item["mac"], item["name"], item["grp"], item["flagged"]) == (
        "a4:cf:12:01:02:03",
        "Kitchen",
        "Smart Home",
        True,
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["edit", "lan", "zz:zz", "--name", "x"], "not a device MAC address (malformed)"),
        (
            ["edit", "lan", "00:16:3e:00:00:99", "--name", "x"],
            "no device 00:16:3e:00:00:99 on network 'lan'",
        ),
        (["edit", "lan", "00:16:3e:00:00:99"], "nothing to change"),
        (
            ["ingest", "dhcp-magic", KEA, "-n", "lan"],
            "'arp-scan', 'dnsmasq', 'isc-dhcpd', 'kea-api', 'kea-csv', 'neigh'",
        ),
        (["ingest", "kea-csv", KEA, "-n", "Bad Name"], "is not a slug"),
        (
            ["ingest", "kea-csv", KEA, "-n", "lan", "--now", "yesterday"],
            "neither epoch seconds nor an ISO 8601",
        ),
    ],
)
def test_bad_input_gets_a_clear_error(cli, args: list[str], message: str) -> None:
    code, out = cli(*args)
    assert code != 0 and message in out


def test_a_failed_ingest_exits_non_zero_names_the_file_and_changes_nothing(
    cli, tmp_path: Path
) -> None:
    cli("ingest", "arp-scan", ARP, "-n", "lan", "--now", NOW)
    _, before = cli("devices", "--json")
    cut = tmp_path / "cut.txt"
    cut.write_text(Path(ARP).read_text().split("\n\n")[0])
    code, out = cli("ingest", "arp-scan", str(cut), "-n", "lan", "--now", "1795420800")
    assert code == 1 and str(cut) in out and "FAILED" in out and "Ending arp-scan" in out
    missing = tmp_path / "nope.csv"
    code, out = cli("ingest", "kea-csv", str(missing), "-n", "lan")
    assert code == 1 and f"{missing}: no such file" in out
    assert cli("devices", "--json")[1] == before


def test_db_upgrade_is_idempotent(cli) -> None:
    code, out = cli("db", "upgrade")
    assert code == 0 and out.strip().endswith("-> 0010")
    code, again = cli("db", "upgrade")
    assert code == 0 and again.strip() == "database schema: 0010 -> 0010"


def test_vendors_update_and_lookup(cli, tmp_path: Path) -> None:
    ieee = tmp_path / "ieee"
    ieee.mkdir()
    (ieee / "oui.csv").write_text(
        "Registry,Assignment,Organization Name,Organization Address\nMA-L,00163E,Fresh Vendor,x\n"
    )
    code, out = cli("vendors", "update", "--from", str(ieee))
    assert code == 0 and "1 prefixes" in out
    assert cli("vendors", "lookup", "00-16-3E-00-00-01")[1].strip() == "Fresh Vendor"


def test_config_file_errors_name_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("away_after_missed_runs = 0\n")
    result = CliRunner().invoke(main, ["--config", str(bad), "devices"])
    assert (
        result.exit_code != 0
        and str(bad) in result.output
        and "away_after_missed_runs" in result.output
    )
