"""The HTML pages: what the owner sees, what anyone else gets, and the forms' writes."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import Engine, select, update

from lanventory.ingest import ingest
from lanventory.inventory.model import Policy
from lanventory.sources.observation import SourceText
from lanventory.store.tables import devices
from lanventory.vendors import load_table
from lanventory.web.csp import PAGE_POLICY
from lanventory.web.pages_render import RANDOMIZED_ADVICE
from tests.conftest import SAMPLE_NOW, fixture_path

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

    from tests.web.conftest import SessionClient

LOOKUP = load_table(None).lookup
ARP_SCAN = fixture_path("arp-scan", "shared-sample-arp-scan-1.10.0-default.txt")
ROUTER, LAPTOP, RANDOM, PI = (
    "74:ac:b9:12:34:56",
    "3c:22:fb:12:34:56",
    "de:ad:7e:11:22:33",
    "b8:27:eb:aa:bb:cc",
)
HOSTILE = "<img src=x onerror=alert(1)>"
ESCAPED = "&lt;img src=x onerror=alert(1)&gt;"
PAGES = ("/", "/discovered", f"/devices/lan/{ROUTER}", "/status")


def sweep(engine: Engine, after: timedelta = timedelta(0), text: str | None = None) -> None:
    now = SAMPLE_NOW + after
    report = ingest(
        engine,
        "arp-scan",
        "lan",
        [SourceText("capture", text if text is not None else ARP_SCAN.read_text())],
        now=now,
        policy=Policy(),
        lookup=LOOKUP,
        clock=lambda: now,
    )
    assert report.ok, report.error


@pytest.fixture
def lan(engine: Engine) -> Engine:
    """The arp-scan sample swept on ``lan``; the router known, everything else new."""
    sweep(engine)
    with engine.begin() as connection:
        connection.execute(
            update(devices)
            .where(devices.c.mac == ROUTER)
            .values(status="known", name="Router", grp="Network")
        )
    return engine


@pytest.fixture
def hostile(lan: Engine) -> Engine:
    """Every string a device reports is hostile, on a known and on a new device."""
    with lan.begin() as connection:
        connection.execute(
            update(devices)
            .where(devices.c.mac.in_([ROUTER, LAPTOP]))
            .values(hostname=HOSTILE, vendor=HOSTILE, client_id=HOSTILE)
        )
        connection.execute(
            update(devices).where(devices.c.mac == ROUTER).values(name=None, note=HOSTILE)
        )
    return lan


def form(client: SessionClient, **fields: str) -> dict[str, str]:
    return {"csrf": client.csrf, **fields}


def row(engine: Engine, mac: str) -> dict[str, object] | None:
    with engine.connect() as connection:
        found = connection.execute(select(devices).where(devices.c.mac == mac)).mappings().first()
    return dict(found) if found is not None else None


def macs_in(html: str, css_class: str = "device") -> list[str]:
    return re.findall(
        rf'<article class="{css_class}[^"]*" data-network="lan" data-mac="([^"]+)"', html
    )


# --- who may see the pages ----------------------------------------------------------------


@pytest.mark.parametrize("path", PAGES)
def test_every_page_renders_for_the_owner(
    lan: Engine, cookie_client: SessionClient, path: str
) -> None:
    response = cookie_client.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["content-security-policy"] == PAGE_POLICY
    html = response.text
    for hook in ('id="nav-band"', 'id="nav-queue"', 'id="nav-status"', 'id="logout"', 'id="main"'):
        assert hook in html
    assert re.search(r'<span id="queue-count" class="count[^"]*">9</span>', html)
    assert f'name="csrf" value="{cookie_client.csrf}"' in html
    assert '<script src="/static/app.js' in html and "<script>" not in html
    assert " style=" not in html


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_browsers_are_sent_to_the_login_page(
    lan: Engine, anon: TestClient, path: str
) -> None:
    response = anon.get(path, params={"days": "30"}, follow_redirects=False)
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith("/login?next=")
    assert anon.get(location).status_code == 200


def test_a_bearer_token_may_read_the_pages(lan: Engine, client: TestClient) -> None:
    assert client.get("/").status_code == 200


def test_login_and_logout_through_the_forms(
    lan: Engine, anon: TestClient, owner_password: str
) -> None:
    page = anon.get("/login", params={"next": "/status"})
    assert page.status_code == 200 and 'id="login-form"' in page.text
    assert page.headers["content-security-policy"] == PAGE_POLICY
    wrong = anon.post("/login", data={"password": "nope", "next": "/status"})
    assert wrong.status_code == 401 and 'class="flash flash-error"' in wrong.text
    response = anon.post(
        "/login", data={"password": owner_password, "next": "/status"}, follow_redirects=False
    )
    assert response.status_code == 303 and response.headers["location"] == "/status"
    status = anon.get("/status")
    assert status.status_code == 200
    csrf = re.search(r'name="csrf" value="([^"]+)"', status.text)
    assert csrf is not None
    assert anon.post("/logout", data={}, follow_redirects=False).status_code == 403
    out = anon.post("/logout", data={"csrf": csrf.group(1)}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert anon.get("/", follow_redirects=False).status_code == 303


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/login?next=/"])
def test_login_never_sends_the_browser_elsewhere(
    anon: TestClient, owner_password: str, target: str
) -> None:
    response = anon.post(
        "/login", data={"password": owner_password, "next": target}, follow_redirects=False
    )
    assert response.headers["location"] == "/"


def test_the_static_files_are_open_and_hold_no_data(anon: TestClient) -> None:
    css = anon.get("/static/app.css")
    js = anon.get("/static/app.js")
    assert css.status_code == 200 and "prefers-color-scheme: dark" in css.text
    assert js.status_code == 200 and "EventSource" in js.text
    assert "innerHTML" not in js.text


# --- CSRF -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        f"/devices/lan/{LAPTOP}/edit",
        f"/devices/lan/{LAPTOP}/ignore",
        f"/devices/lan/{LAPTOP}/delete",
        "/scan",
        "/logout",
    ],
)
def test_forms_without_the_csrf_field_are_refused(
    lan: Engine, cookie_client: SessionClient, path: str
) -> None:
    missing = cookie_client.post(path, data={"name": "x", "status": "known"})
    wrong = cookie_client.post(path, data={"csrf": "forged", "status": "known"})
    assert missing.status_code == 403 and wrong.status_code == 403
    assert row(lan, LAPTOP) == row(lan, LAPTOP) and row(lan, LAPTOP) is not None
    assert row(lan, LAPTOP)["status"] == "new"  # type: ignore[index]


# --- hostile strings ---------------------------------------------------------------------


@pytest.mark.parametrize("path", PAGES + (f"/devices/lan/{LAPTOP}",))
def test_a_hostile_hostname_is_shown_as_text(
    hostile: Engine, cookie_client: SessionClient, path: str
) -> None:
    html = cookie_client.get(path).text
    assert HOSTILE not in html
    assert "<img" not in html
    if path != "/status":
        assert ESCAPED in html


def test_a_hostile_hostname_is_escaped_in_the_live_fragment(
    hostile: Engine, cookie_client: SessionClient
) -> None:
    response = cookie_client.get("/discovered", headers={"X-Fragment": "main"})
    assert response.status_code == 200
    assert "<html" not in response.text and 'id="nav-band"' not in response.text
    assert ESCAPED in response.text and HOSTILE not in response.text
    assert response.headers["x-queue-count"] == "9"


# --- the band -----------------------------------------------------------------------------


def test_the_band_groups_known_devices_with_their_markers(
    lan: Engine, cookie_client: SessionClient
) -> None:
    cookie_client.post(
        f"/devices/lan/{RANDOM}/edit",
        data=form(cookie_client, name="Phone", grp="Personal", status="known"),
    )
    html = cookie_client.get("/").text
    groups = re.findall(r'<section class="group" data-group="([^"]+)">', html)
    assert groups == ["Personal", "Network"]
    assert macs_in(html) == [RANDOM, ROUTER]
    assert f'class="badge badge-randomized" title="{RANDOMIZED_ADVICE}"' in html
    assert html.count("badge-randomized") == 1
    assert (
        '<h3 class="device-name"><a href="/devices/lan/74:ac:b9:12:34:56">Router</a></h3>' in html
    )
    assert 'class="presence present"' in html
    assert html.count('<details class="inline-edit">') == 2


def test_the_band_marks_devices_absent_for_a_month(
    lan: Engine, cookie_client: SessionClient
) -> None:
    with lan.begin() as connection:
        connection.execute(
            update(devices)
            .where(devices.c.mac == ROUTER)
            .values(present=False, last_seen=SAMPLE_NOW - timedelta(days=40, hours=1))
        )
    html = cookie_client.get("/").text
    assert 'class="presence absent"' in html
    assert re.search(r'class="badge badge-absent"[^>]*>absent 40d<', html)


def test_the_band_searches_and_filters(lan: Engine, cookie_client: SessionClient) -> None:
    for mac in (LAPTOP, PI):
        cookie_client.post(f"/devices/lan/{mac}/edit", data=form(cookie_client, status="known"))
    assert macs_in(cookie_client.get("/", params={"q": "raspberry"}).text) == [PI]
    assert macs_in(cookie_client.get("/", params={"network": "lan"}).text) == [ROUTER, LAPTOP, PI]
    assert macs_in(cookie_client.get("/", params={"network": "other"}).text) == []
    assert macs_in(cookie_client.get("/", params={"network": "Not a slug!"}).text) == [
        ROUTER,
        LAPTOP,
        PI,
    ]


# --- the queue's forms --------------------------------------------------------------------


def test_promote_moves_a_device_from_the_queue_to_the_band(
    lan: Engine, cookie_client: SessionClient
) -> None:
    queue = cookie_client.get("/discovered").text
    assert LAPTOP in macs_in(queue) and ROUTER not in macs_in(queue)
    for option in ("Smart Home", "Entertainment", "Personal", "Network", "Flagged"):
        assert f'<option value="{option}">{option}</option>' in queue
    response = cookie_client.post(
        f"/devices/lan/{LAPTOP}/edit",
        data=form(
            cookie_client,
            name="Anna's laptop",
            grp="Personal",
            grp_new="Family",
            note="the old one",
            flagged="1",
            status="known",
            next="/discovered",
        ),
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/discovered"
    saved = row(lan, LAPTOP)
    assert saved is not None
    assert (saved["name"], saved["grp"], saved["note"], saved["flagged"], saved["status"]) == (
        "Anna's laptop",
        "Family",
        "the old one",
        True,
        "known",
    )
    assert LAPTOP not in macs_in(cookie_client.get("/discovered").text)
    band = cookie_client.get("/").text
    assert 'data-group="Family"' in band and LAPTOP in macs_in(band)
    assert '<option value="Family">Family</option>' in cookie_client.get("/discovered").text


def test_an_edit_without_a_checked_box_clears_the_flag(
    lan: Engine, cookie_client: SessionClient
) -> None:
    path = f"/devices/lan/{ROUTER}/edit"
    cookie_client.post(path, data=form(cookie_client, name="Router", flagged="1"))
    assert row(lan, ROUTER)["flagged"] is True  # type: ignore[index]
    cookie_client.post(path, data=form(cookie_client, name="Gateway", grp="Network"))
    saved = row(lan, ROUTER)
    assert saved is not None and saved["flagged"] is False and saved["name"] == "Gateway"


def test_ignore_and_delete_from_the_queue(lan: Engine, cookie_client: SessionClient) -> None:
    ignored = cookie_client.post(
        f"/devices/lan/{PI}/ignore",
        data=form(cookie_client, next="/discovered"),
        follow_redirects=False,
    )
    assert ignored.status_code == 303 and ignored.headers["location"] == "/discovered"
    assert row(lan, PI)["status"] == "ignored"  # type: ignore[index]
    deleted = cookie_client.post(
        f"/devices/lan/{LAPTOP}/delete",
        data=form(cookie_client, next=f"/devices/lan/{LAPTOP}"),
        follow_redirects=False,
    )
    assert deleted.status_code == 303 and deleted.headers["location"] == "/"
    assert row(lan, LAPTOP) is None
    queue = cookie_client.get("/discovered").text
    assert PI not in macs_in(queue) and LAPTOP not in macs_in(queue)
    assert 'data-confirm="Delete ' in queue


def test_a_bad_edit_or_device_answers_with_a_page(
    lan: Engine, cookie_client: SessionClient
) -> None:
    bad = cookie_client.post(f"/devices/lan/{LAPTOP}/edit", data=form(cookie_client, status="gone"))
    assert bad.status_code == 422 and "status must be one of" in bad.text
    missing = cookie_client.post("/devices/lan/00:00:5e:00:53:01/ignore", data=form(cookie_client))
    assert missing.status_code == 404
    assert cookie_client.get("/devices/lan/not-a-mac").status_code == 404


# --- the device page ----------------------------------------------------------------------


def test_the_device_page_shows_history_sightings_and_timeline(
    lan: Engine, cookie_client: SessionClient, clock: object
) -> None:
    sweep(lan, timedelta(hours=2), text=ARP_SCAN.read_text().replace(ROUTER, "74:ac:b9:99:99:99"))
    sweep(lan, timedelta(hours=4))
    clock.advance(timedelta(hours=5))  # type: ignore[attr-defined]
    page = cookie_client.get(f"/devices/lan/{ROUTER}")
    html = page.text
    assert '<h1 class="device-title">' in html and "Router" in html
    assert re.search(r'<table id="ip-history">.*192\.168\.1\.1<', html, re.S)
    assert re.search(r'<table id="sightings">.*arp-scan', html, re.S)
    assert 'id="timeline-7"' in html and 'id="timeline-30"' in html
    assert len(re.findall(r'<rect class="tl-present"', html)) == 2
    assert len(re.findall(r'<rect class="tl-absent"', html)) == 1
    assert re.search(r'<ol id="events".*went offline.*</ol>', html, re.S)
    assert 'class="edit-form"' in html
    month = cookie_client.get(f"/devices/lan/{ROUTER}", params={"days": "30"}).text
    assert 'id="timeline-30" href="?days=30" aria-current="true"' in month


def test_a_device_address_in_another_spelling_redirects(
    lan: Engine, cookie_client: SessionClient
) -> None:
    response = cookie_client.get("/devices/lan/74-AC-B9-12-34-56", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/devices/lan/{ROUTER}"


# --- the status page ----------------------------------------------------------------------


def test_the_status_page_lists_runs_and_explains_scan_now_without_a_scheduler(
    lan: Engine, cookie_client: SessionClient
) -> None:
    html = cookie_client.get("/status").text
    assert re.search(r'<table id="runs">.*<td>lan</td>\s*<td>arp-scan</td>.*>ok<', html, re.S)
    assert "scan-unavailable" in html and 'id="scan-now"' not in html
    assert 'id="next-runs"' in html
    response = cookie_client.post("/scan", data=form(cookie_client), follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/status?scan=offline"
    assert "cannot scan now" in cookie_client.get(response.headers["location"]).text
