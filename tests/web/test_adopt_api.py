"""Adopting a rotated MAC over the API and the pages, undoing it, and auto-adopt.

A phone rotates its private MAC between two dnsmasq captures (the rotation
fixtures); the owner had named the old MAC. Runs on both databases.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import Engine, select

from lanventory.config import Settings
from lanventory.inventory.model import Policy
from lanventory.store.tables import devices, events
from tests.conftest import SAMPLE_NOW, ingest_fixture, ingest_text

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

    from tests.web.conftest import Clock, SessionClient

OLD, NEW, PRINTER = "9a:11:22:33:44:55", "ae:3f:91:6b:20:c4", "00:16:3e:00:01:01"
LATER = SAMPLE_NOW + timedelta(minutes=40)
BEFORE = "handmade-rotation-before-dnsmasq-2.90.leases"
AFTER = "handmade-rotation-after-dnsmasq-2.90.leases"
OWNER = {"name": "Anna's iPhone", "grp": "Phones", "note": "Anna", "status": "known"}


def _ingest(engine: Engine, policy: Policy, name: str, at: datetime) -> None:
    ingest_fixture(engine, "dnsmasq", name, at, policy)


@pytest.fixture
def rotated(engine: Engine, settings: Settings, clock: Clock, client: TestClient) -> Engine:
    """The old MAC seen and named by the owner, then the phone back under a new MAC."""
    _ingest(engine, settings.policy, BEFORE, SAMPLE_NOW)
    assert client.patch(f"/api/devices/lan/{OLD}", json=OWNER).status_code == 200
    _ingest(engine, settings.policy, AFTER, LATER)
    clock.advance(timedelta(minutes=45))
    return engine


def _rows(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        query = select(devices).order_by(devices.c.mac, devices.c.id)
        return [dict(row) for row in connection.execute(query).mappings()]


def _types(engine: Engine, mac: str) -> list[str]:
    with engine.connect() as connection:
        query = select(events.c.type).where(events.c.mac == mac).order_by(events.c.id)
        return list(connection.execute(query).scalars())


@pytest.mark.usefixtures("rotated")
def test_adopting_passes_the_owner_fields_and_joins_the_histories(
    client: TestClient, engine: Engine
) -> None:
    response = client.post(f"/api/devices/lan/{NEW}/adopt", json={"predecessor": OLD.upper()})
    assert response.status_code == 200, response.text
    body = response.json()
    device = body["device"]
    assert (device["mac"], device["name"], device["grp"], device["note"], device["status"]) == (
        NEW,
        "Anna's iPhone",
        "Phones",
        "Anna",
        "known",
    )
    assert [p["mac"] for p in body["predecessors"]] == [OLD]
    # One history: the old MAC's first sighting, the rename and the adoption, newest first.
    kinds = [(e["mac"], e["type"]) for e in body["events"]]
    assert kinds[:2] in ([(NEW, "adopted"), (OLD, "retired")], [(OLD, "retired"), (NEW, "adopted")])
    assert (
        (OLD, "device_new") in kinds and (OLD, "edited") in kinds and (NEW, "device_new") in kinds
    )
    assert {(ip["mac"], ip["ip"]) for ip in body["ip_history"]} >= {
        (OLD, "198.18.0.105"),
        (NEW, "198.18.0.105"),
    }
    # The old row is kept, retired into the new one, with no address.
    old_row = next(r for r in _rows(engine) if r["mac"] == OLD)
    new_row = next(r for r in _rows(engine) if r["mac"] == NEW)
    assert old_row["retired_into"] == new_row["id"] and old_row["retired_at"] is not None
    assert old_row["ip"] is None and old_row["name"] == "Anna's iPhone"
    # It is gone from the lists and its own address says where it went.
    band = client.get("/api/devices").json()["groups"]
    queue = client.get("/api/devices/discovered").json()["devices"]
    listed = {d["mac"] for g in band for d in g["devices"]} | {d["mac"] for d in queue}
    assert OLD not in listed and NEW in listed
    gone = client.get(f"/api/devices/lan/{OLD}")
    assert gone.status_code == 404 and f"adopted by {NEW}" in gone.json()["detail"]
    adopted = next(e for e in body["events"] if e["type"] == "adopted")
    assert adopted["data"]["by"] == "owner" and adopted["data"]["before"]["status"] == "new"


@pytest.mark.usefixtures("rotated")
def test_undo_gives_back_two_devices_and_keeps_later_owner_edits(
    client: TestClient, engine: Engine
) -> None:
    before = client.get(f"/api/devices/lan/{NEW}").json()["device"]
    assert (
        client.post(f"/api/devices/lan/{NEW}/adopt", json={"predecessor": OLD}).status_code == 200
    )
    assert (
        client.patch(f"/api/devices/lan/{NEW}", json={"note": "Anna's new phone"}).status_code
        == 200
    )
    response = client.post(f"/api/devices/lan/{NEW}/adopt/undo")
    assert response.status_code == 200, response.text
    body = response.json()
    device = body["device"]
    assert device["name"] == before["name"] is None
    assert device["status"] == "new" and device["grp"] is None
    assert device["note"] == "Anna's new phone"  # changed after the adoption: kept
    assert body["predecessors"] == []
    assert all(e["mac"] == NEW for e in body["events"])
    old = client.get(f"/api/devices/lan/{OLD}").json()["device"]
    assert old["name"] == "Anna's iPhone" and old["status"] == "known"
    assert _types(engine, OLD)[-1] == "adoption_undone"
    again = client.post(f"/api/devices/lan/{NEW}/adopt/undo")
    assert again.status_code == 409 and "adopted no device" in again.json()["detail"]


@pytest.mark.usefixtures("rotated")
def test_refusals_leave_everything_as_it_was(client: TestClient, engine: Engine) -> None:
    stored = _rows(engine)
    cases = [
        (f"/api/devices/lan/{NEW}/adopt", {"predecessor": NEW}, 409, "cannot adopt itself"),
        (f"/api/devices/lan/{NEW}/adopt", {"predecessor": "02:00:00:00:00:99"}, 404, "no device"),
        ("/api/devices/lan/02:00:00:00:00:99/adopt", {"predecessor": OLD}, 404, "no device"),
        (f"/api/devices/lan/{NEW}/adopt", {"predecessor": "not-a-mac"}, 422, "not-a-mac"),
        (f"/api/devices/lan/{NEW}/adopt", {"predecessor": OLD, "x": 1}, 422, ""),
        (f"/api/devices/lan/{NEW}/adopt", {}, 422, "predecessor"),
    ]
    for path, body, status, words in cases:
        response = client.post(path, json=body)
        assert response.status_code == status, (body, response.text)
        assert words in response.text
    assert _rows(engine) == stored


@pytest.mark.usefixtures("rotated")
def test_the_old_mac_seen_again_is_a_device_of_its_own(
    client: TestClient, engine: Engine, settings: Settings
) -> None:
    assert (
        client.post(f"/api/devices/lan/{NEW}/adopt", json={"predecessor": OLD}).status_code == 200
    )
    later = LATER + timedelta(hours=1)
    _ingest(engine, settings.policy, BEFORE, later)
    back = client.get(f"/api/devices/lan/{OLD}").json()
    assert back["device"]["status"] == "new" and back["device"]["name"] is None
    # Its history starts after the retirement: the retired row's events stay with NEW.
    assert [e["type"] for e in back["events"]][-1] == "device_new"
    assert all(e["at"] >= later.isoformat()[:19] for e in back["events"])
    assert len([r for r in _rows(engine) if r["mac"] == OLD]) == 2
    refused = client.post(f"/api/devices/lan/{NEW}/adopt/undo")
    assert refused.status_code == 409 and "back on network" in refused.json()["detail"]
    # Deleting the adopting device takes the rows it retired with it.
    assert client.delete(f"/api/devices/lan/{NEW}").status_code == 204
    assert [r["mac"] for r in _rows(engine)].count(OLD) == 1


def test_auto_adopt_only_where_enabled_and_leaves_an_event(
    engine: Engine, settings: Settings, client: TestClient, clock: Clock
) -> None:
    policy = replace(settings.policy, auto_adopt_networks=frozenset({"lan"}))
    _ingest(engine, policy, BEFORE, SAMPLE_NOW)
    assert client.patch(f"/api/devices/lan/{OLD}", json=OWNER).status_code == 200
    _ingest(engine, policy, AFTER, LATER)
    clock.advance(timedelta(minutes=45))
    body = client.get(f"/api/devices/lan/{NEW}").json()
    assert body["device"]["name"] == "Anna's iPhone" and body["device"]["status"] == "known"
    adopted = next(e for e in body["events"] if e["type"] == "adopted")
    assert adopted["data"]["by"] == "auto" and adopted["data"]["from"] == OLD
    assert adopted["run_id"] is not None


def test_auto_adopt_is_off_by_default(
    engine: Engine, settings: Settings, client: TestClient
) -> None:
    assert settings.policy.auto_adopt_networks == frozenset()
    _ingest(engine, settings.policy, BEFORE, SAMPLE_NOW)
    _ingest(engine, settings.policy, AFTER, LATER)
    assert "adopted" not in _types(engine, NEW)
    assert client.get(f"/api/devices/lan/{OLD}").status_code == 200


@pytest.mark.usefixtures("rotated")
def test_the_pages_adopt_and_undo(cookie_client: SessionClient) -> None:
    queue = cookie_client.get("/discovered").text
    assert f'action="/devices/lan/{NEW}/adopt"' in queue and "Anna&#39;s iPhone" in queue
    page = cookie_client.get(f"/devices/lan/{NEW}").text
    assert 'id="suggestions"' in page and f'value="{OLD}"' in page
    form = {"csrf": cookie_client.csrf, "predecessor": OLD}
    done = cookie_client.post(f"/devices/lan/{NEW}/adopt", data=form, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == f"/devices/lan/{NEW}"
    page = cookie_client.get(f"/devices/lan/{NEW}").text
    assert 'id="predecessors"' in page and "adopted " + OLD in page
    assert 'id="suggestions"' not in page
    # The old MAC's page leads to the device that adopted it.
    moved = cookie_client.get(f"/devices/lan/{OLD}", follow_redirects=False)
    assert moved.status_code == 303 and moved.headers["location"] == f"/devices/lan/{NEW}"
    undo = {"csrf": cookie_client.csrf}
    undone = cookie_client.post(f"/devices/lan/{NEW}/adopt/undo", data=undo, follow_redirects=False)
    assert undone.status_code == 303
    assert cookie_client.get(f"/devices/lan/{OLD}").status_code == 200
    refused = cookie_client.post(f"/devices/lan/{NEW}/adopt/undo", data=undo)
    assert refused.status_code == 409 and "adopted no device" in refused.text


def test_auto_adopt_leaves_an_old_mac_two_new_ones_could_be(
    engine: Engine, settings: Settings, client: TestClient, clock: Clock
) -> None:
    policy = replace(settings.policy, auto_adopt_networks=frozenset({"lan"}))
    _ingest(engine, policy, BEFORE, SAMPLE_NOW)
    twins = (
        f"1795462800 {NEW} 198.18.0.106 Annas-iPhone 01:{NEW}\n"
        "1795462800 ae:3f:91:6b:20:c5 198.18.0.107 Annas-iPhone 01:ae:3f:91:6b:20:c5\n"
    )
    ingest_text(engine, "dnsmasq", "twins.leases", twins, LATER, policy)
    clock.advance(timedelta(minutes=45))
    for mac in (NEW, "ae:3f:91:6b:20:c5"):
        assert "adopted" not in _types(engine, mac)
        assert [s["mac"] for s in client.get(f"/api/devices/lan/{mac}").json()["suggestions"]] == [
            OLD
        ]


def test_a_chain_of_rotations_is_one_history_and_goes_with_its_device(
    client: TestClient, engine: Engine, settings: Settings, clock: Clock
) -> None:
    third = "ae:3f:91:6b:20:d0"
    _ingest(engine, settings.policy, BEFORE, SAMPLE_NOW)
    _ingest(engine, settings.policy, AFTER, LATER)
    latest = LATER + timedelta(minutes=40)
    capture = f"1795465200 {third} 198.18.0.105 Annas-iPhone 01:{third}\n"
    ingest_text(engine, "dnsmasq", "third.leases", capture, latest, settings.policy)
    clock.advance(timedelta(minutes=90))
    assert (
        client.post(f"/api/devices/lan/{NEW}/adopt", json={"predecessor": OLD}).status_code == 200
    )
    body = client.post(f"/api/devices/lan/{third}/adopt", json={"predecessor": NEW}).json()
    assert [p["mac"] for p in body["predecessors"]] == [NEW, OLD]
    assert {e["mac"] for e in body["events"]} == {OLD, NEW, third}
    assert {ip["mac"] for ip in body["ip_history"]} == {OLD, NEW, third}
    assert client.delete(f"/api/devices/lan/{third}").status_code == 204
    assert {r["mac"] for r in _rows(engine)} == {PRINTER}


def test_a_vendor_class_from_isc_dhcpd_is_shown_and_stored(
    engine: Engine, client: TestClient
) -> None:
    ingest_fixture(engine, "isc-dhcpd", "shared-sample-isc-dhcpd-4.4.3-P1.leases", SAMPLE_NOW)
    device = client.get("/api/devices/lan/b8:27:eb:aa:bb:cc").json()["device"]
    assert device["vendor_class"] == "dhcpcd-9.4.1:Linux-6.1.21-v8+:aarch64:BCM2835"


def test_pruning_a_device_takes_the_rows_it_retired_with_it(
    client: TestClient, engine: Engine, settings: Settings, clock: Clock
) -> None:
    _ingest(engine, settings.policy, BEFORE, SAMPLE_NOW)
    _ingest(engine, settings.policy, AFTER, LATER)
    clock.advance(timedelta(minutes=45))
    assert (
        client.post(f"/api/devices/lan/{NEW}/adopt", json={"predecessor": OLD}).status_code == 200
    )
    # Nobody reviewed the phone; two days later its lease is gone and a sweep misses it.
    later = LATER + timedelta(days=2)
    printer = f"1795633200 {PRINTER} 198.18.0.164 printer 01:{PRINTER}\n"
    ingest_text(engine, "dnsmasq", "dhcp.leases", printer, later, settings.policy)
    sweep = f"198.18.0.164\t{PRINTER}\tXensource, Inc.\n"
    ingest_text(engine, "arp-scan", "sweep.txt", sweep, later, settings.policy)
    assert {r["mac"] for r in _rows(engine)} == {PRINTER}
    assert "pruned" in _types(engine, NEW)
