"""``/api/export`` and ``/api/import``: the owner's naming as a file, and back.

``GET /api/export`` is the file ``lanventory export`` writes. ``POST
/api/import`` takes an export file (CSV or JSON, as edited) or a hand-kept
devices.json and applies it like ``lanventory import``: an export file all
rows or none (a 422 lists every rejected row), a devices.json with its
MAC-less entries listed as skipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.status import (
    HTTP_413_CONTENT_TOO_LARGE,
    HTTP_415_UNSUPPORTED_MEDIA_TYPE,
    HTTP_422_UNPROCESSABLE_CONTENT,
)

from lanventory.config import ConfigError, Settings
from lanventory.naming.decode import FileError, decode_text
from lanventory.naming.devices_json import SkippedEntry, parse_devices_json
from lanventory.naming.export_file import Format, parse_export_file, render_csv, render_json
from lanventory.naming.row import NamingRow, RejectedRow
from lanventory.store.naming import apply_naming, export_rows
from lanventory.web.devices_api import checked_network, unprocessable
from lanventory.web.schemas import FieldError, Problem, Unprocessable
from lanventory.web.services import Services, services

router = APIRouter(prefix="/api", tags=["transfer"])

ServicesDep = Annotated[Services, Depends(services)]
#: The largest file ``POST /api/import`` reads.
MAX_BODY = 10 * 1024 * 1024
#: The body's media types, and the export file format each one means.
MEDIA_FORMATS: dict[str, Format] = {
    "text/csv": "csv",
    "application/csv": "csv",
    "application/json": "json",
}
MEDIA_TYPES: dict[Format, str] = {"csv": "text/csv; charset=utf-8", "json": "application/json"}
ImportFormat = Literal["csv", "json", "devices-json"]
Source = Literal["export-file", "devices-json"]


class ExportRecordOut(BaseModel):
    """One device's line of the export: the naming, then read-only context."""

    network: str
    mac: str
    name: str | None
    group: str | None
    note: str | None
    status: Literal["new", "known", "ignored"]
    flagged: bool
    ip: str | None = Field(description="Context: ignored by import.")
    hostname: str | None = Field(description="Context: ignored by import.")
    vendor: str | None = Field(description="Context: ignored by import.")
    randomized: bool = Field(description="Context: ignored by import.")
    present: bool = Field(description="Context: ignored by import.")
    last_seen: str = Field(description="Context (ISO 8601, UTC): ignored by import.")


class RejectedRowOut(BaseModel):
    """A row that cannot be applied."""

    row: int = Field(
        description="The row as a spreadsheet numbers it (the header is row 1); "
        "in a JSON list, the entry's position from 1."
    )
    mac: str | None = Field(
        description="The MAC as written (canonical for a second row of the same device)."
    )
    reason: str


class ImportRefused(BaseModel):
    """Nothing was imported: why, and every rejected row (empty when the file as a
    whole was refused)."""

    detail: str | list[FieldError] = Field(
        description="Why, in words; or one entry per parameter that does not have its "
        "documented shape."
    )
    rejected: list[RejectedRowOut] = Field(default_factory=list)


class SkippedEntryOut(BaseModel):
    """A devices.json entry that did not become naming."""

    entry: int = Field(description="Its position in the list, from 1.")
    ip: str | None
    name: str | None
    reason: str


class ImportReport(BaseModel):
    """What the import did, in one transaction."""

    source: Source
    created: int = Field(description="Devices named before they were ever seen.")
    updated: int
    unchanged: int
    ignored_columns: list[str] = Field(description="Columns of the file that import ignores.")
    skipped: list[SkippedEntryOut] = Field(description="devices.json entries left out, and why.")


_EXPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The export file, as an attachment.",
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/json": {
                "schema": {"type": "array", "items": ExportRecordOut.model_json_schema()}
            },
        },
    },
    422: {"model": Unprocessable, "description": "A bad network name or format."},
}


@router.get("/export", response_class=Response, responses=_EXPORT_RESPONSES)
def export_naming(
    found: ServicesDep,
    fmt: Annotated[
        Format, Query(alias="format", description="csv (for a spreadsheet) or json.")
    ] = "csv",
    network: Annotated[str | None, Query(description="Only this network.")] = None,
) -> Response:
    """Every device's naming (``network, mac, name, group, note, status, flagged``),
    then read-only context (``ip, hostname, vendor, randomized, present, last_seen``).

    Edit it and send it back to ``POST /api/import``. The CSV is UTF-8 with a
    byte order mark and CRLF line ends; a cell a spreadsheet would run as a
    formula (``=``, ``+``, ``-``, ``@``, tab, CR) or that begins with ``'`` is
    written with a ``'`` in front, which import takes off again.
    """
    name = checked_network(network)
    with found.engine.connect() as connection:
        records = export_rows(connection, name)
    text = render_csv(records) if fmt == "csv" else render_json(records)
    disposition = f"attachment; filename=lanventory-devices.{fmt}"
    return Response(
        text.encode("utf-8"),
        media_type=MEDIA_TYPES[fmt],
        headers={"Content-Disposition": disposition},
    )


def _too_large() -> HTTPException:
    return HTTPException(
        HTTP_413_CONTENT_TOO_LARGE,
        detail=f"the file is larger than {MAX_BODY // (1024 * 1024)} MB",
    )


async def _body(request: Request) -> bytes:
    """The request body, refused with 413 past :data:`MAX_BODY`."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_BODY:
        raise _too_large()
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise _too_large()
        chunks.append(chunk)
    return b"".join(chunks)


def _format(request: Request, chosen: ImportFormat | None) -> ImportFormat:
    if chosen is not None:
        return chosen
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media in MEDIA_FORMATS:
        return MEDIA_FORMATS[media]
    raise HTTPException(
        HTTP_415_UNSUPPORTED_MEDIA_TYPE,
        detail=f"send the file as text/csv or application/json (not {media or 'no type'}), "
        "or say which it is with ?format=csv|json|devices-json",
    )


def _configured(settings: Settings, network: str | None) -> str:
    """The devices.json's network: given, valid, and configured if any network is."""
    name = checked_network(network)
    if name is None:
        raise unprocessable("a devices.json needs the network its devices are on: ?network=NAME")
    if settings.networks:
        try:
            settings.network(name)
        except ConfigError as error:
            raise unprocessable(str(error)) from None
    return name


class _Refusal(Exception):
    """An upload that is not applied at all: why, and its rejected rows."""

    def __init__(self, detail: str, rejected: Sequence[RejectedRow] = ()) -> None:
        super().__init__(detail)
        self.detail = detail
        self.rejected = list(rejected)


@dataclass(frozen=True, slots=True)
class _Upload:
    """An uploaded file read as naming rows."""

    source: Source
    rows: list[NamingRow]
    ignored: list[str] = field(default_factory=list)
    skipped: list[SkippedEntry] = field(default_factory=list)


def _read_upload(
    data: bytes, chosen: ImportFormat, target: str | None, networks: list[str] | None
) -> _Upload:
    """The rows of an uploaded file; raises _Refusal if any row (or the file) is refused."""
    try:
        text = decode_text(data)
        if chosen == "devices-json":
            assert target is not None
            found = parse_devices_json(text, target)
            return _Upload("devices-json", found.rows, skipped=found.skipped)
        parsed = parse_export_file(text, chosen, networks=networks)
    except FileError as error:
        raise _Refusal(f"nothing imported: {error}") from None
    if parsed.rejected:
        total = len(parsed.rows) + len(parsed.rejected)
        detail = f"nothing imported: {len(parsed.rejected)} of {total} rows rejected"
        raise _Refusal(detail, parsed.rejected)
    return _Upload("export-file", parsed.rows, parsed.ignored_columns)


def _refused(detail: str, rejected: list[RejectedRow]) -> JSONResponse:
    body = ImportRefused(
        detail=detail,
        rejected=[RejectedRowOut(row=r.row, mac=r.mac, reason=r.reason) for r in rejected],
    )
    return JSONResponse(body.model_dump(), status_code=HTTP_422_UNPROCESSABLE_CONTENT)


_IMPORT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "An export file as CSV, or as JSON; or a devices.json (?format=devices-json).",
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
        },
    }
}
_IMPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    413: {"model": Problem, "description": f"The file is larger than {MAX_BODY} bytes."},
    415: {"model": Problem, "description": "Neither CSV nor JSON, and no ?format."},
    422: {"model": ImportRefused, "description": "Nothing imported: every rejected row, or why."},
}


@router.post(
    "/import",
    response_model=ImportReport,
    responses=_IMPORT_RESPONSES,
    openapi_extra=_IMPORT_BODY,
)
async def import_naming(
    request: Request,
    found: ServicesDep,
    fmt: Annotated[
        ImportFormat | None,
        Query(
            alias="format",
            description="Default: from the Content-Type (text/csv or application/json).",
        ),
    ] = None,
    network: Annotated[
        str | None, Query(description="For devices-json: the network its devices are on.")
    ] = None,
) -> ImportReport | JSONResponse:
    """Apply an export file's naming (all rows or none), or move in from a
    hand-kept devices.json.

    An export file's rows are all checked first (network, MAC in any spelling,
    name, group, note, status, flagged); if any is rejected, nothing changes and
    the 422 lists every one with its row number and why. A row for a device
    not seen yet creates it. Each created or changed device gets an
    ``imported`` event; importing the same file twice changes nothing.
    """
    chosen = _format(request, fmt)
    settings = found.settings
    target = _configured(settings, network) if chosen == "devices-json" else None
    networks = [n.name for n in settings.networks] or None
    data = await _body(request)
    try:
        upload = await run_in_threadpool(_read_upload, data, chosen, target, networks)
    except _Refusal as refusal:
        return _refused(refusal.detail, refusal.rejected)
    report = await found.writer.run(
        apply_naming,
        found.engine,
        upload.rows,
        source=upload.source,
        now=found.clock(),
        policy=settings.policy,
    )
    return ImportReport(
        source=upload.source,
        created=report.created,
        updated=report.updated,
        unchanged=report.unchanged,
        ignored_columns=upload.ignored,
        skipped=[
            SkippedEntryOut(entry=s.entry, ip=s.ip, name=s.name, reason=s.reason)
            for s in upload.skipped
        ],
    )
