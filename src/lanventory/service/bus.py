"""The event bus: every new row of the ``events`` table, fanned out to subscribers.

The bus tails the table (a read every half second, by id) rather than taking
callbacks from the code that writes, so events written by any process — an
``lanventory ingest`` run from a shell while the server runs — reach every
subscriber too. Subscribers are the live stream, the notifier and the metrics::

    async with bus.subscribe() as events:
        async for event in events:
            ...

Each subscriber has its own bounded queue: one that falls behind loses its
oldest events (counted in ``dropped``) and never slows the others down.

Events are read in id order. The server writes through one writer, so ids
commit in order; on PostgreSQL a transaction of another process that commits
a lower id after a higher one was read is not delivered live (it is in
``GET /api/events``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, select
from starlette.concurrency import run_in_threadpool

from lanventory.store.tables import events

_LOGGER = logging.getLogger(__name__)

#: Seconds between two reads of the table.
POLL_INTERVAL = 0.5
#: Events a subscriber may have waiting before its oldest ones are dropped.
QUEUE_SIZE = 1000
#: Events read at most per poll (the rest come on the next one, at once).
BATCH = 500


@dataclass(frozen=True, slots=True)
class BusEvent:
    """One row of the ``events`` table."""

    id: int
    at: datetime
    network: str
    mac: str | None
    type: str
    data: dict[str, Any]
    run_id: int | None

    def as_json(self) -> dict[str, Any]:
        """The event as the API shows it."""
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "network": self.network,
            "mac": self.mac,
            "type": self.type,
            "data": self.data,
            "run_id": self.run_id,
        }


def last_event_id(connection: Connection) -> int:
    """The id of the newest event (0 when there is none)."""
    return int(connection.execute(select(func.max(events.c.id))).scalar_one() or 0)


def events_after(connection: Connection, after: int, limit: int = BATCH) -> list[BusEvent]:
    """Up to ``limit`` events with an id above ``after``, oldest first."""
    rows = connection.execute(
        select(events).where(events.c.id > after).order_by(events.c.id).limit(limit)
    )
    return [
        BusEvent(int(row.id), row.at, row.network, row.mac, row.type, row.data or {}, row.run_id)
        for row in rows
    ]


class Subscription:
    """One subscriber's queue: an async iterator of events until the bus stops."""

    def __init__(self, size: int) -> None:
        self._queue: asyncio.Queue[BusEvent | None] = asyncio.Queue(maxsize=size)
        self.dropped = 0

    def _offer(self, item: BusEvent | None) -> None:
        while True:
            try:
                self._queue.put_nowait(item)
                return
            except asyncio.QueueFull:
                self._queue.get_nowait()
                self.dropped += 1

    async def get(self) -> BusEvent | None:
        """The next event; None once the bus has stopped."""
        return await self._queue.get()

    def __aiter__(self) -> AsyncIterator[BusEvent]:
        return self._events()

    async def _events(self) -> AsyncIterator[BusEvent]:
        while (item := await self._queue.get()) is not None:
            yield item


class EventBus:
    """Tails the events table and hands each new event to every subscriber."""

    def __init__(
        self, engine: Engine, *, interval: float = POLL_INTERVAL, queue_size: int = QUEUE_SIZE
    ) -> None:
        self._engine = engine
        self._interval = interval
        self._queue_size = queue_size
        self._subscribers: set[Subscription] = set()
        self._task: asyncio.Task[None] | None = None
        self._polling = asyncio.Lock()
        self.last_id = 0

    async def start(self) -> None:
        """Start tailing from the newest event there is now."""
        self.last_id = await run_in_threadpool(self._read_last_id)
        self._task = asyncio.create_task(self._tail(), name="lanventory-event-bus")

    async def stop(self) -> None:
        """Stop tailing; every subscription ends."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        for subscription in self._subscribers:
            subscription._offer(None)

    @contextlib.asynccontextmanager
    async def subscribe(self) -> AsyncIterator[Subscription]:
        """Receive every event read from now on, for as long as the block runs."""
        subscription = Subscription(self._queue_size)
        self._subscribers.add(subscription)
        try:
            yield subscription
        finally:
            self._subscribers.discard(subscription)

    async def poll(self) -> int:
        """Read the events written since the last poll and fan them out; how many."""
        async with self._polling:  # two polls at once would deliver events twice
            found = await run_in_threadpool(self._read_after, self.last_id)
            for event in found:
                for subscription in self._subscribers:
                    subscription._offer(event)
            if found:
                self.last_id = found[-1].id
            return len(found)

    async def _tail(self) -> None:
        while True:
            try:
                count = await self.poll()
            except Exception:  # the database may be away for a moment: try again
                _LOGGER.exception("reading new events failed")
                count = 0
            if count < BATCH:
                await asyncio.sleep(self._interval)

    def _read_last_id(self) -> int:
        with self._engine.connect() as connection:
            return last_event_id(connection)

    def _read_after(self, after: int) -> list[BusEvent]:
        with self._engine.connect() as connection:
            return events_after(connection, after)
