"""``GET /metrics``: Prometheus text, read from the tables at scrape time."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine

from lanventory.config import Settings
from lanventory.ingest import RunReport, ingest_result, record_failure
from lanventory.inventory.model import Policy
from lanventory.service.writer import Writer
from lanventory.sources.observation import Observation, ParseResult
from lanventory.store.devices import edit_device
from lanventory.web.app import create_app
from lanventory.web.security import require_owner
from lanventory.web.services import Services
from tests.conftest import SAMPLE_NOW

Clock = Callable[[], datetime]
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


class StepClock:
    """A clock that moves on by ``step`` every time it is read."""

    def __init__(self, start: datetime, step: timedelta) -> None:
        self.now, self.step = start, step

    def __call__(self) -> datetime:
        current = self.now
        self.now += self.step
        return current


def _ingest(engine: Engine, clock: StepClock, network: str, source: str, macs: list[str]) -> None:
    observations = [
        Observation(mac, f"198.18.0.{n + 10}", source, SAMPLE_NOW, hostname=f"host-{n}")
        for n, mac in enumerate(macs)
    ]
    report = ingest_result(
        engine,
        RunReport(source, network, [f"{source}.txt"], ok=False),
        ParseResult(observations, lines=len(observations)),
        started_at=clock(),
        now=SAMPLE_NOW,
        policy=Policy(),
        lookup=lambda _mac: None,
        clock=clock,
    )
    assert report.ok


def _app(engine: Engine, clock: Clock) -> FastAPI:
    services = Services(Settings(), engine, Writer(), clock, lambda _mac: None)
    app = create_app(services, background=False)
    app.dependency_overrides[require_owner] = lambda: None
    return app


@pytest.fixture
def app(engine: Engine) -> FastAPI:
    clock = StepClock(SAMPLE_NOW, timedelta(seconds=2))
    _ingest(engine, clock, "lan", "arp-scan", ["3c:22:fb:00:00:01", "3c:22:fb:00:00:02"])
    _ingest(engine, clock, "lan", "arp-scan", ["3c:22:fb:00:00:01"])
    _ingest(engine, clock, "iot", "kea-csv", ["b8:27:eb:00:00:01"])
    record_failure(
        engine,
        RunReport("kea-csv", "iot", ["leases.csv"], ok=False, error="no such file"),
        clock(),
        clock,
    )
    edit_device(engine, "lan", "3c:22:fb:00:00:01", {"status": "known"}, SAMPLE_NOW)
    return _app(engine, clock)


async def _fetch(app: FastAPI) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://lanventory") as client:
        return await client.get("/metrics")


def _scrape(app: FastAPI) -> Samples:
    response = asyncio.run(_fetch(app))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def _get(samples: Samples, name: str, **labels: str) -> float:
    return samples[(name, tuple(sorted(labels.items())))]


def test_devices_by_network_status_and_presence(app: FastAPI) -> None:
    samples = _scrape(app)
    devices = {key: value for key, value in samples.items() if key[0] == "lanventory_devices"}
    assert devices == {
        ("lanventory_devices", (("network", "iot"), ("present", "true"), ("status", "new"))): 1,
        ("lanventory_devices", (("network", "lan"), ("present", "true"), ("status", "known"))): 1,
        ("lanventory_devices", (("network", "lan"), ("present", "false"), ("status", "new"))): 1,
    }


def test_runs_counted_by_outcome_with_their_times(app: FastAPI) -> None:
    samples = _scrape(app)
    assert _get(samples, "lanventory_runs_total", network="lan", source="arp-scan", ok="true") == 2
    assert _get(samples, "lanventory_runs_total", network="iot", source="kea-csv", ok="true") == 1
    assert _get(samples, "lanventory_runs_total", network="iot", source="kea-csv", ok="false") == 1
    assert (
        "lanventory_runs_total",
        (("network", "lan"), ("ok", "false"), ("source", "arp-scan")),
    ) not in samples
    # The clock moves 2 s per reading: the second lan sweep started at +4 s, finished at +6 s.
    start = SAMPLE_NOW.timestamp()
    last = "lanventory_last_run_timestamp_seconds"
    assert _get(samples, last, network="lan", source="arp-scan", ok="true") == start + 6
    assert _get(samples, last, network="iot", source="kea-csv", ok="true") == start + 10
    assert _get(samples, last, network="iot", source="kea-csv", ok="false") == start + 14
    duration = "lanventory_run_duration_seconds"
    assert _get(samples, duration, network="lan", source="arp-scan") == 2
    assert _get(samples, duration, network="iot", source="kea-csv") == 2


def test_each_scrape_reads_the_tables_afresh(app: FastAPI, engine: Engine) -> None:
    before = _scrape(app)
    edit_device(engine, "lan", "3c:22:fb:00:00:02", {"status": "ignored"}, SAMPLE_NOW)
    after = _scrape(app)
    labels = {"network": "lan", "present": "false"}
    assert _get(before, "lanventory_devices", status="new", **labels) == 1
    assert ("lanventory_devices", tuple(sorted({**labels, "status": "new"}.items()))) not in after
    assert _get(after, "lanventory_devices", status="ignored", **labels) == 1
    assert _scrape(app) == after  # nothing accumulates between scrapes


def test_an_empty_database_scrapes_cleanly(engine: Engine) -> None:
    response = asyncio.run(_fetch(_app(engine, lambda: SAMPLE_NOW)))
    assert response.status_code == 200
    assert "lanventory_devices" in response.text
    assert "lanventory_runs_total{" not in response.text
