"""Stable MAC prefixes as the owner sees them: the status page, a device page and the API."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import Engine

from lanventory.config import Settings
from lanventory.ingest import ingest
from lanventory.sources.observation import SourceText
from tests.conftest import SAMPLE_NOW

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

    from tests.web.conftest import SessionClient

KVM, MESH, PHONE = "52:54:00:12:34:56", "a2:b4:c6:01:02:03", "ae:3f:91:6b:20:c4"
ENTRIES = ["a2:b4:c6 mesh repeater <upstairs>", "!0a:00:27"]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", stable_mac_prefixes=ENTRIES)


@pytest.fixture
def swept(engine: Engine, settings: Settings) -> Engine:
    capture = "".join(
        f"198.18.0.{n}\t{mac}\t(Unknown: locally administered)\n"
        for n, mac in enumerate((KVM, MESH, PHONE), start=2)
    )
    report = ingest(
        engine,
        "arp-scan",
        "lan",
        [SourceText("capture", capture)],
        now=SAMPLE_NOW,
        policy=settings.policy,
        lookup={}.get,
        clock=lambda: SAMPLE_NOW,
    )
    assert report.ok, report.error
    return engine


def test_the_api_lists_the_effective_prefixes(client: TestClient, anon: TestClient) -> None:
    response = client.get("/api/settings/stable-mac-prefixes")
    assert response.status_code == 200
    assert response.json() == {
        "prefixes": [
            {"prefix": "02:42", "reason": "Docker bridge network", "builtin": True},
            {"prefix": "52:54:00", "reason": "QEMU/KVM", "builtin": True},
            {"prefix": "a2:b4:c6", "reason": "mesh repeater <upstairs>", "builtin": False},
            {"prefix": "aa:00:04:00", "reason": "DECnet Phase IV", "builtin": True},
        ]
    }
    assert anon.get("/api/settings/stable-mac-prefixes").status_code == 401


def test_the_status_page_lists_them_with_their_reasons(cookie_client: SessionClient) -> None:
    html = cookie_client.get("/status").text
    table = html[html.index('id="stable-prefixes"') :]
    assert "<code>52:54:00</code></td><td>QEMU/KVM</td><td>built-in</td>" in table
    assert "<code>a2:b4:c6</code></td><td>mesh repeater &lt;upstairs&gt;</td><td>config" in table
    assert "0a:00:27" not in table


def test_a_stable_device_says_why_instead_of_the_randomized_badge(
    swept: Engine, cookie_client: SessionClient
) -> None:
    kvm = cookie_client.get(f"/devices/lan/{KVM}").text
    assert "stable locally administered (52:54:00: QEMU/KVM)" in kvm
    assert "badge-randomized" not in kvm
    mesh = cookie_client.get(f"/devices/lan/{MESH}").text
    assert "stable locally administered (a2:b4:c6: mesh repeater &lt;upstairs&gt;)" in mesh
    phone = cookie_client.get(f"/devices/lan/{PHONE}").text
    assert "badge-randomized" in phone and "stable locally administered" not in phone


def test_the_device_api_reports_the_flag(swept: Engine, client: TestClient) -> None:
    flags = {
        mac: client.get(f"/api/devices/lan/{mac}").json()["device"]["randomized"]
        for mac in (KVM, PHONE)
    }
    assert flags == {KVM: False, PHONE: True}
