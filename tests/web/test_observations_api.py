"""``POST /api/observations``: agent batches applied exactly once, scoped by token, on both databases."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from lanventory.config import Settings
from lanventory.store.credentials import create_token, revoke_token
from lanventory.store.tables import agent_batches, devices, events, runs
from tests.conftest import SAMPLE_NOW

AT = SAMPLE_NOW.isoformat()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    networks = [
        {"name": "lan", "cidr": "198.18.0.0/24"},
        {"name": "iot", "cidr": "198.18.1.0/24"},
        {"name": "guest", "cidr": "198.18.2.0/24"},
    ]
    return Settings(data_dir=tmp_path / "data", networks=networks)  # type: ignore[arg-type]


@pytest.fixture
def agent(app: FastAPI, engine: Engine) -> Iterator[TestClient]:
    token = create_token(engine, "site-b", SAMPLE_NOW, kind="agent", networks=["lan", "iot"])
    with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as test_client:
        yield test_client


def batch(batch_id: str = "batch-0001", network: str = "lan", **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": batch_id,
        "network": network,
        "source": "kea-csv",
        "started_at": AT,
        "captured_at": AT,
        "inputs": ["/var/lib/kea/kea-leases4.csv"],
        "lines": 3,
        "observations": [
            {"mac": "AA-BB-CC-00-00-01", "ip": "198.18.0.10", "seen_at": AT, "hostname": "nas"},
            {"mac": "aabb.cc00.0002", "ip": "198.18.0.11", "seen_at": AT, "active": False},
        ],
        "skipped": {"declined": 1},
    }
    body.update(changes)
    return body


def count(engine: Engine, table: Any) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def test_a_batch_is_applied_once_and_a_resend_changes_nothing(
    agent: TestClient, engine: Engine
) -> None:
    first = agent.post("/api/observations", json=batch())
    assert first.status_code == 200, first.text
    receipt = first.json()
    assert receipt["ok"] and not receipt["duplicate"] and receipt["run_id"]
    assert "2 observations (1 active), 2 new" in receipt["summary"]
    assert "declined 1" in receipt["summary"]
    state = [count(engine, t) for t in (devices, events, runs, agent_batches)]
    again = agent.post("/api/observations", json=batch())
    assert again.status_code == 200
    assert again.json()["duplicate"] and again.json()["run_id"] == receipt["run_id"]
    assert [count(engine, t) for t in (devices, events, runs, agent_batches)] == state
    with engine.connect() as connection:
        run = connection.execute(select(runs)).mappings().one()
        macs = set(connection.execute(select(devices.c.mac)).scalars())
    assert run["source"] == "kea-csv" and run["network"] == "lan" and run["ok"]
    assert run["inputs"] == ["agent site-b", "/var/lib/kea/kea-leases4.csv"]
    assert run["counts"]["agent"] == "site-b" and run["counts"]["batch"] == "batch-0001"
    assert run["counts"]["skipped"] == {"declined": 1}
    assert macs == {"aa:bb:cc:00:00:01", "aa:bb:cc:00:00:02"}


def test_gzip_bodies_are_accepted(agent: TestClient, engine: Engine) -> None:
    body = gzip.compress(json.dumps(batch()).encode())
    answer = agent.post(
        "/api/observations",
        content=body,
        headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
    )
    assert answer.status_code == 200, answer.text
    assert count(engine, devices) == 2
    broken = agent.post(
        "/api/observations",
        content=body[:-20],
        headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
    )
    assert broken.status_code == 400 and "cut short" in broken.json()["detail"]
    odd = agent.post("/api/observations", content=b"x", headers={"Content-Encoding": "br"})
    assert odd.status_code == 415


def test_a_network_outside_the_token_is_refused(agent: TestClient, engine: Engine) -> None:
    answer = agent.post("/api/observations", json=batch(network="guest"))
    assert answer.status_code == 403
    assert "may not report network 'guest'" in answer.json()["detail"]
    assert "iot, lan" in answer.json()["detail"]
    assert count(engine, runs) == 0 and count(engine, agent_batches) == 0


def test_a_network_the_server_does_not_have_is_refused(client: TestClient, engine: Engine) -> None:
    answer = client.post("/api/observations", json=batch(network="dmz"))  # owner token
    assert answer.status_code == 422
    assert "not configured on this server" in answer.json()["detail"]
    assert count(engine, runs) == 0


def test_an_owner_token_may_report_any_configured_network(
    client: TestClient, engine: Engine
) -> None:
    answer = client.post("/api/observations", json=batch(network="guest"))
    assert answer.status_code == 200 and answer.json()["ok"]


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"observations": [{"mac": "00:00:00:00:00:00", "seen_at": AT}]}, "MAC"),
        (
            {"observations": [{"mac": "aa:bb:cc:00:00:01", "ip": "300.1.1.1", "seen_at": AT}]},
            "300.1.1.1",
        ),
        (
            {"observations": [{"mac": "aa:bb:cc:00:00:01", "seen_at": "2026-11-23T07:00:00"}]},
            "timezone",
        ),
        ({"source": "nmap"}, "unknown source 'nmap'"),
        ({"id": "x"}, "id"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_malformed_batches_are_refused_with_what_is_wrong(
    agent: TestClient, engine: Engine, change: dict[str, Any], words: str
) -> None:
    answer = agent.post("/api/observations", json=batch(**change))
    assert answer.status_code == 422
    assert words.lower() in answer.text.lower()
    assert count(engine, runs) == 0 and count(engine, devices) == 0


def test_a_run_that_failed_on_the_agent_is_recorded_as_failed(
    agent: TestClient, engine: Engine
) -> None:
    failed = batch(
        observations=[], lines=0, skipped={}, error="cannot read /var/lib/kea/x: permission denied"
    )
    answer = agent.post("/api/observations", json=failed)
    assert answer.status_code == 200
    assert not answer.json()["ok"] and "permission denied" in answer.json()["error"]
    with engine.connect() as connection:
        kinds = list(connection.execute(select(events.c.type)).scalars())
    assert sorted(kinds) == ["run_finished", "source_failed"]
    again = agent.post("/api/observations", json=failed)
    assert again.json()["duplicate"] and count(engine, runs) == 1


def test_agent_tokens_stay_out_of_the_owner_api_and_revocation_is_immediate(
    agent: TestClient, engine: Engine
) -> None:
    assert agent.get("/api/devices").status_code == 403
    assert agent.post("/api/import", json=[]).status_code == 403
    revoke_token(engine, "site-b", SAMPLE_NOW)
    assert agent.post("/api/observations", json=batch()).status_code == 401


def test_anonymous_batches_are_refused(anon: TestClient) -> None:
    answer = anon.post("/api/observations", json=batch())
    assert answer.status_code == 401 and answer.headers["www-authenticate"].startswith("Bearer")


def test_a_body_over_the_limit_is_refused(
    agent: TestClient, monkeypatch: pytest.MonkeyPatch, app: FastAPI
) -> None:
    from lanventory.web import request_body

    middleware = app.middleware_stack
    while middleware is not None and not isinstance(middleware, request_body.RequestBodies):
        middleware = getattr(middleware, "app", None)
    assert middleware is not None
    monkeypatch.setitem(middleware.limits, "/api/observations", 300)
    answer = agent.post("/api/observations", json=batch())
    assert answer.status_code == 413 and "larger than 300 bytes" in answer.json()["detail"]
    zipped = gzip.compress(json.dumps(batch()).encode())
    assert len(zipped) < 300 < len(json.dumps(batch()))
    answer = agent.post("/api/observations", content=zipped, headers={"Content-Encoding": "gzip"})
    assert answer.status_code == 413  # the limit holds after decompression
