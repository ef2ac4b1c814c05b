"""Request bodies: a size limit per route, and gzip-compressed uploads.

An ASGI middleware reads the body of every write request before the app
does, refuses one larger than the route's limit with 413 (a gzip body is
limited after decompression, so a small bomb cannot grow), and hands the app
the plain body. Agents compress their batches: lease data shrinks tenfold.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Mapping

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: The limit of a route not named in ``limits``.
DEFAULT_LIMIT = 10 * 1024 * 1024
_WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class BodyTooLarge(Exception):
    """The body is larger than the route accepts."""


class BadEncoding(Exception):
    """The body's Content-Encoding is not supported (415) or the data does not decode (400)."""

    def __init__(self, detail: str, status: int = 400) -> None:
        super().__init__(detail)
        self.status = status


def _gunzip(data: bytes, limit: int) -> bytes:
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        plain = inflater.decompress(data, limit + 1)
    except zlib.error as error:
        raise BadEncoding(f"the gzip body does not decompress: {error}") from None
    if len(plain) > limit or inflater.unconsumed_tail:
        raise BodyTooLarge
    if not inflater.eof:
        raise BadEncoding("the gzip body is cut short")
    return plain


class RequestBodies:
    """Enforces body limits (``limits`` by path, else :data:`DEFAULT_LIMIT`) and decodes gzip."""

    def __init__(self, app: ASGIApp, limits: Mapping[str, int] | None = None) -> None:
        self.app = app
        self.limits = dict(limits or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _WRITE_METHODS:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        # a route's larger limit is for callers with a token: anonymous bodies stay small
        limit = DEFAULT_LIMIT
        if headers.get("authorization", "").lower().startswith("bearer "):
            limit = self.limits.get(scope["path"], DEFAULT_LIMIT)
        encoding = headers.get("content-encoding", "identity").strip().lower()
        try:
            if encoding not in ("identity", "gzip"):
                raise BadEncoding(
                    f"Content-Encoding {encoding!r} is not supported: send gzip or nothing", 415
                )
            declared = headers.get("content-length", "")
            if encoding == "identity" and declared.isdigit() and int(declared) > limit:
                raise BodyTooLarge
            body, disconnected = await _read(receive, limit)
            if encoding == "gzip":
                body = _gunzip(body, limit)
        except BodyTooLarge:
            await _refuse(send, 413, f"the request body is larger than {limit} bytes")
            return
        except BadEncoding as error:
            await _refuse(send, error.status, str(error))
            return
        if disconnected:
            return
        if encoding == "gzip":
            kept = [
                (name, value)
                for name, value in scope["headers"]
                if name not in (b"content-encoding", b"content-length")
            ]
            scope = {**scope, "headers": [*kept, (b"content-length", str(len(body)).encode())]}
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


async def _read(receive: Receive, limit: int) -> tuple[bytes, bool]:
    """The whole body (at most ``limit`` bytes), and whether the client went away."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b"", True
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), False


async def _refuse(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
