"""The rows of an IP-keyed ``dhcp_leases`` table as MAC-keyed devices, per network.

The old router web UI kept one row per IP address (``ip_address INET UNIQUE``,
later one per ``(network, mac_address)``)::

     id | network | ip_address   | mac_address       | hostname | lease_start         | last_seen
    ----+---------+--------------+-------------------+----------+---------------------+--------------------
     17 | lan     | 192.168.1.23 | 3c:22:fb:12:34:56 | anna-mbp | 2025-11-02 08:14:00 | 2025-11-16 21:40:12

so one device could own several rows (an address per move) and rows could
disagree. :func:`plan_import` keeps the most recent row of each
``(network, mac)`` as the device, sends every address to its IP history,
settles two devices claiming one address (the most recent holder keeps it)
and skips, with a reason, rows whose MAC identifies nothing.
"""

from __future__ import annotations

import ipaddress
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from lanventory.inventory.model import check_network_name
from lanventory.net import parse_ipv4, parse_mac
from lanventory.stable_macs import DEFAULT_STABLE_PREFIXES, is_rotating

#: The source name of the import: run records and ``imported`` events carry it.
SOURCE = "legacy-dhcp-leases"
#: The columns that say when a row was last true, best first.
SEEN_COLUMNS = ("last_seen", "updated_at", "lease_end", "expires", "lease_start", "created_at")
#: The columns that say when a row was first true.
FIRST_COLUMNS = ("first_seen", "created_at", "lease_start")
#: Every time column the import understands.
TIME_COLUMNS = tuple(dict.fromkeys(SEEN_COLUMNS + FIRST_COLUMNS))
#: Longer hostnames are cut to the length of the ``devices.hostname`` column.
MAX_HOSTNAME = 255

_DAWN = datetime.min.replace(tzinfo=UTC)
_MAC_REASONS = {"all-zero": "zero-mac"}


class LegacyImportError(ValueError):
    """The table cannot be imported as asked; the message lists every problem."""


@dataclass(frozen=True, slots=True)
class LeaseRow:
    """One row of the legacy table, as the reader hands it over.

    ``mac`` and ``ip`` are the database's text forms (``mac_address::text``,
    ``host(ip_address)``); ``times`` holds the row's non-NULL time columns
    (see :data:`TIME_COLUMNS`) as timezone-aware datetimes.
    """

    network: str | None
    mac: str | None
    ip: str | None = None
    hostname: str | None = None
    id: int | None = None
    times: Mapping[str, datetime] = field(default_factory=dict)

    def seen_at(self, now: datetime) -> datetime | None:
        """When the row was last true: its best time column that is not in the future.

        A lease end still ahead of ``now`` says nothing about when the device
        was last there, so the next column (``lease_start``, ``created_at``) is used.
        """
        for column in SEEN_COLUMNS:
            value = self.times.get(column)
            if value is not None and value <= now:
                return value
        return None

    def first_at(self, now: datetime) -> datetime | None:
        """When the row was first true: the earliest of its first-time columns and ``seen_at``."""
        found = [t for c in FIRST_COLUMNS if (t := self.times.get(c)) is not None and t <= now]
        seen = self.seen_at(now)
        if seen is not None:
            found.append(seen)
        return min(found, default=None)


Span = tuple[datetime | None, datetime | None]


@dataclass(slots=True)
class PlannedDevice:
    """One ``(network, mac)`` as the legacy rows describe it.

    ``ip`` is the most recent row's IPv4 address, unless a more recent device
    holds it; ``history`` maps every address the rows gave the device to the
    first and last time they say so (None where the table has no time).
    """

    mac: str
    ip: str | None
    hostname: str | None
    first_seen: datetime | None
    last_seen: datetime | None
    rows: int
    history: dict[str, Span] = field(default_factory=dict)
    recency: tuple[datetime, int, str] = (_DAWN, -1, "")

    @property
    def randomized(self) -> bool:
        """A locally administered MAC (set U/L bit)."""
        return is_rotating(self.mac, DEFAULT_STABLE_PREFIXES)  # the next run applies the config's


@dataclass(slots=True)
class IpConflict:
    """Several devices whose most recent rows claim one address: the first keeps it."""

    ip: str
    holder: str
    losers: tuple[str, ...]


@dataclass(slots=True)
class NetworkPlan:
    """What the rows of one (mapped) network become."""

    network: str
    legacy_names: list[str] = field(default_factory=list)
    rows: int = 0
    devices: dict[str, PlannedDevice] = field(default_factory=dict)
    skipped: Counter[str] = field(default_factory=Counter)
    conflicts: list[IpConflict] = field(default_factory=list)
    unusable_ips: int = 0

    @property
    def merged(self) -> int:
        """Rows folded into a device another row already stands for."""
        return self.rows - sum(self.skipped.values()) - len(self.devices)


@dataclass(slots=True)
class ImportPlan:
    """Every network's plan, plus the rows that name no network at all."""

    networks: dict[str, NetworkPlan] = field(default_factory=dict)
    rows: int = 0
    without_network: int = 0


def _address(text: str | None) -> tuple[str | None, str | None, bool]:
    """``(ipv4 for the ip column, address for the history, usable)`` of a row's address."""
    if text is None or not text.strip():
        return None, None, True
    bare = text.strip().split("/", 1)[0]
    ipv4 = parse_ipv4(bare)
    if ipv4 is not None:
        return ipv4, ipv4, True
    try:
        v6 = ipaddress.IPv6Address(bare)
    except ValueError:
        return None, None, False
    if v6.is_link_local or v6.is_loopback or v6.is_unspecified or v6.is_multicast:
        return None, None, False
    return None, v6.compressed, True


def _hostname(text: str | None) -> str | None:
    cleaned = (text or "").strip()
    return cleaned[:MAX_HOSTNAME] or None


def _widen(span: Span, first: datetime | None, last: datetime | None) -> Span:
    low = min((t for t in (span[0], first) if t is not None), default=None)
    high = max((t for t in (span[1], last) if t is not None), default=None)
    return low, high


def _targets(
    names: Counter[str], network_map: Mapping[str, str], configured: Collection[str]
) -> dict[str, str]:
    """The lanventory network of each legacy network name; every problem raised at once."""
    problems = []
    stray = sorted(set(network_map) - set(names))
    if stray:
        have = ", ".join(repr(n) for n in sorted(names)) or "none"
        problems.append(
            f"--network-map names networks the table does not have: "
            f"{', '.join(repr(n) for n in stray)} (its networks: {have})"
        )
    targets: dict[str, str] = {}
    not_slugs: list[str] = []
    for name in sorted(names):
        target = network_map.get(name, name)
        try:
            targets[name] = check_network_name(target)
        except ValueError:
            if name in network_map:
                problems.append(f"--network-map {name}={target}: {target!r} is not a slug")
            else:
                count = names[name]
                not_slugs.append(f"{name!r} ({count} row{'' if count == 1 else 's'})")
    if not_slugs:
        problems.append(
            "networks whose names are not lanventory network names (lowercase letters, digits, "
            f"'-' and '_'): {', '.join(not_slugs)}; map each with --network-map OLD=NEW"
        )
    if configured:
        unknown = sorted({t for t in targets.values() if t not in configured})
        if unknown:
            problems.append(
                f"networks that are not configured: {', '.join(repr(n) for n in unknown)} "
                f"(configured networks: {', '.join(sorted(configured))}); map each with "
                "--network-map OLD=NEW or add it to the config file"
            )
    if problems:
        raise LegacyImportError("\n".join(problems))
    return targets


def _device(mac: str, rows: list[LeaseRow], plan: NetworkPlan, now: datetime) -> PlannedDevice:
    """The device the rows of one MAC describe: its most recent row wins."""

    def order(row: LeaseRow) -> tuple[datetime, int, str, str]:
        seen = row.seen_at(now)
        return (seen or _DAWN, -1 if row.id is None else row.id, row.ip or "", row.hostname or "")

    ordered = sorted(rows, key=order)
    history: dict[str, Span] = {}
    for row in ordered:
        _, address, usable = _address(row.ip)
        plan.unusable_ips += not usable
        if address is not None:
            history[address] = _widen(history.get(address, (None, None)), *_spans(row, now))
    latest = ordered[-1]
    hostnames = [name for row in ordered if (name := _hostname(row.hostname))]
    firsts = [t for row in ordered if (t := row.first_at(now)) is not None]
    lasts = [t for row in ordered if (t := row.seen_at(now)) is not None]
    top = order(latest)
    return PlannedDevice(
        mac=mac,
        ip=_address(latest.ip)[0],
        hostname=hostnames[-1] if hostnames else None,
        first_seen=min(firsts, default=None),
        last_seen=max(lasts, default=None),
        rows=len(rows),
        history=history,
        recency=(top[0], top[1], mac),
    )


def _spans(row: LeaseRow, now: datetime) -> tuple[datetime | None, datetime | None]:
    return row.first_at(now), row.seen_at(now)


def _settle_ips(plan: NetworkPlan) -> None:
    """One holder per address: the device whose latest row is most recent keeps it."""
    claims: dict[str, list[PlannedDevice]] = {}
    for device in plan.devices.values():
        if device.ip is not None:
            claims.setdefault(device.ip, []).append(device)
    for ip, claimants in sorted(claims.items()):
        if len(claimants) < 2:
            continue
        claimants.sort(key=lambda d: d.recency, reverse=True)
        for loser in claimants[1:]:
            loser.ip = None
        plan.conflicts.append(IpConflict(ip, claimants[0].mac, tuple(d.mac for d in claimants[1:])))


def plan_import(
    rows: Iterable[LeaseRow],
    *,
    now: datetime,
    network_map: Mapping[str, str] | None = None,
    configured: Collection[str] = (),
) -> ImportPlan:
    """Turn legacy rows into one :class:`NetworkPlan` per lanventory network.

    Legacy network names go through ``network_map`` (old name to new); a name
    that is not a slug and is not mapped, a mapped name that is not among
    ``configured`` (when networks are configured) or a map entry the table does
    not use raises :class:`LegacyImportError` listing them all. Rows whose MAC
    is all-zero, broadcast, multicast, malformed or missing are skipped and
    counted by reason.
    """
    rows = list(rows)
    names = Counter(r.network for r in rows if r.network is not None and r.network.strip())
    targets = _targets(names, network_map or {}, configured)
    plan = ImportPlan(rows=len(rows))
    by_mac: dict[str, dict[str, list[LeaseRow]]] = {}
    for row in rows:
        if row.network is None or not row.network.strip():
            plan.without_network += 1
            continue
        network = targets[row.network]
        per_network = plan.networks.get(network)
        if per_network is None:
            per_network = plan.networks[network] = NetworkPlan(network)
        if row.network not in per_network.legacy_names:
            per_network.legacy_names.append(row.network)
        per_network.rows += 1
        parsed = parse_mac(row.mac or "")
        if row.mac is None or not row.mac.strip():
            per_network.skipped["no-mac"] += 1
        elif parsed.mac is None:
            reason = parsed.reason or "malformed"
            per_network.skipped[_MAC_REASONS.get(reason, f"{reason}-mac")] += 1
        else:
            by_mac.setdefault(network, {}).setdefault(parsed.mac, []).append(row)
    for network, macs in by_mac.items():
        per_network = plan.networks[network]
        for mac in sorted(macs):
            per_network.devices[mac] = _device(mac, macs[mac], per_network, now)
        _settle_ips(per_network)
    for per_network in plan.networks.values():
        per_network.legacy_names.sort()
    plan.networks = dict(sorted(plan.networks.items()))
    return plan
