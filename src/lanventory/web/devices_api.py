"""``/api/devices``: the band of known devices, the review queue, one device, edits."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from sqlalchemy.engine import Connection
from starlette.status import HTTP_204_NO_CONTENT, HTTP_404_NOT_FOUND, HTTP_422_UNPROCESSABLE_CONTENT

from lanventory.device_view import device_ips, device_json
from lanventory.inventory.edit import EditError
from lanventory.inventory.model import Device, Policy, Status, check_network_name
from lanventory.inventory.presence import absent_days
from lanventory.inventory.rotation import Suggestion
from lanventory.names.services import group_hint
from lanventory.net import normalize_mac
from lanventory.store.addresses import extra_ips
from lanventory.store.adoption import successor_of
from lanventory.store.device_detail import delete_device, device_detail, search_devices
from lanventory.store.device_names import advertised_services, names_of
from lanventory.store.device_text import storable
from lanventory.store.devices import DeviceNotFound, edit_device
from lanventory.store.suggestions import rotation_suggestions as suggestions_of
from lanventory.web.list_cache import inventory_version
from lanventory.web.schemas import (
    UNPROCESSABLE,
    DeviceBand,
    DeviceDetailOut,
    DeviceEdit,
    DeviceList,
    DeviceOut,
    EventOut,
    IpOut,
    NameOut,
    PredecessorOut,
    Problem,
    SightingOut,
    SuggestionOut,
    edit_schema,
)
from lanventory.web.services import Services, services

router = APIRouter(prefix="/api/devices", tags=["devices"])

#: The band's own groups, in its order; any other group the owner types follows them.
BAND_GROUPS = ("Smart Home", "Entertainment", "Personal", "Network", "Flagged")
#: Where known devices without a group go, last.
UNGROUPED = "Ungrouped"

ServicesDep = Annotated[Services, Depends(services)]


@dataclass(frozen=True, slots=True)
class DeviceKey:
    """A device's identity, as given in a path and checked."""

    network: str
    mac: str


def unprocessable(message: str) -> HTTPException:
    """A 422 whose detail says what is wrong."""
    return HTTPException(HTTP_422_UNPROCESSABLE_CONTENT, detail=message)


def checked_network(network: str | None) -> str | None:
    """``network`` if it is a valid name (or None); a 422 otherwise."""
    if network is None:
        return None
    try:
        return check_network_name(network)
    except ValueError as error:
        raise unprocessable(str(error)) from None


def checked_mac(mac: str) -> str:
    """The canonical form of ``mac`` in any common spelling; a 422 otherwise."""
    try:
        return normalize_mac(mac)
    except ValueError as error:
        raise unprocessable(str(error)) from None


def device_key(network: str, mac: str) -> DeviceKey:
    """The path's network and MAC, checked and normalised (a FastAPI dependency)."""
    name = checked_network(network)
    assert name is not None
    return DeviceKey(name, checked_mac(mac))


KeyDep = Annotated[DeviceKey, Depends(device_key)]
#: What the routes of one device answer besides success.
DEVICE_PROBLEMS: dict[int | str, dict[str, Any]] = {
    404: {"model": Problem, "description": "No such device."},
    **UNPROCESSABLE,
}
NetworkFilter = Annotated[str | None, Query(description="Only this network.")]
PresentFilter = Annotated[bool | None, Query(description="Only present (or absent) devices.")]
#: Text a database can be asked about: no NUL (PostgreSQL text cannot hold it).
SEARCHABLE = r"^[^\x00]*$"
TextFilter = Annotated[
    str | None,
    Query(
        max_length=255,
        pattern=SEARCHABLE,
        description="Text in the name, hostname, IP, MAC or vendor.",
    ),
]


def device_out(
    device: Device, now: datetime, policy: Policy, extras: Sequence[str] = ()
) -> DeviceOut:
    """A device as the API shows it (the fields of ``device_view.device_json``), with
    the absence marker as of now. Built without re-validation: the band lists thousands."""
    return DeviceOut.model_construct(
        network=device.network,
        mac=device.mac,
        ip=device.ip,
        ips=device_ips(device, extras),
        vendor=device.vendor,
        hostname=device.hostname,
        client_id=device.client_id,
        vendor_class=device.vendor_class,
        name=device.name,
        grp=device.grp,
        note=device.note,
        status=device.status,
        flagged=device.flagged,
        watched=device.watched,
        randomized=device.randomized,
        present=device.present,
        first_seen=device.first_seen,
        last_seen=device.last_seen,
        absent_days=absent_days(device, now, policy),
    )


def rotation_suggestions(
    connection: Connection, listed: Iterable[Device], found: Services
) -> dict[tuple[str, str], list[Suggestion]]:
    """The likely predecessors of each new randomized device in ``listed`` (see
    :func:`lanventory.store.suggestions.rotation_suggestions`)."""
    return suggestions_of(connection, listed, found.settings.policy, found.clock())


def _ip_order(device: Device) -> tuple[int, tuple[int, ...], str]:
    """Devices without an address last; the ``ip`` column holds IPv4 only."""
    if device.ip is None:
        return (1, (), device.mac)
    return (0, tuple(int(part) for part in device.ip.split(".")), device.mac)


def band_groups(items: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Devices grouped by ``grp``: the band's groups in order, then the owner's own
    alphabetically, then the ungrouped; each group by network, then IP."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        grouped.setdefault(item["grp"] or UNGROUPED, []).append(item)
    extra = sorted(
        (name for name in grouped if name not in BAND_GROUPS and name != UNGROUPED),
        key=lambda name: (name.casefold(), name),
    )
    order = [name for name in BAND_GROUPS if name in grouped] + extra
    if UNGROUPED in grouped:
        order.append(UNGROUPED)
    return [{"name": name, "devices": grouped[name]} for name in order]


def _listed(
    connection: Connection,
    status: Status,
    network: str | None,
    present: bool | None,
    q: str | None,
) -> list[Device]:
    found_devices = search_devices(connection, status, network=network, present=present, text=q)
    return sorted(found_devices, key=lambda d: (d.network, *_ip_order(d)))


def _list_answer(
    found: Services,
    status: Status,
    network: str | None,
    present: bool | None,
    q: str | None,
    shape: Callable[[list[dict[str, Any]]], dict[str, Any]],
    newest_first: bool = False,
    *,
    compressed: bool = False,
) -> Response:
    """A device list as JSON, reused while the inventory and the day stay the same.

    ``compressed``: the client takes gzip; the compressed answer is kept too,
    so a long list is compressed once per change, not once per request.
    """
    name = checked_network(network)
    now, policy = found.clock(), found.settings.policy
    with found.engine.connect() as connection:
        key = (status, name, present, q, inventory_version(connection), now.date())

        def build() -> bytes:
            listed = _listed(connection, status, name, present, q)
            if newest_first:
                listed.sort(key=lambda d: d.first_seen, reverse=True)
            extras = extra_ips(connection)
            payload = shape(
                [device_json(d, now, policy, extras.get(d.id or 0, ())) for d in listed]
            )
            return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()

        body = found.lists.get(key, build)
    if not compressed:
        return Response(body, media_type="application/json", headers={"Vary": "Accept-Encoding"})
    zipped = found.lists.get((*key, "gzip"), lambda: gzip.compress(body, compresslevel=6, mtime=0))
    return Response(
        zipped,
        media_type="application/json",
        headers={"Content-Encoding": "gzip", "Vary": "Accept-Encoding"},
    )


def accepts_gzip(request: Request) -> bool:
    """Whether the client's ``Accept-Encoding`` takes gzip (and does not refuse it with q=0)."""
    for part in request.headers.get("accept-encoding", "").lower().split(","):
        coding, _, weight = part.partition(";")
        if coding.strip() in ("gzip", "*"):
            weight = weight.strip()
            if not weight.startswith("q="):
                return True
            try:
                return float(weight[2:]) > 0
            except ValueError:
                return False
    return False


@router.get("", response_model=DeviceBand, responses=UNPROCESSABLE)
def known_devices(
    request: Request,
    found: ServicesDep,
    network: NetworkFilter = None,
    present: PresentFilter = None,
    q: TextFilter = None,
) -> Response:
    """Known devices, grouped by group as the band shows them."""
    return _list_answer(
        found,
        Status.KNOWN,
        network,
        present,
        q,
        lambda items: {"groups": band_groups(items)},
        compressed=accepts_gzip(request),
    )


@router.get("/discovered", response_model=DeviceList, responses=UNPROCESSABLE)
def discovered_devices(
    request: Request,
    found: ServicesDep,
    network: NetworkFilter = None,
    present: PresentFilter = None,
    q: TextFilter = None,
) -> Response:
    """The review queue: devices still ``new``, most recently first seen first."""
    return _list_answer(
        found,
        Status.NEW,
        network,
        present,
        q,
        lambda items: {"devices": items},
        newest_first=True,
        compressed=accepts_gzip(request),
    )


@router.get("/{network}/{mac}", response_model=DeviceDetailOut, responses=DEVICE_PROBLEMS)
def one_device(found: ServicesDep, key: KeyDep) -> DeviceDetailOut:
    """One device with its IP history, per-source sightings and latest events; for a
    new randomized device, also the absent devices it likely replaces (rotated MACs)."""
    return detail_out(found, key.network, key.mac)


def detail_out(found: Services, network: str, mac: str) -> DeviceDetailOut:
    """The answer of ``GET /api/devices/{network}/{mac}``; a 404 says which device
    adopted a retired MAC."""
    with found.engine.connect() as connection:
        detail = device_detail(connection, network, mac)
        extras = extra_ips(connection, [detail.device.id or 0]) if detail is not None else {}
        suggestions = (
            rotation_suggestions(connection, [detail.device], found).get(
                (detail.device.network, detail.device.mac), []
            )
            if detail is not None
            else []
        )
        adopted_by = successor_of(connection, network, mac) if detail is None else None
        names = (
            names_of(connection, [detail.device.id or 0]).get(detail.device.id or 0, [])
            if detail is not None
            else []
        )
    services = advertised_services(names)
    if detail is None:
        message = f"no device {mac} on {network!r}"
        if adopted_by is not None:
            message += f": it was adopted by {adopted_by[0]} at {adopted_by[1].isoformat()}"
        raise HTTPException(HTTP_404_NOT_FOUND, detail=message)
    return DeviceDetailOut(
        device=device_out(
            detail.device,
            found.clock(),
            found.settings.policy,
            extras.get(detail.device.id or 0, ()),
        ),
        ip_history=[IpOut.model_validate(ip) for ip in detail.ips],
        sightings=[SightingOut.model_validate(s) for s in detail.sightings],
        events=[EventOut.model_validate(e) for e in detail.events],
        suggestions=[SuggestionOut.model_validate(s) for s in suggestions],
        predecessors=[PredecessorOut.model_validate(p) for p in detail.predecessors],
        names=[NameOut.model_validate(n) for n in names],
        services=services,
        group_hint=group_hint(services),
    )


_EDIT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": edit_schema()}},
    }
}


async def _edit_fields(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body())
    except ValueError:
        body = None
    if not isinstance(body, dict):
        fields = ", ".join(DeviceEdit.model_fields)
        raise unprocessable(f"the body must be a JSON object with any of: {fields}")
    for name, value in body.items():
        if isinstance(value, str) and not storable_text(value):
            raise unprocessable(
                f"{name}: text with a NUL character or an unpaired surrogate cannot be stored"
            )
    return body


def storable_text(value: str) -> bool:
    """Whether ``value`` can be stored as it is: no NUL, no lone surrogate."""
    return storable(value) == value


@router.patch(
    "/{network}/{mac}",
    response_model=DeviceOut,
    responses=DEVICE_PROBLEMS,
    openapi_extra=_EDIT_BODY,
)
async def patch_device(request: Request, found: ServicesDep, key: KeyDep) -> DeviceOut:
    """Edit the owner's fields: name it, group it, note it, promote it
    (``status: known``), ignore it, flag it or watch it."""
    fields = await _edit_fields(request)
    try:
        device = await found.writer.run(
            edit_device, found.engine, key.network, key.mac, fields, found.clock()
        )
    except DeviceNotFound as error:
        raise HTTPException(HTTP_404_NOT_FOUND, detail=str(error)) from None
    except EditError as error:
        raise unprocessable(str(error)) from None
    with found.engine.connect() as connection:
        extras = extra_ips(connection, [device.id or 0])
    return device_out(device, found.clock(), found.settings.policy, extras.get(device.id or 0, ()))


@router.delete(
    "/{network}/{mac}",
    status_code=HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=DEVICE_PROBLEMS,
)
async def remove_device(found: ServicesDep, key: KeyDep) -> Response:
    """Forget a device with its sightings and IP history; a ``deleted`` event says so."""
    try:
        await found.writer.run(delete_device, found.engine, key.network, key.mac, found.clock())
    except DeviceNotFound as error:
        raise HTTPException(HTTP_404_NOT_FOUND, detail=str(error)) from None
    return Response(status_code=HTTP_204_NO_CONTENT)
