"""A throw-away LAN built from Linux network namespaces, for lanventory's lab tests.

Topology (nothing is ever created in the host's root network namespace)::

    <prefix>-core namespace                     <prefix>-<device> namespaces
    +----------------------------------+
    | br0  198.18.0.1/24  ("lan")      |        +---------------------------+
    |  |-- port1 ===== veth ========================== eth0  <mac> [ip/24]  |
    |  |-- port2 ===== veth ===== ...   |        +---------------------------+
    |  `-- stub0 == stub1 (keeps br0   |
    |      running while it has no     |        <prefix>-dnsmasq namespace
    |      devices; Kea needs that)    |        +---------------------------+
    | br1  198.18.1.1/24  ("lab2")     |        | eth0 198.18.1.2/24        |
    |  |-- port<n> ===== veth ========================= dnsmasq (DHCP only)  |
    |  |-- port<m> ===== veth ===== ... |        +---------------------------+
    |  `-- stub2 == stub3               |
    | kea-dhcp4, kea-ctrl-agent,        |
    | arp-scan, lanventory run here     |
    +----------------------------------+

Every address lives in 198.18.0.0/15 (RFC 2544 benchmarking space).  ``kea-dhcp4``,
``kea-ctrl-agent``, ``arp-scan`` and lanventory only ever run inside the core namespace,
``dnsmasq`` inside its own lab namespace, ``udhcpc`` only inside a device namespace, so no
packet can reach a real interface of the machine.

``Lab.start_dns`` adds a DNS-only dnsmasq (A and PTR records, no upstream) in its own
``<prefix>-dns`` namespace at 198.18.0.53 on ``br0``; ``Device.spawn`` runs a long-lived
process (e.g. an mDNS responder) inside a device namespace until the lab closes.

dnsmasq cannot share the core namespace with Kea: in raw-socket mode Kea also binds a
fallback UDP socket to 198.18.0.1:67 without ``SO_REUSEADDR``, and dnsmasq binds
0.0.0.0:67, so whichever starts second fails.  It sits on ``br1`` like a router box instead.

Usage::

    with Lab(tmp_path) as lab:
        pc = lab.add_device("pc", "00:16:3e:00:00:01", hostname="pc")
        kea = lab.start_kea()
        ip = pc.dhcp()
        rows = kea.rows()
        answer = kea.command("lease4-get-all")
        text = lab.arp_scan()
        proc = lab.run_lanventory(["collect"], config)

Leaving the ``with`` block stops every process the lab started and deletes its namespaces,
also when the block raised.
"""

from __future__ import annotations

import csv
import functools
import glob
import io
import ipaddress
import itertools
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self

__all__ = [
    "BRIDGE",
    "BRIDGE_IP",
    "BRIDGE_MAC",
    "LAB2",
    "LAB_SUBNET",
    "LAN",
    "NETWORKS",
    "Device",
    "DnsServer",
    "DnsmasqServer",
    "KeaCtrlAgent",
    "KeaServer",
    "Lab",
    "LabError",
    "LabNetwork",
    "LabInventory",
    "iter_lab_namespaces",
    "lab_available",
    "random_la_mac",
    "write_lanventory_config",
]


@dataclass(frozen=True, slots=True)
class LabNetwork:
    """One lab LAN: a bridge in the core namespace, its address and its /24."""

    name: str
    """The lanventory network name the lab's configs use for it."""
    bridge: str
    bridge_ip: str
    bridge_mac: str
    """Fixed (locally administered) bridge MAC, so a sweep's header line is reproducible."""
    subnet: ipaddress.IPv4Network
    stub: tuple[str, str]
    """The veth pair that keeps the bridge running while it has no devices."""


LAN = LabNetwork(
    "lan", "br0", "198.18.0.1", "02:00:c6:12:00:01", ipaddress.IPv4Network("198.18.0.0/24"),
    ("stub0", "stub1"),
)  # fmt: skip
"""The first network: Kea serves it; arp-scan and lanventory sweep it."""
LAB2 = LabNetwork(
    "lab2", "br1", "198.18.1.1", "02:00:c6:12:01:01", ipaddress.IPv4Network("198.18.1.0/24"),
    ("stub2", "stub3"),
)  # fmt: skip
"""The second network: dnsmasq serves it from its own namespace."""
NETWORKS: Mapping[str, LabNetwork] = {net.name: net for net in (LAN, LAB2)}

LAB_SUBNET = LAN.subnet
"""The first network's subnet: the bridge, the static devices and the Kea pool live here."""
_SAFE_SUPERNET = ipaddress.IPv4Network("198.18.0.0/15")
BRIDGE = LAN.bridge
BRIDGE_IP = LAN.bridge_ip
BRIDGE_MAC = LAN.bridge_mac
DEVICE_IFNAME = "eth0"
DEFAULT_POOL = "198.18.0.100 - 198.18.0.199"
DNSMASQ_IP = "198.18.1.2"
DNSMASQ_MAC = "02:00:c6:12:01:02"
DNS_IP = "198.18.0.53"
"""The lab's DNS server (:meth:`Lab.start_dns`), on the ``lan``."""
DNS_MAC = "02:00:c6:12:00:35"
DEFAULT_DNSMASQ_RANGE = "198.18.1.100,198.18.1.199,1h"
KEA_SUBNET_ID = 1
KEA_SHARED_NETWORK = "lab-lan"
CTRL_AGENT_PORT = 8000
NS_PREFIX = "lvlab"

_EXTRA_PATH = ("/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/bin", "/bin")
_BINARIES: Mapping[str, str] = {  # binary -> Debian package providing it
    "ip": "iproute2",
    "kea-dhcp4": "kea-dhcp4-server",
    "udhcpc": "udhcpc",
    "arp-scan": "arp-scan",
}
_OPTIONAL_BINARIES: Mapping[str, str] = {  # needed only by the servers that use them
    "kea-ctrl-agent": "kea-ctrl-agent",
    "dnsmasq": "dnsmasq-base",
    "setpriv": "util-linux",
}
_LEASE_CMDS_HOOK = "libdhcp_lease_cmds.so"
_HOOK_DIRS = ("/usr/lib/x86_64-linux-gnu/kea/hooks", "/usr/lib/*/kea/hooks", "/usr/lib/kea/hooks")
_MAC_RE = re.compile(r"^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$")
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,23}$")
_HOSTNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.-]{0,62}$")
_SUN_PATH_MAX = 100  # sockaddr_un.sun_path is 108 bytes; keep a margin
_lab_counter = itertools.count(1)

_UDHCPC_SCRIPT = """\
#!/bin/sh
# udhcpc event script written by tests/lab/netlab.py; runs inside a lab device namespace.
IP={ip}
case "$1" in
    deconfig)
        "$IP" -4 addr flush dev "$interface"
        "$IP" link set dev "$interface" up
        ;;
    bound|renew)
        "$IP" -4 addr flush dev "$interface"
        "$IP" addr add "$ip/${{mask:-24}}" dev "$interface"
        if [ -n "$LVLAB_RESULT" ]; then
            echo "$ip" > "$LVLAB_RESULT.tmp" && mv -f "$LVLAB_RESULT.tmp" "$LVLAB_RESULT"
        fi
        ;;
esac
exit 0
"""

# Run inside the core namespace by KeaCtrlAgent.command_raw: POST stdin, print the body.
_HTTP_CLIENT = """\
import base64, sys, urllib.request
url, user, password = sys.argv[1:4]
token = base64.b64encode(f"{user}:{password}".encode()).decode()
request = urllib.request.Request(
    url, data=sys.stdin.buffer.read(),
    headers={"Content-Type": "application/json", "Authorization": f"Basic {token}"},
)
with urllib.request.urlopen(request, timeout=10) as response:
    sys.stdout.buffer.write(response.read())
"""

# Run inside the core namespace by Lab.poke: one UDP datagram each makes the kernel resolve
# the neighbour (port 9 is "discard"; an ICMP port-unreachable back is fine).
_POKE_CLIENT = """\
import socket, sys
with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
    for address in sys.argv[1:]:
        sock.sendto(b"lvlab", (address, 9))
"""


class LabError(RuntimeError):
    """Building, driving or tearing down the lab failed."""


# --------------------------------------------------------------------------- helpers


def _which(name: str) -> str | None:
    path = os.pathsep.join([os.environ.get("PATH", ""), *_EXTRA_PATH])
    return shutil.which(name, path=path)


def _binary(name: str) -> str:
    found = _which(name)
    if found is None:
        package = _BINARIES.get(name) or _OPTIONAL_BINARIES.get(name, name)
        raise LabError(f"{name} not found (install the {package} package)")
    return found


def _lease_cmds_hook() -> Path | None:
    for pattern in _HOOK_DIRS:
        for directory in sorted(glob.glob(pattern)):
            hook = Path(directory) / _LEASE_CMDS_HOOK
            if hook.exists():
                return hook
    return None


def _run(
    args: Sequence[str],
    *,
    timeout: float = 15.0,
    check: bool = True,
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    try:
        proc = subprocess.run(
            list(args),
            capture_output=True,
            text=True,
            timeout=timeout,
            env=None if env is None else dict(env),
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise LabError(f"timed out after {timeout}s: {' '.join(args)}") from exc
    if check and proc.returncode != 0:
        raise LabError(
            f"command failed (exit {proc.returncode}): {' '.join(args)}\n{proc.stderr.strip()}"
        )
    return proc


def _stop_process(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    """Signal a child we started, wait for it, and escalate to SIGKILL if it lingers."""
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def _normalise_mac(mac: str) -> str:
    norm = mac.strip().lower().replace("-", ":")
    if not _MAC_RE.match(norm):
        raise ValueError(f"not a MAC address: {mac!r}")
    if int(norm[:2], 16) & 1:
        raise ValueError(f"multicast MAC cannot be assigned to an interface: {mac!r}")
    return norm


def random_la_mac() -> str:
    """A random locally administered unicast MAC, like a phone's private Wi-Fi address."""
    octets = bytearray(secrets.token_bytes(6))
    octets[0] = (octets[0] & 0xFC) | 0x02
    return ":".join(f"{b:02x}" for b in octets)


def _lab_ip(
    ip: str, *, what: str = "address", subnet: ipaddress.IPv4Network | None = None
) -> ipaddress.IPv4Address:
    """``ip`` checked to be a host address of ``subnet`` (default: of any lab network)."""
    addr = ipaddress.IPv4Address(ip)
    if addr not in _SAFE_SUPERNET:
        raise ValueError(f"{what} {ip} is outside the lab range {_SAFE_SUPERNET}")
    subnets = [subnet] if subnet is not None else [net.subnet for net in NETWORKS.values()]
    for net in subnets:
        if addr in net and addr not in (net.network_address, net.broadcast_address):
            return addr
    shown = " or ".join(str(net) for net in subnets)
    raise ValueError(f"{what} {ip} is not a host address of the lab subnet {shown}")


def _wait_until(check: Callable[[], bool], timeout: float, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        if check():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no output)"


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _unix_request(path: Path, payload: bytes, timeout: float = 10.0) -> bytes:
    """Send ``payload`` to a stream unix socket and read the answer until the peer closes."""
    chunks: list[bytes] = []
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.connect(str(path))
            sock.sendall(payload)
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except OSError as exc:
            raise LabError(f"control socket {path}: {exc}") from exc
    return b"".join(chunks)


def _kea_command(command: str, arguments: Mapping[str, Any] | None, **extra: Any) -> bytes:
    message: dict[str, Any] = {"command": command, **extra}
    if arguments is not None:
        message["arguments"] = dict(arguments)
    return json.dumps(message).encode()


# --------------------------------------------------------------------------- availability


@functools.cache
def lab_available(*extras: str) -> str | None:
    """Return why a lab cannot be built here, or None if it can.

    Checks for Linux, root, the four binaries every lab needs plus ``extras`` (any of
    ``kea-ctrl-agent``, ``dnsmasq``, ``setpriv``, ``lease-cmds`` for Kea's lease_cmds hook),
    and actually creates (and deletes) a probe namespace holding a bridge and a veth pair.
    The result is cached per process.
    """
    if not sys.platform.startswith("linux"):
        return "network lab needs Linux network namespaces"
    if os.geteuid() != 0:
        return "network lab needs root (it creates network namespaces)"
    for name, package in _BINARIES.items():
        if _which(name) is None:
            return f"network lab needs {name} (Debian package {package})"
    for name in extras:
        if name == "lease-cmds":
            if _lease_cmds_hook() is None:
                return f"network lab needs Kea's {_LEASE_CMDS_HOOK} (package kea-dhcp4-server)"
        elif name not in _OPTIONAL_BINARIES:
            raise ValueError(f"unknown lab extra {name!r}")
        elif _which(name) is None:
            return f"network lab needs {name} (Debian package {_OPTIONAL_BINARIES[name]})"
    ip = _binary("ip")
    probe = f"{NS_PREFIX}-{os.getpid()}-probe-{secrets.token_hex(2)}"
    steps = (
        ([ip, "netns", "add", probe], "ip netns add"),
        ([ip, "-n", probe, "link", "add", "br0", "type", "bridge"], "creating a bridge"),
        (
            [ip, "-n", probe, "link", "add", "v0", "type", "veth", "peer", "name", "v1"],
            "creating a veth pair",
        ),
    )
    try:
        for args, what in steps:
            try:
                proc = _run(args, check=False, timeout=10)
            except LabError as exc:
                return f"network lab unusable: {what}: {exc}"
            if proc.returncode != 0:
                return f"network lab unusable: {what} failed: {proc.stderr.strip()}"
    finally:
        try:
            _run([ip, "netns", "del", probe], check=False, timeout=10)
        except LabError:
            pass
    return None


# --------------------------------------------------------------------------- servers


class _Server:
    """A long-running lab process with a log file; readiness is read from the log."""

    name = "server"

    def __init__(
        self, proc: subprocess.Popen[bytes], *, log_file: Path, output_file: Path, log_start: int
    ) -> None:
        self._proc = proc
        self.log_file = log_file
        self.output_file = output_file
        self._log_start = log_start

    @property
    def pid(self) -> int:
        return self._proc.pid

    @property
    def running(self) -> bool:
        return self._proc.poll() is None

    def log_text(self) -> str:
        """What this process logged (earlier runs in the same workdir left out)."""
        try:
            with self.log_file.open("rb") as log:
                log.seek(self._log_start)
                return log.read().decode(errors="replace")
        except FileNotFoundError:
            return ""

    def stop(self) -> None:
        """Stop the process (SIGTERM, SIGKILL after 5 s).  Idempotent."""
        _stop_process(self._proc)

    def _wait_for_log(self, marker: str, timeout: float, extra: Callable[[], bool] | None) -> None:
        def ready() -> bool:
            if self._proc.poll() is not None:
                raise LabError(
                    f"{self.name} exited with {self._proc.returncode} during start-up:\n"
                    f"{self.log_text()[-2000:]}\n{_tail(self.output_file)}"
                )
            return marker in self.log_text() and (extra is None or extra())

        if not _wait_until(ready, timeout):
            self.stop()
            raise LabError(
                f"{self.name} not ready after {timeout}s:\n{self.log_text()[-2000:]}\n"
                f"{_tail(self.output_file)}"
            )


class KeaServer(_Server):
    """A ``kea-dhcp4`` process serving ``br0`` from the core namespace.

    It loads the ``lease_cmds`` hook and listens on :attr:`control_socket`, so
    :meth:`command` (and a Control Agent) can ask it for ``lease4-get-all`` and friends.
    """

    name = "kea-dhcp4"

    def __init__(
        self,
        proc: subprocess.Popen[bytes],
        *,
        config_file: Path,
        lease_file: Path,
        log_file: Path,
        output_file: Path,
        control_socket: Path,
        log_start: int = 0,
    ) -> None:
        super().__init__(proc, log_file=log_file, output_file=output_file, log_start=log_start)
        self.config_file = config_file
        self.lease_file = lease_file
        self.control_socket = control_socket

    def leases_text(self) -> str:
        """The memfile lease CSV as it is on disk right now."""
        return self.lease_file.read_text()

    def rows(self) -> list[dict[str, str]]:
        """The lease CSV parsed into one dict per row (header names as keys), in file order."""
        return list(csv.DictReader(io.StringIO(self.leases_text())))

    def wait_for_rows(
        self, predicate: Callable[[list[dict[str, str]]], bool], timeout: float = 5.0
    ) -> bool:
        """Poll the lease file until ``predicate(rows)`` holds; False on timeout."""
        return _wait_until(lambda: predicate(self.rows()), timeout)

    def command_raw(self, command: str, arguments: Mapping[str, Any] | None = None) -> bytes:
        """Send one command to the control socket; return Kea's answer byte for byte."""
        return _unix_request(self.control_socket, _kea_command(command, arguments))

    def command(self, command: str, arguments: Mapping[str, Any] | None = None) -> Any:
        """Send one command; return the decoded answer (raises LabError unless result 0/3)."""
        answer = json.loads(self.command_raw(command, arguments))
        if answer.get("result") not in (0, 3):  # 3 = "empty": no leases, not an error
            raise LabError(f"kea {command}: {answer}")
        return answer

    def _wait_ready(self, timeout: float) -> None:
        self._wait_for_log("DHCP4_STARTED", timeout, self.lease_file.exists)
        problems = [
            line
            for line in self.log_text().splitlines()
            if "DHCPSRV_OPEN_SOCKET_FAIL" in line or "DHCPSRV_NO_SOCKETS_OPEN" in line
        ]
        if problems:
            self.stop()
            raise LabError("kea-dhcp4 could not open its socket:\n" + "\n".join(problems))
        if not _wait_until(self.control_socket.exists, timeout):
            self.stop()
            raise LabError(f"kea-dhcp4 did not create its control socket {self.control_socket}")


class KeaCtrlAgent(_Server):
    """``kea-ctrl-agent`` in the core namespace: Kea's REST API with basic authentication.

    It listens on 127.0.0.1 *of the core namespace*: only a process running in that
    namespace (lanventory via :meth:`Lab.run_lanventory`, or :meth:`command_raw`) reaches it.
    """

    name = "kea-ctrl-agent"

    def __init__(
        self,
        proc: subprocess.Popen[bytes],
        lab: Lab,
        *,
        config_file: Path,
        log_file: Path,
        output_file: Path,
        host: str,
        port: int,
        username: str,
        password: str,
        log_start: int = 0,
    ) -> None:
        super().__init__(proc, log_file=log_file, output_file=output_file, log_start=log_start)
        self.lab = lab
        self.config_file = config_file
        self.host = host
        self.port = port
        self.username = username
        self.password = password

    @property
    def http_url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    def command_raw(
        self,
        command: str,
        arguments: Mapping[str, Any] | None = None,
        service: Sequence[str] = ("dhcp4",),
    ) -> bytes:
        """POST one command from inside the core namespace; return the body byte for byte."""
        body = _kea_command(command, arguments, service=list(service))
        args = [
            self.lab.ip, "netns", "exec", self.lab.core_ns, sys.executable, "-I", "-c",
            _HTTP_CLIENT, self.http_url, self.username, self.password,
        ]  # fmt: skip
        try:
            proc = subprocess.run(args, input=body, capture_output=True, timeout=20, check=False)
        except subprocess.TimeoutExpired as exc:
            raise LabError(f"kea-ctrl-agent {command}: timed out") from exc
        if proc.returncode != 0:
            raise LabError(f"kea-ctrl-agent {command}: {proc.stderr.decode(errors='replace')}")
        return proc.stdout


class DnsmasqServer(_Server):
    """``dnsmasq`` as a DHCP server only (no DNS) on the ``lab2`` network."""

    name = "dnsmasq"

    def __init__(
        self,
        proc: subprocess.Popen[bytes],
        *,
        ns: str,
        lease_file: Path,
        pid_file: Path,
        log_file: Path,
        dhcp_range: str,
    ) -> None:
        super().__init__(proc, log_file=log_file, output_file=log_file, log_start=0)
        self.ns = ns
        self.lease_file = lease_file
        self.pid_file = pid_file
        self.dhcp_range = dhcp_range

    def leases_text(self) -> str:
        """The lease file as it is on disk right now."""
        return self.lease_file.read_text() if self.lease_file.exists() else ""

    def rows(self) -> list[dict[str, str]]:
        """One dict per lease line: ``expiry mac ip hostname client_id``."""
        keys = ("expiry", "mac", "ip", "hostname", "client_id")
        return [
            dict(zip(keys, line.split(), strict=False)) for line in self.leases_text().splitlines()
        ]

    def wait_for_rows(
        self, predicate: Callable[[list[dict[str, str]]], bool], timeout: float = 5.0
    ) -> bool:
        """Poll the lease file until ``predicate(rows)`` holds; False on timeout."""
        return _wait_until(lambda: predicate(self.rows()), timeout)


class DnsServer(_Server):
    """``dnsmasq`` as a DNS server only (no DHCP, no upstream) at :data:`DNS_IP`.

    It answers A and PTR queries for the records it was started with, and
    NXDOMAIN for everything else; ``log_text()`` lists the queries it got.
    """

    name = "dnsmasq-dns"

    def __init__(self, proc: subprocess.Popen[bytes], *, ns: str, log_file: Path) -> None:
        super().__init__(proc, log_file=log_file, output_file=log_file, log_start=0)
        self.ns = ns
        self.ip = DNS_IP


# --------------------------------------------------------------------------- devices


class Device:
    """One host on a lab LAN: its own namespace with ``eth0`` cabled to the network's bridge."""

    def __init__(
        self,
        lab: Lab,
        *,
        name: str,
        ns: str,
        port: str,
        mac: str,
        network: LabNetwork = LAN,
        hostname: str | None = None,
    ) -> None:
        self.lab = lab
        self.name = name
        self.ns = ns
        self.ifname = DEVICE_IFNAME
        self.port = port
        """The bridge-side end of the veth, in the core namespace."""
        self.mac = mac
        self.network = network
        self.hostname = hostname
        """Sent as DHCP option 12 by :meth:`dhcp` (None: no option 12)."""
        self.static_ip: str | None = None
        self.leased_ip: str | None = None
        """Address from the last successful :meth:`dhcp` (None after a release)."""

    def __repr__(self) -> str:
        return f"Device({self.name!r}, mac={self.mac!r}, ns={self.ns!r})"

    @property
    def ip(self) -> str | None:
        """The address the device answers ARP for: its lease, else its static address."""
        return self.leased_ip or self.static_ip

    def run(
        self, args: Sequence[str], *, timeout: float = 15.0
    ) -> subprocess.CompletedProcess[str]:
        """Run a command inside this device's namespace (raises LabError on failure)."""
        return _run([self.lab.ip, "netns", "exec", self.ns, *args], timeout=timeout)

    def set_ip(self, ip: str | None) -> None:
        """Replace the interface's IPv4 addresses with ``ip``/24 (or none)."""
        if ip is not None:
            addr = _lab_ip(ip, subnet=self.network.subnet)
        self.lab._ip("-n", self.ns, "-4", "addr", "flush", "dev", self.ifname)
        if ip is not None:
            prefix = self.network.subnet.prefixlen
            self.lab._ip("-n", self.ns, "addr", "add", f"{addr}/{prefix}", "dev", self.ifname)
        self.static_ip = ip
        self.leased_ip = None

    def set_mac(self, new_mac: str) -> None:
        """Change the interface MAC (link down, set address, link up).  Addresses are kept."""
        mac = _normalise_mac(new_mac)
        self.lab._ip("-n", self.ns, "link", "set", "dev", self.ifname, "down")
        self.lab._ip("-n", self.ns, "link", "set", "dev", self.ifname, "address", mac)
        self.lab._ip("-n", self.ns, "link", "set", "dev", self.ifname, "up")
        self.mac = mac
        self.leased_ip = None
        self.lab._wait_oper_up(self.ns, self.ifname)

    def rotate_mac(self, new_mac: str | None = None) -> str:
        """Switch to another locally administered MAC (random unless given); return it.

        What a phone's private-address feature does: the old MAC simply stops talking.
        """
        mac = _normalise_mac(new_mac) if new_mac is not None else random_la_mac()
        if not int(mac[:2], 16) & 0x02:
            raise ValueError(f"a rotated MAC must be locally administered: {mac}")
        self.set_mac(mac)
        return mac

    def spawn(self, args: Sequence[str], *, log_name: str) -> subprocess.Popen[bytes]:
        """Start a long-running command inside this device's namespace; the lab stops it
        on close.  Its output goes to ``<workdir>/<log_name>``."""
        log = self.lab.workdir / log_name
        with log.open("ab") as out:
            proc = subprocess.Popen(
                [self.lab.ip, "netns", "exec", self.ns, *args],
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.lab._processes.append(proc)
        return proc

    def unplug(self) -> None:
        """Take the bridge port down: the device vanishes from the LAN but keeps its state."""
        self.lab._ip("-n", self.lab.core_ns, "link", "set", "dev", self.port, "down")

    def plug(self) -> None:
        """Undo :meth:`unplug`."""
        self.lab._ip("-n", self.lab.core_ns, "link", "set", "dev", self.port, "up")
        self.lab._wait_oper_up(self.ns, self.ifname)

    def dhcp(
        self,
        release: bool = False,
        requested_ip: str | None = None,
        *,
        arp_check: bool = False,
    ) -> str | None:
        """Run ``udhcpc`` once; return the leased address (also set on eth0) or None.

        With ``release=True`` the lease is released right after it was obtained, so the
        server records a release; the interface ends up without an IPv4 address.
        ``requested_ip`` is sent as option 50 (``udhcpc -r``), :attr:`hostname` as option 12.
        ``arp_check`` makes udhcpc ARP-probe the offered address first (``-a``) and send a
        DHCPDECLINE if another host answers for it; it then asks again at once (``-A 1``).
        """
        lab = self.lab
        result = lab.workdir / f"udhcpc-{self.name}.ip"
        result.unlink(missing_ok=True)
        args = [
            lab.ip, "netns", "exec", self.ns,
            lab.udhcpc, "-f", "-n", "-t", "3", "-T", "1",
            "-i", self.ifname, "-s", str(lab.udhcpc_script),
        ]  # fmt: skip
        if requested_ip is not None:
            requested = _lab_ip(requested_ip, what="requested_ip", subnet=self.network.subnet)
            args += ["-r", str(requested)]
        if self.hostname is not None:
            args += ["-x", f"hostname:{self.hostname}"]
        if arp_check:
            args += ["-a200", "-A", "1"]
        if release:
            # busybox 1.35 `udhcpc -q -R` never sends the RELEASE (with -q it quits before
            # entering the BOUND state), so stay in the foreground without -q and send
            # SIGTERM once bound: udhcpc -R then unicasts a DHCPRELEASE and exits.
            args.append("-R")
        else:
            args.append("-q")
        env = {**os.environ, "LVLAB_RESULT": str(result)}
        log = lab.workdir / f"udhcpc-{self.name}.log"
        with log.open("ab") as out:
            out.write(f"--- {' '.join(args)}\n".encode())
            out.flush()
            proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=env)
        lab._processes.append(proc)
        try:
            if release:
                _wait_until(lambda: result.exists() or proc.poll() is not None, 15.0)
                leased = self._read_result(result)
                _stop_process(proc)
            else:
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    _stop_process(proc, signal.SIGKILL)
                leased = self._read_result(result) if proc.returncode == 0 else None
        finally:
            _stop_process(proc, signal.SIGKILL)
            lab._processes.remove(proc)

        if release:
            self.leased_ip = None
            if leased is not None:
                self._wait_for_release(leased)
        else:
            self.leased_ip = leased
            if leased is not None:
                self.static_ip = None
        return leased

    def renew(self) -> str | None:
        """Ask for the current lease again (same MAC), so the server records a renewal."""
        return self.dhcp(requested_ip=self.leased_ip)

    def release(self) -> str | None:
        """Shorthand for ``dhcp(release=True, requested_ip=<current lease>)``."""
        return self.dhcp(release=True, requested_ip=self.leased_ip)

    def _wait_for_release(self, leased: str) -> None:
        """The RELEASE is processed asynchronously: wait until the server persisted it."""
        mac = self.mac
        kea, dnsmasq = self.lab.kea, self.lab.dnsmasq
        if self.network is LAN and kea is not None and kea.running:
            kea.wait_for_rows(
                lambda rows: any(
                    r["hwaddr"] == mac and r["address"] == leased and r["valid_lifetime"] == "0"
                    for r in rows
                )
            )
        elif self.network is LAB2 and dnsmasq is not None and dnsmasq.running:
            dnsmasq.wait_for_rows(lambda rows: all(r.get("mac") != mac for r in rows))

    @staticmethod
    def _read_result(result: Path) -> str | None:
        try:
            text = result.read_text().strip()
        except FileNotFoundError:
            return None
        return text or None


# --------------------------------------------------------------------------- the lab


class Lab:
    """A private LAN pair: a core namespace with bridges ``br0`` and ``br1``, plus devices.

    ``workdir`` receives the server configs, lease files and logs, the udhcpc script and
    logs.  Use as a context manager; :meth:`close` is idempotent.
    """

    def __init__(self, workdir: Path | str) -> None:
        self.workdir = Path(workdir)
        self.prefix = f"{NS_PREFIX}-{os.getpid()}-{next(_lab_counter)}{secrets.token_hex(2)}"
        self.core_ns = f"{self.prefix}-core"
        self.bridge = LAN.bridge
        self.bridge_ip = LAN.bridge_ip
        self.bridge_mac = LAN.bridge_mac
        self.subnet = LAN.subnet
        self.networks: Mapping[str, LabNetwork] = NETWORKS
        self.devices: dict[str, Device] = {}
        self.kea: KeaServer | None = None
        self.kea_agent: KeaCtrlAgent | None = None
        self.dnsmasq: DnsmasqServer | None = None
        self.dns: DnsServer | None = None
        self.udhcpc_script = self.workdir / "udhcpc-event.sh"
        self._namespaces: list[str] = []
        self._processes: list[subprocess.Popen[bytes]] = []
        self._scratch: list[Path] = []
        self._ports = itertools.count(1)
        self._started = False
        self._closed = False
        self.ip = _binary("ip")
        self.udhcpc = _binary("udhcpc")
        self.kea_dhcp4 = _binary("kea-dhcp4")
        self.arp_scan_bin = _binary("arp-scan")

    # -- lifecycle ---------------------------------------------------------------------

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.close()
        except LabError as cleanup_error:
            if exc is None:
                raise
            exc.add_note(f"lab cleanup also failed: {cleanup_error}")

    def start(self) -> None:
        """Create the core namespace and both bridges (called by ``__enter__``)."""
        if self._started:
            raise LabError("lab already started")
        self._started = True
        try:
            self.workdir.mkdir(parents=True, exist_ok=True)
            self.udhcpc_script.write_text(_UDHCPC_SCRIPT.format(ip=self.ip))
            self.udhcpc_script.chmod(0o755)
            core = self.core_ns
            self._add_namespace(core)
            self._ip("-n", core, "link", "set", "dev", "lo", "up")
            for net in self.networks.values():
                self._add_bridge(net)
        except BaseException:
            self.close()
            raise

    def _add_bridge(self, net: LabNetwork) -> None:
        core = self.core_ns
        self._ip(
            "-n", core, "link", "add", "name", net.bridge, "address", net.bridge_mac,
            "type", "bridge", "forward_delay", "0", "stp_state", "0", "mcast_snooping", "0",
        )  # fmt: skip
        # A bridge without running ports has no carrier and Kea refuses to open its socket
        # on it ("interface br0 is not running"); a veth pair kept inside the core
        # namespace holds it up.  (`dummy` would do too, but its module is often missing.)
        stub, peer = net.stub
        self._ip("-n", core, "link", "add", stub, "type", "veth", "peer", "name", peer)
        self._ip("-n", core, "link", "set", "dev", stub, "master", net.bridge, "up")
        self._ip("-n", core, "link", "set", "dev", peer, "up")
        self._ip(
            "-n", core, "addr", "add", f"{net.bridge_ip}/{net.subnet.prefixlen}",
            "dev", net.bridge,
        )  # fmt: skip
        self._ip("-n", core, "link", "set", "dev", net.bridge, "up")
        self._wait_oper_up(core, net.bridge)

    def close(self) -> None:
        """Stop every process and delete every namespace of this lab.  Idempotent."""
        if self._closed:
            return
        self._closed = True
        errors: list[str] = []
        for proc in list(self._processes):
            try:
                _stop_process(proc, signal.SIGKILL)
            except OSError as exc:
                errors.append(f"stopping pid {proc.pid}: {exc}")
        self._processes.clear()
        for server in (self.kea_agent, self.kea, self.dnsmasq, self.dns):
            if server is not None:
                try:
                    server.stop()
                except OSError as exc:
                    errors.append(f"stopping {server.name}: {exc}")
        # Device namespaces first: deleting one destroys its veth, and with it the bridge port.
        for ns in reversed(self._namespaces):
            try:
                self._kill_namespace_processes(ns)
                self._ip("netns", "del", ns)
            except (LabError, OSError) as exc:
                errors.append(f"deleting namespace {ns}: {exc}")
        self._namespaces.clear()
        for scratch in self._scratch:
            shutil.rmtree(scratch, ignore_errors=True)
        self._scratch.clear()
        if errors:
            raise LabError("lab cleanup incomplete:\n" + "\n".join(errors))

    # -- building ----------------------------------------------------------------------

    def add_device(
        self,
        name: str,
        mac: str,
        ip: str | None = None,
        *,
        network: str = "lan",
        hostname: str | None = None,
    ) -> Device:
        """Add a host on ``network`` ("lan": br0, "lab2": br1).

        Its namespace ``<prefix>-<name>`` holds ``eth0`` with ``mac`` (and ``ip``/24: a
        static device that only answers ARP).  ``hostname`` is what its DHCP client sends.
        """
        self._require_running()
        if not _NAME_RE.match(name):
            raise ValueError(f"device name must match {_NAME_RE.pattern}: {name!r}")
        if name in self.devices or name in ("dnsmasq", "dns"):
            raise ValueError(f"duplicate device name {name!r}")
        if hostname is not None and not _HOSTNAME_RE.match(hostname):
            raise ValueError(f"hostname must match {_HOSTNAME_RE.pattern}: {hostname!r}")
        net = self._network(network)
        norm_mac = _normalise_mac(mac)
        if ip is not None:
            _lab_ip(ip, subnet=net.subnet)
        ns, port = self._cable(name, norm_mac)
        device = Device(
            self, name=name, ns=ns, port=port, mac=norm_mac, network=net, hostname=hostname
        )
        if ip is not None:
            device.set_ip(ip)
        self._ip("-n", self.core_ns, "link", "set", "dev", port, "master", net.bridge, "up")
        self._ip("-n", ns, "link", "set", "dev", DEVICE_IFNAME, "up")
        self._wait_oper_up(ns, DEVICE_IFNAME)
        self.devices[name] = device
        return device

    def _cable(self, name: str, mac: str) -> tuple[str, str]:
        """A new namespace ``<prefix>-<name>`` whose ``eth0`` (with ``mac``) is the peer of
        a new veth ``port<n>`` in the core namespace, not yet on a bridge; (namespace, port)."""
        ns = f"{self.prefix}-{name}"
        port = f"port{next(self._ports)}"
        self._add_namespace(ns)
        self._ip("-n", ns, "link", "set", "dev", "lo", "up")
        # Both ends are created inside lab namespaces: the peer goes straight into `ns`.
        self._ip(
            "-n", self.core_ns, "link", "add", "name", port, "type", "veth",
            "peer", "name", DEVICE_IFNAME, "netns", ns,
        )  # fmt: skip
        self._ip("-n", ns, "link", "set", "dev", DEVICE_IFNAME, "address", mac)
        return ns, port

    def start_kea(
        self,
        pool: str = DEFAULT_POOL,
        valid_lifetime: int = 3600,
        *,
        shared_network: bool = True,
    ) -> KeaServer:
        """Start ``kea-dhcp4`` on br0 in the core namespace and wait until it serves.

        The lab subnet (id 1) sits in the shared network ``lab-lan`` unless
        ``shared_network`` is False, so ``config-get`` lists it under
        ``shared-networks[].subnet4`` rather than the top-level ``subnet4``.
        """
        self._require_running()
        if self.kea is not None and self.kea.running:
            raise LabError("kea-dhcp4 is already running in this lab")
        first, sep, last = pool.partition("-")
        if not sep:
            raise ValueError(f"pool must look like 'A - B': {pool!r}")
        lo = _lab_ip(first.strip(), what="pool start", subnet=LAN.subnet)
        hi = _lab_ip(last.strip(), what="pool end", subnet=LAN.subnet)
        bridge = ipaddress.IPv4Address(LAN.bridge_ip)
        if lo > hi or lo <= bridge <= hi:
            raise ValueError(f"bad pool {pool!r} (empty or containing the bridge address)")
        if valid_lifetime < 1:
            raise ValueError("valid_lifetime must be positive")
        hook = _lease_cmds_hook()
        if hook is None:
            raise LabError(f"Kea's {_LEASE_CMDS_HOOK} not found (install kea-dhcp4-server)")

        run_dir = self.workdir / "kea-run"
        run_dir.mkdir(exist_ok=True)
        config_file = self.workdir / "kea-dhcp4.json"
        lease_file = self.workdir / "kea-leases4.csv"
        log_file = self.workdir / "kea-dhcp4.log"
        output_file = self.workdir / "kea-dhcp4.out"
        control_socket = self._socket_path("kea4-ctrl-socket")
        subnet = {
            "id": KEA_SUBNET_ID,
            "subnet": str(LAN.subnet),
            "pools": [{"pool": f"{lo} - {hi}"}],
        }
        subnets: dict[str, Any] = (
            {
                "shared-networks": [
                    {"name": KEA_SHARED_NETWORK, "interface": LAN.bridge, "subnet4": [subnet]}
                ],
                "subnet4": [],
            }
            if shared_network
            else {"subnet4": [subnet]}
        )
        config: dict[str, Any] = {
            "Dhcp4": {
                "interfaces-config": {
                    "interfaces": [LAN.bridge],
                    "dhcp-socket-type": "raw",
                    "service-sockets-require-all": True,
                },
                "control-socket": {"socket-type": "unix", "socket-name": str(control_socket)},
                "hooks-libraries": [{"library": str(hook)}],
                "lease-database": {
                    "type": "memfile",
                    "name": str(lease_file),
                    "persist": True,
                    "lfc-interval": 0,
                },
                "valid-lifetime": valid_lifetime,
                **subnets,
                "loggers": [
                    {
                        "name": "kea-dhcp4",
                        "severity": "INFO",
                        "output_options": [{"output": str(log_file), "flush": True}],
                    }
                ],
            }
        }
        config_file.write_text(json.dumps(config, indent=2) + "\n")
        env = {**os.environ, "KEA_PIDFILE_DIR": str(run_dir), "KEA_LOCKFILE_DIR": str(run_dir)}
        log_start = _size(log_file)
        args = [self.ip, "netns", "exec", self.core_ns, self.kea_dhcp4, "-c", str(config_file)]
        with output_file.open("ab") as out:
            proc = subprocess.Popen(
                args, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True
            )
        self.kea = KeaServer(
            proc,
            config_file=config_file,
            lease_file=lease_file,
            log_file=log_file,
            output_file=output_file,
            control_socket=control_socket,
            log_start=log_start,
        )
        self.kea._wait_ready(timeout=10.0)
        return self.kea

    def start_kea_ctrl_agent(
        self,
        *,
        port: int = CTRL_AGENT_PORT,
        username: str = "lanventory",
        password: str | None = None,
    ) -> KeaCtrlAgent:
        """Start ``kea-ctrl-agent`` on 127.0.0.1:``port`` of the core namespace.

        It forwards to the running Kea's control socket and requires HTTP basic
        authentication with ``username`` and ``password`` (random unless given).
        """
        self._require_running()
        kea = self.kea
        if kea is None or not kea.running:
            raise LabError("start Kea (start_kea) before its Control Agent")
        if self.kea_agent is not None and self.kea_agent.running:
            raise LabError("kea-ctrl-agent is already running in this lab")
        binary = _binary("kea-ctrl-agent")
        password = password if password is not None else secrets.token_urlsafe(12)
        run_dir = self.workdir / "kea-run"
        run_dir.mkdir(exist_ok=True)
        config_file = self.workdir / "kea-ctrl-agent.json"
        log_file = self.workdir / "kea-ctrl-agent.log"
        output_file = self.workdir / "kea-ctrl-agent.out"
        host = "127.0.0.1"
        config = {
            "Control-agent": {
                "http-host": host,
                "http-port": port,
                "authentication": {
                    "type": "basic",
                    "realm": "lanventory-lab",
                    "clients": [{"user": username, "password": password}],
                },
                "control-sockets": {
                    "dhcp4": {"socket-type": "unix", "socket-name": str(kea.control_socket)}
                },
                "loggers": [
                    {
                        "name": "kea-ctrl-agent",
                        "severity": "INFO",
                        "output_options": [{"output": str(log_file), "flush": True}],
                    }
                ],
            }
        }
        config_file.write_text(json.dumps(config, indent=2) + "\n")
        config_file.chmod(0o600)
        env = {**os.environ, "KEA_PIDFILE_DIR": str(run_dir), "KEA_LOCKFILE_DIR": str(run_dir)}
        log_start = _size(log_file)
        args = [self.ip, "netns", "exec", self.core_ns, binary, "-c", str(config_file)]
        with output_file.open("ab") as out:
            proc = subprocess.Popen(
                args, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True
            )
        self.kea_agent = KeaCtrlAgent(
            proc,
            self,
            config_file=config_file,
            log_file=log_file,
            output_file=output_file,
            host=host,
            port=port,
            username=username,
            password=password,
            log_start=log_start,
        )
        self.kea_agent._wait_for_log("CTRL_AGENT_HTTP_SERVICE_STARTED", 10.0, None)
        return self.kea_agent

    def start_dnsmasq(
        self,
        dhcp_range: str = DEFAULT_DNSMASQ_RANGE,
        lease_file: Path | None = None,
        *,
        network: str = "lab2",
    ) -> DnsmasqServer:
        """Start ``dnsmasq`` as the DHCP server (no DNS) of ``network`` and wait until it serves.

        It runs in its own namespace ``<prefix>-dnsmasq`` whose ``eth0`` (198.18.1.2) is a
        port of the network's bridge, bound to that interface only.  ``dhcp_range`` is
        dnsmasq's ``START,END[,LEASE-TIME]``; the lease file defaults to
        ``<workdir>/dnsmasq.leases``.
        """
        self._require_running()
        if self.dnsmasq is not None:
            raise LabError("dnsmasq was already started in this lab")
        net = self._network(network)
        if net is not LAB2:
            raise ValueError("dnsmasq serves the lab2 network (Kea has the lan)")
        parts = dhcp_range.split(",")
        if len(parts) < 2:
            raise ValueError(f"dhcp_range must look like 'START,END[,TIME]': {dhcp_range!r}")
        for part, what in zip(parts[:2], ("range start", "range end"), strict=True):
            if ipaddress.IPv4Address(part.strip()) == ipaddress.IPv4Address(DNSMASQ_IP):
                raise ValueError(f"{what} is the dnsmasq server's own address")
            _lab_ip(part.strip(), what=what, subnet=net.subnet)
        binary = _binary("dnsmasq")
        lease_file = lease_file or self.workdir / "dnsmasq.leases"
        pid_file = self.workdir / "dnsmasq.pid"
        log_file = self.workdir / "dnsmasq.log"
        log_file.unlink(missing_ok=True)
        ns = self._server_namespace("dnsmasq", DNSMASQ_MAC, DNSMASQ_IP, net)
        args = [
            self.ip, "netns", "exec", ns, binary,
            "--keep-in-foreground", "--conf-file=/dev/null", "--port=0", "--no-resolv",
            "--no-hosts", f"--interface={DEVICE_IFNAME}", "--bind-interfaces",
            f"--dhcp-range={dhcp_range}", f"--dhcp-leasefile={lease_file}",
            f"--pid-file={pid_file}", "--dhcp-authoritative", "--no-ping", "--log-dhcp",
            "--log-facility=-", "--user=root",
        ]  # fmt: skip
        with log_file.open("ab") as out:
            proc = subprocess.Popen(
                args, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.dnsmasq = DnsmasqServer(
            proc,
            ns=ns,
            lease_file=lease_file,
            pid_file=pid_file,
            log_file=log_file,
            dhcp_range=dhcp_range,
        )
        self.dnsmasq._wait_for_log("DHCP, IP range", 10.0, lease_file.exists)
        return self.dnsmasq

    def _server_namespace(self, name: str, mac: str, ip: str, net: LabNetwork) -> str:
        """A namespace for a server, cabled to ``net``'s bridge with ``ip``, its link up."""
        ns, port = self._cable(name, mac)
        self._ip("-n", ns, "addr", "add", f"{ip}/{net.subnet.prefixlen}", "dev", DEVICE_IFNAME)
        self._ip("-n", self.core_ns, "link", "set", "dev", port, "master", net.bridge, "up")
        self._ip("-n", ns, "link", "set", "dev", DEVICE_IFNAME, "up")
        self._wait_oper_up(ns, DEVICE_IFNAME)
        return ns

    def start_dns(self, records: Mapping[str, str], *, ttl: int = 60) -> DnsServer:
        """Start a DNS-only ``dnsmasq`` at :data:`DNS_IP` on the ``lan`` and wait until it serves.

        ``records`` maps host names to lab addresses; each gets an A and a PTR
        record with ``ttl``.  It runs in its own namespace ``<prefix>-dns`` and never
        forwards a query anywhere (no upstream servers, no /etc/hosts).
        """
        self._require_running()
        if self.dns is not None:
            raise LabError("the DNS server was already started in this lab")
        host_records = []
        for host, ip in records.items():
            if not _HOSTNAME_RE.match(host):
                raise ValueError(f"host name must match {_HOSTNAME_RE.pattern}: {host!r}")
            host_records.append(f"--host-record={host},{_lab_ip(ip, what='record address')}")
        binary = _binary("dnsmasq")
        log_file = self.workdir / "dns.log"
        log_file.unlink(missing_ok=True)
        ns = self._server_namespace("dns", DNS_MAC, DNS_IP, LAN)
        args = [
            self.ip, "netns", "exec", ns, binary,
            "--keep-in-foreground", "--conf-file=/dev/null", "--port=53", "--no-resolv",
            "--no-hosts", "--no-poll", f"--interface={DEVICE_IFNAME}", "--bind-interfaces",
            f"--local-ttl={ttl}", "--log-queries", "--log-facility=-", "--user=root",
            # The lab's reverse zones are its own: an unknown address is NXDOMAIN, not REFUSED.
            "--local=/18.198.in-addr.arpa/", "--local=/19.198.in-addr.arpa/",
            f"--pid-file={self.workdir / 'dns.pid'}", *host_records,
        ]  # fmt: skip
        with log_file.open("ab") as out:
            proc = subprocess.Popen(
                args, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.dns = DnsServer(proc, ns=ns, log_file=log_file)
        self.dns._wait_for_log("started, version", 10.0, None)
        return self.dns

    # -- observing ---------------------------------------------------------------------

    def arp_scan(self, extra_args: Sequence[str] | None = None, *, network: str = "lan") -> str:
        """Sweep a network's /24 from its bridge with arp-scan in the core namespace; stdout."""
        self._require_running()
        net = self._network(network)
        args = [
            self.ip, "netns", "exec", self.core_ns, self.arp_scan_bin,
            "--interface", net.bridge, "--retry=2", "--timeout=150",
            *(extra_args or ()), str(net.subnet),
        ]  # fmt: skip
        return _run(args, timeout=60).stdout

    def core_run(
        self, args: Sequence[str], *, timeout: float = 15.0, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """Run a command inside the core namespace."""
        self._require_running()
        return _run([self.ip, "netns", "exec", self.core_ns, *args], timeout=timeout, check=check)

    def neigh_json(self, *, network: str = "lan") -> str:
        """``ip -j -s neigh show dev <bridge>`` as run in the core namespace (raw stdout)."""
        bridge = self._network(network).bridge
        return self.core_run([self.ip, "-j", "-s", "neigh", "show", "dev", bridge]).stdout

    def proc_net_arp(self) -> str:
        """``/proc/net/arp`` as the core namespace sees it."""
        return self.core_run(["cat", "/proc/net/arp"]).stdout

    def poke(self, ips: Iterable[str], *, wait: bool = True, timeout: float = 3.0) -> None:
        """Send a datagram from the core namespace to each address, so the kernel resolves
        it by ARP; with ``wait``, until every one has a REACHABLE neighbour entry."""
        targets = [str(_lab_ip(ip, what="poke target")) for ip in ips]
        self.core_run([sys.executable, "-I", "-c", _POKE_CLIENT, *targets])
        if not wait:
            return

        def resolved() -> bool:
            states: dict[str, list[str]] = {}
            for name in self.networks:
                for entry in json.loads(self.neigh_json(network=name) or "[]"):
                    states[entry.get("dst", "")] = entry.get("state", [])
            return all("REACHABLE" in states.get(ip, []) for ip in targets)

        if not _wait_until(resolved, timeout):
            raise LabError(f"no REACHABLE neighbour entry for all of {targets} in {timeout}s")

    # -- lanventory --------------------------------------------------------------------

    def run_lanventory(
        self,
        args: Sequence[str],
        config: Path,
        *,
        env: Mapping[str, str] | None = None,
        drop_caps: Sequence[str] = (),
        timeout: float = 120.0,
    ) -> subprocess.CompletedProcess[str]:
        """Run this checkout's ``lanventory --config CONFIG ARGS`` inside the core namespace.

        ``env`` replaces the environment (default: inherited).  ``drop_caps`` (e.g.
        ``("net_raw",)``) removes those capabilities from every set (``setpriv``): the
        process keeps its user, so the checkout need not be readable by anyone else.
        Never raises on a non-zero exit: the caller checks ``returncode``.
        """
        self._require_running()
        executable = Path(sys.executable).parent / "lanventory"
        command = [self.ip, "netns", "exec", self.core_ns]
        if drop_caps:
            dropped = ",".join(f"-{cap}" for cap in drop_caps)
            command += [
                _binary("setpriv"), f"--inh-caps={dropped}", f"--ambient-caps={dropped}",
                f"--bounding-set={dropped}", "--",
            ]  # fmt: skip
        command += [str(executable), "--config", str(config), *args]
        return _run(command, timeout=timeout, check=False, env=env)

    def namespaces(self) -> list[str]:
        """The namespaces this lab created and still owns, core first."""
        return list(self._namespaces)

    # -- internals ---------------------------------------------------------------------

    def _require_running(self) -> None:
        if not self._started or self._closed:
            raise LabError("lab is not running (use it as a context manager)")

    def _network(self, name: str) -> LabNetwork:
        try:
            return self.networks[name]
        except KeyError:
            raise ValueError(f"no lab network {name!r} (have {', '.join(self.networks)})") from None

    def _socket_path(self, name: str) -> Path:
        """``<workdir>/<name>``, or a private scratch directory if that is too long."""
        path = self.workdir / name
        if len(os.fsencode(path)) <= _SUN_PATH_MAX:
            return path
        scratch = Path(tempfile.mkdtemp(prefix=f"{NS_PREFIX}-"))
        self._scratch.append(scratch)
        return scratch / name

    def _ip(self, *args: str) -> subprocess.CompletedProcess[str]:
        return _run([self.ip, *args])

    def _add_namespace(self, ns: str) -> None:
        self._ip("netns", "add", ns)
        self._namespaces.append(ns)

    def _wait_oper_up(self, ns: str, ifname: str, timeout: float = 5.0) -> None:
        def up() -> bool:
            out = self._ip("-n", ns, "-j", "link", "show", "dev", ifname).stdout
            info: list[dict[str, Any]] = json.loads(out)
            return bool(info) and info[0].get("operstate") == "UP"

        if not _wait_until(up, timeout):
            raise LabError(f"{ifname} in {ns} did not come up within {timeout}s")

    def _kill_namespace_processes(self, ns: str) -> None:
        """SIGKILL stragglers still running in a namespace this lab created."""
        if ns not in self._namespaces:
            raise LabError(f"refusing to touch foreign namespace {ns}")
        out = _run([self.ip, "netns", "pids", ns], check=False).stdout
        for pid in (int(p) for p in out.split() if p.isdigit()):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


# --------------------------------------------------------------------------- lanventory


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)  # a TOML basic string for everything the lab writes
    raise TypeError(f"cannot write {value!r} as TOML")


def write_lanventory_config(
    path: Path, *, data_dir: Path, networks: Sequence[Mapping[str, Any]]
) -> Path:
    """Write a lanventory TOML config: a SQLite db in ``data_dir`` plus ``networks``.

    Each network is a mapping of its scalar keys (name, cidr, interface) plus optional
    ``sweep`` and ``names`` (mappings) and ``sources`` (a list of mappings).
    """
    db = data_dir / "lanventory.db"
    lines = [
        f"db = {_toml(f'sqlite:///{db}')}",
        f"data_dir = {_toml(str(data_dir))}",
    ]
    for net in networks:
        lines += ["", "[[networks]]"]
        tables = ("sweep", "names")
        lines += [f"{k} = {_toml(v)}" for k, v in net.items() if k not in (*tables, "sources")]
        for table in tables:
            if table in net:
                lines += [
                    f"[networks.{table}]",
                    *(f"{k} = {_toml(v)}" for k, v in net[table].items()),
                ]
        for source in net.get("sources", ()):
            lines += ["[[networks.sources]]", *(f"{k} = {_toml(v)}" for k, v in source.items())]
    path.write_text("\n".join(lines) + "\n")
    return path


class LabInventory:
    """lanventory with its own config and SQLite database, run in the lab's core namespace."""

    def __init__(self, lab: Lab, directory: Path, networks: Sequence[Mapping[str, Any]]) -> None:
        self.lab = lab
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self.config = write_lanventory_config(
            directory / "lanventory.toml", data_dir=directory, networks=networks
        )

    def run(
        self,
        *args: str,
        env: Mapping[str, str] | None = None,
        drop_caps: Sequence[str] = (),
    ) -> subprocess.CompletedProcess[str]:
        """``lanventory ARGS``; the caller checks the exit code."""
        return self.lab.run_lanventory(args, self.config, env=env, drop_caps=drop_caps)

    def __call__(self, *args: str) -> str:
        """``lanventory ARGS``, which must succeed; its stdout."""
        proc = self.run(*args)
        if proc.returncode != 0:
            raise LabError(
                f"lanventory {' '.join(args)} exited {proc.returncode}:\n{proc.stdout}{proc.stderr}"
            )
        return proc.stdout

    def devices(self, network: str | None = None) -> dict[str, dict[str, Any]]:
        """``devices --json`` keyed by MAC."""
        args = ["devices", "--json", *(("--network", network) if network else ())]
        return {d["mac"]: d for d in json.loads(self(*args))}


def iter_lab_namespaces() -> Iterator[str]:
    """Names of all lab namespaces currently present (any process), for diagnostics."""
    proc = _run([_binary("ip"), "netns", "list"], check=False)
    for line in proc.stdout.splitlines():
        name = line.split(" ", 1)[0]
        if name.startswith(f"{NS_PREFIX}-"):
            yield name
