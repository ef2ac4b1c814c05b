"""``/api/runs`` and ``/api/events``: filters, cursors and failed runs."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import Engine

from lanventory.ingest import RunReport, record_failure
from lanventory.store.engine import write_transaction
from lanventory.store.runs import start_run
from tests.conftest import SAMPLE_NOW
from tests.web.test_devices_api import ARP_SCAN, LEASES, PI, PRINTER, feed

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

FAILURE = "cannot read /var/lib/kea/kea-leases4.csv: no such file; check the lease path"


@pytest.fixture
def history(engine: Engine) -> Engine:
    """Three runs: a sweep of ``lan``, leases on ``iot`` an hour later, then a failure."""
    feed(engine, "arp-scan", ARP_SCAN.read_text())
    feed(engine, "dnsmasq", LEASES.read_text(), network="iot", after=timedelta(hours=1))
    failed_at = SAMPLE_NOW + timedelta(hours=2)
    record_failure(
        engine,
        RunReport("kea-csv", "iot", ["kea-leases4.csv"], ok=False, error=FAILURE),
        failed_at,
        lambda: failed_at + timedelta(seconds=3),
    )
    return engine


def get(client: TestClient, path: str, **params: Any) -> dict[str, Any]:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_runs_newest_first_with_outcome_and_error(history: Engine, client: TestClient) -> None:
    page = get(client, "/api/runs")
    assert [(r["source"], r["network"], r["status"]) for r in page["runs"]] == [
        ("kea-csv", "iot", "failed"),
        ("dnsmasq", "iot", "ok"),
        ("arp-scan", "lan", "ok"),
    ]
    assert page["next_before"] is None
    failed, leases, _sweep = page["runs"]
    assert (failed["ok"], failed["error"], failed["duration"]) == (False, FAILURE, 3.0)
    assert failed["inputs"] == ["kea-leases4.csv"]
    assert (leases["ok"], leases["error"]) == (True, None)
    assert leases["counts"]["new"] == 3
    assert leases["lines"] == 3 and leases["observations"] == 3
    assert leases["started_at"] == "2026-11-23T08:00:00Z"


def test_runs_filters(history: Engine, client: TestClient) -> None:
    def sources(**params: Any) -> list[str]:
        return [r["source"] for r in get(client, "/api/runs", **params)["runs"]]

    assert sources(ok=False) == ["kea-csv"]
    assert sources(ok=True) == ["dnsmasq", "arp-scan"]
    assert sources(network="iot") == ["kea-csv", "dnsmasq"]
    assert sources(source="arp-scan") == ["arp-scan"]
    assert sources(network="iot", ok=True) == ["dnsmasq"]
    assert sources(network="other") == []


def test_a_run_still_going_is_running(engine: Engine, client: TestClient) -> None:
    with write_transaction(engine) as connection:
        start_run(connection, "arp-scan", "lan", SAMPLE_NOW, ["arp-scan"])
    (run,) = get(client, "/api/runs")["runs"]
    assert (run["status"], run["ok"], run["finished_at"], run["duration"]) == (
        "running",
        None,
        None,
        None,
    )
    assert get(client, "/api/runs", ok=False)["runs"] == []


def test_runs_page_by_cursor(history: Engine, client: TestClient) -> None:
    seen: list[int] = []
    params: dict[str, Any] = {"limit": 1}
    while True:
        page = get(client, "/api/runs", **params)
        seen += [r["id"] for r in page["runs"]]
        if page["next_before"] is None:
            break
        params["before"] = page["next_before"]
    assert seen == [r["id"] for r in get(client, "/api/runs")["runs"]]


@pytest.mark.parametrize(
    ("params", "field"),
    [({"limit": 0}, "limit"), ({"ok": "maybe"}, "ok"), ({"before": -1}, "before")],
)
def test_runs_refuse_bad_parameters(
    history: Engine, client: TestClient, params: dict[str, Any], field: str
) -> None:
    response = client.get("/api/runs", params=params)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", field]


def test_runs_refuse_a_bad_network_name(client: TestClient) -> None:
    response = client.get("/api/runs", params={"network": "../etc"})
    assert response.status_code == 422
    assert "not a slug" in response.json()["detail"]


def test_events_newest_first_with_their_run(history: Engine, client: TestClient) -> None:
    listed = get(client, "/api/events")["events"]
    ids = [e["id"] for e in listed]
    assert ids == sorted(ids, reverse=True)
    assert [e["type"] for e in listed[:3]] == ["run_finished", "source_failed", "run_finished"]
    finished = listed[0]
    assert finished["data"]["error"] == FAILURE and finished["mac"] is None
    runs = get(client, "/api/runs")["runs"]
    assert finished["run_id"] == runs[0]["id"]


def test_events_filters(history: Engine, client: TestClient) -> None:
    def found(**params: Any) -> list[tuple[str, str | None]]:
        return [(e["type"], e["mac"]) for e in get(client, "/api/events", **params)["events"]]

    new_on_iot = found(network="iot", type="device_new")
    assert len(new_on_iot) == 3 and ("device_new", PRINTER) in new_on_iot
    assert found(mac=PI.upper().replace(":", "-")) == [("device_new", PI)]
    assert found(type="source_failed") == [("source_failed", None)]
    later = found(since="2026-11-23T08:00:00Z")
    assert len(later) == 3 + 1 + 2  # iot's new devices, its run, the failure and its run
    assert found(since="2026-11-23T08:00:00") == later  # no zone: UTC
    assert found(since="2026-11-23T09:00:00+01:00") == later
    assert found(network="iot", mac=PI) == []


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"mac": "not-a-mac"}, "not a device MAC address (malformed)"),
        ({"network": "Bad Name"}, "not a slug"),
    ],
)
def test_events_refuse_bad_filters(
    client: TestClient, params: dict[str, Any], message: str
) -> None:
    response = client.get("/api/events", params=params)
    assert response.status_code == 422
    assert message in response.json()["detail"]


@pytest.mark.parametrize(
    ("params", "field"),
    [({"type": "exploded"}, "type"), ({"since": "yesterday"}, "since"), ({"limit": 1001}, "limit")],
)
def test_events_refuse_bad_parameters(
    client: TestClient, params: dict[str, Any], field: str
) -> None:
    response = client.get("/api/events", params=params)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", field]


def test_events_page_backwards_and_forwards(history: Engine, client: TestClient) -> None:
    everything = [e["id"] for e in get(client, "/api/events", limit=1000)["events"]]
    assert len(everything) > 10

    backwards: list[int] = []
    params: dict[str, Any] = {"limit": 4}
    while True:
        page = get(client, "/api/events", **params)
        backwards += [e["id"] for e in page["events"]]
        if page["next_before"] is None:
            break
        params["before"] = page["next_before"]
    assert backwards == everything

    forwards: list[int] = []
    cursor = 0
    while True:
        page = get(client, "/api/events", after=cursor, limit=4)
        if not page["events"]:
            assert page["next_after"] == cursor
            break
        forwards += [e["id"] for e in page["events"]]
        assert page["next_before"] is None
        cursor = page["next_after"]
    assert forwards == sorted(everything)


def test_events_follow_the_log_after_the_newest(history: Engine, client: TestClient) -> None:
    newest = get(client, "/api/events", limit=1)["next_after"]
    assert get(client, "/api/events", after=newest)["events"] == []

    assert client.delete(f"/api/devices/lan/{PI}").status_code == 204
    page = get(client, "/api/events", after=newest)
    assert [(e["type"], e["mac"], e["data"]["ip"]) for e in page["events"]] == [
        ("deleted", PI, "192.168.1.57")
    ]
    assert page["next_after"] == page["events"][0]["id"]


def test_no_events_no_cursors(client: TestClient) -> None:
    assert get(client, "/api/events") == {"events": [], "next_before": None, "next_after": None}
    assert get(client, "/api/runs") == {"runs": [], "next_before": None}


def test_anonymous_requests_are_refused(history: Engine, anon: TestClient) -> None:
    assert anon.get("/api/runs").status_code == 401
    assert anon.get("/api/events").status_code == 401
