"""Shared fixtures: sample inputs, and real databases (SQLite and a throwaway PostgreSQL)."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from lanventory.ingest import ingest
from lanventory.inventory.model import Policy
from lanventory.sources.observation import SourceText
from lanventory.store import schema
from lanventory.store.engine import create_engine
from lanventory.store.tables import metadata

FIXTURES = Path(__file__).parent / "fixtures"
#: The reference clock of every shared sample (samples/README.md).
SAMPLE_NOW = datetime.fromtimestamp(1795417200, UTC)


def fixture_path(*parts: str) -> Path:
    """A file under tests/fixtures."""
    return FIXTURES.joinpath(*parts)


def ingest_text(
    engine: Engine, source: str, name: str, body: str, at: datetime, policy: Policy | None = None
) -> None:
    """One run of ``source`` on network ``lan`` reading ``body`` (a file called ``name``) as
    of ``at``, which must succeed."""
    report = ingest(
        engine,
        source,
        "lan",
        [SourceText(name, body)],
        now=at,
        policy=policy or Policy(),
        lookup={}.get,
        clock=lambda: at,
    )
    assert report.ok, report.error


def ingest_fixture(
    engine: Engine, source: str, name: str, at: datetime, policy: Policy | None = None
) -> None:
    """:func:`ingest_text` of the fixture file ``tests/fixtures/<source>/<name>``."""
    body = fixture_path(source, name).read_text(encoding="utf-8")
    ingest_text(engine, source, name, body, at, policy)


def _pg_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PostgresCluster:
    """A private PostgreSQL cluster: its own data directory, unix socket only."""

    def __init__(self, initdb: str, pg_ctl: str) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="lanventory-pg-"))
        self.data = self.root / "data"
        self.socket_dir = self.root / "sock"
        self.socket_dir.mkdir()
        self.port = _free_port()
        self.pg_ctl = pg_ctl
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            shutil.chown(self.root, "postgres")
            shutil.chown(self.socket_dir, "postgres")
        self._run(initdb, "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
        options = f"-k {self.socket_dir} -c listen_addresses='' -p {self.port} -c fsync=off"
        self._run(
            pg_ctl, "-D", str(self.data), "-o", options, "-l", str(self.root / "log"), "-w", "start"
        )

    def _run(self, *argv: str) -> None:
        command = ["runuser", "-u", "postgres", "--", *argv] if self._as_postgres else list(argv)
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@/{database}?host={self.socket_dir}&port={self.port}"

    def create_database(self, name: str) -> str:
        engine = create_engine(self.url("postgres"))
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        return self.url(name)

    def stop(self) -> None:
        try:
            self._run(self.pg_ctl, "-D", str(self.data), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PostgresCluster]:
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if not (initdb and pg_ctl):
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL (initdb, pg_ctl) is not installed: run ./scripts/test")
        pytest.skip("PostgreSQL (initdb, pg_ctl) is not installed: run ./scripts/test")
    cluster = PostgresCluster(initdb, pg_ctl)
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def pg_engine(pg_cluster: PostgresCluster) -> Iterator[Engine]:
    """One migrated PostgreSQL database for the session; tests get it emptied."""
    engine = create_engine(pg_cluster.create_database("lanventory_test"))
    schema.upgrade(engine)
    yield engine
    engine.dispose()


def _empty(engine: Engine) -> None:
    names = ", ".join(table.name for table in metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated, empty database: every store test runs on both backends."""
    if request.param == "sqlite":
        sqlite_engine = create_engine(f"sqlite:///{tmp_path / 'lanventory.db'}")
        schema.upgrade(sqlite_engine)
        yield sqlite_engine
        sqlite_engine.dispose()
        return
    pg: Engine = request.getfixturevalue("pg_engine")
    _empty(pg)
    yield pg


@pytest.fixture
def db_url(engine: Engine) -> str:
    """The URL of the ``engine`` fixture's database, for CLI tests."""
    return engine.url.render_as_string(hide_password=False)
