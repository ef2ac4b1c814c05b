"""Scheduled jobs: each network's sweep, its sources and its names, with when they are next due.

Shared by the server's scheduler and the remote agent. Schedules are cron
expressions read in the machine's local time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from croniter import croniter

from lanventory.network_config import NamesConfig, NetworkConfig, SourceConfig
from lanventory.store.device_names import RUN_SOURCES


def next_fire(schedule: str, after: datetime) -> datetime:
    """The first time ``schedule`` fires strictly after ``after`` (local time; tz-aware)."""
    fire: datetime = croniter(schedule, after.astimezone()).get_next(datetime)
    return fire


@dataclass(slots=True)
class Job:
    """One scheduled thing: a network's sweep, one of its sources, or its names."""

    key: str
    network: NetworkConfig
    schedule: str
    due: datetime
    source: SourceConfig | None = None
    names: NamesConfig | None = None

    @property
    def kind(self) -> str:
        """``sweep``, ``names`` or the source's type."""
        if self.names is not None:
            return "names"
        return "sweep" if self.source is None else self.source.type

    @property
    def run_sources(self) -> tuple[str, ...]:
        """The ``source`` of the run records this job makes (a names job makes one for
        each kind of lookup it does)."""
        if self.names is not None:
            wanted = (
                (RUN_SOURCES["ptr"], self.names.reverse_dns),
                (RUN_SOURCES["mdns"], self.names.mdns),
            )
            return tuple(source for source, on in wanted if on)
        return (self.kind,)


def plan_jobs(
    networks: Sequence[NetworkConfig], start: datetime, *, names: bool = False
) -> list[Job]:
    """Every scheduled job of ``networks``, each first due at its next fire after ``start``.

    With ``names`` (the server), each network's ``names`` lookups too.
    """
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
        if names and network.names is not None:
            schedule = network.names.schedule
            jobs.append(
                Job(
                    f"{network.name}/names",
                    network,
                    schedule,
                    next_fire(schedule, start),
                    names=network.names,
                )
            )
    return jobs
