"""``POST /api/scan`` (202, 409 while running, 404, 400) and the live event stream,
read from a real server on loopback while other connections and processes ingest."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import Engine, select

from lanventory.collect.files import read_texts
from lanventory.config import Settings
from lanventory.ingest import RunReport, ingest
from lanventory.network_config import NetworkConfig
from lanventory.service import scheduler as scheduler_module
from lanventory.service.bus import EventBus
from lanventory.service.scheduler import Scheduler
from lanventory.service.writer import Writer
from lanventory.store.tables import runs
from lanventory.vendors import load_table
from lanventory.web.app import create_app
from lanventory.web.live import event_stream
from lanventory.web.services import Services
from tests.conftest import SAMPLE_NOW, fixture_path
from tests.web.conftest import Clock

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

KEA = fixture_path("kea-csv", "shared-sample-kea-3.0", "kea-leases4.csv")
ARP = fixture_path("arp-scan", "shared-sample-arp-scan-1.10.0-default.txt")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    networks = [
        {"name": "lan", "cidr": "192.168.1.0/24", "interface": "eth9", "sweep": {}},
        {"name": "quiet", "cidr": "10.0.0.0/24", "interface": "eth8"},
        {"name": "bare", "cidr": "10.0.1.0/24"},
    ]
    return Settings(
        data_dir=tmp_path / "data",
        networks=[NetworkConfig.model_validate(n) for n in networks],
    )


# --- POST /api/scan -----------------------------------------------------------------------


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """Sweeps block until the returned event is set, then ingest the arp-scan sample."""
    release = threading.Event()

    def fake_sweep(db: Engine, settings: Settings, network: NetworkConfig, **kw: Any) -> Any:
        release.wait(20)

        def apply() -> RunReport:
            return ingest(
                db,
                "arp-scan",
                network.name,
                read_texts([ARP]),
                now=SAMPLE_NOW,
                policy=settings.policy,
                lookup=kw["lookup"],
                clock=kw["clock"],
                run_id=kw["run_id"],
            )

        return kw["write"](apply), None

    monkeypatch.setattr(scheduler_module, "run_sweep", fake_sweep)
    return release


def wait_finished(client: TestClient, job: str) -> dict[str, Any]:
    for _ in range(200):
        answer = client.get(f"/api/scan/{job}")
        assert answer.status_code == 200, answer.text
        if answer.json()["status"] == "finished":
            found: dict[str, Any] = answer.json()
            return found
        time.sleep(0.05)
    raise AssertionError(f"scan job {job} did not finish")


def test_scan_now_answers_202_with_run_ids_and_409_while_the_network_runs(
    app: FastAPI, client: TestClient, engine: Engine, gate: threading.Event
) -> None:
    app.state.scheduler = Scheduler(app.state.services)
    started = client.post("/api/scan", json={"network": "lan"})
    assert started.status_code == 202, started.text
    (job,) = started.json()["runs"]
    assert job["network"] == "lan" and job["status"] == "running"
    assert isinstance(job["run_id"], int)  # the run record is opened before the sweep starts
    with engine.connect() as connection:
        opened = connection.execute(select(runs).where(runs.c.id == job["run_id"])).one()
    assert (opened.network, opened.finished_at, opened.ok) == ("lan", None, None)

    again = client.post("/api/scan", json={"network": "lan"})
    assert again.status_code == 409 and "lan" in again.json()["detail"]
    assert client.post("/api/scan").status_code == 409  # every network with a sweep: lan
    assert client.post("/api/scan", json={"network": "nope"}).status_code == 404
    bare = client.post("/api/scan", json={"network": "bare"})
    assert bare.status_code == 400 and "interface" in bare.json()["detail"]
    assert client.post("/api/scan", json={"networks": "lan"}).status_code == 422
    assert client.get("/api/scan/no-such-job").status_code == 404

    gate.set()
    finished = wait_finished(client, job["job"])
    assert finished["ok"] is True and finished["error"] is None
    assert finished["run_id"] == job["run_id"]
    with engine.connect() as connection:
        run = connection.execute(select(runs).where(runs.c.id == finished["run_id"])).one()
        assert connection.execute(select(runs)).all() == [run]  # the opened record, closed
    assert (run.network, run.ok) == ("lan", True) and run.finished_at is not None

    # free again; a named network without a sweep table is swept with the defaults
    assert client.post("/api/scan", json={"network": "lan"}).status_code == 202
    (quiet,) = client.post("/api/scan", json={"network": "quiet"}).json()["runs"]
    assert wait_finished(client, quiet["job"])["network"] == "quiet"


def test_scan_now_is_400_when_no_network_has_a_sweep(app: FastAPI, client: TestClient) -> None:
    services: Services = app.state.services
    services.settings = Settings(data_dir=services.settings.data_dir)
    app.state.scheduler = Scheduler(services)
    answer = client.post("/api/scan", json={})
    assert answer.status_code == 400 and "sweep" in answer.json()["detail"]


def test_scan_now_is_503_without_the_background_work(client: TestClient) -> None:
    assert client.post("/api/scan").status_code == 503
    assert client.get("/api/events/stream").status_code == 503


# --- the live stream ----------------------------------------------------------------------


def test_the_stream_starts_with_retry_and_sends_heartbeats(engine: Engine) -> None:
    async def scenario() -> list[str]:
        bus = EventBus(engine)
        stream = event_stream(bus, engine, 0, heartbeat=0.05)
        items = [await anext(stream), await anext(stream), await anext(stream)]
        await bus.stop()
        items += [item async for item in stream]  # ends with the bus
        return items

    assert asyncio.run(scenario()) == ["retry: 3000\n\n", ": heartbeat\n\n", ": heartbeat\n\n"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """``app`` served by uvicorn on a loopback port, in a thread, with its background work."""
    port = _free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=2
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    assert server.started, "the server did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(15)
        assert not thread.is_alive(), "the server did not stop"


Frame = dict[str, str]


def read_until(lines: Iterator[str], done: Callable[[list[Frame]], bool]) -> list[Frame]:
    """SSE messages from ``lines`` until ``done`` says enough (comments skipped)."""
    frames: list[Frame] = []
    current: Frame = {}
    for line in lines:
        if line.startswith(":"):
            continue
        if line:
            field, _, value = line.partition(": ")
            current[field] = value
            continue
        if "event" in current:
            frames.append(current)
            if done(frames):
                return frames
        current = {}
    raise AssertionError(f"the stream ended after {frames}")


def finished_runs(count: int) -> Callable[[list[Frame]], bool]:
    return lambda frames: sum(f["event"] == "run_finished" for f in frames) >= count


def test_the_stream_carries_events_from_another_process_and_from_the_writer(
    engine: Engine, db_url: str, settings: Settings, owner_token: str, tmp_path: Path
) -> None:
    writer = Writer()
    services = Services(settings, engine, writer, Clock(SAMPLE_NOW), load_table(None).lookup)
    app = create_app(services)  # with the bus, the scheduler and the notifier
    headers = {"Authorization": f"Bearer {owner_token}"}
    (tmp_path / "none.toml").write_text("")
    env = {
        **os.environ,
        "LANVENTORY_CONFIG": str(tmp_path / "none.toml"),
        "LANVENTORY_DATA_DIR": str(tmp_path / "data"),
    }
    with serving(app) as base, httpx.Client(base_url=base, timeout=10) as http:
        assert http.get("/api/events/stream").status_code == 401
        with http.stream("GET", "/api/events/stream", headers=headers) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            lines = response.iter_lines()
            assert next(lines) == "retry: 3000"

            command = [sys.executable, "-m", "lanventory.cli", "--db", db_url, "ingest"]
            command += ["kea-csv", str(KEA), "--network", "lan", "--now", "1795417200"]
            subprocess.run(command, check=True, env=env, capture_output=True, timeout=120)
            from_cli = read_until(lines, finished_runs(1))

            texts = read_texts([ARP])
            writer.submit(
                ingest,
                engine,
                "arp-scan",
                "lan",
                texts,
                now=SAMPLE_NOW,
                policy=settings.policy,
                lookup=services.lookup,
                clock=services.clock,
            ).result(60)
            from_writer = read_until(lines, finished_runs(1))

        kinds = [frame["event"] for frame in from_cli]
        assert kinds.count("device_new") == 8 and kinds[-1] == "run_finished"
        first = json.loads(from_cli[0]["data"])
        assert first["type"] == "device_new" and first["network"] == "lan" and first["mac"]
        assert first["id"] == int(from_cli[0]["id"])
        summary = json.loads(from_cli[-1]["data"])["data"]
        assert summary["source"] == "kea-csv" and summary["ok"] is True and summary["new"] == 8
        assert json.loads(from_writer[-1]["data"])["data"]["source"] == "arp-scan"
        ids = [int(frame["id"]) for frame in from_cli + from_writer]
        assert ids == sorted(set(ids))

        # a client that reconnects with Last-Event-ID gets what it missed, from the table
        resume = {**headers, "Last-Event-ID": from_cli[0]["id"]}
        with http.stream("GET", "/api/events/stream", headers=resume) as response:
            replayed = read_until(response.iter_lines(), finished_runs(2))
        assert [int(frame["id"]) for frame in replayed] == ids[1:]
