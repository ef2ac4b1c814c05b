"""Owner auth over HTTP: login, sessions and their cookie, CSRF, bearer tokens, the rate limit."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient  # after conftest: see its note on httpx2
from sqlalchemy import Engine, select
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from lanventory.server_config import ServerConfig
from lanventory.store.credentials import create_token, revoke_token, set_owner_password
from lanventory.store.tables import api_tokens, owner, sessions
from lanventory.web.security import Principal, require_owner
from tests.conftest import SAMPLE_NOW
from tests.web.conftest import OWNER_TOKEN_NAME, Clock, SessionClient

WRONG = {"password": "not the password"}


@pytest.fixture
def probe(app: FastAPI) -> FastAPI:
    """``/api/probe`` behind the gate, answering every method with who asked."""

    async def who(principal: Principal = Depends(require_owner)) -> dict[str, str | None]:  # noqa: B008
        return {"via": principal.via, "token": principal.token}

    app.add_api_route("/api/probe", who, methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    return app


def _set_cookie(response_headers: list[str]) -> str:
    (cookie,) = [h for h in response_headers if h.startswith("lanventory_session=")]
    return cookie


# Login and the session cookie ------------------------------------------------


def test_login_sets_a_strict_httponly_cookie_and_returns_the_csrf_token(
    anon: TestClient, owner_password: str
) -> None:
    response = anon.post("/api/login", json={"password": owner_password})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"csrf", "expires_at"} and len(body["csrf"]) >= 32
    assert body["expires_at"] == (SAMPLE_NOW + timedelta(days=30)).isoformat().replace(
        "+00:00", "Z"
    )
    cookie = _set_cookie(response.headers.get_list("set-cookie"))
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"httponly", "max-age", "path", "samesite"} <= attributes
    assert "samesite=strict" in cookie.lower()
    assert "secure" not in attributes  # plain HTTP, not configured
    session = anon.get("/api/session").json()
    assert session == {
        "owner": True,
        "via": "session",
        "token": None,
        "csrf": body["csrf"],
        "expires_at": body["expires_at"],
    }


def test_a_wrong_password_is_401(anon: TestClient, owner_password: str) -> None:
    response = anon.post("/api/login", json=WRONG)
    assert response.status_code == 401
    assert response.json() == {"detail": "wrong password"}
    assert "set-cookie" not in response.headers
    assert anon.get("/api/session").status_code == 401


def test_unknown_fields_in_a_login_are_refused(anon: TestClient, owner_password: str) -> None:
    response = anon.post("/api/login", json={"password": owner_password, "user": "root"})
    assert response.status_code == 422


def test_logout_ends_the_session(cookie_client: SessionClient, engine: Engine) -> None:
    response = cookie_client.post("/api/logout", headers=cookie_client.csrf_headers())
    assert response.status_code == 204
    assert 'lanventory_session=""' in response.headers["set-cookie"]
    assert cookie_client.get("/api/session").status_code == 401
    with engine.connect() as connection:
        assert connection.execute(select(sessions)).all() == []


def test_a_stolen_cookie_stops_working_after_logout(
    cookie_client: SessionClient, app: FastAPI
) -> None:
    stolen = dict(cookie_client.cookies)
    cookie_client.post("/api/logout", headers=cookie_client.csrf_headers())
    with TestClient(app, cookies=stolen) as thief:
        assert thief.get("/api/session").status_code == 401


def test_a_session_expires(cookie_client: SessionClient, clock: Clock) -> None:
    clock.advance(timedelta(days=30, seconds=-1))
    assert cookie_client.get("/api/session").status_code == 200
    clock.advance(timedelta(seconds=1))
    response = cookie_client.get("/api/session")
    assert response.status_code == 401 and "log in again" in response.json()["detail"]


def test_a_new_password_ends_every_session(cookie_client: SessionClient, engine: Engine) -> None:
    set_owner_password(engine, "a brand new password", SAMPLE_NOW)
    assert cookie_client.get("/api/session").status_code == 401


# Secure cookies ---------------------------------------------------------------


def _behind_proxy(app: FastAPI, client_host: str) -> TestClient:
    """``app`` behind uvicorn's X-Forwarded-* handling (as ``lanventory serve`` runs it)."""
    proxied = ProxyHeadersMiddleware(app, trusted_hosts=["127.0.0.1"])  # type: ignore[arg-type]
    return TestClient(proxied, client=(client_host, 40000))  # type: ignore[arg-type]


def test_the_cookie_is_secure_behind_a_trusted_tls_proxy(app: FastAPI, owner_password: str) -> None:
    https = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    with _behind_proxy(app, "127.0.0.1") as proxy:
        response = proxy.post("/api/login", json={"password": owner_password}, headers=https)
    assert response.status_code == 200
    assert "; secure" in _set_cookie(response.headers.get_list("set-cookie")).lower()


def test_an_untrusted_peer_cannot_claim_https(app: FastAPI, owner_password: str) -> None:
    https = {"X-Forwarded-Proto": "https"}
    with _behind_proxy(app, "127.0.0.7") as direct:
        response = direct.post("/api/login", json={"password": owner_password}, headers=https)
    assert response.status_code == 200
    assert "secure" not in _set_cookie(response.headers.get_list("set-cookie")).lower()


def test_secure_cookies_can_be_forced(app: FastAPI, owner_password: str) -> None:
    services = app.state.services
    services.settings = services.settings.model_copy(
        update={"server": ServerConfig(secure_cookies=True)}
    )
    with TestClient(app) as plain:
        response = plain.post("/api/login", json={"password": owner_password})
    assert "; secure" in _set_cookie(response.headers.get_list("set-cookie")).lower()


# CSRF ------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_a_cookie_write_without_the_csrf_header_is_403(
    probe: FastAPI, cookie_client: SessionClient, method: str
) -> None:
    response = cookie_client.request(method, "/api/probe")
    assert response.status_code == 403
    assert "X-CSRF-Token" in response.json()["detail"]
    wrong = cookie_client.request(method, "/api/probe", headers={"X-CSRF-Token": "guess"})
    assert wrong.status_code == 403
    right = cookie_client.request(method, "/api/probe", headers=cookie_client.csrf_headers())
    assert right.status_code == 200 and right.json()["via"] == "session"


def test_a_cookie_read_needs_no_csrf_header(probe: FastAPI, cookie_client: SessionClient) -> None:
    assert cookie_client.get("/api/probe").json() == {"via": "session", "token": None}


def test_the_csrf_token_of_another_session_is_refused(
    probe: FastAPI, cookie_client: SessionClient, owner_password: str
) -> None:
    with TestClient(probe) as other:
        other_csrf = other.post("/api/login", json={"password": owner_password}).json()["csrf"]
    response = cookie_client.patch("/api/probe", headers={"X-CSRF-Token": other_csrf})
    assert response.status_code == 403


def test_bearer_writes_need_no_csrf(probe: FastAPI, client: TestClient) -> None:
    response = client.patch("/api/probe")
    assert response.json() == {"via": "token", "token": OWNER_TOKEN_NAME}
    assert client.post("/api/logout").status_code == 204


# Bearer tokens ------------------------------------------------------------------


def test_the_session_route_names_the_token(client: TestClient) -> None:
    assert client.get("/api/session").json() == {
        "owner": True,
        "via": "token",
        "token": OWNER_TOKEN_NAME,
        "csrf": None,
        "expires_at": None,
    }


def test_a_revoked_token_is_refused_at_once(client: TestClient, engine: Engine) -> None:
    assert client.get("/api/session").status_code == 200
    revoke_token(engine, OWNER_TOKEN_NAME, SAMPLE_NOW)
    response = client.get("/api/session")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'


@pytest.mark.parametrize(
    "header", ["Bearer lv_not-a-real-token", "Basic b3duZXI6cGFzcw==", "Bearer ", "lv_x"]
)
def test_bad_authorization_headers_are_401(anon: TestClient, header: str) -> None:
    response = anon.get("/api/session", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_a_bad_token_is_refused_even_with_a_valid_cookie(cookie_client: SessionClient) -> None:
    response = cookie_client.get("/api/session", headers={"Authorization": "Bearer lv_nope"})
    assert response.status_code == 401


def test_agent_tokens_are_403_on_owner_routes(anon: TestClient, engine: Engine) -> None:
    agent = create_token(engine, "sensor", SAMPLE_NOW, kind="agent", networks=["lan"])
    response = anon.get("/api/session", headers={"Authorization": f"Bearer {agent}"})
    assert response.status_code == 403
    assert "agent token" in response.json()["detail"]


def test_last_used_is_recorded_at_most_once_a_minute(
    client: TestClient, engine: Engine, clock: Clock
) -> None:
    def last_used() -> object:
        with engine.connect() as connection:
            return connection.execute(select(api_tokens.c.last_used_at)).scalar_one()

    assert last_used() is None
    client.get("/api/session")
    assert last_used() == SAMPLE_NOW
    clock.advance(timedelta(seconds=59))
    client.get("/api/session")
    assert last_used() == SAMPLE_NOW
    clock.advance(timedelta(seconds=1))
    client.get("/api/session")
    assert last_used() == SAMPLE_NOW + timedelta(seconds=60)


# The rate limit ------------------------------------------------------------------


def test_failed_logins_are_limited_per_client(app: FastAPI, owner_password: str) -> None:
    limit = app.state.services.settings.server.login_attempts_per_minute
    with (
        TestClient(app, client=("127.0.0.2", 40000)) as guesser,
        TestClient(app, client=("127.0.0.3", 40000)) as neighbour,
    ):
        assert neighbour.post("/api/login", json=WRONG).status_code == 401
        for _ in range(limit):
            assert guesser.post("/api/login", json=WRONG).status_code == 401
        refused = guesser.post("/api/login", json=WRONG)
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        assert "too many failed logins" in refused.json()["detail"]
        # Even the right password waits: the limit must not confirm a guess.
        assert guesser.post("/api/login", json={"password": owner_password}).status_code == 429
        # Others are not affected, and their success does not lift the guesser's limit.
        assert neighbour.post("/api/login", json={"password": owner_password}).status_code == 200
        assert guesser.post("/api/login", json={"password": owner_password}).status_code == 429


def test_a_success_forgets_the_clients_own_failures(app: FastAPI, owner_password: str) -> None:
    limit = app.state.services.settings.server.login_attempts_per_minute
    with TestClient(app) as forgetful:
        for _ in range(limit - 1):
            assert forgetful.post("/api/login", json=WRONG).status_code == 401
        assert forgetful.post("/api/login", json={"password": owner_password}).status_code == 200
        for _ in range(limit):
            assert forgetful.post("/api/login", json=WRONG).status_code == 401
        assert forgetful.post("/api/login", json=WRONG).status_code == 429


# Secrets stay secret -------------------------------------------------------------


def test_no_hash_ever_leaves_the_server(
    app: FastAPI,
    engine: Engine,
    owner_password: str,
    owner_token: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []
    with TestClient(app) as browser, TestClient(app) as script:
        texts.append(browser.post("/api/login", json=WRONG).text)
        login = browser.post("/api/login", json={"password": owner_password})
        texts.append(login.text)
        texts.append(str(login.headers))
        texts.append(browser.get("/api/session").text)
        texts.append(browser.get("/api/openapi.json").text)
        script.headers["Authorization"] = f"Bearer {owner_token}"
        texts.append(script.get("/api/session").text)
        texts.append(script.get("/api/devices").text)
        texts.append(script.get("/api/events").text)
    with engine.connect() as connection:
        secrets = [connection.execute(select(owner.c.password_hash)).scalar_one()]
        secrets += list(connection.execute(select(api_tokens.c.token_hash)).scalars())
        secrets += list(connection.execute(select(sessions.c.token_hash)).scalars())
    assert len(secrets) == 3
    everything = "\n".join([*texts, caplog.text])
    for secret in [*secrets, owner_password]:
        assert secret not in everything
    assert "failed login from testclient" in caplog.text
