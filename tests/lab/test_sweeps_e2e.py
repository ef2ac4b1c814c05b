"""End to end in the namespace lab: ``lanventory scan`` sweeps br0 with arp-scan and with
the native engine, run as the real CLI inside the lab's core namespace; and both engines
fail with an actionable message when the tool or the privilege is missing.

One lab for the module: static devices plus Kea clients on br0.  Every test writes its own
config and SQLite database.  The machine's own interfaces are never touched.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .gate import lab_or_skip
from .netlab import LAN, Device, Lab, LabInventory

pytestmark = pytest.mark.lab

STATIC = {  # name: (MAC, IP) -- hosts that only answer ARP
    "nas": ("00:16:3e:00:00:01", "198.18.0.10"),
    "printer": ("00:16:3e:00:00:02", "198.18.0.11"),
    "camera": ("b8:27:eb:00:00:03", "198.18.0.12"),
}
DHCP = {"laptop": "3c:22:fb:00:00:04", "phone": "ae:3f:91:00:00:05"}
ENGINES = ["arp-scan", "native"]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    lab_or_skip("setpriv", "lease-cmds")
    with Lab(tmp_path_factory.mktemp("lab")) as built:
        for name, (mac, ip) in STATIC.items():
            built.add_device(name, mac, ip=ip)
        built.start_kea()
        for name, mac in DHCP.items():
            assert built.add_device(name, mac).dhcp()
        yield built


def lan(engine: str) -> dict[str, Any]:
    return {
        "name": "lan",
        "cidr": str(LAN.subnet),
        "interface": LAN.bridge,
        "sweep": {"engine": engine},
    }


def live(lab: Lab) -> dict[str, str]:
    """MAC -> IP of every device on br0 that is plugged in and has an address."""
    return {
        d.mac: d.ip
        for d in lab.devices.values()
        if d.network is LAN and d.ip is not None and d.name not in unplugged
    }


unplugged: set[str] = set()


def present(inv: LabInventory) -> dict[str, str]:
    return {mac: d["ip"] for mac, d in inv.devices().items() if d["present"]}


def unplug(device: Device) -> None:
    device.unplug()
    unplugged.add(device.name)


def plug(device: Device) -> None:
    device.plug()
    unplugged.discard(device.name)


@pytest.mark.parametrize("engine", ENGINES)
def test_sweeps_find_exactly_the_live_devices(lab: Lab, tmp_path: Path, engine: str) -> None:
    inv = LabInventory(lab, tmp_path, [lan(engine)])
    out = inv("scan", "--engine", engine)
    assert out.startswith(f"lan <- {engine}"), out
    assert present(inv) == live(lab)

    camera = lab.devices["camera"]
    unplug(camera)
    try:
        inv("scan", "--engine", engine)
        found = inv.devices()
        assert not found[camera.mac]["present"]
        assert present(inv) == live(lab)
    finally:
        plug(camera)


def test_a_static_device_readdressed_keeps_its_identity(lab: Lab, tmp_path: Path) -> None:
    inv = LabInventory(lab, tmp_path, [lan("arp-scan")])
    inv("scan")
    before = inv.devices()
    nas, printer = lab.devices["nas"], lab.devices["printer"]
    old_ip, printer_ip = nas.ip, printer.ip
    # The printer leaves; the NAS is re-addressed to the printer's old IP.
    unplug(printer)
    try:
        nas.set_ip(printer_ip)
        inv("scan")
        after = inv.devices()
        assert after[nas.mac]["ip"] == printer_ip and after[nas.mac]["present"]
        assert after[nas.mac]["first_seen"] == before[nas.mac]["first_seen"]
        assert after[printer.mac]["ip"] is None and not after[printer.mac]["present"]
    finally:
        nas.set_ip(old_ip)
        plug(printer)


def test_a_rotated_randomized_mac_is_new_and_the_old_one_absent(lab: Lab, tmp_path: Path) -> None:
    inv = LabInventory(lab, tmp_path, [lan("native")])
    inv("scan")
    phone = lab.devices["phone"]
    old_mac, ip = phone.mac, phone.ip
    assert inv.devices()[old_mac]["randomized"]
    new_mac = phone.rotate_mac()  # keeps its address; the old MAC stops answering
    inv("scan")
    found = inv.devices()
    assert found[new_mac]["status"] == "new" and found[new_mac]["randomized"]
    assert found[new_mac]["present"] and found[new_mac]["ip"] == ip
    assert not found[old_mac]["present"]


def test_a_missing_arp_scan_says_how_to_install_it(lab: Lab, tmp_path: Path) -> None:
    # The collector also looks in /usr/local/sbin:/usr/sbin:/sbin (cron and systemd PATHs
    # lack them), so a bare PATH cannot hide the installed arp-scan: name one that is absent.
    network = lan("arp-scan")
    network["sweep"]["arp_scan"] = str(tmp_path / "missing" / "arp-scan")
    inv = LabInventory(lab, tmp_path, [network])
    proc = inv.run("scan", "--engine", "arp-scan", env={"PATH": str(Path(sys.executable).parent)})
    output = proc.stdout + proc.stderr
    assert proc.returncode == 1, output
    assert "FAILED" in output and "apt install arp-scan" in output, output


@pytest.mark.parametrize("engine", ENGINES)
def test_sweeping_without_cap_net_raw_explains_the_privilege(
    lab: Lab, tmp_path: Path, engine: str
) -> None:
    inv = LabInventory(lab, tmp_path, [lan(engine)])
    proc = inv.run("scan", "--engine", engine, drop_caps=("net_raw",))
    output = proc.stdout + proc.stderr
    assert proc.returncode == 1, output
    assert "FAILED" in output, output
    advice = "setcap cap_net_raw+ep" if engine == "arp-scan" else "CAP_NET_RAW"
    assert advice in output, output
