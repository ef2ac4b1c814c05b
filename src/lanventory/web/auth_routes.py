"""Logging in and out, and asking who one is.

``POST /api/login`` is the one route besides ``/healthz`` open to anyone:
it trades the owner password for a session cookie and a CSRF token. Failed
attempts are limited per client address.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine
from starlette.requests import HTTPConnection

from lanventory.auth.ratelimit import FailureLimiter
from lanventory.store.credentials import create_session, delete_session, verify_owner_password
from lanventory.web.schemas import UNREADABLE_BODY, Problem
from lanventory.web.security import (
    SESSION_COOKIE,
    Principal,
    clear_session_cookie,
    require_owner,
    set_session_cookie,
)
from lanventory.web.services import services

_LOGGER = logging.getLogger(__name__)

router = APIRouter(prefix="/api", tags=["auth"])

Owner = Annotated[Principal, Depends(require_owner)]


class Login(BaseModel):
    """The owner password."""

    model_config = ConfigDict(extra="forbid")

    password: str = Field(min_length=1, max_length=1024)


class LoggedIn(BaseModel):
    """A new session: send ``csrf`` as ``X-CSRF-Token`` with every write."""

    csrf: str
    expires_at: datetime


class Whoami(BaseModel):
    """How this request proved to be the owner's."""

    owner: bool = True
    via: Literal["token", "session"]
    token: str | None = Field(description="The API token's name, for a bearer request.")
    csrf: str | None = Field(description="The session's CSRF token, for a cookie request.")
    expires_at: datetime | None = Field(description="When the session ends.")


def login_limiter(connection: HTTPConnection) -> FailureLimiter:
    """The app's limiter of failed logins (made on first use)."""
    state = connection.app.state
    limiter: FailureLimiter | None = getattr(state, "login_limiter", None)
    if limiter is None:
        per_minute = services(connection).settings.server.login_attempts_per_minute
        limiter = state.login_limiter = FailureLimiter(per_minute, 60.0)
    return limiter


def client_address(connection: HTTPConnection) -> str:
    """The client's address (the proxy's client when behind a trusted proxy)."""
    return connection.client.host if connection.client else "unknown"


def _open_session(
    engine: Engine, password: str, now: datetime, days: float
) -> tuple[str, str] | None:
    with engine.begin() as connection:
        if not verify_owner_password(connection, password):
            return None
    return create_session(engine, now, days)


@dataclass(frozen=True, slots=True)
class Attempt:
    """How a login went: ``wait`` seconds when rate-limited, else a session or None
    (wrong password)."""

    wait: int | None = None
    token: str | None = None
    csrf: str | None = None
    expires_at: datetime | None = None
    days: float = 0.0


async def attempt_login(connection: HTTPConnection, password: str) -> Attempt:
    """Check the owner password under the failed-login limit (the API's and the page's
    login share it); on success open a session."""
    found = services(connection)
    limiter = login_limiter(connection)
    client = client_address(connection)
    wait = limiter.retry_after(client)
    if wait is not None:
        return Attempt(wait=wait)
    limiter.fail(client)  # counted before checking, so parallel guesses cannot exceed the limit
    now = found.clock()
    days = found.settings.server.session_days
    opened = await found.writer.run(_open_session, found.engine, password, now, days)
    if opened is None:
        _LOGGER.warning("failed login from %s", client)
        return Attempt()
    limiter.clear(client)
    _LOGGER.info("owner logged in from %s", client)
    token, csrf = opened
    return Attempt(token=token, csrf=csrf, expires_at=now + timedelta(days=days), days=days)


@router.post(
    "/login",
    responses={
        **UNREADABLE_BODY,
        status.HTTP_401_UNAUTHORIZED: {"model": Problem, "description": "Wrong password."},
        status.HTTP_429_TOO_MANY_REQUESTS: {
            "model": Problem,
            "description": "Too many failed logins.",
        },
    },
)
async def login(body: Login, request: Request, response: Response) -> LoggedIn:
    """Log in with the owner password: sets the session cookie, returns the CSRF token."""
    attempt = await attempt_login(request, body.password)
    if attempt.wait is not None:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            f"too many failed logins from {client_address(request)}: try again in {attempt.wait} s",
            headers={"Retry-After": str(attempt.wait)},
        )
    if attempt.token is None or attempt.csrf is None or attempt.expires_at is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "wrong password", headers={"WWW-Authenticate": "Bearer"}
        )
    set_session_cookie(response, request, attempt.token, max_age=int(attempt.days * 86400))
    return LoggedIn(csrf=attempt.csrf, expires_at=attempt.expires_at)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(request: Request, owner: Owner) -> Response:
    """End this session and forget its cookie (a bearer request has no session to end)."""
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    cookie = request.cookies.get(SESSION_COOKIE)
    if owner.via == "session" and cookie:
        found = services(request)
        await found.writer.run(delete_session, found.engine, cookie)
        clear_session_cookie(response, request)
    return response


@router.get("/session")
def session(owner: Owner) -> Whoami:
    """Who the request is: the owner, by token or session; a session's CSRF token."""
    return Whoami(via=owner.via, token=owner.token, csrf=owner.csrf, expires_at=owner.expires_at)
