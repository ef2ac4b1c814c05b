"""What every request handler and background task of the server shares."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine
from starlette.requests import HTTPConnection

from lanventory.config import Settings
from lanventory.inventory.merge import VendorLookup
from lanventory.service.writer import Writer


@dataclass(slots=True)
class Services:
    """Settings, database, the one writer, the clock and the vendor table."""

    settings: Settings
    engine: Engine
    writer: Writer
    clock: Callable[[], datetime]
    lookup: VendorLookup


def services(connection: HTTPConnection) -> Services:
    """The server's services, for a request or WebSocket (a FastAPI dependency)."""
    found: Services = connection.app.state.services
    return found
