"""The config file: networks, sweeps and sources, `config check`, env overrides."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from lanventory.cli import main
from lanventory.config import load_settings
from lanventory.network_config import FILE_SCHEDULE, SWEEP_SCHEDULE, KeaApiSource

GOOD = """
db = "sqlite:///{tmp}/lv.db"
[[networks]]
name = "lan"
cidr = "198.18.0.0/24"
interface = "br0"
[networks.sweep]
[[networks.sources]]
type = "kea-api"
url = "http://127.0.0.1:8000/"
username = "kea"
password = "secret"
[[networks.sources]]
type = "neigh"

[[networks]]
name = "iot"
cidr = "198.18.1.0/24"
[[networks.sources]]
type = "dnsmasq"
path = "/var/lib/misc/dnsmasq.leases"
schedule = "*/5 * * * *"
"""

BAD = """
bogus = 1
[[networks]]
name = "lan"
cidr = "198.18.0.1/24"
interface = "br0"
[networks.sweep]
engine = "fast"
schedule = "every hour"
[[networks.sources]]
type = "kea-api"
[[networks.sources]]
type = "kea-cvs"
path = "x"
[[networks.sources]]
type = "dnsmasq"
[[networks]]
name = "Bad Name"
cidr = "10.0.0.0/24"
"""


def check(path: Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--config", str(path), "config", "check"])
    return result.exit_code, result.output


def test_a_good_config(tmp_path: Path) -> None:
    path = tmp_path / "lanventory.toml"
    path.write_text(GOOD.format(tmp=tmp_path))
    settings = load_settings(path)
    lan, iot = settings.networks
    assert lan.sweep is not None and lan.sweep.engine == "native" and lan.sweep.rate == 0
    assert lan.sweep.schedule == SWEEP_SCHEDULE == "7 * * * *"
    api = lan.source("kea-api")
    assert isinstance(api, KeaApiSource) and api.schedule == FILE_SCHEDULE
    assert iot.sweep is None and iot.sources[0].schedule == "*/5 * * * *"
    code, out = check(path)
    assert code == 0
    assert "network lan: cidr 198.18.0.0/24, interface br0, sweep native (adaptive rate)" in out
    assert "network iot: cidr 198.18.1.0/24, interface -, dnsmasq at '*/5 * * * *'" in out


def test_every_problem_is_printed_with_its_location(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(BAD)
    code, out = check(path)
    assert code == 1
    for line in [
        "networks[0] (lan).cidr: '198.18.0.1/24' has host bits set: did you mean 198.18.0.0/24?",
        "networks[0] (lan).sweep.engine: Input should be 'native' or 'arp-scan'",
        "networks[0] (lan).sweep.schedule: 'every hour' is not a cron expression",
        "networks[0] (lan).sources[0] (kea-api): give exactly one of 'socket'",
        "networks[0] (lan).sources[1] (kea-cvs): unknown source type 'kea-cvs'",
        "networks[0] (lan).sources[2] (dnsmasq).path: Field required",
        "networks[1] (Bad Name).name: network name 'Bad Name' is not a slug",
        "bogus: unknown setting",
    ]:
        assert line in out, line


@pytest.mark.parametrize(
    ("network", "message"),
    [
        ('cidr = "10.0.0.0/8"\ninterface = "br0"\n[networks.sweep]', "larger than the sweep limit"),
        ('cidr = "198.18.0.0/24"\n[networks.sweep]', "a network with a sweep needs 'interface'"),
        ('cidr = "198.18.0.0/24"\n[[networks.sources]]\ntype = "neigh"', "needs the network's"),
        ('cidr = "nonsense"', "is not an IPv4 network"),
    ],
)
def test_network_rules(tmp_path: Path, network: str, message: str) -> None:
    path = tmp_path / "c.toml"
    path.write_text(f'[[networks]]\nname = "lan"\n{network}\n')
    code, out = check(path)
    assert code == 1 and message in out


def test_duplicate_network_names(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[[networks]]\nname = "lan"\ncidr = "198.18.0.0/24"\n' * 2)
    code, out = check(path)
    assert code == 1 and "network name 'lan' is declared twice" in out


def test_environment_overrides_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "lanventory.toml"
    path.write_text(GOOD.format(tmp=tmp_path))
    monkeypatch.setenv("LANVENTORY_AWAY_AFTER_MISSED_RUNS", "3")
    monkeypatch.setenv(
        "LANVENTORY_NETWORKS",
        json.dumps([{"name": "wan", "cidr": "198.18.9.0/24", "interface": "eth1", "sweep": {}}]),
    )
    settings = load_settings(path)
    assert settings.away_after_missed_runs == 3
    assert [n.name for n in settings.networks] == ["wan"]


def test_scan_refuses_unconfigured_networks(tmp_path: Path) -> None:
    path = tmp_path / "lanventory.toml"
    path.write_text(GOOD.format(tmp=tmp_path))
    runner = CliRunner()
    result = runner.invoke(main, ["--config", str(path), "scan", "--network", "guest"])
    assert result.exit_code == 1
    assert "network 'guest' is not configured (configured networks: lan, iot)" in result.output
    empty = tmp_path / "empty.toml"
    empty.write_text(f'db = "sqlite:///{tmp_path}/lv.db"\n')
    result = runner.invoke(main, ["--config", str(empty), "scan"])
    assert result.exit_code == 1 and "no network to sweep" in result.output
