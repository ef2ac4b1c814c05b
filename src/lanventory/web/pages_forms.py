"""HTML form posts: their fields, read once per request.

Browsers post forms as ``application/x-www-form-urlencoded``. The fields are
parsed here (the body is small and bounded) and kept on the request, so the
CSRF check and the page that handles the post read the same fields.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from fastapi import HTTPException
from starlette.requests import HTTPConnection, Request
from starlette.status import HTTP_400_BAD_REQUEST, HTTP_413_CONTENT_TOO_LARGE

FORM_TYPE = "application/x-www-form-urlencoded"
#: The largest form body accepted, in bytes (a note is at most 4000 characters).
MAX_FORM_BYTES = 64 * 1024
#: The most fields a form may have.
MAX_FIELDS = 100
_SCOPE_KEY = "lanventory.form"

Form = dict[str, list[str]]


def is_form_post(connection: HTTPConnection) -> bool:
    """Whether the request carries an urlencoded form body."""
    content_type = connection.headers.get("content-type", "")
    return content_type.split(";", 1)[0].strip().lower() == FORM_TYPE


async def form_fields(connection: HTTPConnection) -> Form:
    """The posted form's fields (each name with its values in order); empty if not a form."""
    cached: Form | None = connection.scope.get(_SCOPE_KEY)
    if cached is not None:
        return cached
    fields: Form = {}
    if isinstance(connection, Request) and is_form_post(connection):
        declared = connection.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_FORM_BYTES:
            raise HTTPException(HTTP_413_CONTENT_TOO_LARGE, "the form is too large")
        body = await connection.body()  # kept on the request: the route may read it again
        if len(body) > MAX_FORM_BYTES:
            raise HTTPException(HTTP_413_CONTENT_TOO_LARGE, "the form is too large")
        text = body.decode("utf-8", errors="replace")
        try:
            fields = parse_qs(text, keep_blank_values=True, max_num_fields=MAX_FIELDS)
        except ValueError:
            raise HTTPException(HTTP_400_BAD_REQUEST, "the form has too many fields") from None
    connection.scope[_SCOPE_KEY] = fields
    return fields


def field(form: Form, name: str) -> str | None:
    """The last value posted for ``name``, or None when the form has no such field."""
    values = form.get(name)
    return values[-1] if values else None


def local_path(target: str | None) -> str | None:
    """``target`` if it is a path on this site (no scheme, no host), else None.

    Used for ``next`` and the referrer, so a redirect never leaves the site.
    """
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target
