"""``/api/devices``: the band, the review queue, one device, edits and deletion."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import Engine, func, select

from lanventory.ingest import RunReport, ingest
from lanventory.inventory.model import Policy
from lanventory.sources.observation import SourceText
from lanventory.store.tables import devices, events, ip_history, sightings
from lanventory.vendors import load_table
from tests.conftest import SAMPLE_NOW, fixture_path

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

LOOKUP = load_table(None).lookup
ARP_SCAN = fixture_path("arp-scan", "shared-sample-arp-scan-1.10.0-default.txt")
LEASES = fixture_path("dnsmasq", "lab-dnsmasq-2.90.leases")
ROUTER, LAPTOP, RANDOM, PI = (
    "74:ac:b9:12:34:56",
    "3c:22:fb:12:34:56",
    "de:ad:7e:11:22:33",
    "b8:27:eb:aa:bb:cc",
)
PRINTER, TV = "00:16:3e:00:01:01", "a8:23:fe:00:01:02"


def feed(
    engine: Engine,
    source: str,
    text: str,
    network: str = "lan",
    after: timedelta = timedelta(0),
) -> RunReport:
    """Ingest ``text`` as ``source`` on ``network``, ``after`` the samples' clock."""
    now = SAMPLE_NOW + after
    report = ingest(
        engine,
        source,
        network,
        [SourceText("capture", text)],
        now=now,
        policy=Policy(),
        lookup=LOOKUP,
        clock=lambda: now,
    )
    assert report.ok, report.error
    return report


@pytest.fixture
def lan(engine: Engine) -> Engine:
    """The arp-scan sample swept on ``lan``: every device new."""
    feed(engine, "arp-scan", ARP_SCAN.read_text())
    return engine


def patch(client: TestClient, mac: str, network: str = "lan", **fields: Any) -> dict[str, Any]:
    response = client.patch(f"/api/devices/{network}/{mac}", json=fields)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def band(client: TestClient, **params: Any) -> dict[str, list[str]]:
    """Group name -> MACs, as ``GET /api/devices`` answers."""
    response = client.get("/api/devices", params=params)
    assert response.status_code == 200, response.text
    return {g["name"]: [d["mac"] for d in g["devices"]] for g in response.json()["groups"]}


def discovered(client: TestClient, **params: Any) -> list[str]:
    response = client.get("/api/devices/discovered", params=params)
    assert response.status_code == 200, response.text
    return [d["mac"] for d in response.json()["devices"]]


def test_band_groups_known_devices_in_the_bands_order(lan: Engine, client: TestClient) -> None:
    assert band(client) == {}
    patch(client, PI, status="known", grp="Smart Home", name="Pi-hole")
    patch(client, ROUTER, status="known", grp="Network")
    patch(client, LAPTOP, status="known", grp="garage")
    patch(client, RANDOM, status="known")
    patch(client, "a4:cf:12:01:02:03", status="known", grp="Smart Home", flagged=True)
    patch(client, "00:1a:2b:3c:4d:5e", status="ignored")

    assert band(client) == {
        "Smart Home": [PI, "a4:cf:12:01:02:03"],  # by IP: .57, .64
        "Network": [ROUTER],
        "garage": [LAPTOP],
        "Ungrouped": [RANDOM],
    }
    queue = discovered(client)
    assert "00:1a:2b:3c:4d:5e" not in queue  # ignored: in neither list
    assert not {PI, ROUTER, LAPTOP, RANDOM} & set(queue)
    assert queue  # the rest still wait for review

    device = client.get("/api/devices").json()["groups"][0]["devices"][1]
    assert device == {
        "network": "lan",
        "mac": "a4:cf:12:01:02:03",
        "ip": "192.168.1.64",
        "ips": ["192.168.1.64"],
        "vendor": device["vendor"],
        "hostname": None,
        "client_id": None,
        "name": None,
        "grp": "Smart Home",
        "note": None,
        "status": "known",
        "flagged": True,
        "watched": False,
        "randomized": False,
        "present": True,
        "first_seen": "2026-11-23T07:00:00Z",
        "last_seen": "2026-11-23T07:00:00Z",
        "absent_days": None,
    }


def test_filters_network_presence_and_text(lan: Engine, client: TestClient) -> None:
    feed(lan, "dnsmasq", LEASES.read_text(), network="iot")
    for mac in (ROUTER, PI, RANDOM):
        patch(client, mac, status="known", name=f"dev-{mac[:2]}")
    patch(client, PRINTER, network="iot", status="known", name="Office printer")
    # the next sweep misses the router and the randomized device: absent
    kept = "".join(
        line + "\n"
        for line in ARP_SCAN.read_text().splitlines()
        if ROUTER not in line and RANDOM not in line
    ).replace("10 responded", "8 responded")
    feed(lan, "arp-scan", kept, after=timedelta(hours=1))

    assert band(client, network="iot") == {"Ungrouped": [PRINTER]}
    assert band(client, network="lan") == {"Ungrouped": [ROUTER, RANDOM, PI]}
    assert band(client, network="lan", present=True) == {"Ungrouped": [PI]}
    assert band(client, present=False) == {"Ungrouped": [ROUTER, RANDOM]}
    assert band(client, q="RASPBERRY") == {"Ungrouped": [PI]}  # vendor, any case
    assert band(client, q="B8:27:EB") == {"Ungrouped": [PI]}  # MAC
    assert band(client, q="192.168.1.5") == {"Ungrouped": [PI]}  # IP
    assert band(client, q="office") == {"Ungrouped": [PRINTER]}  # name
    assert band(client, q="%") == {}  # a wildcard matches only itself
    assert discovered(client, q="lg-webos") == [TV]  # hostname
    assert discovered(client, network="iot", present=True) == discovered(client, network="iot")
    assert TV in discovered(client, network="iot")
    assert TV not in discovered(client, network="lan")

    response = client.get("/api/devices", params={"network": "Not A Slug"})
    assert response.status_code == 422
    assert "not a slug" in response.json()["detail"]


def test_review_flow_moves_a_new_device_into_the_band(engine: Engine, client: TestClient) -> None:
    feed(engine, "dnsmasq", LEASES.read_text())
    assert PRINTER in discovered(client)
    assert band(client) == {}

    device = patch(client, PRINTER, status="known", name="Printer", grp="Network")
    assert (device["status"], device["name"], device["grp"]) == ("known", "Printer", "Network")
    assert PRINTER not in discovered(client)
    assert band(client) == {"Network": [PRINTER]}

    patch(client, TV, status="ignored")
    assert TV not in discovered(client)
    assert TV not in sum(band(client).values(), [])


def test_patch_survives_the_next_ingest(engine: Engine, client: TestClient) -> None:
    feed(engine, "dnsmasq", LEASES.read_text())
    patch(client, PRINTER, name="Printer", grp="Office", note="2nd floor", status="known")

    renamed = LEASES.read_text().replace(" printer ", " printer-2 ")
    feed(engine, "dnsmasq", renamed, after=timedelta(minutes=5))

    device = client.get(f"/api/devices/lan/{PRINTER}").json()["device"]
    assert device["hostname"] == "printer-2"
    assert (device["name"], device["grp"], device["note"], device["status"]) == (
        "Printer",
        "Office",
        "2nd floor",
        "known",
    )


def test_patch_edits_each_field_and_records_the_change(lan: Engine, client: TestClient) -> None:
    device = patch(client, PI, name="  Pi-hole ", note="dns", flagged=True, watched=True)
    assert device["name"] == "Pi-hole"  # trimmed
    assert (device["note"], device["flagged"], device["watched"]) == ("dns", True, True)
    device = patch(client, PI, name=None, flagged=False)
    assert (device["name"], device["flagged"], device["note"]) == (None, False, "dns")

    detail = client.get(f"/api/devices/lan/{PI}").json()
    edits = [e["data"]["changes"] for e in detail["events"] if e["type"] == "edited"]
    assert edits[0] == {"name": ["Pi-hole", None], "flagged": [True, False]}  # newest first


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"colour": "red"}, "cannot edit colour"),
        ({"name": "x", "ip": "198.18.0.9"}, "cannot edit ip"),
        ({"status": "trusted"}, "status must be one of new, known, ignored, not 'trusted'"),
        ({"name": "x" * 256}, "name is longer than 255 characters"),
        ({"grp": 7}, "grp must be text, not int"),
        ({"flagged": "yes"}, "flagged must be true or false"),
        ({"watched": None}, "watched must be true or false"),
        (["name"], "the body must be a JSON object"),
    ],
)
def test_patch_refuses_invalid_edits(
    lan: Engine, client: TestClient, body: Any, message: str
) -> None:
    response = client.patch(f"/api/devices/lan/{PI}", json=body)
    assert response.status_code == 422
    assert message in response.json()["detail"]
    assert client.get(f"/api/devices/lan/{PI}").json()["device"]["name"] is None


def test_patch_refuses_a_body_that_is_not_json(lan: Engine, client: TestClient) -> None:
    response = client.patch(f"/api/devices/lan/{PI}", content=b"name=x")
    assert response.status_code == 422
    assert "JSON object" in response.json()["detail"]


@pytest.mark.parametrize("spelling", ["B8-27-EB-AA-BB-CC", "b827.ebaa.bbcc", "B827EBAABBCC"])
def test_any_common_mac_spelling_finds_the_device(
    lan: Engine, client: TestClient, spelling: str
) -> None:
    response = client.get(f"/api/devices/lan/{spelling}")
    assert response.status_code == 200
    assert response.json()["device"]["mac"] == PI
    assert patch(client, spelling, name="Pi")["mac"] == PI


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("lan/zz:zz", "not a device MAC address (malformed): 'zz:zz'"),
        ("lan/01:00:5e:00:00:01", "(multicast)"),
        ("lan/00:00:00:00:00:00", "(all-zero)"),
        ("LAN/" + PI, "network name 'LAN' is not a slug"),
    ],
)
def test_bad_paths_say_what_is_wrong(
    lan: Engine, client: TestClient, path: str, message: str
) -> None:
    for method in ("GET", "PATCH", "DELETE"):
        response = client.request(method, f"/api/devices/{path}", json={"name": "x"})
        assert response.status_code == 422, method
        assert message in response.json()["detail"]


def test_unknown_device_is_404(lan: Engine, client: TestClient) -> None:
    for method, path in [
        ("GET", f"lan/{PRINTER}"),
        ("PATCH", f"lan/{PRINTER}"),
        ("DELETE", f"lan/{PRINTER}"),
        ("GET", f"iot/{PI}"),
    ]:
        response = client.request(method, f"/api/devices/{path}", json={"name": "x"})
        assert response.status_code == 404, (method, path)
        assert "no device" in response.json()["detail"]


def test_one_device_in_full(engine: Engine, client: TestClient) -> None:
    feed(engine, "dnsmasq", LEASES.read_text())
    feed(engine, "arp-scan", ARP_SCAN.read_text().replace("b8:27:eb:aa:bb:cc", PRINTER))
    moved = LEASES.read_text().replace("198.18.1.164", "198.18.1.165")
    feed(engine, "dnsmasq", moved, after=timedelta(hours=1))

    detail = client.get(f"/api/devices/lan/{PRINTER}").json()
    assert detail["device"]["ip"] == "198.18.1.165"
    assert [(h["ip"], h["family"]) for h in detail["ip_history"]] == [
        ("198.18.1.165", 4),  # latest first
        ("192.168.1.57", 4),
        ("198.18.1.164", 4),
    ]
    assert {s["source"]: (s["ip"], s["current"]) for s in detail["sightings"]} == {
        "arp-scan": ("192.168.1.57", True),
        "dnsmasq": ("198.18.1.165", True),
    }
    types = [e["type"] for e in detail["events"]]
    assert types[0] == "ip_changed" and types[-1] == "device_new"
    ids = [e["id"] for e in detail["events"]]
    assert ids == sorted(ids, reverse=True)
    assert all(e["mac"] == PRINTER for e in detail["events"])


def test_delete_forgets_the_device_and_says_so(lan: Engine, client: TestClient) -> None:
    patch(client, PI, name="Pi-hole", status="known")
    response = client.delete(f"/api/devices/lan/{PI.upper()}")
    assert response.status_code == 204
    assert response.content == b""

    assert client.get(f"/api/devices/lan/{PI}").status_code == 404
    assert client.delete(f"/api/devices/lan/{PI}").status_code == 404
    assert band(client) == {}
    with lan.connect() as connection:
        assert connection.execute(select(func.count()).select_from(sightings)).scalar_one() > 0
        for table in (sightings, ip_history):  # cascaded: nothing left pointing nowhere
            orphans = connection.execute(
                select(func.count())
                .select_from(table)
                .where(table.c.device_id.not_in(select(devices.c.id)))
            ).scalar_one()
            assert orphans == 0, table.name
        deleted = connection.execute(
            select(events.c.mac, events.c.data).where(events.c.type == "deleted")
        ).one()
    assert deleted.mac == PI
    assert deleted.data["ip"] == "192.168.1.57"
    assert deleted.data["name"] == "Pi-hole"

    # seen again, it comes back as new
    feed(lan, "arp-scan", ARP_SCAN.read_text(), after=timedelta(hours=1))
    assert PI in discovered(client)


def test_openapi_describes_the_device_routes(client: TestClient) -> None:
    schema = client.get("/api/openapi.json").json()
    paths = schema["paths"]
    assert set(paths["/api/devices/{network}/{mac}"]) == {"get", "patch", "delete"}
    body = paths["/api/devices/{network}/{mac}"]["patch"]["requestBody"]
    edit = body["content"]["application/json"]["schema"]
    assert edit["additionalProperties"] is False
    assert set(edit["properties"]) == {"name", "grp", "note", "status", "flagged", "watched"}
    assert edit["properties"]["status"]["enum"] == ["new", "known", "ignored"]
    assert edit["properties"]["flagged"] == {"title": "Flagged", "type": "boolean"}
    ok = paths["/api/devices"]["get"]["responses"]["200"]["content"]["application/json"]
    assert ok["schema"] == {"$ref": "#/components/schemas/DeviceBand"}
    device = schema["components"]["schemas"]["DeviceOut"]
    assert "absent_days" in device["required"]


def test_anonymous_requests_are_refused(lan: Engine, anon: TestClient) -> None:
    for method, path in [
        ("GET", "/api/devices"),
        ("GET", "/api/devices/discovered"),
        ("GET", f"/api/devices/lan/{PI}"),
        ("PATCH", f"/api/devices/lan/{PI}"),
        ("DELETE", f"/api/devices/lan/{PI}"),
    ]:
        response = anon.request(method, path, json={"status": "known"})
        assert response.status_code == 401, (method, path)


def test_lists_are_reused_until_the_inventory_changes(
    lan: Engine, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lanventory.web import devices_api

    queries: list[str] = []
    real = devices_api.search_devices

    def counted(*args: Any, **kwargs: Any) -> Any:
        queries.append("search")
        return real(*args, **kwargs)

    monkeypatch.setattr(devices_api, "search_devices", counted)
    first = client.get("/api/devices/discovered").content
    assert client.get("/api/devices/discovered").content == first
    assert len(queries) == 1  # the second answer was reused
    feed(lan, "dnsmasq", LEASES.read_text(), after=timedelta(minutes=5))  # new events
    assert PRINTER in discovered(client)
    assert len(queries) == 2
