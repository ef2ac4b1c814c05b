"""The real ``lanventory serve`` on SQLite under load: scheduled ingests of a large Kea lease
file every 2 s while 20 API clients edit devices for 30 s.

Every answer is a 2xx, no request fails in transport, the server logs no error, several
scheduled runs complete, and afterwards every acknowledged edit (the last one of each
device) is in the database. Each client edits its own share of the devices, so "the last
acknowledged edit" of a device is well defined.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import httpx
import pytest
from sqlalchemy import Engine, select

from lanventory.collect.files import read_kea_lease_files
from lanventory.ingest import ingest
from lanventory.inventory.model import Policy
from lanventory.store import schema
from lanventory.store.credentials import create_token
from lanventory.store.engine import create_engine
from lanventory.store.tables import devices, runs
from tests.reliability import kea_files
from tests.serve_banner import read_banner

LINES, DEVICES = 50_000, 5_000
CLIENTS = 20
SECONDS = 30.0
#: Every 2 s (croniter's sixth field is the second).
EVERY_2_S = "* * * * * */2"


@dataclass(slots=True)
class Tally:
    """What one client saw."""

    acknowledged: dict[str, tuple[str, str]] = field(default_factory=dict)  # mac: (name, note)
    latencies: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Server:
    process: subprocess.Popen[str]
    url: str
    token: str
    engine: Engine
    live: Path
    stderr: list[str]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_healthy(url: str) -> None:
    with httpx.Client(base_url=url, timeout=10) as probe:
        for _ in range(400):
            try:
                if probe.get("/healthz").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
    raise AssertionError("serve does not answer on its port")


def drain(stream: IO[str], into: list[str]) -> threading.Thread:
    """Keep reading ``stream`` so the server never blocks on a full pipe."""

    def read() -> None:
        for line in stream:
            into.append(line)

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return thread


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    live = tmp_path / "kea" / "kea-leases4.csv"
    live.parent.mkdir()
    expire = int(time.time()) + 86_400
    kea_files.generate(live, lines=LINES, devices=DEVICES, expire=expire)
    database = tmp_path / "lanventory.db"
    engine = create_engine(f"sqlite:///{database}")
    schema.upgrade(engine)
    now = datetime.now(UTC)
    first = ingest(
        engine,
        "kea-csv",
        "lan",
        read_kea_lease_files(live),
        now=now,
        policy=Policy(),
        lookup={}.get,
        clock=lambda: datetime.now(UTC),
    )
    assert first.ok and first.counts.new == DEVICES, first.summary()
    token = create_token(engine, "load", now)
    config = tmp_path / "lanventory.toml"
    config.write_text(
        f'[[networks]]\nname = "lan"\ncidr = "{kea_files.CIDR}"\n'
        f'[[networks.sources]]\ntype = "kea-csv"\npath = "{live}"\nschedule = "{EVERY_2_S}"\n'
    )
    port = free_port()
    command = [sys.executable, "-m", "lanventory.cli", "--db", f"sqlite:///{database}"]
    command += ["--config", str(config), "serve", "--host", "127.0.0.1", "--port", str(port)]
    env = {**os.environ, "LANVENTORY_DATA_DIR": str(tmp_path / "data"), "PYTHONUNBUFFERED": "1"}
    stdout: list[str] = []
    stderr: list[str] = []
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        err_reader = drain(process.stderr, stderr)
        try:
            read_banner(process)
            out_reader = drain(process.stdout, stdout)
            url = f"http://127.0.0.1:{port}"
            wait_healthy(url)
            yield Server(process, url, token, engine, live, stderr)
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=30) in (0, -signal.SIGTERM)
            out_reader.join(5)
            err_reader.join(5)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(5)
            engine.dispose()


def renew(live: Path, stop: threading.Event) -> None:
    """Kea at work: renewals appended twice a second, so every scheduled run has news."""
    rng = random.Random(3)
    expire = int(time.time()) + 90_000
    while not stop.wait(0.5):
        kea_files.append(
            live, [kea_files.lease_row(rng.randrange(DEVICES), expire) for _ in range(50)]
        )


def edit(server: Server, client: int, deadline: float, tally: Tally) -> None:
    """PATCH random devices of this client's share until ``deadline``."""
    rng = random.Random(client)
    mine = range(client, DEVICES, CLIENTS)
    headers = {"Authorization": f"Bearer {server.token}"}
    with httpx.Client(base_url=server.url, headers=headers, timeout=60) as http:
        count = 0
        while time.monotonic() < deadline:
            mac = kea_files.device(rng.choice(mine))[0]
            count += 1
            name, note = f"c{client} #{count}", f"edit {count} by client {client}"
            started = time.monotonic()
            try:
                answer = http.patch(f"/api/devices/lan/{mac}", json={"name": name, "note": note})
            except httpx.TransportError as error:
                tally.failures.append(f"{mac}: {type(error).__name__}: {error}")
                continue
            tally.latencies.append(time.monotonic() - started)
            if not answer.is_success:
                tally.failures.append(f"{mac}: HTTP {answer.status_code}: {answer.text[:200]}")
                continue
            assert answer.json()["name"] == name
            tally.acknowledged[mac] = (name, note)


def test_scheduled_ingests_and_20_api_writers_for_30_s(server: Server) -> None:
    stop = threading.Event()
    appender = threading.Thread(target=renew, args=(server.live, stop), daemon=True)
    appender.start()
    started_at = datetime.now(UTC)
    deadline = time.monotonic() + SECONDS
    tallies = [Tally() for _ in range(CLIENTS)]
    clients = [
        threading.Thread(target=edit, args=(server, n, deadline, tallies[n]), daemon=True)
        for n in range(CLIENTS)
    ]
    for thread in clients:
        thread.start()
    for thread in clients:
        thread.join(SECONDS + 120)
    stop.set()
    appender.join(5)
    assert not any(thread.is_alive() for thread in clients), "a client hangs"

    failures = [failure for tally in tallies for failure in tally.failures]
    assert failures == [], failures[:10]
    latencies = sorted(latency for tally in tallies for latency in tally.latencies)
    acknowledged = {mac: edit for tally in tallies for mac, edit in tally.acknowledged.items()}
    assert len(latencies) > 100, len(latencies)

    with server.engine.connect() as connection:
        records = list(
            connection.execute(
                select(runs.c.ok, runs.c.error).where(
                    runs.c.source == "kea-csv", runs.c.started_at >= started_at
                )
            )
        )
        stored = {
            row.mac: (row.name, row.note)
            for row in connection.execute(
                select(devices.c.mac, devices.c.name, devices.c.note).where(
                    devices.c.network == "lan"
                )
            )
        }
    assert [error for ok, error in records if not ok] == []
    assert len(records) >= 3, records
    lost = {mac: edit for mac, edit in acknowledged.items() if stored.get(mac) != edit}
    assert lost == {}, list(lost.items())[:10]

    server.process.send_signal(signal.SIGTERM)
    server.process.wait(timeout=30)
    time.sleep(0.2)
    log = "".join(server.stderr)
    assert "Traceback" not in log and "ERROR" not in log, log[-3000:]
    p95 = latencies[int(len(latencies) * 0.95)]
    print(
        f"\n{len(latencies)} edits in {SECONDS:.0f} s = {len(latencies) / SECONDS:.0f}/s, "
        f"p95 PATCH latency {p95 * 1000:.0f} ms, {len(records)} scheduled kea-csv runs ok"
    )
