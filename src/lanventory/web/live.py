"""``/api/events/stream``: every event as it happens, as server-sent events.

Each event is one SSE message: ``id:`` its id in the events table, ``event:``
its type (device_new, ip_changed, online, offline, edited, pruned, deleted,
source_failed, run_finished) and ``data:`` the event as ``GET /api/events``
shows it, in JSON. A comment line is sent every 15 seconds so proxies keep
the connection open. A client that reconnects with ``Last-Event-ID`` (as
``EventSource`` does by itself) first receives what it missed, from the
table (at most the newest :data:`REPLAY_LIMIT` events).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Header
from fastapi.responses import StreamingResponse
from sqlalchemy import Engine, select
from starlette.concurrency import run_in_threadpool

from lanventory.service.bus import BATCH, BusEvent, EventBus, events_after
from lanventory.service.lifecycle import event_bus
from lanventory.store.tables import events
from lanventory.web.services import Services, services

router = APIRouter(tags=["events"])

#: Seconds between two heartbeat comments.
HEARTBEAT = 15.0
#: Events replayed at most to a client that reconnects with ``Last-Event-ID``.
REPLAY_LIMIT = 10_000
#: Milliseconds a client waits before it reconnects.
RETRY_MS = 3000


def sse_message(event: BusEvent) -> str:
    """One server-sent event for ``event``."""
    data = json.dumps(event.as_json(), separators=(",", ":"), ensure_ascii=False)
    return f"id: {event.id}\nevent: {event.type}\ndata: {data}\n\n"


def _replay_floor(engine: Engine, after: int) -> int:
    """``after``, or later if more than REPLAY_LIMIT events followed it."""
    with engine.connect() as connection:
        floor = connection.execute(
            select(events.c.id).order_by(events.c.id.desc()).offset(REPLAY_LIMIT).limit(1)
        ).scalar_one_or_none()
    return max(after, int(floor or 0))


def _missed(engine: Engine, after: int) -> list[BusEvent]:
    with engine.connect() as connection:
        return events_after(connection, after)


async def event_stream(
    bus: EventBus, engine: Engine, after: int, *, heartbeat: float = HEARTBEAT
) -> AsyncIterator[str]:
    """The stream: the events after id ``after`` from the table, then each new one live."""
    yield f"retry: {RETRY_MS}\n\n"
    async with bus.subscribe() as subscription:
        sent = await run_in_threadpool(_replay_floor, engine, after)
        while True:
            missed = await run_in_threadpool(_missed, engine, sent)
            for event in missed:
                yield sse_message(event)
                sent = event.id
            if len(missed) < BATCH:
                break
        while True:
            try:
                item = await asyncio.wait_for(subscription.get(), heartbeat)
            except TimeoutError:
                yield ": heartbeat\n\n"
                continue
            if item is None:  # the server is stopping
                return
            if item.id > sent:
                yield sse_message(item)
                sent = item.id


@router.get(
    "/api/events/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "Server-sent events."}},
)
async def stream_events(
    bus: Annotated[EventBus, Depends(event_bus)],
    svc: Annotated[Services, Depends(services)],
    last_event_id: Annotated[str | None, Header()] = None,
) -> StreamingResponse:
    """Every event as it happens (server-sent events); ``Last-Event-ID`` resumes."""
    after = bus.last_id
    if last_event_id is not None and last_event_id.strip().isdigit():
        # an id from before a database reset must not hide the new events
        after = min(int(last_event_id), after)
    return StreamingResponse(
        event_stream(bus, svc.engine, after),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
