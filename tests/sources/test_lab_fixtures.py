"""Real output recorded in the namespace lab (Kea 2.2.0, busybox udhcpc, arp-scan 1.10.0)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from lanventory.collect.files import read_texts
from lanventory.sources import arp_scan, kea_csv
from tests.conftest import fixture_path


def scenario(fmt: str, name: str) -> dict[str, object]:
    return json.loads(fixture_path(fmt, name).read_text())


def test_kea_220_lab_capture() -> None:
    story = scenario("kea-csv", "lab-kea-2.2.0-leases4.scenario.json")
    now = datetime.fromtimestamp(story["captured_at"], UTC)  # type: ignore[arg-type]
    result = kea_csv.parse(read_texts([fixture_path("kea-csv", story["lease_file"])]), now)  # type: ignore[arg-type]
    assert result.error is None and result.complete and result.skipped == []
    expected = story["expected_at_capture"]
    active = {(o.mac, o.ip) for o in result.observations if o.active}
    assert active == {(e["mac"], e["ip"]) for e in expected["active"]}  # type: ignore[index]
    released = {e["mac"] for e in expected["released"]}  # type: ignore[index]
    assert not released & {o.mac for o in result.observations}  # a release deletes the lease
    assert all(o.client_id == "01:" + o.mac for o in result.observations)


def test_arp_scan_1100_lab_captures() -> None:
    story = scenario("arp-scan", "lab-arp-scan-1.10.0.scenario.json")
    now = datetime.fromtimestamp(story["captured_at"], UTC)  # type: ignore[arg-type]
    hosts = {(h["ip"], h["mac"]) for h in story["hosts"]}  # type: ignore[attr-defined]
    for layout, name in story["files"].items():  # type: ignore[attr-defined]
        result = arp_scan.parse(read_texts([fixture_path("arp-scan", name)]), now)
        assert result.error is None and result.complete and result.skipped == [], layout
        assert {(o.ip, o.mac) for o in result.observations} == hosts
        assert arp_scan.detect_layout(fixture_path("arp-scan", name).read_text()).value == layout
