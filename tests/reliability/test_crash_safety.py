"""Crash safety: ``lanventory ingest`` killed with SIGKILL in the middle of a large run.

Afterwards the database passes its integrity check and holds either all of that run (its
run record finished ok, every device) or none of it (no device and no run record, not even
an opened one), and the same ingest run again completes with every device.

The moments to kill at come from a first, complete run of the same file, timed: while the
file is parsed (nothing written yet), early in the write transaction (SQLite's write-ahead
log has started to grow) and late in it (the log is close to the size the complete run
reached). On PostgreSQL the kill comes once the run's transaction has written.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from lanventory.store import schema
from lanventory.store.engine import create_engine
from lanventory.store.tables import devices, runs
from tests.conftest import PostgresCluster
from tests.reliability.kea_files import generate

LINES, DEVICES = 60_000, 12_000
POLL = 0.005


@dataclass(frozen=True, slots=True)
class Reference:
    """The lease file, and what its complete ingest took."""

    lease_file: Path
    writing_after: float  # seconds until the write-ahead log started to grow
    peak_wal: int  # the log's largest size, in bytes


def ingest(url: str, lease_file: Path, data_dir: Path) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "lanventory.cli", "--db", url]
    command += ["ingest", "kea-csv", str(lease_file), "--network", "lan"]
    env = {**os.environ, "LANVENTORY_DATA_DIR": str(data_dir)}
    return subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )


def fresh_sqlite(path: Path) -> str:
    url = f"sqlite:///{path}"
    engine = create_engine(url)
    schema.upgrade(engine)
    engine.dispose()
    return url


def wal_size(database: Path) -> int:
    try:
        return database.with_name(database.name + "-wal").stat().st_size
    except FileNotFoundError:
        return 0


def finish(process: subprocess.Popen[str]) -> str:
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, out + err
    assert "Traceback" not in err, err
    return out


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Reference:
    root = tmp_path_factory.mktemp("crash-reference")
    lease_file = root / "kea-leases4.csv"
    generate(lease_file, lines=LINES, devices=DEVICES, expire=int(time.time()) + 86_400)
    database = root / "lanventory.db"
    url = fresh_sqlite(database)
    started = time.monotonic()
    process = ingest(url, lease_file, root / "data")
    writing_after, peak = 0.0, 0
    while process.poll() is None:
        size = wal_size(database)
        if size > 0 and not writing_after:
            writing_after = time.monotonic() - started
        peak = max(peak, size)
        time.sleep(POLL)
    assert f"{DEVICES} new" in finish(process)
    assert writing_after > 0 and peak > 1 << 20, (writing_after, peak)
    return Reference(lease_file, writing_after, peak)


def sqlite_state(database: Path) -> tuple[str, int, list[tuple[object, ...]]]:
    """The integrity check's verdict, the device count and every run record."""
    connection = sqlite3.connect(database)
    try:
        (verdict,) = connection.execute("PRAGMA integrity_check").fetchone()
        (count,) = connection.execute("SELECT count(*) FROM devices").fetchone()
        records = connection.execute("SELECT ok, finished_at FROM runs").fetchall()
    finally:
        connection.close()
    return verdict, count, records


def kill_when(process: subprocess.Popen[str], moment: Callable[[], bool]) -> bool:
    """SIGKILL ``process`` as soon as ``moment()`` holds; False if it finished first."""
    while process.poll() is None:
        if moment():
            process.send_signal(signal.SIGKILL)
            process.communicate(timeout=30)
            return True
        time.sleep(POLL)
    process.communicate(timeout=30)
    return False


MOMENTS = ["parsing", "writing-early", "writing-late"]


@pytest.mark.parametrize("moment", MOMENTS)
def test_sqlite_killed_mid_ingest_holds_all_or_none_and_recovers(
    reference: Reference, tmp_path: Path, moment: str
) -> None:
    database = tmp_path / "lanventory.db"
    url = fresh_sqlite(database)
    started = time.monotonic()
    conditions: dict[str, Callable[[], bool]] = {
        "parsing": lambda: time.monotonic() - started > reference.writing_after / 2,
        "writing-early": lambda: wal_size(database) > reference.peak_wal // 10,
        "writing-late": lambda: wal_size(database) > reference.peak_wal * 8 // 10,
    }
    process = ingest(url, reference.lease_file, tmp_path / "data")
    assert kill_when(process, conditions[moment]), "the ingest finished before the kill"
    assert process.returncode == -signal.SIGKILL

    verdict, count, records = sqlite_state(database)
    assert verdict == "ok"
    if records:  # committed just before the kill: all of it, finished ok
        assert moment != "parsing"
        assert count == DEVICES and len(records) == 1, (count, records)
        assert records[0][0] == 1 and records[0][1] is not None, records
    else:  # none of it: no device, and no run record opened and left behind
        assert count == 0

    again = ingest(url, reference.lease_file, tmp_path / "data")
    summary = finish(again)
    assert f"{DEVICES} observations" in summary
    verdict, count, records = sqlite_state(database)
    assert verdict == "ok" and count == DEVICES
    assert records and all(ok == 1 and finished is not None for ok, finished in records)


def test_postgresql_killed_mid_ingest_holds_none_and_recovers(
    pg_cluster: PostgresCluster, reference: Reference, tmp_path: Path
) -> None:
    url = pg_cluster.create_database("lanventory_crash")
    engine = create_engine(url)
    schema.upgrade(engine)
    writers = text(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = 'lanventory_crash' AND backend_xid IS NOT NULL"
    )

    def has_written() -> bool:
        with engine.connect() as connection:
            return bool(connection.execute(writers).scalar_one())

    written_at: list[float] = []

    def written_a_while() -> bool:
        if not written_at and has_written():
            written_at.append(time.monotonic())
        return bool(written_at) and time.monotonic() - written_at[0] > 0.5

    try:
        process = ingest(url, reference.lease_file, tmp_path / "data")
        assert kill_when(process, written_a_while), "the ingest finished before the kill"
        deadline = time.monotonic() + 30
        while has_written():  # the server notices the lost client and rolls back
            assert time.monotonic() < deadline, "the killed run's transaction stays open"
            time.sleep(0.05)
        with engine.connect() as connection:
            assert connection.execute(select(func.count()).select_from(devices)).scalar() == 0
            assert connection.execute(select(func.count()).select_from(runs)).scalar() == 0

        summary = finish(ingest(url, reference.lease_file, tmp_path / "data"))
        assert f"{DEVICES} new" in summary
        with engine.connect() as connection:
            assert connection.execute(select(func.count()).select_from(devices)).scalar() == DEVICES
            assert list(connection.execute(select(runs.c.ok))) == [(True,)]
    finally:
        engine.dispose()
