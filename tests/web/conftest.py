"""Fixtures for server tests: an app on the ``engine`` database and its clients.

- ``clock``: the app's clock, fixed at the samples' time; ``clock.advance(...)`` moves it.
- ``app``: ``create_app`` without background tasks, on ``engine``, with ``clock``.
- ``owner_password`` / ``owner_token``: credentials stored in that database.
- ``client``: an owner's TestClient (bearer token; no CSRF needed).
- ``anon``: a TestClient without any credentials.
- ``cookie_client``: a TestClient logged in through ``POST /api/login``; its
  ``csrf`` attribute (and ``csrf_headers()``) is what cookie writes must send.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine

with warnings.catch_warnings():
    # Starlette's TestClient prefers httpx2 and warns (an error here) when it finds httpx.
    warnings.filterwarnings("ignore", "Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

from lanventory.config import Settings
from lanventory.service.writer import Writer
from lanventory.store.credentials import create_token, set_owner_password
from lanventory.vendors import load_table
from lanventory.web.app import create_app
from lanventory.web.security import CSRF_HEADER
from lanventory.web.services import Services
from tests.conftest import SAMPLE_NOW

OWNER_PASSWORD = "correct horse battery staple"
OWNER_TOKEN_NAME = "tests"


class Clock:
    """A clock that stands still until told to move."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


class SessionClient(TestClient):
    """A TestClient holding a session cookie, and the CSRF token that goes with it."""

    csrf: str = ""

    def csrf_headers(self) -> dict[str, str]:
        """The header a cookie-authenticated write must carry."""
        return {CSRF_HEADER: self.csrf}


@pytest.fixture
def clock() -> Clock:
    return Clock(SAMPLE_NOW)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data")


@pytest.fixture
def app(engine: Engine, settings: Settings, clock: Clock) -> Iterator[FastAPI]:
    writer = Writer()
    services = Services(settings, engine, writer, clock, load_table(None).lookup)
    yield create_app(services, background=False)
    writer.close()


@pytest.fixture
def owner_password(engine: Engine) -> str:
    set_owner_password(engine, OWNER_PASSWORD, SAMPLE_NOW)
    return OWNER_PASSWORD


@pytest.fixture
def owner_token(engine: Engine) -> str:
    return create_token(engine, OWNER_TOKEN_NAME, SAMPLE_NOW)


@pytest.fixture
def client(app: FastAPI, owner_token: str) -> Iterator[TestClient]:
    with TestClient(app, headers={"Authorization": f"Bearer {owner_token}"}) as test_client:
        yield test_client


@pytest.fixture
def anon(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def cookie_client(app: FastAPI, owner_password: str) -> Iterator[SessionClient]:
    with SessionClient(app) as test_client:
        response = test_client.post("/api/login", json={"password": owner_password})
        assert response.status_code == 200, response.text
        test_client.csrf = response.json()["csrf"]
        yield test_client
