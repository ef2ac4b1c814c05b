"""Migration 0005 (device text unbounded) on a database in use, SQLite and PostgreSQL.

On SQLite the change rebuilds ``devices``; the rows that refer to it (sightings,
IP history) must survive the rebuild, and foreign keys must be on again after.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text

from lanventory.store import schema
from lanventory.store.engine import create_engine
from lanventory.store.tables import devices, events, ip_history, sightings
from tests.conftest import PostgresCluster
from tests.store.test_hostile_strings import KEA_CSV, LONG, feed

TABLES = (devices, sightings, ip_history, events)


@pytest.fixture(params=["sqlite", "postgresql"])
def at_0004(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A fresh database migrated to 0004 only."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.db'}"
    else:
        cluster: PostgresCluster = request.getfixturevalue("pg_cluster")
        url = cluster.create_database("lanventory_migration_0005")
    engine = create_engine(url)
    schema.upgrade(engine, "0004")
    yield engine
    engine.dispose()


def counts(engine: Engine) -> list[int]:
    with engine.connect() as connection:
        return [
            connection.execute(select(func.count()).select_from(t)).scalar_one() for t in TABLES
        ]


#: A device with a sighting, an address and an event, as the 0004 schema holds them.
ROWS_0004 = (
    "INSERT INTO devices (network, mac, ip, status, randomized, flagged, first_seen,"
    " last_seen, present, watched) VALUES ('lan', 'dc:a6:32:00:00:05', '192.168.1.5',"
    " 'new', false, false, :at, :at, true, false)",
    "INSERT INTO sightings (device_id, source, last_seen, ip, current, missed_runs)"
    " SELECT id, 'arp-scan', :at, '192.168.1.5', true, 0 FROM devices",
    "INSERT INTO ip_history (device_id, ip, family, first_seen, last_seen)"
    " SELECT id, '192.168.1.5', 4, :at, :at FROM devices",
    "INSERT INTO events (at, network, mac, type, data)"
    " VALUES (:at, 'lan', 'dc:a6:32:00:00:05', 'device_new', '{}')",
)


def test_upgrade_keeps_every_row_and_then_takes_long_hostnames(at_0004: Engine) -> None:
    with at_0004.begin() as connection:
        for statement in ROWS_0004:
            connection.execute(text(statement), {"at": "2026-01-01 00:00:00.000000"})
    before = counts(at_0004)
    assert all(before), before

    schema.upgrade(at_0004)

    assert schema.current_revision(at_0004) == schema.HEAD
    assert counts(at_0004) == before
    feed(at_0004, "kea-csv", KEA_CSV)
    with at_0004.connect() as connection:
        hostname = connection.execute(
            select(devices.c.hostname).where(devices.c.mac == "00:77:77:00:00:01")
        ).scalar_one()
        assert hostname == LONG
        if connection.dialect.name == "sqlite":
            assert connection.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
