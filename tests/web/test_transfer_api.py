"""``GET /api/export`` and ``POST /api/import``."""

from __future__ import annotations

import csv
import io
import json

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from lanventory.store.credentials import create_token
from lanventory.store.tables import events
from lanventory.web import transfer_api
from tests.conftest import SAMPLE_NOW, fixture_path

SEED_STYLE = fixture_path("devices-json", "seed-002-style-devices.json")
SPREADSHEET = fixture_path("export-file", "spreadsheet-saved-excel-csv-utf8.csv")
HEADER = "network,mac,name,group,note,status,flagged"
CSV = {"Content-Type": "text/csv"}


def move_in(client: TestClient) -> None:
    response = client.post(
        "/api/import",
        params={"format": "devices-json", "network": "lan"},
        content=SEED_STYLE.read_bytes(),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text


def event_count(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(events)).scalar_one())


def test_export_is_an_attachment(client: TestClient) -> None:
    move_in(client)
    response = client.get("/api/export")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        "attachment; filename=lanventory-devices.csv"
    )
    assert response.content.startswith(("\ufeff" + HEADER).encode())
    response = client.get("/api/export", params={"format": "json", "network": "lan"})
    assert response.headers["content-type"] == "application/json"
    assert response.headers["content-disposition"] == (
        "attachment; filename=lanventory-devices.json"
    )
    assert len(response.json()) == 8
    assert client.get("/api/export", params={"network": "other"}).text.count("\r\n") == 1
    assert client.get("/api/export", params={"network": "Bad Name"}).status_code == 422


def test_devices_json_reports_what_it_skipped(client: TestClient, engine: Engine) -> None:
    body = SEED_STYLE.read_bytes()
    params = {"format": "devices-json", "network": "lan"}
    first = client.post("/api/import", params=params, content=body).json()
    assert (first["source"], first["created"], first["updated"]) == ("devices-json", 8, 0)
    assert first["skipped"][0] == {
        "entry": 5,
        "ip": "192.168.1.21",
        "name": "Office printer",
        "reason": "no MAC: it will appear as new when first seen online",
    }
    assert len(first["skipped"]) == 6
    count = event_count(engine)
    second = client.post("/api/import", params=params, content=body).json()
    assert (second["created"], second["updated"], second["unchanged"]) == (0, 0, 8)
    assert event_count(engine) == count
    missing = client.post("/api/import", params={"format": "devices-json"}, content=body)
    assert missing.status_code == 422 and "?network=NAME" in missing.json()["detail"]


def test_round_trip_and_edit(client: TestClient, engine: Engine) -> None:
    move_in(client)
    exported = client.get("/api/export").content
    count = event_count(engine)
    report = client.post("/api/import", content=exported, headers=CSV).json()
    assert (report["created"], report["updated"], report["unchanged"]) == (0, 0, 8)
    assert event_count(engine) == count
    as_json = client.get("/api/export", params={"format": "json"}).content
    report = client.post(
        "/api/import", content=as_json, headers={"Content-Type": "application/json"}
    ).json()
    assert report["unchanged"] == 8
    response = client.post("/api/import", content=SPREADSHEET.read_bytes(), headers=CSV)
    assert response.status_code == 200
    assert response.json() == {
        "source": "export-file",
        "created": 1,
        "updated": 4,
        "unchanged": 4,
        "ignored_columns": ["Who uses it"],
        "skipped": [],
    }
    band = client.get("/api/devices").json()
    names = {d["name"] for group in band["groups"] for d in group["devices"]}
    assert "Orbi satellite (landing)" in names and "Guest iPad" in names  # the list cache moved on


def test_a_rejected_row_is_a_422_listing_every_one(client: TestClient, engine: Engine) -> None:
    move_in(client)
    before = client.get("/api/export").content
    count = event_count(engine)
    body = (
        f"{HEADER}\r\n"
        "lan,9C-3D-CF-10-20-01,Renamed,,,known,\r\n"
        "lan,zz:zz,Bad,,,known,\r\n"
        "guest,02:00:00:00:00:01,Fine,,,new,maybe\r\n"
        "lan,9c3d.cf10.2001,Twice,,,known,\r\n"
    )
    response = client.post("/api/import", content=body.encode(), headers=CSV)
    assert response.status_code == 422
    assert response.json() == {
        "detail": "nothing imported: 3 of 4 rows rejected",
        "rejected": [
            {
                "row": 3,
                "mac": "zz:zz",
                "reason": "not a device MAC address (malformed): 'zz:zz'",
            },
            {
                "row": 4,
                "mac": "02:00:00:00:00:01",
                "reason": "flagged must be true, false, yes, no, 1, 0 or empty, not 'maybe'",
            },
            {"row": 5, "mac": "9c:3d:cf:10:20:01", "reason": "the same device as row 2"},
        ],
    }
    assert client.get("/api/export").content == before
    assert event_count(engine) == count


def test_whole_file_problems(client: TestClient) -> None:
    response = client.post("/api/import", content=b"network,mac\r\n", headers=CSV)
    assert response.status_code == 422
    assert response.json()["rejected"] == []
    assert response.json()["detail"].startswith(
        "nothing imported: missing columns: name, group, note, status, flagged"
    )
    response = client.post("/api/import", content=b"\xff\xfe", headers=CSV)
    assert response.status_code == 422 and "not UTF-8" in response.json()["detail"]
    response = client.post(
        "/api/import", content=b'{"a": 1}', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422 and "a list of objects" in response.json()["detail"]
    response = client.post(
        "/api/import", content=b"x", headers={"Content-Type": "application/octet-stream"}
    )
    assert response.status_code == 415
    assert "text/csv or application/json" in response.json()["detail"]


def test_the_body_is_limited(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transfer_api, "MAX_BODY", 1024)
    body = (f"{HEADER}\r\n" + "lan,02:00:00:00:00:01,x,,,known,\r\n" * 100).encode()
    response = client.post("/api/import", content=body, headers=CSV)
    assert response.status_code == 413
    assert response.json()["detail"].startswith("the file is larger than")

    def chunks() -> object:
        yield body

    response = client.post("/api/import", content=chunks(), headers=CSV)  # type: ignore[arg-type]
    assert response.status_code == 413


def test_hostile_strings_are_kept_and_exported_inert(client: TestClient) -> None:
    note = '=HYPERLINK("http://evil.invalid","x")<script>alert(1)</script>\x07\x1b[31m'
    rows = io.StringIO()
    writer = csv.writer(rows)
    writer.writerow(HEADER.split(","))
    writer.writerow(["lan", "02:00:00:00:00:01", "@SUM(A1)", "-2", note, "known", "true"])
    response = client.post("/api/import", content=rows.getvalue().encode(), headers=CSV)
    assert response.status_code == 200, response.text
    device = client.get("/api/devices/lan/02:00:00:00:00:01").json()["device"]
    assert (device["name"], device["grp"], device["note"]) == ("@SUM(A1)", "-2", note)
    exported = client.get("/api/export").content.decode().removeprefix("\ufeff")
    cells = list(csv.reader(io.StringIO(exported, newline="")))[1]
    assert cells[2:5] == ["'@SUM(A1)", "'-2", "'" + note]
    as_json = client.get("/api/export", params={"format": "json"}).json()
    assert as_json[0]["note"] == note


def test_the_routes_are_the_owners(app: FastAPI, engine: Engine, anon: TestClient) -> None:
    agent = create_token(engine, "agent", SAMPLE_NOW, kind="agent", networks=["lan"])
    with TestClient(app, headers={"Authorization": f"Bearer {agent}"}) as as_agent:
        assert as_agent.get("/api/export").status_code == 403
        refused = as_agent.post("/api/import", content=f"{HEADER}\r\n", headers=CSV)
        assert refused.status_code == 403
    assert anon.get("/api/export").status_code == 401
    assert anon.post("/api/import", content=f"{HEADER}\r\n", headers=CSV).status_code == 401


def test_openapi_describes_the_routes(client: TestClient) -> None:
    schema = client.get("/api/openapi.json").json()
    export = schema["paths"]["/api/export"]["get"]
    assert set(export["responses"]["200"]["content"]) == {"text/csv", "application/json"}
    imported = schema["paths"]["/api/import"]["post"]
    assert set(imported["requestBody"]["content"]) == {"text/csv", "application/json"}
    assert imported["responses"]["422"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ImportRefused"
    }
    assert json.dumps(imported["responses"]["200"]).count("ImportReport") == 1
