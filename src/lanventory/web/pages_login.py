"""The login page and logging out, for the HTML pages.

``POST /login`` takes the owner password from a form, like ``POST /api/login``
takes it as JSON: it sets the same session cookie (and is limited the same
way), then sends the browser on to the page it asked for.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.status import (
    HTTP_303_SEE_OTHER,
    HTTP_401_UNAUTHORIZED,
    HTTP_429_TOO_MANY_REQUESTS,
)

from lanventory.store.credentials import delete_session
from lanventory.web.auth_routes import attempt_login
from lanventory.web.pages_forms import field, form_fields, local_path
from lanventory.web.pages_render import render_page
from lanventory.web.security import (
    LOGIN_PAGE,
    SESSION_COOKIE,
    Principal,
    clear_session_cookie,
    require_page_owner,
    set_session_cookie,
)
from lanventory.web.services import services

_LOGGER = logging.getLogger(__name__)

router = APIRouter(include_in_schema=False)

#: The longest password accepted (as the API's login).
MAX_PASSWORD = 1024


def next_page(target: str | None) -> str:
    """Where to go after logging in: ``target`` if it is a page of this site, else ``/``."""
    path = local_path(target)
    if path is None or path.startswith(LOGIN_PAGE):
        return "/"
    return path


def _login_form(
    request: Request, target: str, error: str | None = None, status_code: int = 200
) -> HTMLResponse:
    return render_page(
        request, "login.html", None, status_code=status_code, page="login", next=target, error=error
    )


@router.get(LOGIN_PAGE, response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> HTMLResponse:
    """The login form."""
    return _login_form(request, next_page(next))


@router.post(LOGIN_PAGE, response_class=HTMLResponse)
async def login_post(request: Request) -> Response:
    """Check the password: on success set the session cookie and go on (303)."""
    form = await form_fields(request)
    target = next_page(field(form, "next"))
    password = field(form, "password") or ""
    if not password or len(password) > MAX_PASSWORD:
        return _login_form(request, target, "Enter the owner password.", HTTP_401_UNAUTHORIZED)
    attempt = await attempt_login(request, password)
    if attempt.wait is not None:
        message = f"Too many failed logins: try again in {attempt.wait} s."
        return _login_form(request, target, message, HTTP_429_TOO_MANY_REQUESTS)
    if attempt.token is None:
        return _login_form(request, target, "Wrong password.", HTTP_401_UNAUTHORIZED)
    response = RedirectResponse(target, status_code=HTTP_303_SEE_OTHER)
    set_session_cookie(response, request, attempt.token, max_age=int(attempt.days * 86400))
    return response


@router.post("/logout")
async def logout_post(
    request: Request, owner: Annotated[Principal, Depends(require_page_owner)]
) -> Response:
    """End this session and forget its cookie; back to the login page."""
    response = RedirectResponse(LOGIN_PAGE, status_code=HTTP_303_SEE_OTHER)
    cookie = request.cookies.get(SESSION_COOKIE)
    if owner.via == "session" and cookie:
        found = services(request)
        await found.writer.run(delete_session, found.engine, cookie)
        clear_session_cookie(response, request)
    return response
