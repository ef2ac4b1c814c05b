"""Bearer tokens and session tokens: random secrets kept only as SHA-256 digests."""

from __future__ import annotations

import hashlib
import re
import secrets

#: API tokens start with this, so a leaked one is easy to recognise (and to grep for).
API_TOKEN_PREFIX = "lv_"

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")


def new_api_token() -> str:
    """A fresh API token: the prefix and 256 random bits."""
    return API_TOKEN_PREFIX + secrets.token_urlsafe(32)


def new_secret() -> str:
    """A fresh random secret (session token, CSRF token): 256 bits, URL-safe."""
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """The SHA-256 hex digest stored in place of ``secret``.

    The secrets are random and long, so a fast unsalted hash is enough: nothing
    is gained by guessing, and a lookup by digest stays one indexed query.
    """
    return hashlib.sha256(secret.encode()).hexdigest()


def check_token_name(name: str) -> str:
    """``name`` if it is a valid token name; ValueError says what is wrong."""
    if not _NAME.fullmatch(name):
        raise ValueError(
            f"invalid token name {name!r}: use 1-64 letters, digits, '.', '_', '@' or '-', "
            "starting with a letter or digit"
        )
    return name
