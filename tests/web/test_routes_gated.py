"""Every route refuses anonymous requests, except the few that must be open.

The routes are enumerated from the app itself, so a route added without the
owner gate fails here. API routes refuse with 401; HTML pages (every path
outside ``/api``) send the browser to the login page with a 303 instead.
The one mount is ``/static``: open, and holding only CSS and JavaScript.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import Depends, FastAPI, WebSocket
from fastapi.routing import RouteContext, iter_route_contexts
from fastapi.testclient import TestClient
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.testclient import WebSocketDenialResponse

from lanventory.web import pages, pages_login, pages_prefixes
from lanventory.web.app import STATIC_URL
from lanventory.web.security import require_owner

#: Open to anyone: the liveness probe and the login itself (API and page).
OPEN = {
    ("GET", "/healthz"),
    ("HEAD", "/healthz"),
    ("POST", "/api/login"),
    ("GET", "/login"),
    ("POST", "/login"),
}
#: The modules whose routes are HTML pages: they redirect to the login page.
PAGE_MODULES = {pages.__name__, pages_login.__name__, pages_prefixes.__name__}
#: What the static mount may hold: the pages' stylesheets and scripts, no data.
STATIC_SUFFIXES = {".css", ".js"}

#: A valid value for each path parameter a route may have.
PATH_VALUES = {
    "network": "lan",
    "mac": "74:ac:b9:12:34:56",
    "job": "1",
    "prefix": "7a:45:58",
}

#: Routes that must exist: an empty enumeration would pass vacuously.
EXPECTED = {
    ("GET", "/api/session"),
    ("POST", "/api/logout"),
    ("GET", "/api/openapi.json"),
    ("GET", "/api/docs"),
    ("GET", "/"),
    ("GET", "/discovered"),
    ("GET", "/status"),
    ("POST", "/logout"),
    ("POST", "/api/devices/{network}/{mac}/adopt"),
    ("POST", "/api/devices/{network}/{mac}/adopt/undo"),
    ("POST", "/devices/{network}/{mac}/adopt"),
    ("POST", "/stable-prefixes"),
    ("DELETE", "/api/settings/stable-mac-prefixes/{prefix}"),
    ("MOUNT", STATIC_URL),
}


def _is_page(route: RouteContext) -> bool:
    """Whether the route is an HTML page (declared by the pages' modules)."""
    endpoint = getattr(route.original_route, "endpoint", None)
    return getattr(endpoint, "__module__", None) in PAGE_MODULES


def _url(route: RouteContext) -> str:
    missing = sorted(set(route.param_convertors) - set(PATH_VALUES))
    assert not missing, f"{route.path}: add a sample value for {missing} to PATH_VALUES"
    assert route.path_format is not None
    return route.path_format.format(**PATH_VALUES)


def _methods(route: RouteContext) -> list[str]:
    original = route.original_route
    if isinstance(original, WebSocketRoute):
        return ["WEBSOCKET"]
    if isinstance(original, Route):
        return sorted(route.methods or ())
    if isinstance(original, Mount):
        return ["MOUNT"]
    raise AssertionError(f"{original!r}: a new kind of route; gate it and teach this test about it")


def anonymous_leaks(app: FastAPI) -> tuple[list[str], set[tuple[str, str]]]:
    """The routes that did not refuse an anonymous request, and every one checked.

    ``iter_route_contexts`` yields every route as the app serves it, those of
    included routers too, with their prefixes.
    """
    with TestClient(app) as anon:
        return _probe(anon, app)


def _probe(anon: TestClient, app: FastAPI) -> tuple[list[str], set[tuple[str, str]]]:
    leaks: list[str] = []
    checked: set[tuple[str, str]] = set()
    for route in iter_route_contexts(app.routes):
        for method in _methods(route):
            path = str(route.path)
            checked.add((method, path))
            if (method, path) in OPEN:
                continue
            if method == "MOUNT":
                if path != STATIC_URL:
                    leaks.append(f"MOUNT {path}: only {STATIC_URL} may be mounted")
                continue
            url = _url(route)
            if method == "WEBSOCKET":
                try:
                    with anon.websocket_connect(url):
                        leaks.append(f"WEBSOCKET {path}: accepted")
                except WebSocketDenialResponse as denial:
                    if denial.status_code != 401:
                        leaks.append(f"WEBSOCKET {path}: {denial.status_code}")
                continue
            response = anon.request(method, url, follow_redirects=False)
            if _is_page(route):
                location = response.headers.get("location", "")
                if response.status_code != 303 or not location.startswith("/login"):
                    leaks.append(f"{method} {path}: {response.status_code} {location}".rstrip())
                continue
            if response.status_code != 401:
                leaks.append(f"{method} {path}: {response.status_code}")
            elif response.headers.get("www-authenticate") != "Bearer":
                leaks.append(f"{method} {path}: 401 without WWW-Authenticate: Bearer")
    return leaks, checked


def test_every_route_refuses_anonymous_requests(app: FastAPI) -> None:
    leaks, checked = anonymous_leaks(app)
    assert leaks == []
    assert EXPECTED <= checked
    assert {("GET", "/healthz"), ("POST", "/api/login")} <= checked


def test_the_open_routes_are_open(anon: TestClient) -> None:
    assert anon.get("/healthz").json() == {"status": "ok"}
    assert anon.post("/api/login", json={}).status_code == 422  # validated, not refused
    assert anon.get("/login").status_code == 200
    assert anon.post("/login", data={"password": "wrong"}).status_code == 401  # not redirected
    assert anon.get(f"{STATIC_URL}/app.css").status_code == 200


def test_the_static_mount_holds_only_css_and_javascript(app: FastAPI) -> None:
    mounts = [route for route in app.routes if isinstance(route, Mount)]
    assert [mount.path for mount in mounts] == [STATIC_URL]
    directory = Path(str(mounts[0].app.directory))  # type: ignore[attr-defined]
    files = [path for path in directory.rglob("*") if path.is_file()]
    assert files and {path.suffix for path in files} <= STATIC_SUFFIXES


def test_an_anonymous_page_request_keeps_where_it_was_going(anon: TestClient) -> None:
    response = anon.get("/devices/lan/74:ac:b9:12:34:56?days=30", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == (
        "/login?next=%2Fdevices%2Flan%2F74%3Aac%3Ab9%3A12%3A34%3A56%3Fdays%3D30"
    )


def test_anonymous_refusal_is_json_with_a_bearer_challenge(anon: TestClient) -> None:
    response = anon.get("/api/openapi.json")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert "log in" in response.json()["detail"]


def test_the_docs_are_served_to_the_owner(client: TestClient) -> None:
    schema = client.get("/api/openapi.json").json()
    assert "/api/login" in schema["paths"] and "/api/session" in schema["paths"]
    docs = client.get("/api/docs")
    assert docs.status_code == 200 and "/api/openapi.json" in docs.text


def _ungated(app: FastAPI) -> None:
    async def leak() -> dict[str, str]:
        return {"secret": "data"}

    async def leak_stream(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.close()

    app.add_api_route("/api/leak", leak, methods=["GET", "DELETE"])
    app.add_api_websocket_route("/api/leak-stream", leak_stream)


def test_a_route_added_without_the_gate_is_caught(app: FastAPI) -> None:
    _ungated(app)
    leaks, _ = anonymous_leaks(app)
    assert leaks == [
        "DELETE /api/leak: 200",
        "GET /api/leak: 200",
        "WEBSOCKET /api/leak-stream: accepted",
    ]


def test_a_gated_websocket_refuses_anonymous_and_admits_the_owner(
    app: FastAPI, client: TestClient
) -> None:
    async def stream(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_json({"hello": "owner"})
        await websocket.close()

    app.add_api_websocket_route("/api/stream", stream, dependencies=[Depends(require_owner)])
    leaks, checked = anonymous_leaks(app)
    assert leaks == [] and ("WEBSOCKET", "/api/stream") in checked
    with client.websocket_connect("/api/stream") as websocket:
        assert websocket.receive_json() == {"hello": "owner"}


def test_a_route_with_an_unknown_path_parameter_asks_for_a_sample(app: FastAPI) -> None:
    async def thing(widget: str) -> None:
        del widget

    app.add_api_route("/api/things/{widget}", thing, dependencies=[Depends(require_owner)])
    with pytest.raises(AssertionError, match="add a sample value for \\['widget'\\]"):
        anonymous_leaks(app)
