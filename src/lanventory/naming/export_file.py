"""The export file: every device's naming as CSV or JSON, and reading it back.

The naming columns come first, then read-only context that helps whoever
fills in the spreadsheet (import ignores it)::

    network,mac,name,group,note,status,flagged,ip,hostname,vendor,randomized,present,last_seen
    lan,74:ac:b9:12:34:56,Living room TV,Entertainment,,known,false,192.168.1.20,tv,LG,false,true,2026-11-23T07:00:00Z

The CSV is UTF-8 with a byte order mark (so Excel reads it as UTF-8), CRLF
line ends and RFC 4180 quoting. A cell whose text begins with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return would be run as a formula by a
spreadsheet, so it is written with a ``'`` in front, as is a cell that
already begins with ``'``; reading strips that one ``'`` again (only when
it is followed by one of those characters), so the round trip is lossless.
JSON is a list of objects with the same keys, nothing neutralised.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any, Literal

from lanventory.inventory.model import Device
from lanventory.naming.decode import FileError
from lanventory.naming.row import NamingRow, RejectedRow, check_row

Format = Literal["csv", "json"]
FORMATS: tuple[Format, ...] = ("csv", "json")
#: The naming columns, in order; import requires every one of them.
COLUMNS = ("network", "mac", "name", "group", "note", "status", "flagged")
#: Read-only context after them; import ignores these.
CONTEXT_COLUMNS = ("ip", "hostname", "vendor", "randomized", "present", "last_seen")
#: Other spellings import accepts for a naming column.
ALIASES = {"grp": "group"}
#: What a spreadsheet would read as the start of a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_QUOTE = "'"
_FIELDS = {"name": "name", "group": "grp", "note": "note", "status": "status", "flagged": "flagged"}


@dataclass(frozen=True, slots=True)
class ExportFile:
    """An export file read back: its checked rows, the rejected ones, and the columns
    it had that import ignores (context columns are not listed)."""

    rows: list[NamingRow]
    rejected: list[RejectedRow]
    ignored_columns: list[str] = field(default_factory=list)


def export_record(device: Device) -> dict[str, Any]:
    """A device's line of the export: naming columns, then context, JSON-typed."""
    return {
        "network": device.network,
        "mac": device.mac,
        "name": device.name,
        "group": device.grp,
        "note": device.note,
        "status": device.status.value,
        "flagged": device.flagged,
        "ip": device.ip,
        "hostname": device.hostname,
        "vendor": device.vendor,
        "randomized": device.randomized,
        "present": device.present,
        "last_seen": device.last_seen.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def neutralise(text: str) -> str:
    """``text`` as a spreadsheet cell that is never run as a formula.

    >>> neutralise("=HYPERLINK(1)"), neutralise("'quoted"), neutralise("TV")
    ("'=HYPERLINK(1)", "''quoted", 'TV')
    """
    return _QUOTE + text if text.startswith((*FORMULA_STARTS, _QUOTE)) else text


def restore(text: str) -> str:
    """A cell as it was before :func:`neutralise`.

    >>> restore("'=HYPERLINK(1)"), restore("''quoted"), restore("'quoted")
    ('=HYPERLINK(1)', "'quoted", "'quoted")
    """
    if text.startswith(_QUOTE) and text[1:2] and text[1:].startswith((*FORMULA_STARTS, _QUOTE)):
        return text[1:]
    return text


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return neutralise(str(value))


def render_csv(records: Iterable[Mapping[str, Any]]) -> str:
    """The export as CSV text (starting with a byte order mark)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    header = (*COLUMNS, *CONTEXT_COLUMNS)
    writer.writerow(header)
    for record in records:
        writer.writerow([_cell(record.get(column)) for column in header])
    return out.getvalue()


def render_json(records: Iterable[Mapping[str, Any]]) -> str:
    """The export as a JSON list."""
    header = (*COLUMNS, *CONTEXT_COLUMNS)
    items = [{column: record.get(column) for column in header} for record in records]
    return json.dumps(items, ensure_ascii=False, indent=2) + "\n"


def format_of(filename: str) -> Format | None:
    """The format a file name's extension says (``.csv``, ``.json``), if any."""
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    return "csv" if suffix == "csv" else "json" if suffix == "json" else None


def _column_key(name: str) -> str:
    key = name.strip().lower()
    return ALIASES.get(key, key)


def _check_columns(names: Iterable[str], *, partial: bool = False) -> list[str]:
    """The ignored columns among ``names``; raises FileError for missing naming columns
    (unless ``partial``: the keys of one JSON object)."""
    keys = [_column_key(name) for name in names]
    missing = [column for column in COLUMNS if column not in keys]
    if missing and not partial:
        raise FileError(
            f"missing column{'s' if len(missing) > 1 else ''}: {', '.join(missing)} "
            f"(an export file has the columns {', '.join(COLUMNS)})"
        )
    known = set(COLUMNS) | set(CONTEXT_COLUMNS)
    return [name for name, key in zip(names, keys, strict=True) if key not in known]


def _checked(
    number: int, values: Mapping[str, Any], networks: Collection[str] | None
) -> NamingRow | RejectedRow:
    fields = {target: values.get(column) for column, target in _FIELDS.items()}
    return check_row(number, values.get("network"), values.get("mac"), fields, networks=networks)


def _parse_csv(text: str, networks: Collection[str] | None) -> ExportFile:
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as error:
        raise FileError(f"not a readable CSV file: {error}") from None
    if not records or not any(cell.strip() for cell in records[0]):
        raise FileError(f"the file is empty: an export file starts with {','.join(COLUMNS)}")
    header = records[0]
    keys = [_column_key(name) for name in header]
    repeated = sorted({key for key in keys if key and keys.count(key) > 1})
    if repeated:
        raise FileError(f"repeated column{'s' if len(repeated) > 1 else ''}: {', '.join(repeated)}")
    ignored = [name for name in _check_columns(header) if name.strip()]
    rows: list[NamingRow | RejectedRow] = []
    for number, cells in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue
        values = {key: restore(cell) for key, cell in zip(keys, cells, strict=False)}
        if any(cell.strip() for cell in cells[len(header) :]):
            mac = values.get("mac", "").strip() or None
            reason = f"{len(cells)} cells, but the header has {len(header)} columns"
            rows.append(RejectedRow(number, mac, reason))
            continue
        rows.append(_checked(number, values, networks))
    return _finish(rows, ignored)


def _parse_json(text: str, networks: Collection[str] | None) -> ExportFile:
    try:
        items = json.loads(text)
    except ValueError as error:
        raise FileError(f"not valid JSON: {error}") from None
    if not isinstance(items, list):
        raise FileError(f"an export file in JSON is a list of objects, not {type(items).__name__}")
    objects = [item for item in items if isinstance(item, dict)]
    present = {_column_key(key) for item in objects for key in item}
    if objects:
        _check_columns(sorted(present))
    ignored: dict[str, None] = {}
    rows: list[NamingRow | RejectedRow] = []
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            rows.append(RejectedRow(number, None, f"not an object: {type(item).__name__}"))
            continue
        names = [str(key) for key in item]
        ignored.update(dict.fromkeys(_check_columns(names, partial=True)))
        values = {_column_key(str(key)): value for key, value in item.items()}
        missing = [column for column in COLUMNS if column not in values]
        if missing:
            mac = values.get("mac") if isinstance(values.get("mac"), str) else None
            rows.append(RejectedRow(number, mac, f"missing {', '.join(missing)}"))
            continue
        rows.append(_checked(number, values, networks))
    return _finish(rows, list(ignored))


def _finish(rows: list[NamingRow | RejectedRow], ignored: list[str]) -> ExportFile:
    """Split checked from rejected rows; a second row for the same device is rejected."""
    checked: list[NamingRow] = []
    rejected: list[RejectedRow] = []
    first: dict[tuple[str, str], int] = {}
    for row in rows:
        if isinstance(row, RejectedRow):
            rejected.append(row)
            continue
        key = (row.network, row.mac)
        if key in first:
            rejected.append(RejectedRow(row.row, row.mac, f"the same device as row {first[key]}"))
            continue
        first[key] = row.row
        checked.append(row)
    return ExportFile(checked, sorted(rejected, key=lambda r: r.row), ignored)


def parse_export_file(
    text: str, fmt: Format, *, networks: Collection[str] | None = None
) -> ExportFile:
    """Read an export file (as edited in a spreadsheet or by hand) back into rows.

    Raises FileError when the file as a whole cannot be used: not CSV or JSON,
    a naming column missing or repeated. Rows that cannot be applied are
    returned as rejected, every one of them with its reasons; columns other
    than the naming and context ones are ignored and listed. ``networks`` are
    the configured network names, if any.
    """
    text = text.removeprefix("\ufeff")
    if fmt == "csv":
        return _parse_csv(text, networks)
    return _parse_json(text, networks)
