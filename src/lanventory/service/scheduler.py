"""The scheduler: every configured sweep and source, on its cron schedule.

Each network's sweep runs on ``sweep.schedule`` (``7 * * * *`` by default),
each source on its ``schedule`` (every minute by default) and its names
lookups on ``names.schedule`` (every 15 minutes by default). Lease files
(kea-csv with its LFC siblings and ``path6``, dnsmasq, isc-dhcpd) are ingested
only when one of their files changed; kea-api and neigh run on every tick.
Schedules are read in the machine's local time.

One run per network at a time: a job whose network is busy (a run or a
"scan now" in progress) stays due and runs on the first tick after the
network is free — it waits, it is not skipped, and it runs once however
long it waited. Runs read, parse and sweep on worker threads; their database
writes go through the server's one writer. A failing source records a failed
run; an unexpected exception is logged and recorded as a failed run too, and
never stops the scheduler or the other jobs.

Tests drive it with :meth:`Scheduler.tick` and a fake clock; ``serve`` runs
:meth:`Scheduler.start`, which ticks on the real clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, TypeVar

from lanventory.collect.run import run_source
from lanventory.ingest import RunReport, record_failure
from lanventory.names.ptr_cache import PtrCache
from lanventory.names.run import run_names
from lanventory.network_config import NetworkConfig, SourceConfig
from lanventory.service.changes import ChangeWatch
from lanventory.service.jobs import Job, next_fire, plan_jobs
from lanventory.sweep.run import open_sweep_run, run_sweep
from lanventory.web.services import Services

_LOGGER = logging.getLogger(__name__)
_T = TypeVar("_T")

#: Longest sleep of the loop, in seconds (a clock that jumps is noticed this soon).
MAX_SLEEP = 30.0
#: How soon the loop looks again at a job that waits for its busy network, in seconds.
BUSY_RETRY = 1.0
#: Seconds :meth:`Scheduler.stop` lets the runs in progress finish.
STOP_GRACE = 5.0
#: Finished "scan now" jobs remembered for their status.
KEPT_SCANS = 100

Sleep = Callable[[float], Awaitable[None]]


@dataclass(slots=True)
class ScanJob:
    """A sweep started by "scan now"; ``run_id`` is set once its run is recorded."""

    id: str
    network: str
    status: Literal["running", "finished"] = "running"
    run_id: int | None = None
    ok: bool | None = None
    error: str | None = None

    def as_json(self) -> dict[str, object]:
        """The job as the API shows it."""
        return {
            "job": self.id,
            "network": self.network,
            "status": self.status,
            "run_id": self.run_id,
            "ok": self.ok,
            "error": self.error,
        }


class NetworkBusy(Exception):
    """A network already has a run in progress."""

    def __init__(self, networks: Sequence[str]) -> None:
        super().__init__(f"a run is already in progress on {', '.join(networks)}")
        self.networks = list(networks)


class Scheduler:
    """Runs the configured sweeps and sources when they are due, one run per network."""

    def __init__(
        self,
        services: Services,
        *,
        start: datetime | None = None,
        now: Callable[[], datetime] | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._services = services
        self._now = now or services.clock
        self._sleep = sleep
        self.jobs = plan_jobs(services.settings.networks, start or self._now(), names=True)
        self._changes = ChangeWatch()
        self._ptr_cache = PtrCache()
        self._busy: set[str] = set()
        self._tasks: set[asyncio.Task[list[RunReport]]] = set()
        self._scans: dict[str, ScanJob] = {}
        self._loop: asyncio.Task[None] | None = None

    # -- what is due ---------------------------------------------------------

    def due(self, now: datetime) -> list[Job]:
        """The jobs due at ``now`` (including those waiting for their network)."""
        return [job for job in self.jobs if job.due <= now]

    def busy(self, network: str) -> bool:
        """Whether ``network`` has a run in progress."""
        return network in self._busy

    def next_due(self) -> datetime | None:
        """When the next job is due (None with nothing scheduled)."""
        return min((job.due for job in self.jobs), default=None)

    # -- running -------------------------------------------------------------

    def launch(self, now: datetime) -> list[asyncio.Task[list[RunReport]]]:
        """Start every job due at ``now`` whose network is free; the started tasks.

        The jobs of one network run one after another in one task; each
        started job is next due at its first fire after ``now``.
        """
        by_network: dict[str, list[Job]] = {}
        for job in self.due(now):
            if not self.busy(job.network.name):
                by_network.setdefault(job.network.name, []).append(job)
        started = []
        for name, jobs in by_network.items():
            for job in jobs:
                job.due = next_fire(job.schedule, now)
            self._busy.add(name)
            started.append(self._track(self._run_jobs(name, jobs)))
        return started

    async def tick(self, now: datetime) -> list[RunReport]:
        """Run everything due at ``now`` and wait for it; the reports of the runs made."""
        results = await asyncio.gather(*self.launch(now))
        return [report for reports in results for report in reports]

    async def scan_now(self, networks: Sequence[NetworkConfig]) -> list[ScanJob]:
        """Start sweeping ``networks`` now, in the background; one job each.

        Each job's run record is opened first, so its run id is known at once.
        Raises NetworkBusy (and starts nothing) if any of them has a run in progress.
        """
        busy = [network.name for network in networks if self.busy(network.name)]
        if busy:
            raise NetworkBusy(busy)
        self._busy.update(network.name for network in networks)
        s = self._services
        scans = []
        for network in networks:
            try:
                run_id = await s.writer.run(open_sweep_run, s.engine, network, s.clock())
            except Exception:
                self._busy.discard(network.name)
                raise
            scan = ScanJob(uuid.uuid4().hex, network.name, run_id=run_id)
            self._scans[scan.id] = scan
            self._track(self._run_scan(network, scan))
            scans.append(scan)
        for old in list(self._scans)[:-KEPT_SCANS]:
            if self._scans[old].status == "finished":
                del self._scans[old]
        return scans

    def scan(self, job_id: str) -> ScanJob | None:
        """A "scan now" job by id (the recent ones are kept)."""
        return self._scans.get(job_id)

    async def wait_idle(self) -> None:
        """Wait until every run in progress has finished."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def start(self) -> None:
        """Tick on the real clock, in the background, until :meth:`stop`."""
        self._loop = asyncio.create_task(self._run_forever(), name="lanventory-scheduler")

    async def stop(self, grace: float = STOP_GRACE) -> None:
        """Stop ticking; give the runs in progress ``grace`` seconds, then abandon them.

        An abandoned run's write either finished or never starts: a run is
        all or nothing.
        """
        if self._loop is not None:
            self._loop.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop
            self._loop = None
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=grace)
        for task in list(self._tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def _run_forever(self) -> None:
        while True:
            now = self._now()
            try:
                self.launch(now)
            except Exception:  # never let one bad tick end the loop
                _LOGGER.exception("the scheduler's tick failed")
            upcoming = self.next_due()
            if upcoming is None:
                wait = MAX_SLEEP
            else:
                ahead = (upcoming - now).total_seconds()
                wait = min(ahead if ahead > 0 else BUSY_RETRY, MAX_SLEEP)
            await self._sleep(wait)

    def _track(self, work: Awaitable[list[RunReport]]) -> asyncio.Task[list[RunReport]]:
        task: asyncio.Task[list[RunReport]] = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _run_jobs(self, network: str, jobs: list[Job]) -> list[RunReport]:
        try:
            reports = []
            for job in jobs:
                report = await self._run_job(job)
                if report is not None:
                    reports.append(report)
            return reports
        finally:
            self._busy.discard(network)

    async def _run_scan(self, network: NetworkConfig, scan: ScanJob) -> list[RunReport]:
        try:
            report = await self._guarded("sweep", network, self._sweep(network, scan.run_id))
        finally:
            self._busy.discard(network.name)
            scan.status = "finished"
        if report is None:
            scan.ok, scan.error = False, "the sweep was interrupted"
            return []
        scan.run_id, scan.ok, scan.error = report.run_id, report.ok, report.error
        return [report]

    async def _run_job(self, job: Job) -> RunReport | None:
        if job.names is not None:
            await self._names(job.network)
            return None
        if job.source is None:
            return await self._guarded("sweep", job.network, self._sweep(job.network))
        fingerprint = self._changes.check(job.key, job.source)
        if fingerprint is None:
            return None  # the lease files are as they were when last ingested
        report = await self._guarded(job.kind, job.network, self._source(job.network, job.source))
        self._changes.remember(job.key, fingerprint)
        return report

    async def _guarded(
        self, kind: str, network: NetworkConfig, run: Awaitable[RunReport]
    ) -> RunReport | None:
        """``run``'s report; an exception is logged and recorded as a failed run."""
        started = self._services.clock()
        try:
            return await run
        except Exception as error:
            _LOGGER.exception("%s run on %s failed", kind, network.name)
            report = RunReport(kind, network.name, [], ok=False)
            report.error = f"unexpected error: {type(error).__name__}: {error}"
            try:
                return await self._services.writer.run(
                    record_failure,
                    self._services.engine,
                    report,
                    started,
                    self._services.clock,
                )
            except Exception:
                _LOGGER.exception("could not record the failed %s run", kind)
                return None

    async def _sweep(self, network: NetworkConfig, run_id: int | None = None) -> RunReport:
        s = self._services
        report, _stats = await asyncio.to_thread(
            run_sweep,
            s.engine,
            s.settings,
            network,
            engine=None,
            lookup=s.lookup,
            clock=s.clock,
            write=self._write,
            run_id=run_id,
        )
        return report

    async def _source(self, network: NetworkConfig, source: SourceConfig) -> RunReport:
        s = self._services
        return await asyncio.to_thread(
            run_source,
            s.engine,
            s.settings,
            network,
            source,
            lookup=s.lookup,
            clock=s.clock,
            write=self._write,
        )

    async def _names(self, network: NetworkConfig) -> None:
        """Look up the network's names; a failure is logged, never raised."""
        s = self._services
        try:
            report = await asyncio.to_thread(
                run_names,
                s.engine,
                network,
                clock=s.clock,
                cache=self._ptr_cache,
                write=self._write,
            )
        except Exception:
            _LOGGER.exception("names run on %s failed", network.name)
            return
        if report.ok:
            _LOGGER.info("%s", report.summary())
        else:
            _LOGGER.warning("%s", report.summary())

    def _write(self, job: Callable[[], _T]) -> _T:
        """Run a run's write on the one writer and wait for it (called on a worker thread)."""
        return self._services.writer.submit(job).result()
