"""Text a device reported about itself, stored as it came: any length, any markup.

Hostnames, vendor strings and client ids come from the network, so they may be
anything a client chose to send. They are stored unchanged with one exception
that both databases need: PostgreSQL text cannot hold NUL, and neither database
driver can encode a lone UTF-16 surrogate (which a JSON ``\\udXXX`` escape can
produce). Each such character is stored as U+FFFD REPLACEMENT CHARACTER, on
SQLite and PostgreSQL alike, so a capture holding one is still applied. Event
data quotes these strings, so its JSON is stored by the same rule.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import JSON, Dialect, Text
from sqlalchemy.types import TypeDecorator

#: What a database cannot store in a text column.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
#: What it is stored as.
REPLACEMENT = "\ufffd"


def storable(text: str) -> str:
    """``text`` with each NUL and lone surrogate replaced by U+FFFD.

    >>> storable("printer\\x00x"), storable("<b>tv</b>")
    ('printer\ufffdx', '<b>tv</b>')
    """
    if text.isascii():  # the common case, in C: an ASCII string holds no surrogate
        return text.replace("\x00", REPLACEMENT) if "\x00" in text else text
    return _UNSTORABLE.sub(REPLACEMENT, text)


class DeviceText(TypeDecorator[str]):
    """Unbounded text, stored as given except for what :func:`storable` replaces."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> Any:  # noqa: ARG002
        return None if value is None else storable(value)


def _plain(text: object) -> bool:
    return type(text) is not str or (text.isascii() and "\x00" not in text)


def storable_json(value: Any) -> Any:
    """``value`` (decoded JSON) with every string in it, keys too, made :func:`storable`."""
    if type(value) is dict and all(_plain(k) and _plain(v) for k, v in value.items()):
        return value  # the common case (a flat event of ASCII strings): nothing to replace
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, dict):
        return {storable_json(key): storable_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [storable_json(item) for item in value]
    return value


class DeviceJson(TypeDecorator[Any]):
    """JSON whose strings are stored as :class:`DeviceText` stores text."""

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:  # noqa: ARG002
        return None if value is None else storable_json(value)
