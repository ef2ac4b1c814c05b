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
from lanventory.store.tables import device_addresses, devices, events, ip_history, sightings
from tests.conftest import PostgresCluster
from tests.store.test_hostile_strings import KEA_CSV, LONG, feed
from tests.store.test_store import run, scan

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


def test_upgrade_keeps_every_row_and_then_takes_long_hostnames(at_0004: Engine) -> None:
    device_addresses.create(at_0004)  # today's ingest reads it; a later migration adds it
    report = run(at_0004, "arp-scan", scan(("192.168.1.5", "dc:a6:32:00:00:05")))
    assert report.ok, report.error
    device_addresses.drop(at_0004)
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
