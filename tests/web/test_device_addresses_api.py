"""A device's several current addresses in the API: ``ips``, primary first."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from tests.conftest import fixture_path
from tests.web.test_devices_api import feed

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

CAPTURE = fixture_path("arp-scan", "handmade-multi-address-arp-scan-1.10.0.txt")
ROUTER, HOST = "00:16:3e:00:00:0a", "00:16:3e:00:00:0b"


def test_one_device_and_the_lists_show_every_address(engine: Engine, client: TestClient) -> None:
    feed(engine, "arp-scan", CAPTURE.read_text())

    detail = client.get(f"/api/devices/lan/{ROUTER}").json()["device"]
    assert detail["ip"] == "198.18.0.3"
    assert detail["ips"] == ["198.18.0.3", "198.18.0.2", "198.18.0.20"]

    listed = client.get("/api/devices/discovered").json()["devices"]
    ips = {d["mac"]: d["ips"] for d in listed}
    assert ips[ROUTER] == ["198.18.0.3", "198.18.0.2", "198.18.0.20"]
    assert ips[HOST] == ["198.18.0.30"]

    edited = client.patch(f"/api/devices/lan/{ROUTER}", json={"status": "known"}).json()
    assert edited["ips"] == ["198.18.0.3", "198.18.0.2", "198.18.0.20"]
    band = client.get("/api/devices").json()["groups"]
    assert [d["ips"] for g in band for d in g["devices"]] == [
        ["198.18.0.3", "198.18.0.2", "198.18.0.20"]
    ]


def test_an_address_no_longer_answered_leaves_the_list(engine: Engine, client: TestClient) -> None:
    feed(engine, "arp-scan", CAPTURE.read_text())
    lines = CAPTURE.read_text().splitlines(keepends=True)
    fewer = "".join(line for line in lines if not line.startswith("198.18.0.20\t"))
    fewer = fewer.replace("5 responded", "4 responded")
    feed(engine, "arp-scan", fewer, after=timedelta(minutes=5))
    detail = client.get(f"/api/devices/lan/{ROUTER}").json()["device"]
    assert detail["ips"] == ["198.18.0.3", "198.18.0.2"]


def test_the_device_page_lists_every_address(engine: Engine, client: TestClient) -> None:
    feed(engine, "arp-scan", CAPTURE.read_text())
    page = client.get(f"/devices/lan/{ROUTER}")
    assert page.status_code == 200, page.text
    assert '<span class="device-ip">198.18.0.3</span>' in page.text
    assert "(also 198.18.0.2, 198.18.0.20)" in page.text
