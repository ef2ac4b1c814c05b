"""The agent against the real app in-process: batches from real sources, sent, retried, refused."""

from __future__ import annotations

import gzip
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, func, select

from lanventory.agent.batch import Batch, batch_of
from lanventory.agent.queue import BatchQueue
from lanventory.agent.runner import Agent
from lanventory.agent.sender import Backoff, Outcome, deliver
from lanventory.config import Settings
from lanventory.ingest import RunReport
from lanventory.sources.observation import Observation, ParseResult
from lanventory.store.credentials import create_token
from lanventory.store.tables import agent_batches, devices, runs
from tests.conftest import SAMPLE_NOW, fixture_path
from tests.web.conftest import TestClient

SERVER = "http://testserver"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """The server's settings (the web fixtures' ``app`` uses them)."""
    networks = [{"name": "lan", "cidr": "192.168.1.0/24"}, {"name": "iot", "cidr": "10.0.0.0/8"}]
    return Settings(data_dir=tmp_path / "server", networks=networks)  # type: ignore[arg-type]


@pytest.fixture
def token(engine: Engine) -> str:
    return create_token(engine, "site-b", SAMPLE_NOW, kind="agent", networks=["lan"])


@pytest.fixture
def server(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


def agent_settings(tmp_path: Path, leases: Path) -> Settings:
    networks = [
        {
            "name": "lan",
            "cidr": "192.168.1.0/24",
            "sources": [{"type": "dnsmasq", "path": str(leases)}],
        }
    ]
    return Settings(data_dir=tmp_path / "agent", networks=networks)  # type: ignore[arg-type]


def count(engine: Engine, table: object) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_a_batch_survives_the_trip(tmp_path: Path) -> None:
    report = RunReport("dnsmasq", "lan", ["/tmp/dhcp.leases"], ok=False)
    result = ParseResult(
        observations=[
            Observation(
                "aa:bb:cc:00:00:01", "192.168.1.5", "dnsmasq", SAMPLE_NOW, hostname="<b>x</b>\x07"
            ),
            Observation(
                "aa:bb:cc:00:00:02", None, "dnsmasq", SAMPLE_NOW, vendor_class="android-dhcp-14"
            ),
        ],
        lines=4,
    )
    batch = batch_of("0123456789abcdef", report, SAMPLE_NOW, result)
    back = Batch.model_validate_json(batch.model_dump_json()).parse_result()
    assert back.observations == result.observations and back.lines == 4
    failed = batch_of(
        "0123456789abcdeg",
        RunReport("dnsmasq", "lan", [], ok=False, error="gone"),
        SAMPLE_NOW,
        None,
    )
    assert failed.error == "gone" and failed.observations == []


def test_the_agent_sends_its_sources_and_the_server_applies_them(
    tmp_path: Path, server: TestClient, token: str, engine: Engine
) -> None:
    leases = tmp_path / "dhcp.leases"
    shutil.copy(fixture_path("dnsmasq", "shared-sample-dnsmasq-openwrt-dhcp.leases"), leases)
    queue = BatchQueue(tmp_path / "queue")
    agent = Agent(
        agent_settings(tmp_path, leases),
        server=SERVER,
        token=token,
        queue=queue,
        clock=lambda: SAMPLE_NOW,
        client=server,
    )
    assert agent.run_all() == 1 and len(queue.pending()) == 1
    result = agent.flush()
    assert (result.delivered, result.pending, result.error) == (1, 0, None)
    assert count(engine, devices) > 0 and count(engine, runs) == 1
    # unchanged lease file: nothing new is made on the schedule
    assert agent.run_due(agent.jobs[0].due) == 0


def test_an_outage_keeps_batches_queued_and_backs_off(
    tmp_path: Path, server: TestClient, token: str, engine: Engine
) -> None:
    leases = tmp_path / "dhcp.leases"
    shutil.copy(fixture_path("dnsmasq", "shared-sample-dnsmasq-openwrt-dhcp.leases"), leases)
    queue = BatchQueue(tmp_path / "queue")
    settings = agent_settings(tmp_path, leases)
    unreachable = httpx.Client(base_url="http://127.0.0.1:9", timeout=1)  # discard port: refused
    down = Agent(
        settings,
        server="http://127.0.0.1:9",
        token=token,
        queue=queue,
        clock=lambda: SAMPLE_NOW,
        client=unreachable,
    )
    down.run_all()
    down.run_all()
    first = down.flush()
    assert first.pending == 2 and first.delivered == 0 and "cannot reach" in (first.error or "")
    assert down.backoff.failures == 1
    # a restarted agent, the server back: everything arrives, in order, once
    up = Agent(
        settings,
        server=SERVER,
        token=token,
        queue=BatchQueue(tmp_path / "queue"),
        clock=lambda: SAMPLE_NOW,
        client=server,
    )
    done = up.flush()
    assert (done.delivered, done.pending) == (2, 0)
    assert count(engine, agent_batches) == 2 and count(engine, runs) == 2


def test_a_batch_the_server_refuses_is_set_aside_and_the_rest_go_on(
    tmp_path: Path, server: TestClient, token: str, engine: Engine
) -> None:
    queue = BatchQueue(tmp_path / "queue")
    queue.put(
        Batch(
            id="for-iot-1",
            network="iot",
            source="neigh",
            started_at=SAMPLE_NOW,
            captured_at=SAMPLE_NOW,
        )
    )
    queue.put(
        Batch(
            id="for-lan-1",
            network="lan",
            source="neigh",
            started_at=SAMPLE_NOW,
            captured_at=SAMPLE_NOW,
        )
    )
    agent = Agent(
        agent_settings(tmp_path, tmp_path / "none"),
        server=SERVER,
        token=token,
        queue=queue,
        clock=lambda: SAMPLE_NOW,
        client=server,
    )
    result = agent.flush()
    assert (result.delivered, result.rejected, result.pending) == (1, 1, 0)
    assert [p.name.split("-", 1)[1] for p in queue.rejected.glob("*.gz")] == ["for-iot-1.json.gz"]


def test_a_revoked_token_is_retried_not_dropped(server: TestClient, engine: Engine) -> None:
    delivery = deliver(server, SERVER, "lv_not-a-token", gzip.compress(b"{}"))
    assert delivery.outcome is Outcome.RETRY and "unknown or revoked" in delivery.detail


def test_backoff_doubles_up_to_its_limit() -> None:
    backoff = Backoff(10)
    waits = [backoff.failed() for _ in range(6)]
    assert 0.8 <= waits[0] <= 1.2 and 1.6 <= waits[1] <= 2.4
    assert all(8 <= wait <= 12 for wait in waits[4:])
    backoff.reset()
    assert backoff.failed() <= 1.2
