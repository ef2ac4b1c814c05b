"""``/api/runs`` and ``/api/events``: what ran, and what happened, page by page."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from lanventory.inventory.model import EventType
from lanventory.store.history import list_events, list_runs
from lanventory.web.devices_api import SEARCHABLE, checked_mac, checked_network, unprocessable
from lanventory.web.schemas import UNPROCESSABLE, EventOut, EventPage, RunOut, RunPage
from lanventory.web.services import Services, services

router = APIRouter(prefix="/api", tags=["history"])

ServicesDep = Annotated[Services, Depends(services)]
#: The largest run id and event id (``runs.id`` is a 32-bit, ``events.id`` a 64-bit integer).
MAX_RUN_ID = 2**31 - 1
MAX_EVENT_ID = 2**63 - 1
RunCursor = Annotated[
    int | None, Query(ge=0, le=MAX_RUN_ID, description="An id from a previous page.")
]
EventCursor = Annotated[
    int | None, Query(ge=0, le=MAX_EVENT_ID, description="An id from a previous page.")
]


def _utc(moment: datetime | None) -> datetime | None:
    """``moment`` in UTC (UTC if it has no zone); a 422 if UTC has no such time."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise unprocessable(f"{moment.isoformat()} is out of range in UTC") from None


@router.get("/runs", response_model=RunPage, responses=UNPROCESSABLE)
def runs(
    found: ServicesDep,
    network: Annotated[str | None, Query(description="Only this network.")] = None,
    source: Annotated[
        str | None, Query(max_length=32, pattern=SEARCHABLE, description="Only this source.")
    ] = None,
    ok: Annotated[bool | None, Query(description="Only succeeded (or failed) runs.")] = None,
    before: RunCursor = None,
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


@router.get("/events", response_model=EventPage, responses=UNPROCESSABLE)
def events(
    found: ServicesDep,
    network: Annotated[str | None, Query(description="Only this network.")] = None,
    mac: Annotated[str | None, Query(description="Only this device (any MAC spelling).")] = None,
    type: Annotated[EventType | None, Query(description="Only this kind of event.")] = None,
    since: Annotated[
        datetime | None,
        Query(description="Only events at or after this ISO time (UTC if no zone)."),
    ] = None,
    before: EventCursor = None,
    after: EventCursor = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> EventPage:
    """Events, newest first below ``before``; with ``after``, oldest first above it
    (to follow the log forward)."""
    since = _utc(since)
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
