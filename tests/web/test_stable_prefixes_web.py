"""Stable MAC prefixes as the owner sees them: the status page, a device page and the API."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import Engine

from lanventory.config import Settings
from tests.conftest import SAMPLE_NOW, ingest_text

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
    ingest_text(engine, "arp-scan", "capture", capture, SAMPLE_NOW, settings.policy)
    return engine


def test_the_api_lists_the_effective_prefixes(client: TestClient, anon: TestClient) -> None:
    response = client.get("/api/settings/stable-mac-prefixes")
    assert response.status_code == 200
    assert response.json() == {
        "prefixes": [
            {
                "prefix": "02:42",
                "reason": "Docker bridge network",
                "builtin": True,
                "source": "built-in",
            },
            {"prefix": "52:54:00", "reason": "QEMU/KVM", "builtin": True, "source": "built-in"},
            {
                "prefix": "a2:b4:c6",
                "reason": "mesh repeater <upstairs>",
                "builtin": False,
                "source": "config",
            },
            {
                "prefix": "aa:00:04:00",
                "reason": "DECnet Phase IV",
                "builtin": True,
                "source": "built-in",
            },
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


def _randomized(client: TestClient, mac: str) -> bool:
    return bool(client.get(f"/api/devices/lan/{mac}").json()["device"]["randomized"])


def _sweep_again(engine: Engine, settings: Settings) -> None:
    later = SAMPLE_NOW.replace(minute=SAMPLE_NOW.minute + 1)
    capture = f"198.18.0.4\t{PHONE}\t(Unknown: locally administered)\n"
    ingest_text(engine, "arp-scan", "capture", capture, later, settings.policy)


@pytest.mark.usefixtures("swept")
def test_the_owner_adds_and_removes_a_prefix_over_the_api(
    client: TestClient, engine: Engine, settings: Settings
) -> None:
    assert _randomized(client, PHONE)
    added = client.post(
        "/api/settings/stable-mac-prefixes", json={"prefix": "AE-3F-91", "reason": "my VMs"}
    )
    assert added.status_code == 201, added.text
    assert added.json() == {
        "prefix": "ae:3f:91",
        "reason": "my VMs",
        "builtin": False,
        "source": "owner",
    }
    listed = client.get("/api/settings/stable-mac-prefixes").json()["prefixes"]
    assert {"prefix": "ae:3f:91", "reason": "my VMs", "builtin": False, "source": "owner"} in listed
    _sweep_again(engine, settings)  # the next run applies it
    assert not _randomized(client, PHONE)
    refusals = [
        ({"prefix": "ae:3f:91"}, "already a stable prefix"),
        ({"prefix": "52:54:00"}, "already a stable prefix"),
        ({"prefix": "00:16:3e"}, "universally administered"),
        ({"prefix": "zz"}, "not a MAC prefix"),
    ]
    for body, words in refusals:
        refused = client.post("/api/settings/stable-mac-prefixes", json=body)
        assert refused.status_code == 409 and words in refused.json()["detail"], body
    kept = client.delete("/api/settings/stable-mac-prefixes/a2:b4:c6")
    assert kept.status_code == 409 and "config file" in kept.json()["detail"]
    assert client.delete("/api/settings/stable-mac-prefixes/ae3f91").status_code == 204
    _sweep_again(engine, settings)
    assert _randomized(client, PHONE)


@pytest.mark.usefixtures("swept")
def test_the_owner_marks_a_prefix_stable_from_a_device_page(
    cookie_client: SessionClient,
) -> None:
    page = cookie_client.get(f"/devices/lan/{PHONE}").text
    assert "treat ae:3f:91 as stable" in page
    form = {
        "csrf": cookie_client.csrf,
        "prefix": "ae:3f:91",
        "reason": f"marked stable on {PHONE}",
        "next": f"/devices/lan/{PHONE}",
    }
    done = cookie_client.post("/stable-prefixes", data=form, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == f"/devices/lan/{PHONE}"
    status = cookie_client.get("/status").text
    assert f"marked stable on {PHONE}" in status and "added here" in status
    again = cookie_client.post("/stable-prefixes", data=form)
    assert again.status_code == 409 and "already a stable prefix" in again.text
    remove = {"csrf": cookie_client.csrf, "prefix": "ae:3f:91"}
    gone = cookie_client.post("/stable-prefixes/remove", data=remove, follow_redirects=False)
    assert gone.status_code == 303 and gone.headers["location"] == "/status"
    assert "added here" not in cookie_client.get("/status").text


def test_an_imported_device_is_judged_by_every_stable_prefix(client: TestClient) -> None:
    added = client.post("/api/settings/stable-mac-prefixes", json={"prefix": "7a:45:58"})
    assert added.status_code == 201
    csv = (
        "network,mac,name,group,note,status,flagged\r\n"
        "lan,7a:45:58:00:00:01,Repeater,,,known,\r\n"  # the owner's prefix
        "lan,a2:b4:c6:00:00:01,Mesh,,,known,\r\n"  # the config's
        "lan,ae:3f:91:00:00:01,Phone,,,known,\r\n"  # none: randomized
    )
    done = client.post("/api/import", content=csv, headers={"Content-Type": "text/csv"})
    assert done.status_code == 200, done.text
    assert not _randomized(client, "7a:45:58:00:00:01")
    assert not _randomized(client, "a2:b4:c6:00:00:01")
    assert _randomized(client, "ae:3f:91:00:00:01")
