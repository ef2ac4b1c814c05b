"""End to end in the namespace lab: `lanventory names` asks a real DNS server for PTR records
and browses real mDNS responders, run as the CLI inside the lab's core namespace.

The lab's DNS server (dnsmasq, DNS only, no upstream) and the mDNS responder (zeroconf,
inside the printer's own namespace) live in namespaces this module creates, at addresses in
198.18.0.0/15; no query or mDNS packet reaches the machine's own interfaces.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from lanventory.store.device_names import advertised_services, names_of
from lanventory.store.engine import create_engine
from lanventory.store.tables import devices

from .gate import lab_or_skip
from .netlab import DNS_IP, LAN, Lab, LabError, LabInventory, write_lanventory_config

pytestmark = pytest.mark.lab

PUBLISHER = Path(__file__).with_name("mdns_publisher.py")
HOSTS = {  # name: (MAC, IP, PTR name or None)
    "printer": ("00:16:3e:00:00:20", "198.18.0.20", "printer.lab"),
    "pc": ("00:16:3e:00:00:21", "198.18.0.21", "pc.lab"),
    "quiet": ("00:16:3e:00:00:22", "198.18.0.22", None),
}
PRINTER_MAC = HOSTS["printer"][0]


def lan(**names: Any) -> dict[str, Any]:
    return {
        "name": "lan",
        "cidr": str(LAN.subnet),
        "interface": LAN.bridge,
        "sources": [{"type": "neigh"}],
        "names": {"timeout": 1.0, "browse_seconds": 2.0, **names},
    }


class World:
    """The lab: three static hosts, the DNS server, the printer's mDNS responder, and an
    inventory that knows the hosts (from the neighbour table) with the printer named."""

    def __init__(self, lab: Lab, directory: Path) -> None:
        self.lab = lab
        for name, (mac, ip, _) in HOSTS.items():
            lab.add_device(name, mac, ip=ip)
        lab.start_dns({ptr: ip for _, ip, ptr in HOSTS.values() if ptr})
        printer = lab.devices["printer"]
        log = lab.workdir / "mdns-printer.log"
        printer.spawn(
            [
                sys.executable, str(PUBLISHER), HOSTS["printer"][1], "labprinter",
                "_ipp._tcp=Lab Printer:631", "_airplay._tcp=Lab Printer:7000",
            ],
            log_name=log.name,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while "registered" not in (log.read_text() if log.exists() else ""):
            if time.monotonic() > deadline:
                raise LabError(f"the mDNS responder did not start:\n{log.read_text()}")
            time.sleep(0.05)
        self.inventory = LabInventory(lab, directory, [lan(resolver=DNS_IP)])
        lab.poke([ip for _, ip, _ in HOSTS.values()])
        self.inventory("collect")
        self.inventory("edit", "lan", PRINTER_MAC, "--name", "Office printer")

    def stored(self) -> dict[str, dict[str, Any]]:
        """MAC -> owner name and every stored name with its source and services."""
        engine = create_engine(f"sqlite:///{self.inventory.directory / 'lanventory.db'}")
        try:
            with engine.connect() as connection:
                rows = connection.execute(select(devices.c.id, devices.c.mac, devices.c.name))
                owners = {row.id: (row.mac, row.name) for row in rows}
                found = names_of(connection, owners)
        finally:
            engine.dispose()
        return {
            mac: {
                "owner": owner,
                "names": [(n.source, n.name) for n in found.get(device_id, [])],
                "services": advertised_services(found.get(device_id, [])),
            }
            for device_id, (mac, owner) in owners.items()
        }


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    lab_or_skip("dnsmasq")
    with Lab(tmp_path_factory.mktemp("lab")) as lab:
        yield World(lab, tmp_path_factory.mktemp("inventory"))


def test_names_come_from_reverse_dns_and_mdns_and_the_owner_name_stays(world: World) -> None:
    proc = world.inventory.run("names")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "lan <- names: 3 devices with IPv4, reverse DNS 2 named, mDNS 1 found"
    printer_line = next(line for line in lines if PRINTER_MAC in line)
    assert "owner: Office printer" in printer_line
    assert "reverse DNS: printer.lab" in printer_line
    assert "mDNS: labprinter.local [_airplay._tcp _ipp._tcp]" in printer_line
    assert "group hint: Printers" in printer_line

    stored = world.stored()
    assert stored[PRINTER_MAC] == {
        "owner": "Office printer",
        "names": [("mdns", "labprinter.local"), ("ptr", "printer.lab")],
        "services": ["_airplay._tcp", "_ipp._tcp"],
    }
    assert stored[HOSTS["pc"][0]] == {"owner": None, "names": [("ptr", "pc.lab")], "services": []}
    assert stored[HOSTS["quiet"][0]] == {"owner": None, "names": [], "services": []}
    assert world.lab.dns is not None
    assert "query[PTR] 20.0.18.198.in-addr.arpa from 198.18.0.1" in world.lab.dns.log_text()


def test_an_unreachable_resolver_fails_clearly_and_changes_nothing(world: World) -> None:
    before = world.stored()
    config = write_lanventory_config(
        world.inventory.directory / "wrong-resolver.toml",
        data_dir=world.inventory.directory,
        networks=[lan(resolver="198.18.0.99", timeout=0.5, mdns=False)],
    )
    proc = world.lab.run_lanventory(["names"], config)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "reverse DNS FAILED for 3: PTR 198.18.0.2" in proc.stdout
    assert "no answer from 198.18.0.99 within 0.5 s" in proc.stdout
    assert world.stored() == before
