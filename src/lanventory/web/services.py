"""What every request handler and background task of the server shares."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine
from starlette.requests import HTTPConnection

from lanventory.config import Settings
from lanventory.inventory.merge import VendorLookup
from lanventory.service.writer import Writer
from lanventory.web.list_cache import ListCache


@dataclass(slots=True)
class Services:
    """Settings, database, the one writer, the clock, the vendor table, the list cache."""

    settings: Settings
    engine: Engine
    writer: Writer
    clock: Callable[[], datetime]
    lookup: VendorLookup
    lists: ListCache = field(default_factory=ListCache)


def services(connection: HTTPConnection) -> Services:
    """The server's services, for a request or WebSocket (a FastAPI dependency)."""
    found: Services = connection.app.state.services
    return found
