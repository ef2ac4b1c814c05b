"""Kea's DHCPv4 subnets by id, from a ``config-get`` or ``subnet4-list`` answer.

Leases name their subnet only by id. ``config-get`` (always available) lists
subnets in two places: top-level ``Dhcp4.subnet4[]`` and, for subnets inside a
shared network, only ``Dhcp4["shared-networks"][].subnet4[]``::

    {"result": 0, "arguments": {"Dhcp4": {
        "subnet4": [{"id": 1, "subnet": "192.168.1.0/24"}],
        "shared-networks": [{"name": "iot", "subnet4": [{"id": 20, "subnet": "192.168.20.0/24"}]}]}}}

``subnet4-list`` (the subnet_cmds hook) gives ``arguments.subnets[]`` with
``id``, ``subnet`` and ``shared-network-name``.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from lanventory.sources.kea_api import RESULT_EMPTY, RESULT_SUCCESS, read_answer


@dataclass(frozen=True, slots=True)
class KeaSubnet:
    """One Kea DHCPv4 subnet: its id, prefix and shared network (if any)."""

    id: int
    network: ipaddress.IPv4Network
    shared_network: str | None = None


def _subnet(entry: object, shared_network: str | None, where: str) -> KeaSubnet:
    if not isinstance(entry, dict):
        raise ValueError(f"{where}: a subnet is not an object: {entry!r}")
    subnet_id, prefix = entry.get("id"), entry.get("subnet")
    if type(subnet_id) is not int or not isinstance(prefix, str):
        raise ValueError(f"{where}: a subnet without an integer 'id' and a 'subnet': {entry!r}")
    try:
        network = ipaddress.IPv4Network(prefix, strict=False)
    except ValueError:
        raise ValueError(f"{where}: subnet {subnet_id} is not an IPv4 prefix: {prefix!r}") from None
    name = entry.get("shared-network-name", shared_network)
    return KeaSubnet(subnet_id, network, name if isinstance(name, str) and name else None)


def _list(value: object, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError(f"{where} is not a list")
    return value


def _from_config(dhcp4: object) -> list[KeaSubnet]:
    if not isinstance(dhcp4, dict):
        raise ValueError("config-get: arguments.Dhcp4 is not an object")
    subnets = [
        _subnet(entry, None, "Dhcp4.subnet4")
        for entry in _list(dhcp4.get("subnet4"), "Dhcp4.subnet4")
    ]
    for shared in _list(dhcp4.get("shared-networks"), "Dhcp4.shared-networks"):
        if not isinstance(shared, dict):
            raise ValueError(f"Dhcp4.shared-networks: an entry is not an object: {shared!r}")
        name = shared.get("name")
        where = f"Dhcp4.shared-networks[{name}].subnet4"
        subnets += [
            _subnet(entry, name if isinstance(name, str) else None, where)
            for entry in _list(shared.get("subnet4"), where)
        ]
    return subnets


def read_subnets(text: str) -> list[KeaSubnet]:
    """Every DHCPv4 subnet in a ``config-get`` or ``subnet4-list`` answer (bare
    or list-wrapped). Raises ValueError saying what is wrong with the answer."""
    answer = read_answer(text, "subnet list")
    code = answer["result"]
    if code == RESULT_EMPTY:
        return []
    if code != RESULT_SUCCESS:
        raise ValueError(f"Kea answered with an error (result {code}): {answer.get('text')}")
    arguments = answer.get("arguments")
    if isinstance(arguments, dict) and "Dhcp4" in arguments:
        subnets = _from_config(arguments["Dhcp4"])
    elif isinstance(arguments, dict) and "subnets" in arguments:
        subnets = [
            _subnet(entry, None, "subnets")
            for entry in _list(arguments["subnets"], "arguments.subnets")
        ]
    else:
        raise ValueError(
            "neither a config-get answer of kea-dhcp4 (arguments.Dhcp4) nor a subnet4-list "
            "answer (arguments.subnets)"
        )
    seen: set[int] = set()
    for subnet in subnets:
        if subnet.id in seen:
            raise ValueError(f"subnet id {subnet.id} appears twice")
        seen.add(subnet.id)
    return subnets


def parse_subnets(text: str) -> dict[int, ipaddress.IPv4Network]:
    """Subnet id -> prefix, from a ``config-get`` or ``subnet4-list`` answer.

    >>> parse_subnets('{"result": 0, "arguments": {"subnets": [{"id": 1, "subnet": "10.0.0.0/8"}]}}')
    {1: IPv4Network('10.0.0.0/8')}
    """
    return {subnet.id: subnet.network for subnet in read_subnets(text)}
