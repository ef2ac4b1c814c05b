"""Self-test of the namespace lab: Kea hands out leases, arp-scan sees every device."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from .netlab import Lab, iter_lab_namespaces, lab_available

pytestmark = pytest.mark.lab

MACS = {
    "xen1": "00:16:3e:00:00:01",
    "xen2": "00:16:3e:00:00:02",
    "rand": "ae:3f:91:00:00:01",  # locally administered
}


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    reason = lab_available()
    if reason is not None:
        pytest.skip(reason)
    with Lab(tmp_path) as lab:
        yield lab


def test_dhcp_and_arp_scan(lab: Lab) -> None:
    devices = [lab.add_device(name, mac) for name, mac in MACS.items()]
    kea = lab.start_kea()

    leased = {d.mac: d.dhcp() for d in devices}
    assert all(ip is not None for ip in leased.values()), leased
    assert len(set(leased.values())) == len(devices)

    lease_text = kea.leases_text()
    assert lease_text.startswith("address,hwaddr,client_id,valid_lifetime,expire,subnet_id,")
    rows = {(r["hwaddr"], r["address"]) for r in kea.rows()}
    for mac, ip in leased.items():
        assert mac in lease_text
        assert (mac, ip) in rows

    out = lab.arp_scan()
    for mac, ip in leased.items():
        assert re.search(rf"^{re.escape(str(ip))}\t{mac}\t", out, re.MULTILINE), out
    last = out.rstrip("\n").splitlines()[-1]
    assert re.match(
        rf"^Ending arp-scan \S+: 256 hosts scanned in .* {len(devices)} responded$", last
    ), last


def test_cleanup_removes_namespaces(tmp_path: Path) -> None:
    reason = lab_available()
    if reason is not None:
        pytest.skip(reason)
    with pytest.raises(RuntimeError, match="boom"):
        with Lab(tmp_path) as lab:
            lab.add_device("pc", "00:16:3e:00:00:09", ip="198.18.0.9")
            lab.start_kea()
            owned = lab.namespaces()
            assert len(owned) == 2
            raise RuntimeError("boom")
    assert lab.kea is not None and not lab.kea.running
    assert not set(owned) & set(iter_lab_namespaces())


def test_kea_api_dnsmasq_decline_and_neighbours(lab: Lab) -> None:
    if lab_available("kea-ctrl-agent", "dnsmasq", "lease-cmds") is not None:
        pytest.skip(str(lab_available("kea-ctrl-agent", "dnsmasq", "lease-cmds")))
    squatter = lab.add_device("squat", "00:16:3e:00:00:99", ip="198.18.0.100")
    client = lab.add_device("client", MACS["xen1"], hostname="client")
    other = lab.add_device("other", MACS["xen2"], network="lab2", hostname="other")
    kea = lab.start_kea()
    agent = lab.start_kea_ctrl_agent()
    dnsmasq = lab.start_dnsmasq()

    # The squatter answers the client's ARP probe of 198.18.0.100: the client declines it.
    assert client.dhcp(arp_check=True) == "198.18.0.101"
    leases = kea.command("lease4-get-all")["arguments"]["leases"]
    states = {lease["ip-address"]: (lease["state"], lease["hw-address"]) for lease in leases}
    assert states == {"198.18.0.100": (1, ""), "198.18.0.101": (0, client.mac)}
    over_http = json.loads(agent.command_raw("lease4-get-all"))
    assert over_http[0]["arguments"]["leases"] == leases
    shared = kea.command("config-get")["arguments"]["Dhcp4"]["shared-networks"]
    assert [s["id"] for s in shared[0]["subnet4"]] == [1]

    ip = other.dhcp()
    assert ip is not None and ip.startswith("198.18.1.")
    assert [(r["mac"], r["ip"], r["hostname"]) for r in dnsmasq.rows()] == [
        (other.mac, ip, "other")
    ]
    other.release()
    assert dnsmasq.rows() == []

    lab.poke([str(squatter.ip), str(client.ip)])
    neighbours = {e["dst"]: e["lladdr"] for e in json.loads(lab.neigh_json())}
    assert neighbours == {"198.18.0.100": squatter.mac, "198.18.0.101": client.mac}
    assert f"198.18.0.100     0x1         0x2         {squatter.mac}" in lab.proc_net_arp()


def test_mac_rotation_and_network_checks(lab: Lab) -> None:
    phone = lab.add_device("phone", MACS["rand"], ip="198.18.0.12")
    new_mac = phone.rotate_mac()
    assert new_mac != MACS["rand"] and int(new_mac[:2], 16) & 0b11 == 0b10
    assert phone.ip == "198.18.0.12"
    with pytest.raises(ValueError, match="locally administered"):
        phone.rotate_mac("00:16:3e:00:00:42")
    with pytest.raises(ValueError, match="not a host address"):
        lab.add_device("far", "00:16:3e:00:00:43", ip="198.18.1.10")  # lan is 198.18.0.0/24
    with pytest.raises(ValueError, match="outside the lab range"):
        lab.add_device("out", "00:16:3e:00:00:44", ip="192.168.1.10", network="lab2")
