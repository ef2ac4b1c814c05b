"""What devices report about themselves is stored exactly as reported: markup,
control characters, 10,000 characters — on SQLite and PostgreSQL alike.

The one rule: a NUL (which PostgreSQL text cannot hold) or a lone UTF-16
surrogate (which no database driver can encode) is stored as U+FFFD, on both
databases, by the store (``lanventory.store.device_text``), so the capture is
still applied instead of failing the whole run.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from lanventory.config import Settings
from lanventory.ingest import RunReport, ingest
from lanventory.inventory.model import Policy
from lanventory.service.writer import Writer
from lanventory.sources.observation import SourceText
from lanventory.store.credentials import create_token
from lanventory.store.device_text import REPLACEMENT, storable
from lanventory.store.devices import get_device
from lanventory.vendors import load_table
from lanventory.web.app import create_app
from lanventory.web.services import Services
from tests.conftest import SAMPLE_NOW, fixture_path

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", "Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

LOOKUP = load_table(None).lookup
KEA_CSV = fixture_path("kea-csv", "handmade-hostile-hostnames-leases4.csv")
KEA_API = fixture_path("kea-api", "handmade-hostile-lease4-get-all.json")
ARP_SCAN = fixture_path("arp-scan", "handmade-hostile-vendors-arp-scan-1.10.0.txt")

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
LONG = "<marquee>" + "x" * 9981 + "</marquee>"

#: mac -> hostname, as the Kea lease file says it (``&#x2c`` is Kea's escaped comma).
KEA_CSV_HOSTNAMES = {
    "00:5e:5e:00:00:01": f"{SCRIPT}, {IMG}",
    "00:99:99:00:00:01": "tv\x01\x1b[31mred\x1b[0m",
    "00:77:77:00:00:01": LONG,
    "04:5e:5e:00:00:01": "nul\x00byte",  # &#x00
    "04:99:99:00:00:01": '=HYPERLINK("http://x")',
    "04:77:77:00:00:01": "@SUM(1)",
}
#: mac -> (hostname, client id), as Kea's lease4-get-all answer says them.
KEA_API_LEASES = {
    "08:5e:5e:00:00:01": (f"api-{SCRIPT}", IMG),
    "08:99:99:00:00:01": ("bell\x07\x1b[2J\x00end", "<svg onload=alert(1)>\x00"),
    "08:77:77:00:00:01": ("half-\udc80-pair", "c" * 10_000),
}
#: mac -> vendor, as arp-scan printed it (for MACs the IEEE registry does not know).
ARP_SCAN_VENDORS = {
    "0c:5e:5e:00:00:01": f"{SCRIPT} Inc.",
    "0c:99:99:00:00:01": '=HYPERLINK("http://x")',
    "0c:77:77:00:00:01": "@SUM(1)",
    "10:5e:5e:00:00:01": IMG,
}


def feed(engine: Engine, source: str, path: Path, network: str = "lan") -> RunReport:
    """Ingest a capture through its real parser."""
    report = ingest(
        engine,
        source,
        network,
        [SourceText(str(path), path.read_text(encoding="utf-8"))],
        now=SAMPLE_NOW,
        policy=Policy(),
        lookup=LOOKUP,
        clock=lambda: SAMPLE_NOW,
    )
    assert report.ok, report.error
    return report


def feed_all(engine: Engine) -> None:
    """The three hostile captures, on ``lan``."""
    feed(engine, "kea-csv", KEA_CSV)
    feed(engine, "kea-api", KEA_API)
    feed(engine, "arp-scan", ARP_SCAN)


def stored(text: str) -> str:
    """What the store keeps of ``text``: the same, NUL and lone surrogates as U+FFFD."""
    return text.replace("\x00", REPLACEMENT).replace("\udc80", REPLACEMENT)


@pytest.fixture
def api(engine: Engine, tmp_path: Path) -> Iterator[TestClient]:
    """An owner's client of the app on ``engine``."""
    token = create_token(engine, "hostile", SAMPLE_NOW)
    writer = Writer()
    services = Services(
        Settings(data_dir=tmp_path / "data"), engine, writer, lambda: SAMPLE_NOW, LOOKUP
    )
    app = create_app(services, background=False)
    with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as client:
        yield client
    writer.close()


def test_the_fixtures_say_what_the_tests_expect() -> None:
    """The parsers report these strings unchanged (the store's rule aside)."""
    kea_csv_text = KEA_CSV.read_text(encoding="utf-8")
    assert "&#x2c" in kea_csv_text and "&#x00" in kea_csv_text and LONG in kea_csv_text
    assert len(LONG) == 10_000
    assert storable("nul\x00byte") == "nul\ufffdbyte"
    assert storable("half-\udc80-pair") == "half-\ufffd-pair"
    assert (
        storable(LONG) == LONG
        and storable(KEA_CSV_HOSTNAMES["00:99:99:00:00:01"]).count("\x1b") == 2
    )


def test_device_strings_are_stored_as_reported(engine: Engine) -> None:
    feed_all(engine)
    with engine.connect() as connection:
        for mac, hostname in KEA_CSV_HOSTNAMES.items():
            device = get_device(connection, "lan", mac)
            assert device is not None and device.hostname == stored(hostname), mac
        for mac, (hostname, client_id) in KEA_API_LEASES.items():
            device = get_device(connection, "lan", mac)
            assert device is not None, mac
            assert device.hostname == stored(hostname)
            assert device.client_id == stored(client_id)
        for mac, vendor in ARP_SCAN_VENDORS.items():
            device = get_device(connection, "lan", mac)
            assert device is not None and device.vendor == vendor, mac


def test_a_nul_is_stored_the_same_on_both_databases(engine: Engine) -> None:
    feed(engine, "kea-csv", KEA_CSV)
    with engine.connect() as connection:
        device = get_device(connection, "lan", "04:5e:5e:00:00:01")
    assert device is not None and device.hostname == "nul\ufffdbyte"


def test_the_api_answers_the_strings_byte_for_byte(engine: Engine, api: TestClient) -> None:
    feed_all(engine)
    expected = {mac: (stored(host), f"01:{mac}", None) for mac, host in KEA_CSV_HOSTNAMES.items()}
    for mac, (host, client_id) in KEA_API_LEASES.items():
        expected[mac] = (stored(host), stored(client_id), None)
    for mac, vendor in ARP_SCAN_VENDORS.items():
        expected[mac] = (None, None, vendor)
    for mac, (hostname, client_id, vendor) in expected.items():
        response = api.get(f"/api/devices/lan/{mac}")
        assert response.status_code == 200, response.text
        device = response.json()["device"]
        assert (device["hostname"], device["client_id"]) == (hostname, client_id), mac
        if vendor is not None:
            assert device["vendor"] == vendor
    listed = api.get("/api/devices/discovered").json()["devices"]
    assert {d["mac"]: d["hostname"] for d in listed} == {
        mac: hostname for mac, (hostname, _client, _vendor) in expected.items()
    }


def test_a_hostile_capture_applied_again_changes_nothing(engine: Engine) -> None:
    """Markup and 10 kB strings compare equal to what was stored: no update, no event."""
    feed(engine, "arp-scan", ARP_SCAN)
    again = feed(engine, "arp-scan", ARP_SCAN)
    assert again.counts.new == 0 and again.counts.updated == 0


def test_a_capture_with_a_nul_applied_again_changes_nothing(engine: Engine) -> None:
    feed(engine, "kea-csv", KEA_CSV)
    again = feed(engine, "kea-csv", KEA_CSV)
    assert again.counts.updated == 0
