"""End to end in the namespace lab: ``lanventory collect`` reads live DHCP servers and the
kernel's neighbour table, run as the real CLI inside the lab's core namespace.

One lab for the module: Kea (lease_cmds hook, control socket, Control Agent with basic
auth) serves ``lan`` on br0, dnsmasq serves ``lab2`` on br1.  Every test writes its own
config and SQLite database, so each inventory starts empty and reflects exactly one source.
The machine's own interfaces are never touched.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from lanventory.config import load_settings
from lanventory.service.writer import Writer
from lanventory.store.credentials import create_token
from lanventory.store.engine import create_engine
from lanventory.web.app import create_app
from lanventory.web.services import Services
from tests.web.conftest import TestClient

from .gate import lab_or_skip
from .netlab import LAB2, LAN, Device, DnsmasqServer, KeaCtrlAgent, KeaServer, Lab, LabInventory

pytestmark = pytest.mark.lab

SQUATTER = ("squatter", "00:16:3e:00:00:99", "198.18.0.100")  # static, on Kea's first pool address
KEA_CLIENTS = {  # name: (MAC, hostname)
    "nas": ("00:16:3e:00:00:01", "nas"),
    "pi": ("b8:27:eb:00:00:02", "raspberrypi"),
    "phone": ("ae:3f:91:00:00:01", "Pixel-7"),  # locally administered; releases its lease
    "laptop": ("3c:22:fb:00:00:04", "laptop"),  # renews
}
DNSMASQ_CLIENTS = {
    "printer": ("00:16:3e:00:01:01", "printer"),
    "tv": ("a8:23:fe:00:01:02", "LG-webOS-TV"),
    "tablet": ("f0:18:98:00:01:04", "tablet"),  # releases its lease
}


class World:
    """The module's lab after the DHCP story: who holds which lease right now."""

    def __init__(self, lab: Lab) -> None:
        self.lab = lab
        squatter_name, squatter_mac, squatter_ip = SQUATTER
        self.squatter = lab.add_device(squatter_name, squatter_mac, ip=squatter_ip)
        self.kea_clients = {
            n: lab.add_device(n, mac, hostname=host) for n, (mac, host) in KEA_CLIENTS.items()
        }
        self.dnsmasq_clients = {
            n: lab.add_device(n, mac, network="lab2", hostname=host)
            for n, (mac, host) in DNSMASQ_CLIENTS.items()
        }
        self.kea: KeaServer = lab.start_kea()
        self.agent: KeaCtrlAgent = lab.start_kea_ctrl_agent()
        self.dnsmasq: DnsmasqServer = lab.start_dnsmasq()
        for device in self.kea_clients.values():
            # ARP-probe each offer: the squatter answers for the first pool address, so the
            # first client declines it and Kea keeps a declined lease without a MAC.
            assert device.dhcp(arp_check=True), device
        for device in self.dnsmasq_clients.values():
            assert device.dhcp(), device
        self.laptop_renewed = self.kea_clients["laptop"].renew()
        self.phone_released = self.kea_clients["phone"].release()
        self.tablet_released = self.dnsmasq_clients["tablet"].release()

    def leased(self, network: str) -> dict[str, tuple[str, str | None]]:
        """MAC -> (leased IP, hostname) of every DHCP client of ``network`` holding a lease."""
        return {
            d.mac: (d.leased_ip, d.hostname)
            for d in self.lab.devices.values()
            if d.network.name == network and d.leased_ip is not None
        }


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    lab_or_skip("kea-ctrl-agent", "dnsmasq", "lease-cmds")
    with Lab(tmp_path_factory.mktemp("lab")) as lab:
        yield World(lab)


def lan(*sources: Mapping[str, Any]) -> dict[str, Any]:
    return {"name": "lan", "cidr": str(LAN.subnet), "interface": LAN.bridge, "sources": sources}


def lab2(*sources: Mapping[str, Any]) -> dict[str, Any]:
    return {"name": "lab2", "cidr": str(LAB2.subnet), "interface": LAB2.bridge, "sources": sources}


def summary(found: Mapping[str, Mapping[str, Any]]) -> dict[str, tuple[str, str | None]]:
    return {mac: (d["ip"], d["hostname"]) for mac, d in found.items() if d["present"]}


def kea_sources(world: World) -> dict[str, dict[str, Any]]:
    return {
        "kea-csv": {"type": "kea-csv", "path": str(world.kea.lease_file)},
        "kea-api-socket": {"type": "kea-api", "socket": str(world.kea.control_socket)},
        "kea-api-http": {
            "type": "kea-api",
            "url": world.agent.http_url,
            "username": world.agent.username,
            "password": world.agent.password,
        },
    }


@pytest.mark.parametrize("source", ["kea-csv", "kea-api-socket", "kea-api-http"])
def test_kea_sources_list_the_dhcp_clients(world: World, tmp_path: Path, source: str) -> None:
    inv = LabInventory(world.lab, tmp_path, [lan(kea_sources(world)[source])])
    inv("collect")
    found = inv.devices()
    expected = world.leased("lan")
    assert summary(found) == expected
    assert all(d["network"] == "lan" and d["status"] == "new" for d in found.values())
    clients = world.kea_clients
    # The released phone holds no lease: not present (a fresh inventory never saw it).
    assert clients["phone"].mac not in expected
    assert not found.get(clients["phone"].mac, {"present": False})["present"]
    # The renewed laptop is there with its renewed address.
    assert found[clients["laptop"].mac]["ip"] == world.laptop_renewed
    # Nobody is credited with the declined address; the squatter only answers ARP.
    assert SQUATTER[2] not in {d["ip"] for d in found.values()}
    assert found[clients["pi"].mac]["vendor"] == "Raspberry Pi Foundation"


def test_dnsmasq_leases_land_in_the_second_network(world: World, tmp_path: Path) -> None:
    source = {"type": "dnsmasq", "path": str(world.dnsmasq.lease_file)}
    inv = LabInventory(world.lab, tmp_path, [lan(), lab2(source)])
    inv("collect")
    found = inv.devices(network="lab2")
    assert summary(found) == world.leased("lab2")
    assert {d["network"] for d in found.values()} == {"lab2"}
    assert world.dnsmasq_clients["tablet"].mac not in summary(found)
    assert inv.devices(network="lan") == {}


def test_neigh_lists_reachable_neighbours(world: World, tmp_path: Path) -> None:
    targets: list[Device] = [world.squatter, *world.kea_clients.values()]
    live = [d for d in targets if d.ip is not None]
    world.lab.poke([str(d.ip) for d in live])
    inv = LabInventory(world.lab, tmp_path, [lan({"type": "neigh"})])
    inv("collect", "--source", "neigh")
    found = summary(inv.devices())
    for device in live:
        assert device.mac in found and found[device.mac][0] == device.ip, (device, found)
    assert set(found) <= {d.mac for d in world.lab.devices.values()}


def test_a_dhcp_client_moving_to_a_freed_address_keeps_its_identity(
    world: World, tmp_path: Path
) -> None:
    lab = world.lab
    mover = lab.add_device("mover", "00:16:3e:00:00:21", hostname="mover")
    leaver = lab.add_device("leaver", "00:16:3e:00:00:22", hostname="leaver")
    old_ip, freed_ip = mover.dhcp(), leaver.dhcp()
    assert old_ip and freed_ip
    inv = LabInventory(lab, tmp_path, [lan({"type": "kea-csv", "path": str(world.kea.lease_file)})])
    inv("collect")
    before = inv.devices()
    assert before[leaver.mac]["ip"] == freed_ip and before[mover.mac]["ip"] == old_ip

    # The leaver gives its address back and leaves; the mover leaves too, comes back and
    # asks for the freed address (Kea keeps offering a client its current lease otherwise).
    leaver.release()
    leaver.unplug()
    mover.release()
    assert mover.dhcp(requested_ip=freed_ip) == freed_ip
    inv("collect")
    after = inv.devices()
    assert after[mover.mac]["ip"] == freed_ip and after[mover.mac]["present"]
    assert after[mover.mac]["first_seen"] == before[mover.mac]["first_seen"]
    assert after[mover.mac]["hostname"] == "mover"
    assert after[leaver.mac]["ip"] is None and not after[leaver.mac]["present"]
    assert [d["mac"] for d in after.values() if d["ip"] == freed_ip] == [mover.mac]


def test_a_rotating_randomized_mac_becomes_a_new_device(world: World, tmp_path: Path) -> None:
    lab = world.lab
    phone = lab.add_device("rotator", "ae:3f:91:00:00:31", hostname="rotator")
    assert phone.dhcp()
    inv = LabInventory(
        lab, tmp_path, [lan({"type": "kea-api", "socket": str(world.kea.control_socket)})]
    )
    inv("collect")
    old_mac = phone.mac
    assert inv.devices()[old_mac]["randomized"]

    # The phone leaves the network (releasing), comes back with a new private MAC, leases.
    phone.release()
    new_mac = phone.rotate_mac()
    assert phone.dhcp()
    inv("collect")
    inv("collect")
    found = inv.devices()
    new = found[new_mac]
    assert new["status"] == "new" and new["randomized"] and new["present"]
    assert new["ip"] == phone.leased_ip and new["hostname"] == "rotator"
    assert not found[old_mac]["present"]


def test_a_rotated_mac_is_suggested_then_adopted_into_one_history(
    world: World, tmp_path: Path
) -> None:
    """A phone rotates its private MAC and asks for its old address back: the new MAC's
    page suggests the old one with its evidence, and adopting makes one device."""
    lab = world.lab
    phone = lab.add_device("annas-phone", "ae:3f:91:00:00:41", hostname="Annas-iPhone")
    old_ip = phone.dhcp()
    assert old_ip
    inv = LabInventory(
        lab, tmp_path, [lan({"type": "kea-api", "socket": str(world.kea.control_socket)})]
    )
    inv("collect")
    old_mac = phone.mac
    inv("edit", "lan", old_mac, "--name", "Anna's iPhone", "--group", "Phones", "--status", "known")

    phone.release()
    new_mac = phone.rotate_mac()
    assert phone.dhcp(requested_ip=old_ip) == old_ip
    inv("collect")

    with owner_api(inv) as api:
        body = api.get(f"/api/devices/lan/{new_mac}").json()
        assert body["device"]["status"] == "new" and body["device"]["randomized"]
        (suggestion,) = body["suggestions"]
        assert suggestion["mac"] == old_mac
        evidence = suggestion["evidence"]
        assert evidence[0] == "same hostname `annas-iphone`"  # as Kea stores it
        assert evidence[1].startswith("old MAC last seen") and "before the new one" in evidence[1]
        assert evidence[2] == f"took over {old_ip}"
        assert suggestion["score"] >= 0.85  # hostname, address, right after

        adopted = api.post(f"/api/devices/lan/{new_mac}/adopt", json={"predecessor": old_mac})
        assert adopted.status_code == 200, adopted.text
        body = adopted.json()
    device = body["device"]
    assert (device["name"], device["grp"], device["status"]) == ("Anna's iPhone", "Phones", "known")
    assert [p["mac"] for p in body["predecessors"]] == [old_mac]
    # One continuous history, oldest first: the old MAC's arrival and naming, the new
    # MAC's arrival, then the adoption (recorded under both MACs).
    story = [(e["mac"], e["type"]) for e in reversed(body["events"])]
    assert story[:3] == [(old_mac, "device_new"), (old_mac, "edited"), (new_mac, "device_new")]
    assert set(story[-2:]) == {(new_mac, "adopted"), (old_mac, "retired")}
    assert {(ip["mac"], ip["ip"]) for ip in body["ip_history"]} == {
        (old_mac, old_ip),
        (new_mac, old_ip),
    }
    # The next collection keeps one device for the phone.
    inv("collect")
    found = inv.devices("lan")
    assert old_mac not in found
    assert found[new_mac]["name"] == "Anna's iPhone" and found[new_mac]["present"]


@contextmanager
def owner_api(inv: LabInventory) -> Iterator[TestClient]:
    """The REST API in this process, on the inventory's own database, with an owner token."""
    settings = load_settings(inv.config)
    engine = create_engine(settings.database_url)
    token = create_token(engine, "lab", datetime.now(UTC))
    writer = Writer()
    services = Services(settings, engine, writer, lambda: datetime.now(UTC), {}.get)
    try:
        app = create_app(services, background=False)
        with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as client:
            yield client
    finally:
        writer.close()
        engine.dispose()
