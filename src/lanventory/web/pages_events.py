"""One line of plain text for each kind of event, as the device page lists them."""

from __future__ import annotations

from typing import Any

from lanventory.inventory.model import EventType
from lanventory.store.history import EventRecord

#: The longest value shown in a summary; longer ones are cut.
MAX_VALUE = 80


def _text(value: Any) -> str:
    text = "—" if value is None or value == "" else str(value)
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


def _changes(changes: Any) -> str:
    if not isinstance(changes, dict):
        return "edited"
    parts = []
    for name, pair in changes.items():
        if isinstance(pair, list) and len(pair) == 2:
            parts.append(f"{name}: {_text(pair[0])} → {_text(pair[1])}")
        else:
            parts.append(str(name))
    return "edited " + "; ".join(parts)


def event_summary(record: EventRecord) -> str:
    """What happened, in a few words (plain text: the page escapes it)."""
    data = record.data
    match record.type:
        case EventType.DEVICE_NEW:
            seen = f"first seen by {_text(data.get('source'))}"
            if data.get("ip"):
                seen += f" at {_text(data.get('ip'))}"
            if data.get("hostname"):
                seen += f" as {_text(data.get('hostname'))}"
            return seen
        case EventType.IP_CHANGED:
            text = f"address {_text(data.get('old'))} → {_text(data.get('new'))}"
            if data.get("taken_by"):
                text += f" (taken by {_text(data.get('taken_by'))})"
            return text
        case EventType.ONLINE:
            return f"came online at {_text(data.get('ip'))}"
        case EventType.OFFLINE:
            return "went offline"
        case EventType.EDITED:
            return _changes(data.get("changes"))
        case EventType.PRUNED:
            return "pruned: unreviewed and away too long"
        case EventType.DELETED:
            return "deleted by the owner"
        case EventType.IMPORTED:
            text = f"imported from {_text(data.get('from'))}"
            if data.get("changes"):
                text += ": " + _changes(data.get("changes")).removeprefix("edited ")
            return text
        case EventType.ADOPTED:
            by = " automatically" if data.get("by") == "auto" else ""
            return f"adopted {_text(data.get('from'))}{by}: one device under a new MAC"
        case EventType.RETIRED:
            return f"retired: the same device is now {_text(data.get('into'))}"
        case EventType.ADOPTION_UNDONE:
            return (
                f"adoption undone: {_text(data.get('successor'))} and "
                f"{_text(data.get('predecessor'))} are two devices again"
            )
        case _:
            return ", ".join(f"{key}: {_text(value)}" for key, value in sorted(data.items()))
