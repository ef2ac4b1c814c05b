"""A hand-kept ``devices.json``: the curated list lanventory replaces, read once as naming.

Such a list is what a homelab dashboard fetched before it had an inventory::

    [{"ip": "192.168.1.15", "mac": "AA:BB:CC:00:11:22", "vendor": "ASUS",
      "name": "Unknown ASUS", "group": "Flagged", "flag": true}, ...]

or the same list under ``{"devices": [...]}``. Keys are matched without
regard to case, ``_`` or ``-``, in the spellings such lists use:

- MAC: ``mac``, ``mac_address``, ``macAddress``, ``hwaddr``, ``hw_address``;
- the owner's name: ``name``, ``label``, ``display_name``. A ``hostname``
  is what the device reports about itself, not the owner's name: it is only
  used to say which entry was skipped (lanventory learns hostnames itself);
- group: ``group``, ``grp``, ``category``; note: ``note``, ``notes``,
  ``description``, ``comment``; flag: ``flag``, ``flagged``;
- ``ip`` (``ip_address``, ``ipAddress``, ``ipv4``) only names a skipped entry:
  it is stale hand-kept data, and an address belongs to whoever holds it now;
- ``vendor`` (``manufacturer``) is kept only for a device that has none.

An entry with a usable MAC becomes naming on the chosen network: ``known``
with its name, group and note; a flagged one stays ``new`` (in the review
queue) with ``flagged`` set, name and group still carried. The group
``Flagged`` was such lists' way of writing the flag: it sets the flag and
is not kept as a group. Entries without a usable MAC are skipped and listed
(they appear as new devices when they are first seen online).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from lanventory.inventory.model import Status
from lanventory.naming.decode import FileError
from lanventory.naming.row import NamingRow, RejectedRow, check_row, parse_flag

#: Each field's spellings, as matched: lowercase, without ``_`` and ``-``.
KEYS = {
    "mac": ("mac", "macaddress", "macaddr", "hwaddr", "hwaddress"),
    "name": ("name", "label", "displayname"),
    "hostname": ("hostname", "host"),
    "grp": ("group", "grp", "category"),
    "note": ("note", "notes", "description", "comment"),
    "flagged": ("flag", "flagged"),
    "ip": ("ip", "ipaddress", "ipv4"),
    "vendor": ("vendor", "manufacturer"),
}
#: The group that only meant "flagged".
FLAG_GROUP = "flagged"
#: Why a MAC-less entry is not a loss.
NO_MAC = "no MAC: it will appear as new when first seen online"
_VENDOR_MAX = 255
_SEPARATORS = re.compile(r"[_\-\s]")


@dataclass(frozen=True, slots=True)
class SkippedEntry:
    """An entry that does not become naming: its position in the list (from 1),
    what identifies it to the owner, and why."""

    entry: int
    ip: str | None
    name: str | None
    reason: str

    def describe(self) -> str:
        """``entry 5 (192.168.1.21, Office printer): why``."""
        label = ", ".join(part for part in (self.ip, self.name) if part) or "unnamed"
        return f"entry {self.entry} ({label}): {self.reason}"


@dataclass(frozen=True, slots=True)
class DevicesJson:
    """A devices.json read as naming rows, and the entries skipped."""

    rows: list[NamingRow]
    skipped: list[SkippedEntry]


def _fields(entry: dict[str, Any]) -> dict[str, Any]:
    """The entry's values by field; the first spelling found wins."""
    by_key = {_SEPARATORS.sub("", str(key).lower()): value for key, value in entry.items()}
    found: dict[str, Any] = {}
    for name, spellings in KEYS.items():
        for spelling in spellings:
            if spelling in by_key and by_key[spelling] not in (None, ""):
                found[name] = by_key[spelling]
                break
    return found


def _text(value: Any) -> Any:
    """Numbers as text (a name may be ``42``); anything else as it is, for the checks."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


def _label(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _vendor(value: Any) -> str | None:
    text = _label(value)
    return text if text is not None and len(text) <= _VENDOR_MAX else None


def _entries(document: Any) -> list[Any]:
    if isinstance(document, dict):
        lists = [v for k, v in document.items() if str(k).lower() == "devices"]
        if lists and isinstance(lists[0], list):
            return lists[0]
    if isinstance(document, list):
        return document
    raise FileError(
        'a devices.json is a list of devices, or {"devices": [...]}; '
        f"this one is {type(document).__name__}"
        + (f" with the keys {', '.join(map(str, document))}" if isinstance(document, dict) else "")
    )


def _row(number: int, found: dict[str, Any], network: str) -> NamingRow | RejectedRow:
    grp = _text(found.get("grp"))
    try:
        flagged = parse_flag(found.get("flagged"))
    except ValueError as error:
        return RejectedRow(number, None, str(error))
    if isinstance(grp, str) and grp.strip().lower() == FLAG_GROUP:
        grp, flagged = None, True
    fields = {
        "name": _text(found.get("name")),
        "grp": grp,
        "note": _text(found.get("note")),
        "status": Status.NEW if flagged else Status.KNOWN,
        "flagged": flagged,
    }
    return check_row(
        number, network, _text(found.get("mac")), fields, vendor=_vendor(found.get("vendor"))
    )


def parse_devices_json(text: str, network: str) -> DevicesJson:
    """Read a hand-kept devices.json as naming for ``network`` (a checked name).

    Raises FileError when the text is not JSON or not a list of devices;
    entries that cannot become naming are skipped with the reason.
    """
    try:
        document = json.loads(text.removeprefix("\ufeff"))
    except ValueError as error:
        raise FileError(f"not valid JSON: {error}") from None
    rows: list[NamingRow] = []
    skipped: list[SkippedEntry] = []
    first: dict[str, int] = {}
    for number, entry in enumerate(_entries(document), start=1):
        if not isinstance(entry, dict):
            skipped.append(
                SkippedEntry(number, None, None, f"not an object: {type(entry).__name__}")
            )
            continue
        found = _fields(entry)
        ip = _label(_text(found.get("ip")))
        name = _label(_text(found.get("name"))) or _label(found.get("hostname"))
        if "mac" not in found:
            skipped.append(SkippedEntry(number, ip, name, NO_MAC))
            continue
        row = _row(number, found, network)
        if isinstance(row, RejectedRow):
            skipped.append(SkippedEntry(number, ip, name, row.reason))
        elif row.mac in first:
            reason = f"the same MAC as entry {first[row.mac]}"
            skipped.append(SkippedEntry(number, ip, name, reason))
        else:
            first[row.mac] = number
            rows.append(row)
    return DevicesJson(rows, skipped)
