"""One device's naming as a file gives it, checked, or the reasons it is rejected.

Every file format funnels its rows through :func:`check_row`: the MAC goes
through :func:`lanventory.net.parse_mac` (any spelling), the network must be
a slug (and configured, when networks are configured), and the owner fields
get exactly the validation of an owner edit (:func:`lanventory.inventory.edit.apply_edit`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from lanventory.inventory.edit import EditError, apply_edit
from lanventory.inventory.model import Device, Status, check_network_name
from lanventory.net import parse_mac

#: The owner fields a naming row sets (``watched`` is not part of the naming).
NAMING_FIELDS = ("name", "grp", "note", "status", "flagged")
#: How ``flagged`` may be written; an empty cell is false.
FLAG_WORDS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}
#: The scratch device that validates a row never has its times read.
_SCRATCH_TIME = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class NamingRow:
    """A device's naming, checked and normalised, and where in its file it was.

    ``vendor`` is a hint from a hand-kept list, kept only when the device has none.
    """

    row: int
    network: str
    mac: str
    name: str | None
    grp: str | None
    note: str | None
    status: Status
    flagged: bool
    vendor: str | None = None

    def owner_fields(self) -> dict[str, Any]:
        """The owner fields this row sets, as an edit takes them."""
        return {
            "name": self.name,
            "grp": self.grp,
            "note": self.note,
            "status": self.status,
            "flagged": self.flagged,
        }


@dataclass(frozen=True, slots=True)
class RejectedRow:
    """A row that cannot be applied: its number (as a spreadsheet shows it, the
    header being row 1; for a JSON list, the entry's position from 1), its MAC
    (as written; canonical for a second row of the same device), and why."""

    row: int
    mac: str | None
    reason: str

    def describe(self) -> str:
        """``row 7 (AA-BB-…): why``."""
        return f"row {self.row} ({self.mac or 'no MAC'}): {self.reason}"


def parse_flag(value: Any) -> bool:
    """``true``/``false``/``yes``/``no``/``1``/``0`` in any case, a JSON boolean, or
    empty (false); raises ValueError otherwise."""
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if not word:
            return False
        if word in FLAG_WORDS:
            return FLAG_WORDS[word]
    raise ValueError(f"flagged must be true, false, yes, no, 1, 0 or empty, not {value!r}")


def _mac(value: Any) -> tuple[str | None, str | None]:
    """(canonical MAC, None) or (None, why)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, "no MAC"
    if not isinstance(value, str):
        return None, f"the MAC must be text, not {type(value).__name__}"
    result = parse_mac(value)
    if result.mac is None:
        return None, f"not a device MAC address ({result.reason}): {value.strip()!r}"
    return result.mac, None


def _network(value: Any, networks: Collection[str] | None) -> tuple[str | None, str | None]:
    """(network name, None) or (None, why); names are matched in lowercase."""
    if not isinstance(value, str) or not value.strip():
        return None, "no network"
    name = value.strip().lower()
    try:
        check_network_name(name)
    except ValueError:
        try:
            check_network_name(value.strip())  # to name it as written
        except ValueError as error:
            return None, str(error)
    if networks and name not in networks:
        known = ", ".join(sorted(networks))
        return None, f"network {name!r} is not configured (configured networks: {known})"
    return name, None


def _owner_fields(fields: Mapping[str, Any]) -> tuple[Device | None, str | None]:
    """A scratch device carrying the cleaned owner fields, or why they are refused."""
    values = dict(fields)
    for key in ("name", "grp", "note"):
        if isinstance(values.get(key), str) and "\x00" in values[key]:
            return None, f"{_column(key)} contains a NUL character"
    status = values.get("status")
    if isinstance(status, str):
        values["status"] = status.strip().lower()
    problems: list[str] = []
    try:
        values["flagged"] = parse_flag(values.get("flagged"))
    except ValueError as error:
        problems.append(str(error))
        values["flagged"] = False
    scratch = Device("scratch", "00:00:00:00:00:00", _SCRATCH_TIME, _SCRATCH_TIME)
    refused = []
    for key in NAMING_FIELDS:  # one at a time, so every refused field is named
        try:
            apply_edit(scratch, {key: values.get(key)}, _SCRATCH_TIME)
        except EditError as error:
            message = str(error)
            refused.append("group " + message[4:] if message.startswith("grp ") else message)
    problems[:0] = refused
    if problems:
        return None, "; ".join(problems)
    return scratch, None


def _column(field: str) -> str:
    return "group" if field == "grp" else field


def check_row(
    row: int,
    network: Any,
    mac: Any,
    fields: Mapping[str, Any],
    *,
    networks: Collection[str] | None = None,
    vendor: str | None = None,
) -> NamingRow | RejectedRow:
    """Check one row: its network, its MAC and its owner fields (``name``, ``grp``,
    ``note``, ``status``, ``flagged``, as written); the checked row, or every
    reason it is rejected.

    ``networks`` are the configured network names; when given, a row must name
    one of them.
    """
    unknown = sorted(set(fields) - set(NAMING_FIELDS))
    if unknown:
        raise ValueError(f"not naming fields: {', '.join(unknown)}")
    canonical, mac_problem = _mac(mac)
    name, network_problem = _network(network, networks)
    device, field_problem = _owner_fields({key: fields.get(key) for key in NAMING_FIELDS})
    problems = [p for p in (mac_problem, network_problem, field_problem) if p is not None]
    if problems or canonical is None or name is None or device is None:
        written = mac.strip() if isinstance(mac, str) and mac.strip() else None
        return RejectedRow(row, written, "; ".join(problems))
    return NamingRow(
        row=row,
        network=name,
        mac=canonical,
        name=device.name,
        grp=device.grp,
        note=device.note,
        status=device.status,
        flagged=device.flagged,
        vendor=vendor,
    )
