"""Owner edits: the only way ``name``, ``grp``, ``note``, ``status``, ``flagged`` and
``watched`` (notify on presence changes) change."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from lanventory.inventory.model import OWNER_FIELDS, Device, Event, EventType, Status
from lanventory.store.device_text import storable

MAX_TEXT = {"name": 255, "grp": 64, "note": 4000}


class EditError(ValueError):
    """An owner edit that cannot be applied; the message says what is wrong."""


def _clean(field: str, value: Any) -> Any:
    if field in MAX_TEXT:
        if value is None:
            return None
        if not isinstance(value, str):
            raise EditError(f"{field} must be text, not {type(value).__name__}")
        value = value.strip()
        if storable(value) != value:
            raise EditError(
                f"{field} contains a NUL or a lone surrogate character, which cannot be stored"
            )
        if len(value) > MAX_TEXT[field]:
            raise EditError(f"{field} is longer than {MAX_TEXT[field]} characters")
        return value or None
    if field == "status":
        try:
            return Status(value)
        except ValueError:
            allowed = ", ".join(s.value for s in Status)
            raise EditError(f"status must be one of {allowed}, not {value!r}") from None
    if not isinstance(value, bool):
        raise EditError(f"{field} must be true or false, not {value!r}")
    return value


def apply_edit(device: Device, fields: Mapping[str, Any], now: datetime) -> Event | None:
    """Apply owner fields to ``device``; an ``edited`` event, or None if nothing changed.

    Validates everything before changing anything: unknown fields, wrong
    types, an unknown status and over-long text are refused with EditError.
    """
    unknown = sorted(set(fields) - set(OWNER_FIELDS))
    if unknown:
        raise EditError(
            f"cannot edit {', '.join(unknown)}: editable fields are {', '.join(OWNER_FIELDS)}"
        )
    cleaned = {field: _clean(field, value) for field, value in fields.items()}
    diff: dict[str, list[Any]] = {}
    for field, value in cleaned.items():
        old = getattr(device, field)
        if old != value:
            diff[field] = [_plain(old), _plain(value)]
            setattr(device, field, value)
    if not diff:
        return None
    return Event(now, device.network, device.mac, EventType.EDITED, {"changes": diff})


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Status) else value
