"""The scheduler on a fake clock: what is due, lease-file changes, one run per network,
failure isolation."""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from lanventory.config import Settings
from lanventory.ingest import RunReport, record_failure
from lanventory.network_config import NetworkConfig, SweepConfig
from lanventory.service import scheduler as scheduler_module
from lanventory.service.changes import ChangeWatch, watched_files
from lanventory.service.jobs import next_fire, plan_jobs
from lanventory.service.scheduler import NetworkBusy, Scheduler
from lanventory.service.writer import Writer
from lanventory.store.tables import events, runs
from lanventory.web.services import Services
from tests.conftest import SAMPLE_NOW, fixture_path

KEA = fixture_path("kea-csv", "shared-sample-kea-3.0")
#: 07:00:30 on the samples' day: sources first fire at 07:01, sweeps at 07:07.
START = SAMPLE_NOW + timedelta(seconds=30)


def at(minute: int, second: int = 0) -> datetime:
    return datetime(2026, 11, 23, 7, minute, second, tzinfo=UTC)


@pytest.fixture(autouse=True)
def utc_local_time(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Schedules are read in local time: make it UTC for predictable fire times."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def leases(tmp_path: Path) -> Path:
    """A copy of the shared Kea sample (live file and its .2 sibling) that tests may touch."""
    target = tmp_path / "kea"
    shutil.copytree(KEA, target)
    return target / "kea-leases4.csv"


def lan(leases: Path, **extra: Any) -> NetworkConfig:
    return NetworkConfig.model_validate(
        {
            "name": "lan",
            "cidr": "192.168.1.0/24",
            "sources": [{"type": "kea-csv", "path": str(leases)}],
            **extra,
        }
    )


def make_services(engine: Engine, *networks: NetworkConfig) -> Services:
    settings = Settings(data_dir=Path("/nonexistent"), networks=list(networks))
    return Services(settings, engine, Writer(), lambda: SAMPLE_NOW, {}.get)


def stored_runs(engine: Engine) -> list[Any]:
    with engine.connect() as connection:
        return list(connection.execute(select(runs).order_by(runs.c.id)))


def event_types(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return list(connection.execute(select(events.c.type).order_by(events.c.id)).scalars())


# --- due computation (no database) -------------------------------------------------------


def test_sweeps_default_to_minute_seven_and_sources_to_every_minute(tmp_path: Path) -> None:
    assert SweepConfig().schedule == "7 * * * *"
    network = lan(tmp_path / "leases.csv", interface="eth9", sweep={})
    sweep, source = plan_jobs([network], START)
    assert (sweep.kind, sweep.due) == ("sweep", at(7))
    assert (source.kind, source.due) == ("kea-csv", at(1))
    assert next_fire("7 * * * *", at(7)) == at(7) + timedelta(hours=1)


def test_due_jobs_at_a_time(tmp_path: Path) -> None:
    network = lan(tmp_path / "leases.csv", interface="eth9", sweep={"schedule": "*/5 * * * *"})
    services = make_services(None, network)  # type: ignore[arg-type]
    scheduler = Scheduler(services, start=START)
    assert scheduler.due(at(0, 59)) == []
    assert [job.kind for job in scheduler.due(at(1))] == ["kea-csv"]
    assert [job.kind for job in scheduler.due(at(5))] == ["sweep", "kea-csv"]
    assert scheduler.next_due() == at(1)
    services.writer.close()


def test_lease_files_watched_include_the_lfc_siblings_and_path6(tmp_path: Path) -> None:
    network = NetworkConfig.model_validate(
        {
            "name": "lan",
            "cidr": "192.168.1.0/24",
            "sources": [
                {"type": "kea-csv", "path": str(tmp_path / "l4.csv"), "path6": "/x/l6.csv"},
                {"type": "neigh", "path": "/proc/net/arp"},
            ],
        }
    )
    kea, neigh = network.sources
    assert [p.name for p in watched_files(kea) or []] == [
        "l4.csv",
        "l4.csv.completed",
        "l4.csv.2",
        "l4.csv.1",
        "l6.csv",
        "l6.csv.completed",
        "l6.csv.2",
        "l6.csv.1",
    ]
    assert watched_files(neigh) is None
    watch = ChangeWatch()
    assert watch.check("neigh", neigh) == ()  # not files: runs every time
    first = watch.check("kea", kea)
    assert first is not None  # the first look always runs
    watch.remember("kea", first)
    assert watch.check("kea", kea) is None
    (tmp_path / "l4.csv.completed").write_text("address\n")  # LFC finished: a change
    assert watch.check("kea", kea) is not None


# --- runs, on both databases --------------------------------------------------------------


def test_a_lease_file_is_ingested_only_when_it_changed(engine: Engine, leases: Path) -> None:
    services = make_services(engine, lan(leases))
    scheduler = Scheduler(services, start=START)

    async def scenario() -> list[list[RunReport]]:
        first = await scheduler.tick(at(1))
        unchanged = await scheduler.tick(at(2))
        stat = leases.stat()
        os.utime(leases, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
        touched = await scheduler.tick(at(3))
        not_due = await scheduler.tick(at(3, 30))
        return [first, unchanged, touched, not_due]

    first, unchanged, touched, not_due = asyncio.run(scenario())
    services.writer.close()
    assert [(r.source, r.ok, r.counts.new) for r in first] == [("kea-csv", True, 8)]
    assert unchanged == [] and not_due == []
    # the touched file is read again; its leases are the same, so no device changes
    assert [
        (r.source, r.ok, r.counts.observations, r.counts.new, r.counts.updated) for r in touched
    ] == [("kea-csv", True, 8, 0, 0)]
    assert len(stored_runs(engine)) == 2


def test_a_failing_source_records_a_failed_run_and_the_others_still_run(
    engine: Engine, leases: Path
) -> None:
    broken = NetworkConfig.model_validate(
        {
            "name": "lan",
            "cidr": "192.168.1.0/24",
            "sources": [
                {"type": "dnsmasq", "path": str(leases.parent / "missing.leases")},
                {"type": "kea-csv", "path": str(leases)},
            ],
        }
    )
    other = NetworkConfig.model_validate(
        {
            "name": "lab",
            "cidr": "10.0.0.0/24",
            "sources": [{"type": "kea-csv", "path": str(leases)}],
        }
    )
    services = make_services(engine, broken, other)
    scheduler = Scheduler(services, start=START)
    reports = asyncio.run(scheduler.tick(at(1)))
    again = asyncio.run(scheduler.tick(at(2)))  # nothing changed: the failure is not repeated
    services.writer.close()
    outcome = sorted((r.network, r.source, r.ok) for r in reports)
    assert outcome == [
        ("lab", "kea-csv", True),
        ("lan", "dnsmasq", False),
        ("lan", "kea-csv", True),
    ]
    failed = next(r for r in reports if not r.ok)
    assert failed.error is not None and "no such file" in failed.error
    assert again == []
    assert event_types(engine).count("source_failed") == 1
    assert [row.ok for row in stored_runs(engine)].count(False) == 1


def test_an_unexpected_exception_is_a_failed_run_and_the_scheduler_goes_on(
    engine: Engine, leases: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    network = lan(leases, interface="eth9", sweep={"schedule": "* * * * *"})
    services = make_services(engine, network)

    def crash(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the sweeper fell over")

    monkeypatch.setattr(scheduler_module, "run_sweep", crash)
    scheduler = Scheduler(services, start=START)
    first = asyncio.run(scheduler.tick(at(1)))
    second = asyncio.run(scheduler.tick(at(2)))
    services.writer.close()
    assert [(r.source, r.ok) for r in first] == [("sweep", False), ("kea-csv", True)]
    assert first[0].error == "unexpected error: RuntimeError: the sweeper fell over"
    assert [(r.source, r.ok) for r in second] == [("sweep", False)]
    assert event_types(engine).count("source_failed") == 2


def test_one_run_per_network_at_a_time(
    engine: Engine, leases: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    network = lan(leases, interface="eth9", sweep={"schedule": "* * * * *"})
    services = make_services(engine, network)
    release = threading.Event()
    running = 0
    overlap: list[int] = []
    calls: list[str] = []

    def slow_sweep(db: Engine, settings: Settings, net: NetworkConfig, **kwargs: Any) -> Any:
        nonlocal running
        running += 1
        overlap.append(running)
        calls.append(net.name)
        release.wait(10)
        report = RunReport("native", net.name, ["eth9"], ok=False, error="fake")
        result = kwargs["write"](lambda: record_failure(db, report, SAMPLE_NOW, lambda: SAMPLE_NOW))
        running -= 1
        return result, None

    monkeypatch.setattr(scheduler_module, "run_sweep", slow_sweep)
    scheduler = Scheduler(services, start=START)

    async def scenario() -> tuple[int, int, bool, int]:
        started = scheduler.launch(at(1))
        await asyncio.sleep(0.2)
        assert scheduler.busy("lan")
        while_busy = scheduler.launch(at(2))  # waits: stays due, not started twice
        try:
            await scheduler.scan_now([network])
            refused = False
        except NetworkBusy:
            refused = True
        release.set()
        await asyncio.gather(*started)
        later = scheduler.launch(at(2, 10))  # the job that waited runs now, once
        await asyncio.gather(*later)
        return len(started), len(while_busy), refused, len(later)

    started, while_busy, refused, later = asyncio.run(scenario())
    services.writer.close()
    assert (started, while_busy, refused, later) == (1, 0, True, 1)
    assert calls == ["lan", "lan"] and max(overlap) == 1


def test_the_loop_sleeps_until_the_next_job(engine: Engine, leases: Path) -> None:
    services = make_services(engine, lan(leases))
    clock = [START]
    waits: list[float] = []

    async def scenario() -> None:
        finished = asyncio.Event()

        async def fake_sleep(seconds: float) -> None:
            waits.append(seconds)
            clock[0] += timedelta(seconds=seconds)
            if len(waits) == 3:
                finished.set()
                await asyncio.Event().wait()
            await asyncio.sleep(0)

        scheduler = Scheduler(services, now=lambda: clock[0], sleep=fake_sleep)
        scheduler.start()
        await asyncio.wait_for(finished.wait(), 10)
        await scheduler.wait_idle()
        await scheduler.stop()

    asyncio.run(scenario())
    services.writer.close()
    assert waits == [30.0, 30.0, 30.0]  # 07:00:30 -> 07:01 (ingest) -> capped at 30 s
    assert len(stored_runs(engine)) == 1
