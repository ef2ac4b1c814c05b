"""``GET /metrics``: the inventory and its runs in the Prometheus text format.

Every figure is queried from the database when Prometheus scrapes, by a
custom collector: nothing is counted in memory, so the numbers cannot drift
from the tables, survive restarts, and agree between processes.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine, and_, func, select

from lanventory.store.tables import LIVE, devices, runs
from lanventory.web.services import Services, services

router = APIRouter(tags=["metrics"])


def _flag(value: object) -> str:
    return "true" if value else "false"


def _seconds(moment: datetime) -> float:
    return moment.timestamp()


class InventoryCollector(Collector):
    """Devices by status and presence, and run outcomes and durations, read at scrape time."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def collect(self) -> Iterator[Metric]:
        """The metric families, from one read of ``devices`` and ``runs``."""
        devices_gauge = GaugeMetricFamily(
            "lanventory_devices",
            "Devices in the inventory, by network, status and presence.",
            labels=["network", "status", "present"],
        )
        runs_total = CounterMetricFamily(
            "lanventory_runs",
            "Finished source runs, by network, source and outcome.",
            labels=["network", "source", "ok"],
        )
        last_run = GaugeMetricFamily(
            "lanventory_last_run_timestamp_seconds",
            "When the latest run of a source on a network finished, by outcome.",
            labels=["network", "source", "ok"],
        )
        duration = GaugeMetricFamily(
            "lanventory_run_duration_seconds",
            "How long the latest finished run of a source on a network took.",
            labels=["network", "source"],
        )
        finished = runs.c.finished_at.is_not(None)
        with self._engine.connect() as connection:
            by_status = (
                select(devices.c.network, devices.c.status, devices.c.present, func.count())
                .where(LIVE)
                .group_by(devices.c.network, devices.c.status, devices.c.present)
            )
            for network, status, present, count in connection.execute(by_status):
                devices_gauge.add_metric([network, status, _flag(present)], count)

            outcomes = (
                select(
                    runs.c.network,
                    runs.c.source,
                    runs.c.ok,
                    func.count(),
                    func.max(runs.c.finished_at),
                )
                .where(finished)
                .group_by(runs.c.network, runs.c.source, runs.c.ok)
            )
            for network, source, ok, count, latest in connection.execute(outcomes):
                labels = [network, source, _flag(ok)]
                runs_total.add_metric(labels, count)
                last_run.add_metric(labels, _seconds(latest))

            latest_start = (
                select(
                    runs.c.network,
                    runs.c.source,
                    func.max(runs.c.started_at).label("started_at"),
                )
                .where(finished)
                .group_by(runs.c.network, runs.c.source)
                .subquery()
            )
            latest_runs = select(
                runs.c.network, runs.c.source, runs.c.started_at, runs.c.finished_at
            )
            latest_runs = latest_runs.join_from(
                runs,
                latest_start,
                and_(
                    runs.c.network == latest_start.c.network,
                    runs.c.source == latest_start.c.source,
                    runs.c.started_at == latest_start.c.started_at,
                ),
            ).where(finished)
            seen: set[tuple[str, str]] = set()
            for network, source, started_at, finished_at in connection.execute(latest_runs):
                if (network, source) in seen:  # two runs started in the same instant
                    continue
                seen.add((network, source))
                elapsed = max(0.0, _seconds(finished_at) - _seconds(started_at))
                duration.add_metric([network, source], elapsed)
        yield devices_gauge
        yield runs_total
        yield last_run
        yield duration


def registry_for(request: Request, engine: Engine) -> CollectorRegistry:
    """The app's own registry (created on the first scrape), holding only its collector."""
    state = request.app.state
    registry: CollectorRegistry | None = getattr(state, "metrics_registry", None)
    if registry is None:
        registry = CollectorRegistry(auto_describe=False)
        registry.register(InventoryCollector(engine))
        state.metrics_registry = registry
    return registry


@router.get("/metrics", response_class=Response)
def metrics(request: Request, found: Annotated[Services, Depends(services)]) -> Response:
    """Prometheus scrape target: devices by status and presence, runs by source and outcome."""
    registry = registry_for(request, found.engine)
    return Response(content=generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
