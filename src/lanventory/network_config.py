"""The networks an owner declares: their CIDR, interface, sweep and sources.

Nothing is ever swept unless it is declared here. In the TOML file::

    [[networks]]
    name = "lan"
    cidr = "192.168.1.0/24"
    interface = "br-lan"

    [networks.sweep]            # optional
    engine = "native"           # or "arp-scan"
    rate = 0                    # packets per second; 0 = adaptive
    schedule = "7 * * * *"

    [networks.names]            # optional: reverse DNS and mDNS names
    resolver = "192.168.1.1"

    [[networks.sources]]
    type = "kea-csv"
    path = "/var/lib/kea/kea-leases4.csv"
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from lanventory.inventory.model import check_network_name

SWEEP_SCHEDULE = "7 * * * *"
"""Sweeps run hourly at minute 7 unless a schedule is given."""
FILE_SCHEDULE = "* * * * *"
"""Lease files and the neighbour table are looked at every minute."""
NAMES_SCHEDULE = "*/15 * * * *"
"""Names (reverse DNS, mDNS) are looked up every 15 minutes unless a schedule is given."""


def check_schedule(value: str) -> str:
    """A cron expression, or a ValueError saying what is wrong.

    Five fields, or six where the sixth gives seconds (``* * * * * */10``:
    every ten seconds).
    """
    from croniter import croniter  # only when a schedule is written out

    if len(value.split()) not in (5, 6) or not croniter.is_valid(value):
        raise ValueError(
            f"{value!r} is not a cron expression: use five fields "
            "'minute hour day-of-month month day-of-week', e.g. '7 * * * *' "
            "(a sixth field gives seconds)"
        )
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SweepConfig(_Strict):
    """How a network is swept (ARP) and when."""

    engine: Literal["native", "arp-scan"] = "native"
    rate: int = Field(
        default=0,
        ge=0,
        le=1_000_000,
        description="Packets per second; 0 = adaptive (start fast, learn what the network takes).",
    )
    schedule: str = SWEEP_SCHEDULE
    max_prefix: int = Field(
        default=16,
        ge=8,
        le=32,
        description="The largest network the native sweeper accepts (a /16 by default).",
    )
    timeout: float = Field(
        default=0.5, gt=0, le=10, description="Seconds to wait for late replies after a pass."
    )
    max_rounds: int = Field(default=6, ge=1, le=20, description="Passes at most per sweep.")
    arp_scan: str = Field(default="arp-scan", description="The arp-scan binary.")

    _schedule = field_validator("schedule")(check_schedule)


class NamesConfig(_Strict):
    """Names for devices that send no DHCP hostname: reverse DNS and mDNS, and when."""

    resolver: ipaddress.IPv4Address | None = Field(
        default=None,
        description="The DNS server asked for PTR records (e.g. the router); "
        "needed for reverse_dns.",
    )
    reverse_dns: bool = Field(default=True, description="Look up each device's PTR record.")
    mdns: bool = Field(
        default=True, description="Browse mDNS/DNS-SD on the network's interface (IPv4)."
    )
    schedule: str = NAMES_SCHEDULE
    timeout: float = Field(default=2.0, gt=0, le=30, description="Seconds per PTR query.")
    browse_seconds: float = Field(
        default=3.0, gt=0, le=60, description="How long one mDNS browse listens."
    )

    _schedule = field_validator("schedule")(check_schedule)

    @model_validator(mode="after")
    def _resolver_needed(self) -> NamesConfig:
        if self.reverse_dns and self.resolver is None:
            raise ValueError(
                "reverse_dns needs 'resolver' (the DNS server's address), or set reverse_dns = false"
            )
        return self


class _Source(_Strict):
    schedule: str = FILE_SCHEDULE

    _schedule = field_validator("schedule")(check_schedule)


class KeaCsvSource(_Source):
    """Kea's memfile lease file (its LFC siblings are found beside it)."""

    type: Literal["kea-csv"]
    path: Path
    path6: Path | None = Field(default=None, description="kea-leases6.csv, read in the same run.")


class KeaApiSource(_Source):
    """Kea's lease_cmds over the control socket or HTTP."""

    type: Literal["kea-api"]
    socket: Path | None = None
    url: str | None = None
    username: str | None = None
    password: str | None = None
    page_size: int | None = Field(default=None, ge=1, le=100_000)
    timeout: float = Field(default=10.0, gt=0)

    @model_validator(mode="after")
    def _one_transport(self) -> KeaApiSource:
        if (self.socket is None) == (self.url is None):
            raise ValueError("give exactly one of 'socket' (control socket path) or 'url'")
        if self.url is not None and not self.url.startswith(("http://", "https://")):
            raise ValueError(f"url {self.url!r} must start with http:// or https://")
        if (self.username is None) != (self.password is None):
            raise ValueError("give both 'username' and 'password', or neither")
        return self


class DnsmasqSource(_Source):
    """dnsmasq's lease file."""

    type: Literal["dnsmasq"]
    path: Path


class IscDhcpdSource(_Source):
    """ISC dhcpd's ``dhcpd.leases``."""

    type: Literal["isc-dhcpd"]
    path: Path


class NeighSource(_Source):
    """The kernel neighbour table: ``ip -j neigh`` on the interface, or a /proc/net/arp file."""

    type: Literal["neigh"]
    path: Path | None = None


SourceConfig = Annotated[
    KeaCsvSource | KeaApiSource | DnsmasqSource | IscDhcpdSource | NeighSource,
    Field(discriminator="type"),
]


class NetworkConfig(_Strict):
    """One L2 segment: name, CIDR, interface, sweep and sources."""

    name: str
    cidr: ipaddress.IPv4Network
    interface: str | None = None
    sweep: SweepConfig | None = None
    names: NamesConfig | None = None
    sources: list[SourceConfig] = Field(default_factory=list)
    #: Adopt a new randomized MAC by itself when the evidence is unambiguous
    #: (see :func:`lanventory.inventory.adoption.unambiguous`).
    auto_adopt: bool = False

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return check_network_name(value)

    @field_validator("cidr", mode="before")
    @classmethod
    def _cidr(cls, value: object) -> object:
        if isinstance(value, str):
            try:
                return ipaddress.IPv4Network(value)
            except ValueError:
                try:
                    suggestion = ipaddress.IPv4Network(value, strict=False)
                except ValueError:
                    raise ValueError(
                        f"{value!r} is not an IPv4 network (e.g. 192.168.1.0/24)"
                    ) from None
                raise ValueError(
                    f"{value!r} has host bits set: did you mean {suggestion}?"
                ) from None
        return value

    @model_validator(mode="after")
    def _interface_needed(self) -> NetworkConfig:
        if self.interface is None:
            if self.sweep is not None:
                raise ValueError("a network with a sweep needs 'interface'")
            if any(isinstance(s, NeighSource) and s.path is None for s in self.sources):
                raise ValueError("a neigh source without 'path' needs the network's 'interface'")
            if self.names is not None and self.names.mdns:
                raise ValueError(
                    "mDNS names need the network's 'interface' (or names.mdns = false)"
                )
        if self.sweep is not None and self.cidr.prefixlen < self.sweep.max_prefix:
            raise ValueError(
                f"cidr {self.cidr} is larger than the sweep limit /{self.sweep.max_prefix}: "
                f"sweeping {self.cidr.num_addresses} addresses is refused; split the network or "
                "raise sweep.max_prefix"
            )
        return self

    def source(self, kind: str) -> SourceConfig | None:
        """The first source of this type, if any."""
        return next((s for s in self.sources if s.type == kind), None)


def check_networks(networks: list[NetworkConfig]) -> list[NetworkConfig]:
    """Network names must be unique."""
    seen: set[str] = set()
    for network in networks:
        if network.name in seen:
            raise ValueError(f"network name {network.name!r} is declared twice")
        seen.add(network.name)
    return networks
