"""Starting and stopping the server's background work: event bus, notifier, scheduler.

:func:`start` keeps them on ``app.state``; routes reach them through the
FastAPI dependencies :func:`event_bus` and :func:`scheduler`, which answer
503 when the app runs without its background work (``background=False``).
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, HTTPException
from starlette.requests import HTTPConnection
from starlette.status import HTTP_503_SERVICE_UNAVAILABLE

from lanventory.service.bus import EventBus
from lanventory.service.notify import Notifier
from lanventory.service.scheduler import Scheduler
from lanventory.web.services import Services

_LOGGER = logging.getLogger(__name__)


async def start(app: FastAPI, services: Services) -> None:
    """Start tailing events, notifying and running the scheduled sources."""
    bus = EventBus(services.engine)
    await bus.start()
    notifier = Notifier(services.settings.notifications, bus, services)
    await notifier.start()
    scheduler = Scheduler(services)
    scheduler.start()
    app.state.bus, app.state.notifier, app.state.scheduler = bus, notifier, scheduler


async def stop(app: FastAPI, services: Services) -> None:
    """Stop the scheduler, the notifier and the bus, then finish the queued writes."""
    scheduler: Scheduler | None = getattr(app.state, "scheduler", None)
    notifier: Notifier | None = getattr(app.state, "notifier", None)
    bus: EventBus | None = getattr(app.state, "bus", None)
    try:
        if scheduler is not None:
            await scheduler.stop()
        if bus is not None:
            try:
                await bus.poll()  # the last runs' events still reach the notifier
            except Exception:
                _LOGGER.exception("reading the last events failed")
        if notifier is not None:
            await notifier.stop()
        if bus is not None:
            await bus.stop()
    finally:
        services.writer.close()


def event_bus(connection: HTTPConnection) -> EventBus:
    """The running event bus (a FastAPI dependency)."""
    bus: EventBus | None = getattr(connection.app.state, "bus", None)
    if bus is None:
        raise HTTPException(HTTP_503_SERVICE_UNAVAILABLE, "live events are not running")
    return bus


def scheduler(connection: HTTPConnection) -> Scheduler:
    """The running scheduler (a FastAPI dependency)."""
    found: Scheduler | None = getattr(connection.app.state, "scheduler", None)
    if found is None:
        raise HTTPException(HTTP_503_SERVICE_UNAVAILABLE, "the scheduler is not running")
    return found
