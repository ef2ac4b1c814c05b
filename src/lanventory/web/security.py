"""(being written)"""

from __future__ import annotations

from starlette.requests import HTTPConnection


def require_owner(connection: HTTPConnection) -> None:
    """(being written)"""
    del connection
