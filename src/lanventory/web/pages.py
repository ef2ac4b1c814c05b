"""The HTML pages: the devices band, the review queue, one device, the status page.

Every page and form post is the owner's (an anonymous browser is sent to
``/login``). Forms post with the session's CSRF token in a hidden ``csrf``
field and answer with a 303 back to the page they came from; writes go
through the server's one writer, like the API's.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.status import (
    HTTP_303_SEE_OTHER,
    HTTP_404_NOT_FOUND,
    HTTP_422_UNPROCESSABLE_CONTENT,
)

from lanventory.config import ConfigError
from lanventory.inventory.adoption import AdoptionError
from lanventory.inventory.edit import EditError
from lanventory.inventory.model import Device, EventType, Status, check_network_name
from lanventory.inventory.presence import absent_days
from lanventory.names.services import group_hint
from lanventory.net import is_locally_administered, normalize_mac
from lanventory.service.scheduler import NetworkBusy, Scheduler
from lanventory.stable_macs import StablePrefix, stable_prefix_of
from lanventory.store.addresses import extra_ips
from lanventory.store.adoption import adopt_device, identity, successor_of, undo_adoption
from lanventory.store.device_detail import delete_device, device_detail, search_devices
from lanventory.store.device_names import DeviceName, advertised_services, heard_name, names_of
from lanventory.store.devices import DeviceNotFound, edit_device, owner_names
from lanventory.store.history import list_events
from lanventory.store.stable_prefixes import effective_policy
from lanventory.sweep.run import networks_to_sweep
from lanventory.web.devices_api import BAND_GROUPS, band_groups, rotation_suggestions
from lanventory.web.pages_data import device_networks, last_runs, owner_groups
from lanventory.web.pages_events import event_summary
from lanventory.web.pages_forms import Form, field, form_fields, local_path
from lanventory.web.pages_render import conflict_page, render_page
from lanventory.web.pages_timeline import presence_timeline
from lanventory.web.security import Principal, require_page_owner
from lanventory.web.services import Services, services
from lanventory.web.settings_api import effective_rows

router = APIRouter(include_in_schema=False, dependencies=[Depends(require_page_owner)])

Owner = Annotated[Principal, Depends(require_page_owner)]
ServicesDep = Annotated[Services, Depends(services)]
SearchText = Annotated[str | None, Query(max_length=255)]
#: The timeline's choices of window, in days.
TIMELINE_DAYS = (7, 30)
#: What the status page says after "Scan now", by outcome.
SCAN_MESSAGES = {
    "started": ("ok", "Scan started: the results appear here when it finishes."),
    "busy": ("error", "A run is already in progress on that network: try again in a moment."),
    "none": ("error", "No network has a sweep to run: add [networks.sweep] to the config."),
    "no-interface": ("error", "A network to sweep has no 'interface' set in the config."),
    "offline": (
        "error",
        "This server runs without its background scheduler, so it cannot scan now.",
    ),
}


def _network_or_none(network: str | None) -> str | None:
    """A valid network name from a filter; anything else means "every network"."""
    if not network:
        return None
    try:
        return check_network_name(network)
    except ValueError:
        return None


def _cards(found: Services, listed: list[Device]) -> list[dict[str, Any]]:
    """One card per device; ``heard`` is its mDNS or reverse-DNS name, for the label of a
    device that has no name and sends no hostname."""
    now, policy = found.clock(), found.settings.policy
    unnamed = [d.id for d in listed if d.id is not None and not (d.name or d.hostname)]
    heard: dict[int, list[DeviceName]] = {}
    if unnamed:
        with found.engine.connect() as connection:
            heard = names_of(connection, unnamed)
    return [
        {
            "grp": d.grp,
            "device": d,
            "absent_days": absent_days(d, now, policy),
            "heard": heard_name(heard.get(d.id or 0, [])),
        }
        for d in listed
    ]


def _ip_key(device: Device) -> tuple[int, tuple[int, ...], str]:
    if device.ip is None:
        return (1, (), device.mac)
    return (0, tuple(int(part) for part in device.ip.split(".")), device.mac)


def _group_choices(found: Services) -> list[str]:
    with found.engine.connect() as connection:
        own = owner_groups(connection)
    return [*BAND_GROUPS, *(name for name in own if name not in BAND_GROUPS)]


def _lists(
    found: Services, status: Status, network: str | None, q: str | None
) -> tuple[list[Device], list[str]]:
    with found.engine.connect() as connection:
        listed = search_devices(connection, status, network=network, text=q)
        networks = device_networks(connection)
    configured = [n.name for n in found.settings.networks]
    return listed, sorted(set(networks) | set(configured))


@router.get("/", response_class=HTMLResponse)
def band_page(
    request: Request, owner: Owner, found: ServicesDep, q: SearchText = None, network: str = ""
) -> HTMLResponse:
    """Known devices, grouped; searchable and filtered by network."""
    name = _network_or_none(network)
    listed, networks = _lists(found, Status.KNOWN, name, q)
    listed.sort(key=lambda d: (d.network, *_ip_key(d)))
    return render_page(
        request,
        "band.html",
        owner,
        page="band",
        groups=band_groups(_cards(found, listed)),
        total=len(listed),
        present=sum(1 for d in listed if d.present),
        q=q or "",
        network=name or "",
        networks=networks,
        group_choices=_group_choices(found),
    )


@router.get("/discovered", response_class=HTMLResponse)
def queue_page(
    request: Request, owner: Owner, found: ServicesDep, q: SearchText = None, network: str = ""
) -> HTMLResponse:
    """The review queue: devices still ``new``, most recently first seen first."""
    name = _network_or_none(network)
    listed, networks = _lists(found, Status.NEW, name, q)
    listed.sort(key=lambda d: d.first_seen, reverse=True)
    cards = _cards(found, listed)
    with found.engine.connect() as connection:
        suggested = rotation_suggestions(connection, listed, found)
        tops = {key: found_for[0] for key, found_for in suggested.items() if found_for}
        wanted: dict[str, list[str]] = {}
        for (net, _mac), suggestion in tops.items():
            wanted.setdefault(net, []).append(suggestion.mac)
        named = {net: owner_names(connection, net, macs) for net, macs in wanted.items()}
    for card in cards:
        device = card["device"]
        top = tops.get((device.network, device.mac))
        card["suggestion"] = top
        card["suggestion_name"] = None if top is None else named[device.network].get(top.mac)
    return render_page(
        request,
        "queue.html",
        owner,
        page="queue",
        devices=cards,
        q=q or "",
        network=name or "",
        networks=networks,
        group_choices=_group_choices(found),
    )


def _not_found(request: Request, owner: Principal, message: str) -> HTMLResponse:
    return render_page(
        request, "error.html", owner, status_code=HTTP_404_NOT_FOUND, page="", message=message
    )


def _device_key(network: str, mac: str) -> tuple[str, str] | None:
    try:
        return check_network_name(network), normalize_mac(mac)
    except ValueError:
        return None


@router.get("/devices/{network}/{mac}", response_class=HTMLResponse)
def device_page(
    request: Request, owner: Owner, found: ServicesDep, network: str, mac: str, days: int = 7
) -> Response:
    """Everything known about one device: addresses, sightings, presence, events."""
    key = _device_key(network, mac)
    if key is None:
        return _not_found(request, owner, f"{mac!r} on {network!r} is not a device address")
    if key != (network, mac):
        return RedirectResponse(f"/devices/{key[0]}/{key[1]}", status_code=HTTP_303_SEE_OTHER)
    days = days if days in TIMELINE_DAYS else TIMELINE_DAYS[0]
    now = found.clock()
    with found.engine.connect() as connection:
        detail = device_detail(connection, network, mac)
        if detail is None:
            adopted_by = successor_of(connection, network, mac)
            if adopted_by is not None:
                target = f"/devices/{network}/{adopted_by[0]}"
                return RedirectResponse(target, status_code=HTTP_303_SEE_OTHER)
            return _not_found(request, owner, f"No device {mac} on network {network}.")
        device_id = detail.device.id or 0
        extras = extra_ips(connection, [device_id]).get(device_id, [])
        other_names = names_of(connection, [device_id]).get(device_id, [])
        since = now - timedelta(days=days)
        macs = identity(connection, detail.device)
        presence = [
            record
            for kind in (EventType.ONLINE, EventType.OFFLINE)
            for record in list_events(
                connection, network=network, identity=macs, event_type=kind, since=since, limit=5000
            )
        ]
        suggestions = rotation_suggestions(connection, [detail.device], found).get(key, [])
        names = owner_names(connection, network, [s.mac for s in suggestions])
        policy = effective_policy(connection, found.settings.policy)
    device = detail.device
    services = advertised_services(other_names)
    return render_page(
        request,
        "device.html",
        owner,
        page="device",
        d=device,
        absent=absent_days(device, now, policy),
        stable=_stable_prefix(device, policy.stable_mac_prefixes),
        ips=detail.ips,
        extra_ips=extras,
        device_names=other_names,
        heard=heard_name(other_names),
        services=services,
        group_hint=group_hint(services),
        suggestions=suggestions,
        suggestion_names=names,
        predecessors=detail.predecessors,
        sightings=detail.sightings,
        events=[(record, event_summary(record)) for record in detail.events],
        timeline=presence_timeline(device, presence, now, days),
        days=days,
        timeline_days=TIMELINE_DAYS,
        group_choices=_group_choices(found),
        back="/discovered" if device.status is Status.NEW else "/",
    )


def _stable_prefix(device: Device, prefixes: tuple[StablePrefix, ...]) -> StablePrefix | None:
    """The stable prefix a locally administered, not randomized device is under, or None."""
    if device.randomized or not is_locally_administered(device.mac):
        return None
    return stable_prefix_of(device.mac, prefixes)


def _back(request: Request, form: Form, fallback: str) -> str:
    """Where a form post returns: its ``next`` field, else the referring page of this
    site, else ``fallback``."""
    target = local_path(field(form, "next"))
    if target is not None:
        return target
    referrer = urlsplit(request.headers.get("referer", ""))
    if referrer.netloc and referrer.netloc == request.headers.get("host"):
        path = local_path(referrer.path + (f"?{referrer.query}" if referrer.query else ""))
        if path is not None:
            return path
    return fallback


def _checked(value: str | None) -> bool:
    return value is not None and value.strip().lower() in ("1", "on", "true", "yes")


def edit_fields(form: Form) -> dict[str, Any]:
    """The owner fields an edit form posts, as ``edit_device`` takes them.

    A typed new group (``grp_new``) wins over the chosen one (``grp``). The
    checkboxes (``flagged``, ``watched``) are unchecked when absent, as
    browsers leave unchecked boxes out of the post; every edit form has both.
    """
    fields: dict[str, Any] = {}
    for name in ("name", "note", "status"):
        value = field(form, name)
        if value is not None:
            fields[name] = value
    typed = (field(form, "grp_new") or "").strip()
    chosen = field(form, "grp")
    if typed:
        fields["grp"] = typed
    elif chosen is not None:
        fields["grp"] = chosen
    for name in ("flagged", "watched"):
        fields[name] = _checked(field(form, name))
    return fields


async def _apply_edit(
    request: Request,
    owner: Principal,
    found: Services,
    network: str,
    mac: str,
    fields: dict[str, Any],
) -> Response:
    form = await form_fields(request)
    key = _device_key(network, mac)
    if key is None:
        return _not_found(request, owner, f"{mac!r} on {network!r} is not a device address")
    try:
        await found.writer.run(edit_device, found.engine, *key, fields, found.clock())
    except DeviceNotFound as error:
        return _not_found(request, owner, str(error))
    except EditError as error:
        return render_page(
            request,
            "error.html",
            owner,
            status_code=HTTP_422_UNPROCESSABLE_CONTENT,
            page="",
            message=f"The edit was not saved: {error}.",
        )
    fallback = f"/devices/{key[0]}/{key[1]}"
    return RedirectResponse(_back(request, form, fallback), status_code=HTTP_303_SEE_OTHER)


@router.post("/devices/{network}/{mac}/edit")
async def edit_post(
    request: Request, owner: Owner, found: ServicesDep, network: str, mac: str
) -> Response:
    """Save the edit form: name, group, note, flags, status (promoting sets ``known``)."""
    fields = edit_fields(await form_fields(request))
    return await _apply_edit(request, owner, found, network, mac, fields)


@router.post("/devices/{network}/{mac}/ignore")
async def ignore_post(
    request: Request, owner: Owner, found: ServicesDep, network: str, mac: str
) -> Response:
    """Ignore a device: it leaves the queue and the band."""
    return await _apply_edit(request, owner, found, network, mac, {"status": "ignored"})


@router.post("/devices/{network}/{mac}/delete")
async def delete_post(
    request: Request, owner: Owner, found: ServicesDep, network: str, mac: str
) -> Response:
    """Forget a device with its history (it comes back as new if it is seen again)."""
    form = await form_fields(request)
    key = _device_key(network, mac)
    if key is None:
        return _not_found(request, owner, f"{mac!r} on {network!r} is not a device address")
    try:
        await found.writer.run(delete_device, found.engine, *key, found.clock())
    except DeviceNotFound as error:
        return _not_found(request, owner, str(error))
    target = _back(request, form, "/")
    if urlsplit(target).path == f"/devices/{key[0]}/{key[1]}":
        target = "/"
    return RedirectResponse(target, status_code=HTTP_303_SEE_OTHER)


@router.post("/devices/{network}/{mac}/adopt")
async def adopt_post(
    request: Request, owner: Owner, found: ServicesDep, network: str, mac: str
) -> Response:
    """Adopt the posted ``predecessor``: this device is that one under a new MAC."""
    form = await form_fields(request)
    key = _device_key(network, mac)
    old = _device_key(network, field(form, "predecessor") or "")
    if key is None or old is None:
        return _not_found(request, owner, f"{mac!r} on {network!r} is not a device address")
    return await _adoption(request, owner, found, adopt_device, *key, old[1], found.clock())


@router.post("/devices/{network}/{mac}/adopt/undo")
async def undo_adopt_post(
    request: Request, owner: Owner, found: ServicesDep, network: str, mac: str
) -> Response:
    """Undo this device's latest adoption."""
    key = _device_key(network, mac)
    if key is None:
        return _not_found(request, owner, f"{mac!r} on {network!r} is not a device address")
    return await _adoption(request, owner, found, undo_adoption, *key, found.clock())


async def _adoption(
    request: Request,
    owner: Principal,
    found: Services,
    action: Callable[..., Device],
    network: str,
    mac: str,
    *args: Any,
) -> Response:
    """Run an adoption ``action`` and return to the device's page (or show why not)."""
    try:
        await found.writer.run(action, found.engine, network, mac, *args)
    except DeviceNotFound as error:
        return _not_found(request, owner, str(error))
    except AdoptionError as error:
        return conflict_page(request, owner, f"Not done: {error}.")
    return RedirectResponse(f"/devices/{network}/{mac}", status_code=HTTP_303_SEE_OTHER)


def _scheduler(request: Request) -> Scheduler | None:
    found: Scheduler | None = getattr(request.app.state, "scheduler", None)
    return found


@router.get("/status", response_class=HTMLResponse)
def status_page(request: Request, owner: Owner, found: ServicesDep, scan: str = "") -> HTMLResponse:
    """The last run of every source per network, "Scan now" and the next scheduled runs."""
    jobs = _scheduler(request)
    with found.engine.connect() as connection:
        latest = last_runs(connection)
    ran = {(run.network, run.source) for run in latest}
    planned = sorted(jobs.jobs if jobs is not None else [], key=lambda job: job.due)
    return render_page(
        request,
        "status.html",
        owner,
        page="status",
        runs=latest,
        never=sorted(
            {
                (j.network.name, j.kind)
                for j in planned
                if not any((j.network.name, source) in ran for source in j.run_sources)
            }
        ),
        jobs=planned,
        scheduler_running=jobs is not None,
        busy={
            job.network.name for job in planned if jobs is not None and jobs.busy(job.network.name)
        },
        sweepable=[n.name for n in found.settings.networks if n.sweep is not None],
        stable_prefixes=effective_rows(found),
        message=SCAN_MESSAGES.get(scan),
    )


def _status_with(outcome: str) -> RedirectResponse:
    return RedirectResponse(
        f"/status?{urlencode({'scan': outcome})}", status_code=HTTP_303_SEE_OTHER
    )


@router.post("/scan")
async def scan_post(request: Request, found: ServicesDep) -> Response:
    """Sweep every network that has a sweep, now, in the background; back to the status page.

    The router's gate admits only the owner with the session's CSRF token.
    """
    jobs = _scheduler(request)
    if jobs is None:
        return _status_with("offline")
    try:
        networks = networks_to_sweep(found.settings, None)
    except ConfigError:
        return _status_with("none")
    if not networks:
        return _status_with("none")
    if any(network.interface is None for network in networks):
        return _status_with("no-interface")
    try:
        await jobs.scan_now(networks)
    except NetworkBusy:
        return _status_with("busy")
    return _status_with("started")
