"""What an mDNS/DNS-SD browse found, gathered per IPv4 address. Pure.

A browse yields service instances (``Lab Printer._ipp._tcp.local.`` on host
``labprinter.local.`` at 198.18.0.20); a device is known by its address, so
the instances are grouped by the addresses their host announced.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

from lanventory.names.services import group_hint, short_type


@dataclass(frozen=True, slots=True)
class ServiceInstance:
    """One resolved DNS-SD instance, as the responder announced it."""

    service_type: str
    """``_ipp._tcp.local.``"""
    name: str
    """``Lab Printer._ipp._tcp.local.``"""
    server: str | None
    """The host name, ``labprinter.local.``"""
    addresses: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class MdnsHost:
    """Everything one IPv4 address advertised."""

    ip: str
    name: str | None
    """The host name without its trailing dot (``labprinter.local``)."""
    instances: tuple[str, ...]
    """Instance labels, e.g. ``Lab Printer``."""
    services: tuple[str, ...]
    """Short service types, e.g. ``_ipp._tcp``, sorted."""

    @property
    def group_hint(self) -> str | None:
        """The group the services suggest (see :mod:`lanventory.names.services`)."""
        return group_hint(self.services)


def instance_label(instance: ServiceInstance) -> str:
    """The instance's own label: its name without the service type.

    >>> instance_label(ServiceInstance("_ipp._tcp.local.", "Lab Printer._ipp._tcp.local.", None, ()))
    'Lab Printer'
    """
    suffix = "." + instance.service_type.rstrip(".")
    name = instance.name.rstrip(".")
    if name.lower().endswith(suffix.lower()):
        return name[: -len(suffix)]
    return name


def _ipv4(text: str) -> str | None:
    try:
        return str(ipaddress.IPv4Address(text))
    except ValueError:
        return None


def hosts_by_address(instances: Iterable[ServiceInstance]) -> dict[str, MdnsHost]:
    """The browse's instances grouped by each IPv4 address they were announced at.

    Instances without an address or of a malformed type are left out; a
    host name seen for an address more than once keeps the first in sorted order.
    """
    names: dict[str, set[str]] = {}
    labels: dict[str, set[str]] = {}
    services: dict[str, set[str]] = {}
    for instance in instances:
        short = short_type(instance.service_type)
        if short is None:
            continue
        for text in instance.addresses:
            ip = _ipv4(text)
            if ip is None:
                continue
            services.setdefault(ip, set()).add(short)
            labels.setdefault(ip, set()).add(instance_label(instance))
            if instance.server:
                names.setdefault(ip, set()).add(instance.server.rstrip("."))
    return {
        ip: MdnsHost(
            ip=ip,
            name=min(names[ip]) if names.get(ip) else None,
            instances=tuple(sorted(labels[ip])),
            services=tuple(sorted(found)),
        )
        for ip, found in sorted(services.items())
    }
