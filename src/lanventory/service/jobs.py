"""Scheduled jobs: each network's sweep and each of its sources, with when they are next due.

Shared by the server's scheduler and the remote agent. Schedules are cron
expressions read in the machine's local time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from croniter import croniter

from lanventory.network_config import NetworkConfig, SourceConfig


def next_fire(schedule: str, after: datetime) -> datetime:
    """The first time ``schedule`` fires strictly after ``after`` (local time; tz-aware)."""
    fire: datetime = croniter(schedule, after.astimezone()).get_next(datetime)
    return fire


@dataclass(slots=True)
class Job:
    """One scheduled thing: a network's sweep or one of its sources."""

    key: str
    network: NetworkConfig
    schedule: str
    due: datetime
    source: SourceConfig | None = None

    @property
    def kind(self) -> str:
        """``sweep`` or the source's type."""
        return "sweep" if self.source is None else self.source.type


def plan_jobs(networks: Sequence[NetworkConfig], start: datetime) -> list[Job]:
    """Every scheduled job of ``networks``, each first due at its next fire after ``start``."""
    jobs: list[Job] = []
    for network in networks:
        if network.sweep is not None:
            schedule = network.sweep.schedule
            jobs.append(Job(f"{network.name}/sweep", network, schedule, next_fire(schedule, start)))
        for index, source in enumerate(network.sources):
            key = f"{network.name}/sources[{index}]:{source.type}"
            jobs.append(
                Job(key, network, source.schedule, next_fire(source.schedule, start), source)
            )
    return jobs
