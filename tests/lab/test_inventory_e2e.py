"""End to end in the namespace lab: live Kea leases and live arp-scan sweeps make the inventory.

Everything runs inside namespaces this test creates (addresses in 198.18.0.0/15); the
machine's own interfaces are never touched.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from lanventory.cli import main

from .netlab import Device, KeaServer, Lab, lab_available

pytestmark = pytest.mark.lab

MACS = {
    "nas": "00:16:3e:00:00:01",
    "pi": "b8:27:eb:00:00:02",
    "phone": "ae:3f:91:00:00:01",  # randomized (locally administered)
    "laptop": "3c:22:fb:00:00:04",
}


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    reason = lab_available()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"the network lab must run in CI: {reason}")
        pytest.skip(f"needs root and network namespaces to build the lab: {reason}")
    with Lab(tmp_path_factory.mktemp("lab")) as built:
        yield built


class Inventory:
    """The lanventory CLI on a private SQLite database."""

    def __init__(self, tmp: Path) -> None:
        self.db = f"sqlite:///{tmp / 'lab.db'}"
        (tmp / "empty.toml").write_text("")
        self.config = str(tmp / "empty.toml")

    def __call__(self, *args: str) -> str:
        result = CliRunner().invoke(
            main, ["--db", self.db, "--config", self.config, *args], catch_exceptions=False
        )
        assert result.exit_code == 0, result.output
        return result.output

    def ingest(self, fmt: str, path: Path) -> str:
        return self(
            "ingest", fmt, str(path), "--network", "lab", "--now", datetime.now(UTC).isoformat()
        )

    def devices(self) -> dict[str, dict[str, object]]:
        return {d["mac"]: d for d in json.loads(self("devices", "--json"))}


def sweep(lab: Lab, tmp: Path, name: str) -> Path:
    out = tmp / name
    out.write_text(lab.arp_scan())
    return out


def test_live_kea_and_arp_scan_build_the_inventory(lab: Lab, tmp_path: Path) -> None:
    devices: dict[str, Device] = {name: lab.add_device(name, mac) for name, mac in MACS.items()}
    kea: KeaServer = lab.start_kea()
    leased = {name: dev.dhcp() for name, dev in devices.items()}
    assert all(leased.values()), leased
    inv = Inventory(tmp_path)

    out = inv.ingest("kea-csv", kea.lease_file)
    assert "4 observations (4 active), 4 new" in out
    found = inv.devices()
    assert {mac: d["ip"] for mac, d in found.items()} == {MACS[n]: leased[n] for n in MACS}
    assert all(d["present"] and d["status"] == "new" for d in found.values())
    assert found[MACS["phone"]]["randomized"] and found[MACS["phone"]]["vendor"] is None
    assert found[MACS["pi"]]["vendor"] == "Raspberry Pi Foundation"

    out = inv.ingest("arp-scan", sweep(lab, tmp_path, "scan1.txt"))
    assert "4 observations (4 active), 0 new" in out and "0 moved, 0 absent" in out

    # The phone releases its lease and leaves; the laptop gets a new (randomized) MAC and asks
    # for the address the phone gave back.
    phone_ip = leased["phone"]
    devices["phone"].release()
    devices["phone"].unplug()
    devices["laptop"].set_mac("ae:3f:91:00:00:04")
    assert devices["laptop"].dhcp(requested_ip=phone_ip) == phone_ip
    kea.wait_for_rows(lambda rows: any(r["hwaddr"] == "ae:3f:91:00:00:04" for r in rows))

    out = inv.ingest("kea-csv", kea.lease_file)
    assert "1 new" in out and "1 moved" in out
    out = inv.ingest("arp-scan", sweep(lab, tmp_path, "scan2.txt"))
    # The phone's lease is gone and now the sweep misses it too: absent. The laptop's old MAC no
    # longer answers ARP either...
    assert "1 absent" in out
    found = inv.devices()
    assert found["ae:3f:91:00:00:04"]["ip"] == phone_ip and found["ae:3f:91:00:00:04"]["present"]
    assert found[MACS["phone"]]["ip"] is None and not found[MACS["phone"]]["present"]
    # ...but the old laptop MAC still holds an unexpired lease: Kea keeps it present.
    assert found[MACS["laptop"]]["present"]
    assert found[MACS["nas"]]["present"] and found[MACS["pi"]]["present"]
