"""Rendering the HTML pages: the Jinja2 templates, their filters and the page frame.

Autoescaping is always on and no template marks data ``|safe``: every string
a device reports (hostname, vendor, client id) is attacker-controlled and is
shown as text. A request with ``X-Fragment: main`` gets only the inside of
``main#main``, which the page's script swaps in when live events arrive.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from functools import cache
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.status import HTTP_409_CONFLICT

from lanventory.inventory.model import Device
from lanventory.web.pages_data import waiting_count
from lanventory.web.security import Principal
from lanventory.web.services import services

FRAGMENT_HEADER = "X-Fragment"
#: The header that carries the review queue's count, for the live update.
QUEUE_COUNT_HEADER = "X-Queue-Count"
#: The seed's advice on randomized MACs, the randomized badge's tooltip.
RANDOMIZED_ADVICE = (
    "Randomized (locally administered) MAC: naming pins this device only until the MAC "
    "rotates. Disable per-SSID MAC randomization on the device for stable tracking."
)


def device_label(device: Device, heard: str | None = None) -> str:
    """What a device is called: its name, else hostname, else the name it was ``heard``
    under (mDNS, reverse DNS), else vendor, else "unnamed"."""
    return device.name or device.hostname or heard or device.vendor or "unnamed"


def local_time(value: datetime | None) -> str:
    """``value`` in the server's local time, to the minute."""
    if value is None:
        return "—"
    return value.astimezone().strftime("%Y-%m-%d %H:%M")


def iso_time(value: datetime) -> str:
    """``value`` as ISO 8601, for ``<time datetime>``."""
    return value.isoformat()


def ago(value: datetime | None, now: datetime) -> str:
    """How long before ``now``: "just now", "5 min ago", "3 h ago", "12 d ago"."""
    if value is None:
        return "never"
    seconds = (now - value).total_seconds()
    if seconds < 0:
        return "in the future"
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h ago"
    return f"{int(seconds // 86400)} d ago"


def until(value: datetime, now: datetime) -> str:
    """How long after ``now``: "in 4 min", "in 2 h", "due"."""
    seconds = (value - now).total_seconds()
    if seconds <= 0:
        return "due"
    if seconds < 60:
        return f"in {int(seconds)} s"
    if seconds < 3600:
        return f"in {int(seconds // 60)} min"
    return f"in {timedelta(seconds=int(seconds))}"


def duration(seconds: float | None) -> str:
    """A run's duration: "0.4 s", "2 min 5 s"."""
    if seconds is None:
        return "—"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes} min {rest} s"


@cache
def static_version(name: str) -> str:
    """A short hash of a static file's content, so browsers fetch it again when it changes."""
    data = resources.files("lanventory.web").joinpath("static", name).read_bytes()
    return hashlib.sha256(data).hexdigest()[:10]


@cache
def environment() -> Environment:
    """The template environment: autoescaping always on, undefined names are errors."""
    env = Environment(
        loader=PackageLoader("lanventory.web", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(local_time=local_time, iso_time=iso_time, duration=duration)
    env.globals.update(
        device_label=device_label,
        static_version=static_version,
        randomized_advice=RANDOMIZED_ADVICE,
    )
    return env


def wants_fragment(request: Request) -> bool:
    """Whether the page's script asked for the inside of ``main#main`` only."""
    return request.headers.get(FRAGMENT_HEADER, "").strip().lower() == "main"


def render_page(
    request: Request,
    template: str,
    owner: Principal | None,
    *,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """``template`` as a whole page, or only its main region when asked for a fragment.

    Pages for the owner get the review queue's count (in the navigation and
    the ``X-Queue-Count`` header) and the session's CSRF token for their forms.
    """
    found = services(request)
    now = found.clock()
    headers = {"Vary": FRAGMENT_HEADER}
    queue = 0
    if owner is not None:
        with found.engine.connect() as connection:
            queue = waiting_count(connection)
        headers[QUEUE_COUNT_HEADER] = str(queue)
    layout = "fragment.html" if wants_fragment(request) else "base.html"
    html = (
        environment()
        .get_template(template)
        .render(
            layout=layout,
            owner=owner,
            csrf=(owner.csrf or "") if owner is not None else "",
            queue_count=queue,
            now=now,
            ago=lambda value: ago(value, now),
            until=lambda value: until(value, now),
            path=request.url.path,
            current=_current(request),
            **context,
        )
    )
    return HTMLResponse(html, status_code=status_code, headers=headers)


def _current(request: Request) -> str:
    """The page's own path and query: where a form on it returns to."""
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def conflict_page(request: Request, owner: Principal, message: str) -> HTMLResponse:
    """The error page of a form post that could not be done as things stand (409)."""
    return render_page(
        request, "error.html", owner, status_code=HTTP_409_CONFLICT, page="", message=message
    )
