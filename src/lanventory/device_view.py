"""How a device is shown: JSON objects and a terminal table.

Every string a device reports is attacker-controlled: the table strips
control characters so a hostname cannot drive the terminal.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from lanventory.inventory.model import Device, Policy
from lanventory.inventory.presence import absent_days


def utc_text(value: datetime) -> str:
    """ISO 8601 in UTC with a ``Z`` (as pydantic writes it, so CLI and API agree)."""
    return value.isoformat().replace("+00:00", "Z")


def device_ips(device: Device, extras: Sequence[str] = ()) -> list[str]:
    """Every current address of a device: the primary ``ip`` first, then its extras."""
    return ([device.ip] if device.ip is not None else []) + list(extras)


def device_json(
    device: Device, now: datetime, policy: Policy, extras: Sequence[str] = ()
) -> dict[str, Any]:
    """A device as a JSON-ready object (the CLI's ``--json`` and the API's lists).

    ``extras`` are the device's extra current addresses, listed after the
    primary one in ``ips``.
    """
    return {
        "network": device.network,
        "mac": device.mac,
        "ip": device.ip,
        "ips": device_ips(device, extras),
        "vendor": device.vendor,
        "hostname": device.hostname,
        "client_id": device.client_id,
        "name": device.name,
        "grp": device.grp,
        "note": device.note,
        "status": device.status.value,
        "randomized": device.randomized,
        "flagged": device.flagged,
        "watched": device.watched,
        "first_seen": utc_text(device.first_seen),
        "last_seen": utc_text(device.last_seen),
        "present": device.present,
        "absent_days": absent_days(device, now, policy),
    }


def inert(text: str | None, width: int = 40) -> str:
    """``text`` safe for a terminal: control characters replaced, cut to ``width``."""
    if not text:
        return "-"
    clean = "".join("?" if unicodedata.category(ch)[0] == "C" else ch for ch in text)
    return clean if len(clean) <= width else clean[: width - 1] + "…"


def _label(device: Device) -> str:
    return device.name or device.hostname or ""


def _state(device: Device, now: datetime, policy: Policy) -> str:
    days = absent_days(device, now, policy)
    if days is not None:
        return f"absent {days}d"
    return "present" if device.present else "absent"


def device_table(devices: Sequence[Device], now: datetime, policy: Policy) -> str:
    """A plain-text table, one device per line."""
    if not devices:
        return "no devices"
    header = (
        "NETWORK",
        "MAC",
        "IP",
        "STATUS",
        "STATE",
        "NAME/HOSTNAME",
        "GROUP",
        "VENDOR",
        "LAST SEEN",
    )
    rows = [
        (
            inert(d.network, 16),
            d.mac + (" R" if d.randomized else "") + (" !" if d.flagged else ""),
            d.ip or "-",
            d.status.value,
            _state(d, now, policy),
            inert(_label(d), 32),
            inert(d.grp, 16),
            inert(d.vendor, 28),
            d.last_seen.strftime("%Y-%m-%d %H:%M"),
        )
        for d in devices
    ]
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in (header, *rows)
    ]
    legend = "R = randomized (locally administered, not a stable prefix) MAC, ! = flagged"
    return "\n".join([*lines, "", legend])
