"""A browse's instances, grouped per IPv4 address."""

from __future__ import annotations

from lanventory.names.mdns_hosts import MdnsHost, ServiceInstance, hosts_by_address, instance_label

PRINTER = "198.18.0.20"
TV = "198.18.0.21"

BROWSE = [
    ServiceInstance("_ipp._tcp.local.", "Lab Printer._ipp._tcp.local.", "labprinter.local.", (PRINTER,)),
    ServiceInstance("_airplay._tcp.local.", "Lab Printer._airplay._tcp.local.", "labprinter.local.", (PRINTER,)),
    ServiceInstance("_googlecast._tcp.local.", "Living Room TV._googlecast._tcp.local.", "tv-1234.local.", (TV, "fe80::1")),
    ServiceInstance("_ssh._tcp.local.", "nobody._ssh._tcp.local.", "nobody.local.", ()),
    ServiceInstance("bogus", "x.bogus", "bogus.local.", ("198.18.0.30",)),
]  # fmt: skip


def test_instances_are_grouped_by_address() -> None:
    hosts = hosts_by_address(BROWSE)
    assert hosts == {
        PRINTER: MdnsHost(
            PRINTER, "labprinter.local", ("Lab Printer",), ("_airplay._tcp", "_ipp._tcp")
        ),
        TV: MdnsHost(TV, "tv-1234.local", ("Living Room TV",), ("_googlecast._tcp",)),
    }
    assert hosts[PRINTER].group_hint == "Printers"
    assert hosts[TV].group_hint == "Media"


def test_an_instance_without_a_host_name_still_counts() -> None:
    hosts = hosts_by_address(
        [ServiceInstance("_hap._tcp.local.", "Lamp._hap._tcp.local.", None, (TV,))]
    )
    assert hosts[TV] == MdnsHost(TV, None, ("Lamp",), ("_hap._tcp",))


def test_instance_label_keeps_dots_in_the_instance() -> None:
    instance = ServiceInstance("_http._tcp.local.", "Web v1.2._http._tcp.local.", None, ())
    assert instance_label(instance) == "Web v1.2"
    odd = ServiceInstance("_http._tcp.local.", "elsewhere.", None, ())
    assert instance_label(odd) == "elsewhere"
