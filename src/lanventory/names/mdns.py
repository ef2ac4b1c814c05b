"""One mDNS/DNS-SD browse on a network's interface (IPv4 only): the only part that listens.

It asks which service types are present (``_services._dns-sd._udp.local.``),
browses each of them, and resolves every instance found, all within about
``seconds``. Grouping the instances by address is
:func:`lanventory.names.mdns_hosts.hosts_by_address`'s job.
"""

from __future__ import annotations

import ipaddress
import logging
import threading
import time
from collections.abc import Callable

from lanventory.names.mdns_hosts import ServiceInstance

_LOGGER = logging.getLogger(__name__)

#: ``browse(address, seconds)``: the instances found by listening on ``address`` (tests pass a fake).
Browse = Callable[[str, float], list[ServiceInstance]]


class MdnsError(Exception):
    """The browse could not run (no such address, socket refused)."""


def interface_address(interface: str, network: ipaddress.IPv4Network) -> str:
    """The interface's IPv4 address inside ``network``; MdnsError if it has none."""
    import ifaddr

    for adapter in ifaddr.get_adapters():
        if adapter.nice_name != interface and adapter.name != interface:
            continue
        for address in adapter.ips:
            if isinstance(address.ip, str) and ipaddress.IPv4Address(address.ip) in network:
                return address.ip
    raise MdnsError(f"interface {interface} has no IPv4 address in {network}")


def browse(address: str, seconds: float) -> list[ServiceInstance]:
    """Every DNS-SD instance answering on the interface that holds ``address``."""
    from zeroconf import IPVersion, ServiceBrowser, ServiceStateChange, Zeroconf
    from zeroconf import ZeroconfServiceTypes as ServiceTypes

    try:
        zc = Zeroconf(interfaces=[address], ip_version=IPVersion.V4Only)
    except OSError as error:
        raise MdnsError(f"mDNS on {address}: {error}") from None
    try:
        started = time.monotonic()
        types = sorted(ServiceTypes.find(zc=zc, timeout=seconds / 2))
        found: set[tuple[str, str]] = set()
        lock = threading.Lock()

        def added(
            zeroconf: Zeroconf, service_type: str, name: str, state_change: ServiceStateChange
        ) -> None:
            del zeroconf
            if state_change is not ServiceStateChange.Removed:
                with lock:
                    found.add((service_type, name))

        browser = ServiceBrowser(zc, types, handlers=[added]) if types else None
        time.sleep(max(0.0, seconds - (time.monotonic() - started)))
        if browser is not None:
            browser.cancel()
        instances = []
        with lock:
            pending = sorted(found)
        for service_type, name in pending:
            info = zc.get_service_info(service_type, name, timeout=1000)
            if info is None:
                _LOGGER.info("mDNS: %s did not resolve", name)
                continue
            instances.append(
                ServiceInstance(
                    service_type=service_type,
                    name=name,
                    server=info.server,
                    addresses=tuple(info.parsed_addresses(IPVersion.V4Only)),
                )
            )
        return instances
    finally:
        zc.close()
