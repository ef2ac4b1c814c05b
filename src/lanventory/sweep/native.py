"""lanventory's own ARP sweep over a raw ``AF_PACKET`` socket.

One sweep of a configured network: pass 1 sends a who-has request to every
address of its CIDR, in a shuffled order, at the planned rate; it then waits
one reply window. Each later pass re-sends only to the addresses that have
not answered, at the rate :class:`~lanventory.sweep.pacing.RatePlan` picks
from the evidence of loss so far. The sweep stops when a pass finds nobody
new (or after ``max_rounds`` passes). Two MACs answering for one address are
reported as a conflict. Needs ``CAP_NET_RAW``.
"""

from __future__ import annotations

import errno
import fcntl
import ipaddress
import os
import random
import select
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from lanventory.collect.error import CollectError
from lanventory.net import parse_mac
from lanventory.network_config import NetworkConfig
from lanventory.sources.observation import IpConflict, Observation, ParseResult
from lanventory.sweep.arp_frame import ETH_P_ARP, parse_reply, request, request_template
from lanventory.sweep.pacing import PassReport, RatePlan

SOURCE = "native"
_SIOCGIFADDR = 0x8915
_SIOCGIFHWADDR = 0x8927
_PACKET_OUTGOING = 4
_BATCH = 64
QUIET = 0.1
"""A reply window ends this long after the last reply (and never before MIN_WINDOW)."""
MIN_WINDOW = 0.15
PARALLEL_RATE = 5_000
"""Passes planned at least this fast (packets per second) are sent from several threads."""
PARALLEL_FRAMES = 1_000

PRIVILEGE_HINT = (
    "the native sweeper needs CAP_NET_RAW: run lanventory as root, or as a service with "
    "AmbientCapabilities=CAP_NET_RAW (see docs/deploy.md); or sweep with engine = "
    '"arp-scan" after `sudo setcap cap_net_raw+ep /usr/sbin/arp-scan`'
)


@dataclass(slots=True)
class SweepStats:
    """What a sweep did, for the run record and the summary line."""

    interface: str
    cidr: str
    sent: int = 0
    answered: int = 0
    duplicates: int = 0
    rounds: int = 0
    duration: float = 0.0
    rates: list[int] = field(default_factory=list)
    found_per_round: list[int] = field(default_factory=list)
    learned_rate: int | None = None
    estimates: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """``sent N, answered M, rounds R, rate P pps, D s``."""
        rates = "/".join(str(rate) for rate in self.rates) or "-"
        found = "+".join(str(count) for count in self.found_per_round) or "0"
        text = (
            f"sent {self.sent}, answered {self.answered} ({found}), rounds {self.rounds}, "
            f"rate {rates} pps, {self.duration:.2f} s"
        )
        if self.learned_rate is not None:
            text += f"; next sweep starts at {self.learned_rate} pps"
        return text


@dataclass(slots=True)
class SweepOutcome:
    """The observations of a sweep and its figures."""

    result: ParseResult
    stats: SweepStats


def _no_such_interface(name: str) -> CollectError:
    return CollectError(
        f"interface {name!r} does not exist on this host: set the network's "
        "'interface' to one `ip link` lists"
    )


def _interface(sock: socket.socket, name: str) -> tuple[str, str | None]:
    """The interface's MAC and primary IPv4 address (None if it has none)."""
    packed = struct.pack("256s", name.encode()[:15])
    try:
        hwaddr = fcntl.ioctl(sock.fileno(), _SIOCGIFHWADDR, packed)
    except OSError as error:
        if error.errno == errno.ENODEV:
            raise _no_such_interface(name) from None
        raise CollectError(f"interface {name!r}: {error.strerror}") from None
    mac = hwaddr[18:24].hex(":")
    try:
        address = fcntl.ioctl(sock.fileno(), _SIOCGIFADDR, packed)
    except OSError:
        return mac, None
    return mac, socket.inet_ntoa(address[20:24])


def _open(interface: str) -> socket.socket:
    try:
        sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ARP))
    except PermissionError:
        raise CollectError(PRIVILEGE_HINT) from None
    try:
        sock.bind((interface, ETH_P_ARP))
    except OSError as error:
        sock.close()
        if error.errno == errno.ENODEV:
            raise _no_such_interface(interface) from None
        raise CollectError(f"cannot bind to {interface!r}: {error.strerror}") from None
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    sock.setblocking(False)
    return sock


@dataclass(slots=True)
class _Sweep:
    """The state of one sweep while it runs."""

    sock: socket.socket
    interface: str
    our_mac: str
    our_ip: int | None
    targets: frozenset[int]
    clock: Callable[[], float]
    answered: dict[int, str] = field(default_factory=dict)
    conflicts: dict[int, set[str]] = field(default_factory=dict)
    duplicates: int = 0
    replies: int = 0
    last_reply: float = 0.0
    new_in_pass: list[tuple[int, float]] = field(default_factory=list)
    pass_start: float = 0.0
    send_seconds: float = 0.0
    position: dict[int, int] = field(default_factory=dict)
    buffer: bytearray = field(default_factory=lambda: bytearray(2048))

    def drain(self) -> None:
        """Read every frame waiting on the socket."""
        view = memoryview(self.buffer)
        while True:
            try:
                size, address = self.sock.recvfrom_into(view)
            except BlockingIOError:
                return
            except InterruptedError:
                continue
            if address[2] == _PACKET_OUTGOING:
                continue
            reply = parse_reply(bytes(view[:size]))
            if reply is None:
                continue
            ip = int(ipaddress.IPv4Address(reply.sender_ip))
            if ip not in self.targets or reply.target_mac != self.our_mac:
                continue
            if self.our_ip is not None and int(ipaddress.IPv4Address(reply.target_ip)) != (
                self.our_ip
            ):
                continue
            self.replies += 1
            self.last_reply = self.clock()
            known = self.answered.get(ip)
            if known is None:
                self.answered[ip] = reply.sender_mac
                if ip in self.position:
                    self.new_in_pass.append((self.position[ip], self.last_reply - self.pass_start))
            elif known == reply.sender_mac:
                self.duplicates += 1
            else:
                self.conflicts.setdefault(ip, {known}).add(reply.sender_mac)

    def wait(self, seconds: float) -> None:
        """Sleep up to ``seconds``, reading replies as they come."""
        if seconds > 0:
            select.select([self.sock], [], [], seconds)
        self.drain()

    def send_pass(self, order: list[int], rate: int, template: bytearray) -> int:
        """Send to every address of ``order`` at ``rate`` per second; returns frames sent.

        Fast passes are sent from several threads, one per CPU: where the
        kernel itself fans each broadcast out (a bridge flooding it to every
        port) the work lands on the sending CPU, and one CPU would cap the rate.
        """
        self.position = {ip: index for index, ip in enumerate(order)}
        self.new_in_pass = []
        self.pass_start = self.clock()
        senders = sender_count(rate, len(order))
        if senders == 1:
            _paced(self.sock, order, rate, template, self.clock, self.wait)
            self.send_seconds = self.clock() - self.pass_start
            return len(order)
        sockets = [_open_sender(self.interface) for _ in range(senders)]
        failures: list[CollectError] = []

        def send_share(index: int) -> None:
            try:
                share, own = order[index::senders], bytearray(template)
                _paced(sockets[index], share, rate / senders, own, self.clock, time.sleep)
            except CollectError as error:
                failures.append(error)

        threads = [threading.Thread(target=send_share, args=(i,)) for i in range(senders)]
        try:
            for thread in threads:
                thread.start()
            while any(thread.is_alive() for thread in threads):
                self.wait(0.005)
            for thread in threads:
                thread.join()
            self.send_seconds = self.clock() - self.pass_start
        finally:
            for sock in sockets:
                sock.close()
        if failures:
            raise failures[0]
        return len(order)

    def reply_window(self, timeout: float) -> None:
        """Wait for late replies: until the line is quiet, at most ``timeout``."""
        last_send = self.clock()
        self.last_reply = 0.0
        while True:
            now = self.clock()
            end = max(last_send + MIN_WINDOW, self.last_reply + QUIET)
            end = min(end, last_send + timeout)
            if now >= end:
                return
            self.wait(end - now)


def sender_count(rate: float, frames: int) -> int:
    """Threads to send a pass with: one per CPU (at most 4) for fast, long passes."""
    if rate < PARALLEL_RATE or frames < PARALLEL_FRAMES:
        return 1
    return max(1, min(4, os.cpu_count() or 1))


def _send(sock: socket.socket, frame: bytes) -> None:
    while True:
        try:
            sock.send(frame)
            return
        except BlockingIOError:
            select.select([], [sock], [], 0.01)
        except InterruptedError:
            continue
        except OSError as error:
            raise CollectError(f"sending on the interface failed: {error.strerror}") from None


def _paced(
    sock: socket.socket,
    order: list[int],
    rate: float,
    template: bytearray,
    clock: Callable[[], float],
    idle: Callable[[float], object],
) -> None:
    """Send a request to each address of ``order``, ``rate`` per second, in small batches."""
    start = clock()
    sent = 0
    while sent < len(order):
        due = min(len(order), int((clock() - start) * rate) + 1, sent + _BATCH)
        if due <= sent:
            idle((sent + 1) / rate - (clock() - start))
            continue
        for ip in order[sent:due]:
            _send(sock, request(template, ip))
        sent = due
        idle(0)


def _open_sender(interface: str) -> socket.socket:
    """A send-only packet socket on ``interface`` (protocol 0: it receives nothing)."""
    try:
        sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
        sock.bind((interface, 0))
    except PermissionError:
        raise CollectError(PRIVILEGE_HINT) from None
    except OSError as error:
        raise CollectError(f"cannot send on {interface!r}: {error.strerror}") from None
    return sock


def sweep(
    network: NetworkConfig,
    *,
    plan: RatePlan,
    timeout: float,
    max_rounds: int,
    now: datetime,
    clock: Callable[[], float] = time.monotonic,
    seed: int | None = None,
) -> SweepOutcome:
    """Sweep a configured network; raises CollectError when it cannot be swept."""
    interface, cidr = network.interface, network.cidr
    if interface is None:
        raise CollectError(f"network {network.name!r} has no 'interface' to sweep on")
    limit = network.sweep.max_prefix if network.sweep is not None else 16
    if cidr.prefixlen < limit:
        raise CollectError(
            f"refusing to sweep {cidr}: it is larger than the limit /{limit} (sweep.max_prefix)"
        )
    sock = _open(interface)
    try:
        our_mac, our_ip_text = _interface(sock, interface)
        our_ip = int(ipaddress.IPv4Address(our_ip_text)) if our_ip_text else None
        hosts = [int(address) for address in cidr.hosts()] if cidr.prefixlen < 31 else []
        if cidr.prefixlen >= 31:
            hosts = [int(address) for address in cidr]
        targets = frozenset(ip for ip in hosts if ip != our_ip)
        state = _Sweep(sock, interface, our_mac, our_ip, targets, clock)
        template = request_template(our_mac, our_ip_text or "0.0.0.0")
        stats = SweepStats(interface=interface, cidr=str(cidr))
        rng = random.Random(seed)
        passes: list[PassReport] = []
        started = clock()
        rate = plan.first_rate()
        state.drain()  # anything queued before we started is not ours
        while stats.rounds < max_rounds:
            order = [ip for ip in targets if ip not in state.answered]
            if not order:
                break
            rng.shuffle(order)
            stats.sent += state.send_pass(order, rate, template)
            state.reply_window(timeout)
            stats.rounds += 1
            stats.rates.append(rate)
            found = sorted(state.new_in_pass)
            passes.append(
                PassReport(
                    rate,
                    len(order),
                    tuple(position for position, _ in found),
                    tuple(seconds for _, seconds in found),
                    state.send_seconds,
                )
            )
            stats.found_per_round.append(passes[-1].found)
            if stats.rounds > 1 and passes[-1].found == 0:
                break
            rate = plan.next_rate(passes)
        stats.duration = clock() - started
        stats.answered = len(state.answered)
        stats.duplicates = state.duplicates
        stats.learned_rate = plan.learned_rate(passes)
        stats.estimates = list(plan.estimates)
    finally:
        sock.close()
    return SweepOutcome(_result(state, now, stats), stats)


def _result(state: _Sweep, now: datetime, stats: SweepStats) -> ParseResult:
    result = ParseResult(lines=state.replies)
    for ip, mac in sorted(state.answered.items()):
        checked = parse_mac(mac)
        if checked.mac is None:
            continue
        result.observations.append(
            Observation(
                mac=checked.mac, ip=str(ipaddress.IPv4Address(ip)), source=SOURCE, seen_at=now
            )
        )
    where = f"native sweep of {stats.cidr} on {stats.interface}"
    for ip, macs in sorted(state.conflicts.items()):
        result.conflicts.append(
            IpConflict(str(ipaddress.IPv4Address(ip)), tuple(sorted(macs)), where)
        )
    return result
