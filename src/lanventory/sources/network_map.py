"""Splitting one source's observations among the configured networks.

A DHCP server often serves several networks, and one lease file or API answer
then holds them all. Each observation goes to one configured network:

1. by its DHCP subnet id, when the server's subnet map knows the id: to the
   network whose CIDR holds that subnet (the most specific one);
2. otherwise by its IPv4 address: to the most specific network holding it.

An IPv6 address matches no (IPv4) CIDR: an IPv6 lease goes by its subnet id
(this relies on the server giving a segment's DHCPv4 and DHCPv6 subnets the
same id), or else to the one network where the same MAC's IPv4 lease went. What fits no network is reported as skipped ``unmapped``, never
guessed.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping

from lanventory.net import is_ipv6
from lanventory.sources.observation import Observation, ParseResult, Skip

Networks = Mapping[str, ipaddress.IPv4Network]
"""Configured networks: name -> CIDR."""
Subnets = Mapping[int, ipaddress.IPv4Network]
"""The DHCP server's subnets: id -> prefix (see :mod:`kea_subnets`)."""

UNMAPPED = "unmapped"


def _most_specific(
    networks: Networks, holds: Callable[[ipaddress.IPv4Network], bool]
) -> tuple[str | None, list[str]]:
    """The name of the longest matching CIDR, and every name tied with it."""
    matches = [(cidr.prefixlen, name) for name, cidr in networks.items() if holds(cidr)]
    if not matches:
        return None, []
    best = max(length for length, _ in matches)
    tied = [name for length, name in matches if length == best]
    return (tied[0] if len(tied) == 1 else None), tied


def _by_address(ip: str | None, networks: Networks) -> tuple[str | None, list[str]]:
    if ip is None or is_ipv6(ip):
        return None, []
    address = ipaddress.IPv4Address(ip)
    return _most_specific(networks, lambda cidr: address in cidr)


def network_of(
    observation: Observation, networks: Networks, subnets: Subnets | None
) -> tuple[str | None, list[str]]:
    """The configured network an observation belongs to (or None), and the
    names that matched equally well when more than one did."""
    subnet = None
    if subnets is not None and observation.subnet_id is not None:
        subnet = subnets.get(observation.subnet_id)
    if subnet is not None:
        found = _most_specific(networks, subnet.subnet_of)
        if found[1]:
            return found
    return _by_address(observation.ip, networks)


def _unmapped(where: str, what: str, tied: list[str]) -> Skip:
    why = f"matches {' and '.join(tied)} equally" if tied else "in no configured network"
    return Skip(where, UNMAPPED, f"{what}: {why}")


def assign(
    result: ParseResult, networks: Networks, subnets: Subnets | None = None
) -> tuple[dict[str, ParseResult], list[Skip]]:
    """Each configured network's share of ``result``, and what fits none.

    Every configured network gets a result (possibly empty) that keeps the
    input's ``lines``, ``complete``, ``error`` and skipped lines: they describe
    the input, which covered all of them. IP conflicts go by address.
    """
    shares = {
        name: ParseResult(
            skipped=list(result.skipped),
            lines=result.lines,
            error=result.error,
            complete=result.complete,
        )
        for name in networks
    }
    unmapped: list[Skip] = []
    placed: dict[str, set[str]] = {}
    later: list[tuple[Observation, list[str]]] = []
    for observation in result.observations:
        name, tied = network_of(observation, networks, subnets)
        if name is None:
            later.append((observation, tied))
            continue
        shares[name].observations.append(observation)
        placed.setdefault(observation.mac, set()).add(name)
    for observation, tied in later:
        homes = placed.get(observation.mac, set())
        if observation.ip is not None and is_ipv6(observation.ip) and len(homes) == 1:
            shares[next(iter(homes))].observations.append(observation)  # beside its IPv4 lease
            continue
        what = f"ip {observation.ip} subnet-id {observation.subnet_id} mac {observation.mac}"
        unmapped.append(_unmapped(f"{observation.source} {observation.ip}", what, tied))
    for conflict in result.conflicts:
        name, tied = _by_address(conflict.ip, networks)
        if name is None:
            what = f"ip conflict {conflict.ip} ({', '.join(conflict.macs)})"
            unmapped.append(_unmapped(conflict.where, what, tied))
            continue
        shares[name].conflicts.append(conflict)
    return shares, unmapped


def for_network(
    result: ParseResult, network: str, networks: Networks, subnets: Subnets | None = None
) -> tuple[ParseResult, list[Skip]]:
    """One configured network's share of ``result``, and what fits no network.

    Raises ValueError when ``network`` is not among ``networks``.
    """
    if network not in networks:
        known = ", ".join(networks) or "none"
        raise ValueError(f"network {network!r} is not configured (configured networks: {known})")
    shares, unmapped = assign(result, networks, subnets)
    return shares[network], unmapped
