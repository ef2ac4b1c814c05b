"""Rotation suggestions over the wire: a phone rotates its MAC between two dnsmasq captures."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import Engine

from lanventory.config import Settings
from tests.conftest import SAMPLE_NOW, ingest_fixture

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

    from tests.web.conftest import Clock, SessionClient

OLD, NEW, PRINTER = "9a:11:22:33:44:55", "ae:3f:91:6b:20:c4", "00:16:3e:00:01:01"
LATER = SAMPLE_NOW + timedelta(minutes=40)


def _ingest(engine: Engine, settings: Settings, name: str, at: datetime) -> None:
    ingest_fixture(engine, "dnsmasq", name, at, settings.policy)


@pytest.fixture
def rotated(engine: Engine, settings: Settings, clock: Clock) -> Engine:
    _ingest(engine, settings, "handmade-rotation-before-dnsmasq-2.90.leases", SAMPLE_NOW)
    _ingest(engine, settings, "handmade-rotation-after-dnsmasq-2.90.leases", LATER)
    clock.advance(timedelta(minutes=45))
    return engine


@pytest.mark.usefixtures("rotated")
def test_the_new_mac_lists_its_predecessor_with_evidence(client: TestClient) -> None:
    response = client.get(f"/api/devices/lan/{NEW}")
    assert response.status_code == 200
    body = response.json()
    assert body["device"]["randomized"] is True
    (suggestion,) = body["suggestions"]
    assert suggestion["mac"] == OLD
    assert suggestion["evidence"] == [
        "same hostname `Annas-iPhone`",
        "old MAC last seen 40 min before the new one appeared",
        "took over 198.18.0.105",
    ]
    assert 0.75 < suggestion["score"] <= 1
    assert suggestion["last_seen"].startswith(SAMPLE_NOW.strftime("%Y-%m-%dT%H:%M:%S"))


@pytest.mark.usefixtures("rotated")
def test_no_suggestions_for_the_old_mac_a_universal_one_or_a_known_one(
    client: TestClient,
) -> None:
    assert client.get(f"/api/devices/lan/{OLD}").json()["suggestions"] == []
    assert client.get(f"/api/devices/lan/{PRINTER}").json()["suggestions"] == []
    assert client.patch(f"/api/devices/lan/{NEW}", json={"status": "known"}).status_code == 200
    assert client.get(f"/api/devices/lan/{NEW}").json()["suggestions"] == []


def test_a_window_shorter_than_the_gap_suggests_nothing(
    engine: Engine, client: TestClient, settings: Settings
) -> None:
    settings.rotation_window_minutes = 30
    _ingest(engine, settings, "handmade-rotation-before-dnsmasq-2.90.leases", SAMPLE_NOW)
    _ingest(engine, settings, "handmade-rotation-after-dnsmasq-2.90.leases", LATER)
    assert client.get(f"/api/devices/lan/{NEW}").json()["suggestions"] == []


@pytest.mark.usefixtures("rotated")
def test_the_queue_shows_the_top_suggestion(cookie_client: SessionClient) -> None:
    page = cookie_client.get("/discovered")
    assert page.status_code == 200
    assert (
        f"Maybe the new MAC of <code>{OLD}</code>: same hostname `Annas-iPhone`, "
        "old MAC last seen 40 min before the new one appeared, took over 198.18.0.105"
    ) in page.text
    assert page.text.count('class="suggestion"') == 1
