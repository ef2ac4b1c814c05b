"""The agent's loop: run each configured sweep and source when due, queue its batch, send.

It uses the server's schedules and rules for what is due (cron per sweep and
source; lease files only when they changed), but instead of applying a run
it queues the run's batch on disk and sends the queue, oldest first. When
the server is away the batches wait, attempts back off, and sources keep
running on schedule; nothing is lost, and a restarted agent resumes from
its queue.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import httpx

from lanventory.agent.batch import Batch, batch_of
from lanventory.agent.queue import BatchQueue
from lanventory.agent.sender import Backoff, Outcome, deliver
from lanventory.collect.run import collect_source
from lanventory.config import Settings
from lanventory.service.changes import ChangeWatch
from lanventory.service.jobs import Job, next_fire, plan_jobs
from lanventory.sweep.run import sweep_network

_LOGGER = logging.getLogger(__name__)

Clock = Callable[[], datetime]
#: Longest sleep of the loop, in seconds.
MAX_SLEEP = 30.0
_RATES_FILE = "sweep-rates.json"


@dataclass(slots=True)
class FlushResult:
    """What one pass over the queue did."""

    delivered: int = 0
    rejected: int = 0
    pending: int = 0
    error: str | None = None


class Agent:
    """Runs a site's sources and sweeps and pushes their batches to the server."""

    def __init__(
        self,
        settings: Settings,
        *,
        server: str,
        token: str,
        queue: BatchQueue,
        clock: Clock,
        client: httpx.Client | None = None,
    ) -> None:
        self.settings = settings
        self.server = server.rstrip("/")
        self.token = token
        self.queue = queue
        self.clock = clock
        self.client = client or httpx.Client(timeout=settings.agent.timeout)
        self.backoff = Backoff(settings.agent.max_backoff)
        self.jobs = plan_jobs(settings.networks, clock())
        self._changes = ChangeWatch()
        self._next_send = clock()
        self._rates_path = queue.directory / _RATES_FILE

    # -- making batches -------------------------------------------------------

    def run_job(self, job: Job, *, always: bool = False) -> Batch | None:
        """Run ``job`` now and queue its batch; None if its files had not changed."""
        if job.source is None:
            batch = self._sweep(job)
        else:
            fingerprint = self._changes.check(job.key, job.source)
            if fingerprint is None and not always:
                return None
            collected = collect_source(self.settings, job.network, job.source, clock=self.clock)
            batch = batch_of(
                uuid.uuid4().hex, collected.report, collected.started, collected.result
            )
            if fingerprint is not None:
                self._changes.remember(job.key, fingerprint)
        self.queue.put(batch)
        state = (
            f"FAILED: {batch.error}" if batch.error else f"{len(batch.observations)} observations"
        )
        _LOGGER.info("queued batch %s: %s <- %s: %s", batch.id, batch.network, batch.source, state)
        return batch

    def _sweep(self, job: Job) -> Batch:
        network = job.network
        rates = self._rates()
        remembered = rates.get(network.name, {})
        learned = (
            remembered.get("rate") if remembered.get("interface") == network.interface else None
        )
        swept = sweep_network(
            network,
            engine=None,
            learned=learned if isinstance(learned, int) else None,
            clock=self.clock,
        )
        if swept.stats is not None and swept.stats.learned_rate is not None:
            rates[network.name] = {"interface": network.interface, "rate": swept.stats.learned_rate}
            self._rates_path.write_text(json.dumps(rates), encoding="utf-8")
        return batch_of(uuid.uuid4().hex, swept.report, swept.started, swept.result)

    def _rates(self) -> dict[str, dict[str, object]]:
        try:
            loaded = json.loads(self._rates_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return loaded if isinstance(loaded, dict) else {}

    def run_due(self, now: datetime) -> int:
        """Run every job due at ``now``; how many batches were queued."""
        queued = 0
        for job in self.jobs:
            if job.due <= now:
                job.due = next_fire(job.schedule, now)
                if self._guarded(job) is not None:
                    queued += 1
        return queued

    def run_all(self) -> int:
        """Run every job now, whatever its schedule (``--once``); how many batches were queued."""
        return sum(self._guarded(job, always=True) is not None for job in self.jobs)

    def _guarded(self, job: Job, *, always: bool = False) -> Batch | None:
        try:
            return self.run_job(job, always=always)
        except Exception:  # one broken source must not stop the others
            _LOGGER.exception("the %s job failed", job.key)
            return None

    # -- sending ----------------------------------------------------------------

    def flush(self) -> FlushResult:
        """Send the queue, oldest first, until it is empty or an attempt must wait."""
        result = FlushResult()
        for path in self.queue.pending():
            delivery = deliver(self.client, self.server, self.token, path.read_bytes())
            batch_id = self.queue.batch_id(path)
            if delivery.outcome is Outcome.RETRY:
                wait = self.backoff.failed()
                self._next_send = self.clock() + timedelta(seconds=wait)
                result.error = delivery.detail
                _LOGGER.warning(
                    "could not send batch %s (%s); next attempt in %.0f s",
                    batch_id,
                    delivery.detail,
                    wait,
                )
                break
            self.backoff.reset()
            if delivery.outcome is Outcome.REJECTED:
                kept = self.queue.reject(path, delivery.detail)
                result.rejected += 1
                _LOGGER.error(
                    "the server refused batch %s for good (%s): kept in %s",
                    batch_id,
                    delivery.detail,
                    kept,
                )
                continue
            self.queue.done(path)
            result.delivered += 1
            how = "was already applied" if delivery.duplicate else "delivered"
            _LOGGER.info(
                "batch %s %s (run %s): %s", batch_id, how, delivery.run_id, delivery.detail
            )
        result.pending = len(self.queue.pending())
        return result

    # -- the loop -----------------------------------------------------------------

    def run_forever(self, stop: threading.Event) -> None:
        """Run jobs when due and send when possible, until ``stop`` is set."""
        _LOGGER.info(
            "agent started: %d jobs, %d batches queued, server %s",
            len(self.jobs),
            len(self.queue.pending()),
            self.server,
        )
        while not stop.is_set():
            now = self.clock()
            self.run_due(now)
            if self.queue.pending() and self.clock() >= self._next_send:
                self.flush()
            stop.wait(self._sleep_for(self.clock()))

    def _sleep_for(self, now: datetime) -> float:
        moments = [job.due for job in self.jobs]
        if self.queue.pending():
            moments.append(self._next_send)
        upcoming = min(moments, default=now + timedelta(seconds=MAX_SLEEP))
        return max(0.05, min((upcoming - now).total_seconds(), MAX_SLEEP))


def token_from(settings: Settings, token: str | None) -> str | None:
    """The agent token: the option, else ``agent.token``, else the first line of ``agent.token_file``."""
    if token:
        return token.strip()
    if settings.agent.token:
        return settings.agent.token.strip()
    path = settings.agent.token_file
    if path is None:
        return None
    try:
        return path.read_text(encoding="utf-8").strip().splitlines()[0].strip()
    except (OSError, IndexError) as error:
        raise ValueError(f"agent.token_file {path}: cannot read a token from it: {error}") from None


def queue_directory(settings: Settings) -> Path:
    """Where the batches wait: ``agent.queue``, else ``<data_dir>/agent-queue``."""
    return settings.agent.queue or settings.data_dir / "agent-queue"
