"""Names from reverse DNS and mDNS in the device API and on the device page."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Engine

from lanventory.names.mdns_hosts import ServiceInstance
from lanventory.names.ptr import PtrAnswer
from lanventory.names.run import run_names
from lanventory.network_config import NetworkConfig
from tests.conftest import SAMPLE_NOW
from tests.store.test_store import scan
from tests.web.test_devices_api import feed

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

    from tests.web.conftest import SessionClient

PRINTER, PC = "00:16:3e:00:00:01", "00:16:3e:00:00:02"
NETWORK = NetworkConfig.model_validate(
    {
        "name": "lan",
        "cidr": "198.18.0.0/24",
        "names": {"resolver": "198.18.1.2", "mdns": True},
        "interface": "br0",
    }
)


def named(engine: Engine) -> None:
    """The printer answers PTR and mDNS; the PC has no name anywhere."""
    feed(engine, "arp-scan", scan(("198.18.0.20", PRINTER), ("198.18.0.21", PC)))

    def query(ip: str, _resolver: str, _timeout: float, now: object) -> PtrAnswer:
        assert now == SAMPLE_NOW
        return PtrAnswer(ip, "printer.lab" if ip.endswith(".20") else None, 600, SAMPLE_NOW)

    def browse(_address: str, _seconds: float) -> list[ServiceInstance]:
        return [
            ServiceInstance(
                "_ipp._tcp.local.", "P._ipp._tcp.local.", "<b>Printer</b>.local.", ("198.18.0.20",)
            ),
            ServiceInstance(
                "_airplay._tcp.local.", "P._airplay._tcp.local.", None, ("198.18.0.20",)
            ),
        ]

    report = run_names(
        engine, NETWORK, clock=lambda: SAMPLE_NOW, query=query, browser=browse, address="x"
    )
    assert report.ok


def test_the_device_api_lists_names_services_and_the_group_hint(
    engine: Engine, client: TestClient
) -> None:
    named(engine)
    detail = client.patch(f"/api/devices/lan/{PRINTER}", json={"name": "Office"})
    assert detail.status_code == 200
    body = client.get(f"/api/devices/lan/{PRINTER}").json()
    assert body["device"]["name"] == "Office"
    assert body["names"] == [
        {"source": "mdns", "name": "<b>Printer</b>.local", "expires_at": "2026-11-24T07:00:00Z"},
        {"source": "ptr", "name": "printer.lab", "expires_at": "2026-11-23T07:10:00Z"},
    ]
    assert body["services"] == ["_airplay._tcp", "_ipp._tcp"]
    assert body["group_hint"] == "Printers"
    plain = client.get(f"/api/devices/lan/{PC}").json()
    assert (plain["names"], plain["services"], plain["group_hint"]) == ([], [], None)


def test_the_device_page_shows_each_name_with_its_source(
    engine: Engine, cookie_client: SessionClient
) -> None:
    named(engine)
    page = cookie_client.get(f"/devices/lan/{PRINTER}").text
    assert '&lt;b&gt;Printer&lt;/b&gt;.local <span class="hint">(mDNS)</span>' in page
    assert 'printer.lab <span class="hint">(reverse DNS)</span>' in page
    assert "<code>_airplay._tcp</code> <code>_ipp._tcp</code>" in page
    assert "looks like: Printers" in page
    assert 'placeholder="Printers, from its services"' in page  # the edit form's new group
    assert "device-services" not in cookie_client.get(f"/devices/lan/{PC}").text


def test_a_device_with_no_name_or_hostname_is_called_by_the_name_it_was_heard_under(
    engine: Engine, cookie_client: SessionClient, client: TestClient
) -> None:
    named(engine)
    queue = cookie_client.get("/discovered").text
    assert f'<a href="/devices/lan/{PRINTER}">&lt;b&gt;Printer&lt;/b&gt;.local</a>' in queue
    page = cookie_client.get(f"/devices/lan/{PRINTER}").text
    assert "<title>&lt;b&gt;Printer&lt;/b&gt;.local" in page
    # The owner's name wins, everywhere.
    assert client.patch(f"/api/devices/lan/{PRINTER}", json={"name": "Office"}).status_code == 200
    assert f'<a href="/devices/lan/{PRINTER}">Office</a>' in cookie_client.get("/discovered").text


def test_the_lists_find_a_device_by_the_names_it_was_heard_under(
    engine: Engine, client: TestClient
) -> None:
    named(engine)
    for text in ("printer.lab", "PRINTER</B>.local"):
        found = client.get("/api/devices/discovered", params={"q": text}).json()["devices"]
        assert [d["mac"] for d in found] == [PRINTER], text
    assert client.get("/api/devices/discovered", params={"q": "nowhere"}).json()["devices"] == []
