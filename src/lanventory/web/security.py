"""The owner gate: who may use the API, and the session cookie that proves it.

A request is the owner's when it carries ``Authorization: Bearer <token>``
with a valid owner token, or the session cookie set by ``POST /api/login``.
Cookies are sent by browsers on their own, so a cookie-authenticated write
must also prove it comes from lanventory's own page: it carries the session's
CSRF token (header ``X-CSRF-Token``). Bearer tokens are never sent by a
browser on its own, so they need no CSRF token. The HTML pages post forms,
which cannot set headers: their CSRF token is the form field ``csrf``.

The pages use :func:`require_page_owner`: an anonymous browser is sent to
the login page (303) instead of being refused with 401.
"""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from urllib.parse import urlencode

from fastapi import HTTPException, Response, status
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection

from lanventory.store.credentials import (
    SessionInfo,
    TokenInfo,
    needs_touch,
    session_for,
    token_principal,
    touch_token,
)
from lanventory.web.pages_forms import field, form_fields, is_form_post
from lanventory.web.services import Services, services

_LOGGER = logging.getLogger(__name__)

SESSION_COOKIE = "lanventory_session"
CSRF_HEADER = "X-CSRF-Token"
#: The form field that carries the CSRF token of an HTML form post.
CSRF_FIELD = "csrf"
LOGIN_PAGE = "/login"
#: Methods that change something: with a session cookie, they need the CSRF token.
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True, slots=True)
class Principal:
    """The owner, and how they proved it: a named API token or a login session."""

    via: Literal["token", "session"]
    token: str | None = None
    csrf: str | None = None
    expires_at: datetime | None = None


def _anonymous(detail: str, error: str | None = None) -> HTTPException:
    challenge = "Bearer" if error is None else f'Bearer error="{error}"'
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail, headers={"WWW-Authenticate": challenge}
    )


def bearer_token(connection: HTTPConnection) -> str | None:
    """The token of an ``Authorization: Bearer`` header; None without the header."""
    header = connection.headers.get("authorization")
    if header is None:
        return None
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise _anonymous(
            "the Authorization header must be 'Bearer <token>'", error="invalid_request"
        )
    return value.strip()


async def submitted_csrf(connection: HTTPConnection) -> str | None:
    """The CSRF token a cookie-authenticated write carries: its ``X-CSRF-Token``
    header, or for an HTML form post its hidden ``csrf`` field.

    This is the one place that says where the token may come from.
    """
    header = connection.headers.get(CSRF_HEADER)
    if header is not None or not is_form_post(connection):
        return header
    return field(await form_fields(connection), CSRF_FIELD)


def _find_token(engine: Engine, token: str, now: datetime) -> TokenInfo | None:
    with engine.connect() as connection:
        return token_principal(connection, token, now)


def _find_session(engine: Engine, token: str, now: datetime) -> SessionInfo | None:
    with engine.connect() as connection:
        return session_for(connection, token, now)


async def _token_owner(found: Services, token: str, now: datetime) -> Principal:
    info = await run_in_threadpool(_find_token, found.engine, token, now)
    if info is None:
        raise _anonymous("the token is unknown or revoked", error="invalid_token")
    if info.kind != "owner":
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            f"token {info.name!r} is an agent token: it may only report observations",
        )
    if needs_touch(info, now):
        await found.writer.run(touch_token, found.engine, info.name, now)
    return Principal(via="token", token=info.name)


async def _session_owner(
    connection: HTTPConnection, found: Services, cookie: str, now: datetime
) -> Principal:
    session = await run_in_threadpool(_find_session, found.engine, cookie, now)
    if session is None:
        raise _anonymous("the session has ended or expired: log in again (POST /api/login)")
    if connection.scope.get("method") in UNSAFE_METHODS:
        sent = await submitted_csrf(connection)
        if not sent or not hmac.compare_digest(sent.encode(), session.csrf.encode()):
            _LOGGER.warning(
                "refused a %s of %s: missing or wrong CSRF token",
                connection.scope.get("method"),
                connection.url.path,
            )
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                f"missing or wrong {CSRF_HEADER} header: send the csrf value "
                "returned by POST /api/login or GET /api/session",
            )
    return Principal(via="session", csrf=session.csrf, expires_at=session.expires_at)


async def require_owner(connection: HTTPConnection) -> Principal:
    """The owner behind a request or WebSocket; 401 if anonymous, 403 if not allowed.

    A FastAPI dependency. An ``Authorization`` header wins over a cookie: a bad
    token is refused even when a valid session cookie comes with it.
    """
    found = services(connection)
    now = found.clock()
    token = bearer_token(connection)
    if token is not None:
        return await _token_owner(found, token, now)
    cookie = connection.cookies.get(SESSION_COOKIE)
    if cookie:
        return await _session_owner(connection, found, cookie, now)
    raise _anonymous("log in (POST /api/login) or send 'Authorization: Bearer <token>'")


@dataclass(frozen=True, slots=True)
class Reporter:
    """Who sends observations: an agent token limited to its networks, or an owner token."""

    name: str
    networks: frozenset[str] | None  # None: any network (an owner token)

    def may_report(self, network: str) -> bool:
        """Whether this token may send observations of ``network``."""
        return self.networks is None or network in self.networks


async def require_reporter(connection: HTTPConnection) -> Reporter:
    """The token behind an observation batch: 401 without a valid bearer token.

    A FastAPI dependency. Agent tokens are made for this; an owner token may
    report too. Login sessions may not: agents are scripts, not browsers.
    """
    found = services(connection)
    now = found.clock()
    token = bearer_token(connection)
    if token is None:
        raise _anonymous(
            "send 'Authorization: Bearer <token>' with an agent token "
            "(lanventory token create NAME --agent --networks NET,…)"
        )
    info = await run_in_threadpool(_find_token, found.engine, token, now)
    if info is None:
        raise _anonymous("the token is unknown or revoked", error="invalid_token")
    if needs_touch(info, now):
        await found.writer.run(touch_token, found.engine, info.name, now)
    networks = None if info.kind == "owner" else frozenset(info.networks or ())
    return Reporter(info.name, networks)


class LoginRequired(Exception):
    """An anonymous browser asked for a page: it is sent to the login page."""

    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


def login_location(connection: HTTPConnection) -> str:
    """The login page, with ``next`` set to the page asked for (GET requests only)."""
    if connection.scope.get("method") != "GET":
        return LOGIN_PAGE
    target = connection.url.path
    if connection.url.query:
        target += "?" + connection.url.query
    return f"{LOGIN_PAGE}?{urlencode({'next': target})}"


async def require_page_owner(connection: HTTPConnection) -> Principal:
    """The owner behind a page request; anyone else is sent to the login page.

    A FastAPI dependency for the HTML pages: like :func:`require_owner`, but an
    anonymous request (or an ended session) raises :class:`LoginRequired`,
    which the app answers with a 303 to ``/login?next=…``. A wrong CSRF token
    is still refused with 403.
    """
    try:
        return await require_owner(connection)
    except HTTPException as error:
        if error.status_code == status.HTTP_401_UNAUTHORIZED:
            raise LoginRequired(login_location(connection)) from None
        raise


def cookies_secure(connection: HTTPConnection) -> bool:
    """Whether to mark cookies Secure: as configured, else when the request came over HTTPS.

    Behind a reverse proxy the scheme is the one the proxy reports in
    ``X-Forwarded-Proto``, believed only for ``server.trusted_proxies``.
    """
    configured = services(connection).settings.server.secure_cookies
    if configured is not None:
        return configured
    return connection.url.scheme in ("https", "wss")


def set_session_cookie(
    response: Response, connection: HTTPConnection, token: str, max_age: int
) -> None:
    """Give the browser the session cookie: HttpOnly, SameSite=Strict, Secure over HTTPS."""
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="strict",
        secure=cookies_secure(connection),
    )


def clear_session_cookie(response: Response, connection: HTTPConnection) -> None:
    """Tell the browser to forget the session cookie."""
    response.delete_cookie(
        SESSION_COOKIE,
        path="/",
        httponly=True,
        samesite="strict",
        secure=cookies_secure(connection),
    )
