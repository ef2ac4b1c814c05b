"""Long device lists go out gzip-compressed to clients that take it, compressed once per change."""

from __future__ import annotations

from sqlalchemy import Engine

from lanventory.collect.files import read_texts
from lanventory.ingest import ingest
from lanventory.inventory.model import Policy
from lanventory.vendors import load_table
from tests.conftest import SAMPLE_NOW, fixture_path
from tests.web.conftest import TestClient


def _fill(engine: Engine) -> None:
    texts = read_texts([fixture_path("dnsmasq", "lab-dnsmasq-2.90.leases")])
    ingest(
        engine,
        "dnsmasq",
        "lan",
        texts,
        now=SAMPLE_NOW,
        policy=Policy(),
        lookup=load_table(None).lookup,
        clock=lambda: SAMPLE_NOW,
    )


def test_lists_are_gzipped_for_clients_that_take_it(client: TestClient, engine: Engine) -> None:
    _fill(engine)
    for path in ("/api/devices/discovered", "/api/devices"):
        plain = client.get(path, headers={"Accept-Encoding": "identity"})
        zipped = client.get(path, headers={"Accept-Encoding": "br, gzip;q=0.8"})
        refused = client.get(path, headers={"Accept-Encoding": "gzip;q=0"})
        assert "content-encoding" not in plain.headers
        assert zipped.headers["content-encoding"] == "gzip"
        assert "content-encoding" not in refused.headers
        assert zipped.json() == plain.json() == refused.json()
        assert plain.headers["vary"] == zipped.headers["vary"] == "Accept-Encoding"
    assert client.get("/api/devices/discovered").json()["devices"]  # something was listed
