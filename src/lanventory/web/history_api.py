"""``/api/runs`` and ``/api/events``: what ran, and what happened, page by page."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from lanventory.inventory.model import EventType
from lanventory.store.history import list_events, list_runs
from lanventory.web.devices_api import checked_mac, checked_network
from lanventory.web.schemas import EventOut, EventPage, RunOut, RunPage
from lanventory.web.services import Services, services

router = APIRouter(prefix="/api", tags=["history"])

ServicesDep = Annotated[Services, Depends(services)]
Cursor = Annotated[int | None, Query(ge=0, description="An id from a previous page.")]


@router.get("/runs", response_model=RunPage)
def runs(
    found: ServicesDep,
    network: Annotated[str | None, Query(description="Only this network.")] = None,
    source: Annotated[str | None, Query(max_length=32, description="Only this source.")] = None,
    ok: Annotated[bool | None, Query(description="Only succeeded (or failed) runs.")] = None,
    before: Cursor = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> RunPage:
    """Recent runs, newest first, with their outcome, error text, counts and duration."""
    with found.engine.connect() as connection:
        page = list_runs(
            connection,
            network=checked_network(network),
            source=source,
            ok=ok,
            before=before,
            limit=limit,
        )
    return RunPage(
        runs=[RunOut.model_validate(run) for run in page],
        next_before=page[-1].id if len(page) == limit else None,
    )


@router.get("/events", response_model=EventPage)
def events(
    found: ServicesDep,
    network: Annotated[str | None, Query(description="Only this network.")] = None,
    mac: Annotated[str | None, Query(description="Only this device (any MAC spelling).")] = None,
    type: Annotated[EventType | None, Query(description="Only this kind of event.")] = None,
    since: Annotated[
        datetime | None,
        Query(description="Only events at or after this ISO time (UTC if no zone)."),
    ] = None,
    before: Cursor = None,
    after: Cursor = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> EventPage:
    """Events, newest first below ``before``; with ``after``, oldest first above it
    (to follow the log forward)."""
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    with found.engine.connect() as connection:
        page = list_events(
            connection,
            network=checked_network(network),
            mac=None if mac is None else checked_mac(mac),
            event_type=type,
            since=since,
            before=before,
            after=after,
            limit=limit,
        )
    ids = [event.id for event in page]
    next_before: int | None = None
    next_after: int | None = max(ids, default=after)
    if after is None and len(page) == limit:
        next_before = min(ids)
    return EventPage(
        events=[EventOut.model_validate(event) for event in page],
        next_before=next_before,
        next_after=next_after,
    )
