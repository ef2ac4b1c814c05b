"""`lanventory import legacy-dhcp-leases` against a real PostgreSQL with the old schema.

The legacy database is built from the fixture SQL (seed 000's layouts, real INET
and MACADDR columns); the target is the ``engine`` fixture's database, so every
import runs into SQLite and into PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, func, insert, select, text

from lanventory.cli import main
from lanventory.store import schema
from lanventory.store.devices import get_device
from lanventory.store.engine import create_engine
from lanventory.store.tables import devices, events, ip_history, runs
from tests.conftest import PostgresCluster, fixture_path

NOW = datetime(2025, 11, 20, 12, 0, tzinfo=UTC)
OLD = fixture_path("legacy-dhcp-leases", "seed-000-style-dhcp_leases.sql")
MAC_KEYED = fixture_path("legacy-dhcp-leases", "seed-000-style-dhcp_leases-mac-keyed.sql")
EXTRA_TABLES = """
CREATE TABLE broken_leases (id SERIAL PRIMARY KEY, network VARCHAR(32), ip_address INET);
CREATE TABLE guest_leases (
    network VARCHAR(32) NOT NULL, ip_address INET NOT NULL, mac_address MACADDR NOT NULL
);
INSERT INTO guest_leases VALUES
    ('Guest WiFi', '10.10.0.20', '5c:e9:1e:00:00:01'),
    ('Guest WiFi', '10.10.0.21', '5c:e9:1e:00:00:02');
"""

Cli = Callable[..., tuple[int, str]]


def utc(text_value: str) -> datetime:
    return datetime.fromisoformat(text_value).replace(tzinfo=UTC)


def _legacy_database(cluster: PostgresCluster, name: str, *scripts: str) -> str:
    url = cluster.create_database(name)
    engine = create_engine(url)
    with engine.begin() as connection:
        for script in scripts:
            connection.exec_driver_sql(script)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql(f"ALTER DATABASE {name} SET timezone TO 'Europe/Berlin'")
    engine.dispose()
    return url


@pytest.fixture(scope="module")
def legacy_url(pg_cluster: PostgresCluster) -> str:
    """``router_webui`` with the IP-keyed table, plus a broken and a guest table."""
    return _legacy_database(pg_cluster, "router_webui", OLD.read_text(), EXTRA_TABLES)


@pytest.fixture(scope="module")
def mac_keyed_url(pg_cluster: PostgresCluster) -> str:
    """``router_webui_v2`` with the table after seed 000's move to (network, mac) keys."""
    return _legacy_database(pg_cluster, "router_webui_v2", MAC_KEYED.read_text())


def _runner(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    monkeypatch.setenv("LANVENTORY_DATA_DIR", str(tmp_path / "data"))
    config = tmp_path / "lanventory.toml"
    if not config.exists():
        config.write_text("")
    monkeypatch.setenv("LANVENTORY_CONFIG", str(config))
    monkeypatch.setattr("lanventory.cli.legacy.utcnow", lambda: NOW)
    runner = CliRunner()

    def invoke(*args: str) -> tuple[int, str]:
        result = runner.invoke(main, ["--db", db_url, *args], catch_exceptions=False)
        return result.exit_code, result.output

    return invoke


@pytest.fixture
def cli(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    return _runner(db_url, tmp_path, monkeypatch)


@pytest.fixture
def sqlite_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Cli, Engine]]:
    """A CLI on an empty SQLite inventory, for the refusals."""
    url = f"sqlite:///{tmp_path / 'lanventory.db'}"
    engine = create_engine(url)
    schema.upgrade(engine)
    yield _runner(url, tmp_path, monkeypatch), engine
    engine.dispose()


def _snapshot(engine: Engine) -> tuple[object, ...]:
    with engine.connect() as connection:
        return (
            connection.execute(select(devices).order_by(devices.c.id)).all(),
            connection.execute(select(ip_history).order_by(ip_history.c.id)).all(),
            connection.execute(select(func.count()).select_from(events)).scalar_one(),
            connection.execute(select(func.count()).select_from(runs)).scalar_one(),
        )


def _legacy_checksum(url: str) -> tuple[object, ...]:
    engine = create_engine(url)
    with engine.connect() as connection:
        found = connection.execute(
            text("SELECT count(*), md5(string_agg(d::text, ',' ORDER BY id)) FROM dhcp_leases d")
        ).one()
    engine.dispose()
    return tuple(found)


def test_the_ip_keyed_table_becomes_mac_keyed_devices(
    cli: Cli, engine: Engine, legacy_url: str
) -> None:
    before = _legacy_checksum(legacy_url)
    code, out = cli("import", "legacy-dhcp-leases", "--from", legacy_url)
    assert code == 0, out
    lines = out.splitlines()
    assert lines[:2] == [
        "iot <- legacy-dhcp-leases (router_webui.dhcp_leases): 5 rows, 3 devices (3 new, "
        "0 updated), 1 duplicate row merged, 0 IP conflicts resolved; skipped 1 row "
        "(broadcast-mac 1)",
        "lan <- legacy-dhcp-leases (router_webui.dhcp_leases): 10 rows, 6 devices (6 new, "
        "0 updated), 2 duplicate rows merged, 1 IP conflict resolved; skipped 2 rows "
        "(zero-mac 1, multicast-mac 1)",
    ]
    assert lines[2].startswith("warning: 3 imported devices with status new were last seen")
    assert "14 days; 24 h for randomized MACs" in lines[2] and "--status known" in lines[2]
    assert _legacy_checksum(legacy_url) == before  # only read

    with engine.connect() as connection:
        anna = get_device(connection, "lan", "3c:22:fb:12:34:56")
        nas = get_device(connection, "lan", "00:11:32:aa:bb:cc")
        phone = get_device(connection, "lan", "a4:83:e7:01:02:03")
        galaxy = get_device(connection, "lan", "da:a1:19:5c:7e:01")
        anna_iot = get_device(connection, "iot", "3c:22:fb:12:34:56")
        history = connection.execute(
            select(ip_history.c.ip, ip_history.c.first_seen, ip_history.c.last_seen)
            .where(ip_history.c.device_id == (anna.id if anna else None))
            .order_by(ip_history.c.ip)
        ).all()
        imported = connection.execute(
            select(events.c.network, events.c.mac, events.c.data, events.c.run_id)
            .where(events.c.type == "imported")
            .order_by(events.c.network, events.c.mac)
        ).all()
        recorded = connection.execute(select(runs).order_by(runs.c.network)).mappings().all()
    assert anna is not None and nas is not None and phone is not None and galaxy is not None
    # the naive router times are Berlin time: 21:40:12 CET is 20:40:12 UTC
    assert (anna.ip, anna.hostname, anna.status.value, anna.present, anna.randomized) == (
        "192.168.1.41",
        "Annas-MacBook-Pro",
        "new",
        False,
        False,
    )
    assert (anna.first_seen, anna.last_seen) == (
        utc("2025-11-02T07:14:00"),
        utc("2025-11-16T20:40:12"),
    )
    assert history == [
        ("192.168.1.23", utc("2025-11-02T07:14:00"), utc("2025-11-03T06:55:10")),
        ("192.168.1.41", utc("2025-11-16T08:02:00"), utc("2025-11-16T20:40:12")),
    ]
    # NULL hostname on the newest row: the latest one known; NULL last_seen: the lease end
    assert (nas.ip, nas.hostname) == ("192.168.1.5", "diskstation")
    assert (nas.first_seen, nas.last_seen) == (
        utc("2025-09-12T08:00:00"),
        utc("2025-11-11T11:00:00"),
    )
    assert (phone.ip, galaxy.ip, galaxy.randomized) == (None, "192.168.1.50", True)
    assert anna_iot is not None and anna_iot.ip == "192.168.20.77"

    assert len(imported) == 9
    assert {(network, mac) for network, mac, _, _ in imported} >= {
        ("lan", "3c:22:fb:12:34:56"),
        ("iot", "3c:22:fb:12:34:56"),
    }
    assert all(d["from"] == "legacy-dhcp-leases" and d["created"] for _, _, d, _ in imported)
    assert [
        (r["network"], r["source"], r["ok"], r["lines"], r["observations"]) for r in recorded
    ] == [
        ("iot", "legacy-dhcp-leases", True, 5, 3),
        ("lan", "legacy-dhcp-leases", True, 10, 6),
    ]
    lan_run = recorded[1]
    assert lan_run["inputs"] == ["router_webui.dhcp_leases"]
    assert {k: lan_run["counts"][k] for k in ("new", "merged", "conflicts", "skipped")} == {
        "new": 6,
        "merged": 2,
        "conflicts": 1,
        "skipped": {"zero-mac": 1, "multicast-mac": 1},
    }
    assert {run_id for _, _, _, run_id in imported} == {r["id"] for r in recorded}

    first = _snapshot(engine)
    code, out = cli("import", "legacy-dhcp-leases", "--from", legacy_url)
    assert code == 0, out
    assert (
        "lan <- legacy-dhcp-leases (router_webui.dhcp_leases): 10 rows, 6 devices (0 new, " in out
    )
    assert "(0 new, 0 updated, 6 unchanged)" in out and out.count("nothing to change") == 2
    assert _snapshot(engine) == first


def test_existing_devices_keep_what_the_owner_set(
    cli: Cli, engine: Engine, legacy_url: str
) -> None:
    owned = {
        "network": "lan",
        "mac": "3c:22:fb:12:34:56",
        "ip": "192.168.1.23",
        "name": "Anna's MacBook",
        "grp": "Family",
        "status": "known",
        "first_seen": utc("2025-11-05T10:00:00"),
        "last_seen": utc("2025-11-10T10:00:00"),
    }
    holder = {
        "network": "lan",
        "mac": "b8:27:eb:99:99:99",
        "ip": "192.168.1.10",
        "first_seen": utc("2025-11-18T10:00:00"),
        "last_seen": utc("2025-11-19T10:00:00"),
        "present": True,
    }
    with engine.begin() as connection:
        connection.execute(insert(devices).values(owned))
        connection.execute(insert(devices).values(holder))
    code, out = cli("import", "legacy-dhcp-leases", "--from", legacy_url, "--status", "known")
    assert code == 0, out
    assert (
        "lan <- legacy-dhcp-leases (router_webui.dhcp_leases): 10 rows, 6 devices (5 new, "
        "1 updated), 2 duplicate rows merged, 2 IP conflicts resolved" in out
    )
    assert "warning" not in out  # every created device is known
    with engine.connect() as connection:
        anna = get_device(connection, "lan", "3c:22:fb:12:34:56")
        pi = get_device(connection, "lan", "b8:27:eb:4a:11:02")
        squatter = get_device(connection, "lan", "b8:27:eb:99:99:99")
        (change,) = connection.execute(
            select(events.c.data).where(
                events.c.type == "imported",
                events.c.network == "lan",
                events.c.mac == "3c:22:fb:12:34:56",
            )
        ).scalars()
    assert anna is not None and pi is not None and squatter is not None
    assert (anna.name, anna.grp, anna.status.value) == ("Anna's MacBook", "Family", "known")
    assert (anna.ip, anna.first_seen, anna.last_seen) == (
        "192.168.1.41",
        utc("2025-11-02T07:14:00"),
        utc("2025-11-16T20:40:12"),
    )
    assert (pi.ip, pi.status.value, squatter.ip, squatter.present) == (
        None,
        "known",
        "192.168.1.10",
        True,
    )
    assert change["created"] is False
    assert change["changes"]["ip"] == ["192.168.1.23", "192.168.1.41"]
    assert change["changes"]["ip_history"] == [None, "192.168.1.23, 192.168.1.41"]


def test_the_mac_keyed_variant_and_unknown_columns(
    cli: Cli, engine: Engine, mac_keyed_url: str
) -> None:
    code, out = cli("import", "legacy-dhcp-leases", "--from", mac_keyed_url)
    assert code == 0, out
    assert out.splitlines()[:2] == [
        "iot <- legacy-dhcp-leases (router_webui_v2.dhcp_leases): 1 row, 1 device (1 new, "
        "0 updated), 0 duplicate rows merged, 0 IP conflicts resolved; skipped 0 rows",
        "lan <- legacy-dhcp-leases (router_webui_v2.dhcp_leases): 3 rows, 2 devices (2 new, "
        "0 updated), 0 duplicate rows merged, 0 IP conflicts resolved; skipped 1 row "
        "(zero-mac 1)",
    ]
    with engine.connect() as connection:
        anna = get_device(connection, "lan", "3c:22:fb:12:34:56")
        shelly = get_device(connection, "iot", "cc:50:e3:1a:2b:3c")
    assert anna is not None and shelly is not None
    assert (anna.ip, anna.last_seen) == ("192.168.1.41", utc("2025-11-16T20:40:12"))
    assert (shelly.ip, shelly.hostname) == ("192.168.20.32", None)


def test_networks_are_mapped_or_refused_before_anything_is_written(
    sqlite_cli: tuple[Cli, Engine], legacy_url: str, tmp_path: Path
) -> None:
    cli, engine = sqlite_cli
    code, out = cli("import", "legacy-dhcp-leases", "--from", legacy_url, "--table", "guest_leases")
    assert code == 1
    assert "nothing imported from router_webui.guest_leases" in out
    assert "'Guest WiFi' (2 rows); map each with --network-map OLD=NEW" in out
    code, out = cli(
        "import",
        "legacy-dhcp-leases",
        "--from",
        legacy_url,
        "--table",
        "public.guest_leases",
        "--network-map",
        "Guest WiFi=guest",
    )
    assert code == 0, out
    assert out.startswith(
        "guest <- legacy-dhcp-leases (router_webui.guest_leases, network 'Guest WiFi'): 2 rows, "
        "2 devices (2 new, 0 updated)"
    )
    code, out = cli("import", "legacy-dhcp-leases", "--from", legacy_url, "--network-map", "x=Y")
    assert code == 2 and "'x=Y': network name 'Y' is not a slug" in out

    (tmp_path / "lanventory.toml").write_text(
        '[[networks]]\nname = "lan"\ncidr = "192.168.1.0/24"\n'
        '[[networks]]\nname = "guest"\ncidr = "10.10.0.0/24"\n'
    )
    runs_before = _snapshot(engine)[3]
    code, out = cli("import", "legacy-dhcp-leases", "--from", legacy_url)
    assert code == 1
    assert "networks that are not configured: 'iot' (configured networks: guest, lan)" in out
    assert _snapshot(engine)[3] == runs_before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--table", "nope"], "database 'router_webui' has no table 'nope'"),
        (["--table", "nope"], "broken_leases, dhcp_leases, guest_leases"),
        (["--table", "broken_leases"], "has no column mac_address (required: network, "),
    ],
)
def test_a_table_that_is_not_there_is_named(
    sqlite_cli: tuple[Cli, Engine], legacy_url: str, args: list[str], message: str
) -> None:
    cli, engine = sqlite_cli
    code, out = cli("import", "legacy-dhcp-leases", "--from", legacy_url, *args)
    assert code == 1 and message in out, out
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(devices)).scalar_one() == 0


def test_a_database_that_cannot_be_reached_is_named(
    sqlite_cli: tuple[Cli, Engine], legacy_url: str
) -> None:
    cli, _ = sqlite_cli
    code, out = cli("import", "legacy-dhcp-leases", "--from", "mysql://root@db/router_webui")
    assert code == 1 and "is not a PostgreSQL database URL" in out
    code, out = cli("import", "legacy-dhcp-leases", "--from", "router_webui")
    assert code == 1 and "'router_webui' is not a database URL" in out
    missing = legacy_url.replace("/router_webui?", "/router_gone?")
    code, out = cli("import", "legacy-dhcp-leases", "--from", missing)
    assert code == 1
    assert (
        "cannot connect to postgresql+psycopg://postgres@/router_gone" in out
        and 'database "router_gone" does not exist' in out
    )
