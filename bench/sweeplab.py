"""Network-namespace LANs for the sweep benchmark (``bench/sweep.py``).

Three labs, each built once per benchmark run and deleted at exit.  Every namespace is named
``lvbench-<pid>-<lab>-...``; every address lies in 198.18.0.0/15 (RFC 2544 benchmarking
space); nothing is created in, moved to or configured in the host's root namespace, so no
sweep can reach a real interface.

Lab "bridge" (lab1, 198.18.16.0/20) and lab "small" (lab3, 198.18.48.0/24)::

    <p>-sw namespace          <p>-core namespace                 <p>-hNNN namespaces
    +----------------+        +--------------------------+       +---------------------+
    | sweep0 .1      |========| sw0 --+                  |       |                     |
    | (sweeper: the  |  veth  |       br0 (kernel bridge,|       |                     |
    | tools run here)|        |       no STP, no IP)     |       |                     |
    +----------------+        |  p1 --+------------------|=======| eth0 <mac> <ip>     |
                              |  p2 --+ ...  pN          |       +---------------------+
                              +--------------------------+       ... one per host

Each host is a veth whose bridge end is a port of ``br0`` and whose other end ``eth0`` sits
alone in its own namespace with a distinct MAC (mostly universal ``00:16:3e:..``, about one
in five locally administered) and a random address of the lab subnet (seeded RNG; the
sweeper's ``.1`` is excluded).  Every ARP broadcast the sweeper sends is flooded by the
kernel bridge to all N ports and answered by exactly one host.

Lab "macvlan" (lab2, 198.18.32.0/20)::

    <p>-sw namespace          <p>-hosts namespace
    +----------------+        +-----------------------------------------------+
    | sweep0 .1      |========| trunk0 (no address)                           |
    +----------------+  veth  |   +-- mv1   macvlan mode bridge  <mac> <ip>   |
                              |   +-- mv2   ...                               |
                              |   +-- mvN                                     |
                              | arp_ignore=1, arp_announce=2 (all, default)   |
                              +-----------------------------------------------+

N macvlan interfaces on the veth peer, each with its own MAC and address, in one namespace;
``arp_ignore=1`` makes only the interface that owns the asked-for address answer.  macvlan
hands broadcasts arriving on the lower device to a work queue (``bcqueuelen``, default 1000)
that clones them to every macvlan.  When the sweeper sends faster than that worker drains
(some 1,500 requests/s with 250 macvlans on a 2-core machine), the queue overflows and
requests are dropped (counted as ``rx_dropped`` of ``trunk0``), and those that were queued
are answered late, as on Wi-Fi access points and cheap switches.

IPv6 is kept quiet (``addrgenmode none`` / ``disable_ipv6``) so the only traffic on the labs
is the sweeps'.  Namespaces are created and deleted with ``ip -batch`` and configured with
``ip -n NS -batch`` (no ``ip netns exec`` fork per command); per-host configuration runs in a
small thread pool.
"""

from __future__ import annotations

import ipaddress
import json
import os
import random
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SAFE_SUPERNET = ipaddress.IPv4Network("198.18.0.0/15")
NS_PREFIX = "lvbench"
NETNS_DIR = Path("/run/netns")
SWEEP_IFNAME = "sweep0"
_EXTRA_PATH = ("/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/bin", "/bin")


class LabError(RuntimeError):
    """Building, querying or tearing down a benchmark lab failed."""


@dataclass(frozen=True)
class LabSpec:
    """What to build: a kind of topology, a network name and subnet, a number of hosts."""

    name: str
    kind: str  # "bridge" or "macvlan"
    network: str
    cidr: ipaddress.IPv4Network
    hosts: int


@dataclass(frozen=True)
class Host:
    """One answering address on a lab: the truth a sweep is checked against."""

    ip: str
    mac: str


@dataclass
class SweepLab:
    """A built lab: where to sweep from (namespace, interface) and who should answer."""

    spec: LabSpec
    sweeper_ns: str
    interface: str
    sweeper_ip: str
    sweeper_mac: str
    hosts: list[Host]
    hosts_ns: str | None = None
    """The macvlan lab's single hosts namespace (None for bridge labs)."""
    build_s: float = 0.0
    details: dict[str, Any] = field(default_factory=dict)

    def truth(self) -> dict[str, str]:
        """MAC -> IP of every host."""
        return {h.mac: h.ip for h in self.hosts}


def binary(name: str) -> str:
    """Absolute path of a program (also looking in the sbin directories)."""
    found = shutil.which(name, path=os.pathsep.join([os.environ.get("PATH", ""), *_EXTRA_PATH]))
    if found is None:
        raise LabError(f"{name} not found; install it (Debian: apt-get install {name})")
    return found


def run(args: Sequence[str], *, stdin: str | None = None, timeout: float = 60.0) -> str:
    """Run a command, return its stdout; LabError with its stderr if it fails."""
    try:
        proc = subprocess.run(
            list(args), input=stdin, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise LabError(f"timed out after {timeout}s: {' '.join(args)}") from exc
    if proc.returncode != 0:
        raise LabError(f"failed (exit {proc.returncode}): {' '.join(args)}\n{proc.stderr.strip()}")
    return proc.stdout


def check_lab_network(cidr: ipaddress.IPv4Network) -> None:
    """Refuse any subnet outside the benchmarking range."""
    if not cidr.subnet_of(SAFE_SUPERNET):
        raise LabError(f"{cidr} is outside the lab range {SAFE_SUPERNET}")


def pick_hosts(spec: LabSpec, exclude: Iterable[str], seed: int) -> list[Host]:
    """``spec.hosts`` distinct random addresses and MACs (same seed, same lab)."""
    rng = random.Random(f"{seed}-{spec.name}")
    taken = set(exclude)
    candidates = [str(a) for a in spec.cidr.hosts() if str(a) not in taken]
    if spec.hosts > len(candidates):
        raise LabError(f"{spec.cidr} has room for {len(candidates)} hosts, not {spec.hosts}")
    ips = rng.sample(candidates, spec.hosts)
    macs: set[str] = set()
    hosts = []
    for ip in ips:
        while True:
            if rng.random() < 0.2:  # locally administered, like a randomized phone MAC
                first = (rng.randrange(256) & 0xFC) | 0x02
                mac = ":".join(f"{b:02x}" for b in [first, *rng.randbytes(5)])
            else:
                mac = "00:16:3e:" + ":".join(f"{b:02x}" for b in rng.randbytes(3))
            if mac not in macs:
                break
        macs.add(mac)
        hosts.append(Host(ip, mac))
    return hosts


class Namespaces:
    """The namespaces this benchmark process created: create, configure, delete them."""

    def __init__(self) -> None:
        self.ip = binary("ip")
        self.prefix = f"{NS_PREFIX}-{os.getpid()}"
        self.created: list[str] = []

    def name(self, *parts: str) -> str:
        return "-".join([self.prefix, *parts])

    def add(self, names: Sequence[str]) -> None:
        """Create namespaces (one ``ip -batch`` process for all of them)."""
        for ns in names:
            if not ns.startswith(self.prefix + "-"):
                raise LabError(f"refusing to create a namespace outside {self.prefix}-*: {ns}")
        self.created.extend(names)  # registered first: a half-done batch is still cleaned up
        run([self.ip, "-batch", "-"], stdin="".join(f"netns add {ns}\n" for ns in names))

    def batch(self, ns: str, lines: Sequence[str]) -> None:
        """Run ``ip`` commands (without the leading ``ip``) inside one of our namespaces."""
        self._own(ns)
        run([self.ip, "-n", ns, "-batch", "-"], stdin="".join(line + "\n" for line in lines))

    def batch_many(self, jobs: Sequence[tuple[str, Sequence[str]]], workers: int = 8) -> None:
        """:meth:`batch` for many namespaces at once, in a small thread pool."""
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for future in [pool.submit(self.batch, ns, lines) for ns, lines in jobs]:
                future.result()

    def sysctl(self, ns: str, settings: Sequence[str]) -> None:
        """Set sysctls (``key=value``) inside one of our namespaces."""
        self._own(ns)
        run([self.ip, "netns", "exec", ns, binary("sysctl"), "-q", "-w", *settings])

    def links(self, ns: str, *args: str) -> list[dict[str, Any]]:
        """``ip -j [-s] link show ...`` inside one of our namespaces, parsed."""
        self._own(ns)
        out = run([self.ip, "-n", ns, "-j", *args])
        links: list[dict[str, Any]] = json.loads(out or "[]")
        return links

    def close(self) -> float:
        """Kill what still runs in our namespaces and delete them all; return the seconds taken."""
        started = time.perf_counter()
        self._kill_processes(self.created)
        existing = [ns for ns in self.created if (NETNS_DIR / ns).exists()]
        if existing:
            run([self.ip, "-batch", "-"], stdin="".join(f"netns del {ns}\n" for ns in existing))
        self.created.clear()
        return time.perf_counter() - started

    def _own(self, ns: str) -> None:
        if ns not in self.created:
            raise LabError(f"refusing to touch namespace {ns}: not created by this benchmark")

    @staticmethod
    def _kill_processes(names: Sequence[str]) -> None:
        inodes = set()
        for ns in names:
            try:
                inodes.add((NETNS_DIR / ns).stat().st_ino)
            except OSError:
                pass
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            try:
                if (entry / "ns" / "net").stat().st_ino in inodes:
                    os.kill(int(entry.name), signal.SIGKILL)
            except (OSError, ProcessLookupError):
                pass


def stale_namespaces() -> list[str]:
    """``lvbench-<pid>-*`` namespaces whose benchmark process is gone (left by ``--keep``)."""
    stale = []
    for path in NETNS_DIR.glob(f"{NS_PREFIX}-*") if NETNS_DIR.exists() else []:
        pid = path.name.split("-")[1]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            stale.append(path.name)
    return sorted(stale)


def remove_namespaces(names: Sequence[str]) -> None:
    """Delete leftover benchmark namespaces (only ``lvbench-*`` ones)."""
    names = [n for n in names if n.startswith(NS_PREFIX + "-")]
    if names:
        run([binary("ip"), "-batch", "-"], stdin="".join(f"netns del {n}\n" for n in names))


def _sweeper(spec: LabSpec) -> tuple[str, str]:
    check_lab_network(spec.cidr)
    ip = str(spec.cidr.network_address + 1)
    third, fourth = ip.split(".")[2:]
    return ip, f"02:00:c6:12:{int(third):02x}:{int(fourth):02x}"


def _wait(check: Callable[[], bool], what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise LabError(f"{what} not ready after {timeout} s")
        time.sleep(0.1)


def build_bridge_lab(nss: Namespaces, spec: LabSpec, seed: int) -> SweepLab:
    """Sweeper -- veth -- kernel bridge -- one veth + namespace per host."""
    started = time.perf_counter()
    sweeper_ip, sweeper_mac = _sweeper(spec)
    hosts = pick_hosts(spec, [sweeper_ip], seed)
    core, sweeper = nss.name(spec.name, "core"), nss.name(spec.name, "sw")
    host_ns = [nss.name(spec.name, f"h{i:03d}") for i in range(1, len(hosts) + 1)]
    nss.add([core, sweeper, *host_ns])
    bridge_mac = sweeper_mac[:-5] + "00:00"
    lines = [
        "link set dev lo up",
        f"link add name br0 address {bridge_mac} type bridge forward_delay 0 stp_state 0"
        " mcast_snooping 0",
        "link set dev br0 addrgenmode none",
        f"link add name sw0 type veth peer name {SWEEP_IFNAME} netns {sweeper}"
        f" address {sweeper_mac}",
        "link set dev sw0 addrgenmode none",
        "link set dev sw0 master br0 up",
    ]
    for i, (ns, host) in enumerate(zip(host_ns, hosts, strict=True), start=1):
        lines += [
            f"link add name p{i} type veth peer name eth0 netns {ns} address {host.mac}",
            f"link set dev p{i} addrgenmode none",
            f"link set dev p{i} master br0 up",
        ]
    lines.append("link set dev br0 up")
    nss.batch(core, lines)
    prefix = spec.cidr.prefixlen
    nss.batch(
        sweeper,
        [
            "link set dev lo up",
            f"link set dev {SWEEP_IFNAME} addrgenmode none",
            f"addr add {sweeper_ip}/{prefix} dev {SWEEP_IFNAME}",
            f"link set dev {SWEEP_IFNAME} up",
        ],
    )
    nss.batch_many(
        [
            (
                ns,
                [
                    "link set dev eth0 addrgenmode none",
                    f"addr add {host.ip}/{prefix} dev eth0",
                    "link set dev eth0 up",
                ],
            )
            for ns, host in zip(host_ns, hosts, strict=True)
        ]
    )

    def ports_up() -> bool:
        links = nss.links(core, "link", "show", "master", "br0")
        return sum(bool(link.get("operstate") == "UP") for link in links) == len(hosts) + 1

    _wait(ports_up, f"{spec.name}: bridge ports")
    return SweepLab(
        spec=spec,
        sweeper_ns=sweeper,
        interface=SWEEP_IFNAME,
        sweeper_ip=sweeper_ip,
        sweeper_mac=sweeper_mac,
        hosts=hosts,
        build_s=time.perf_counter() - started,
        details={"namespaces": 2 + len(host_ns), "bridge_ports": len(hosts) + 1},
    )


MACVLAN_SYSCTLS = (
    "net.ipv4.conf.all.arp_ignore=1",
    "net.ipv4.conf.default.arp_ignore=1",
    "net.ipv4.conf.all.arp_announce=2",
    "net.ipv4.conf.default.arp_announce=2",
    "net.ipv4.conf.all.rp_filter=0",
    "net.ipv4.conf.default.rp_filter=0",
    "net.ipv6.conf.all.disable_ipv6=1",
    "net.ipv6.conf.default.disable_ipv6=1",
)


def build_macvlan_lab(
    nss: Namespaces, spec: LabSpec, seed: int, bcqueuelen: int | None = None
) -> SweepLab:
    """Sweeper -- veth -- trunk0 carrying one macvlan per host, all in one namespace.

    ``bcqueuelen`` overrides the kernel's broadcast queue length (default 1000).
    """
    started = time.perf_counter()
    sweeper_ip, sweeper_mac = _sweeper(spec)
    hosts = pick_hosts(spec, [sweeper_ip], seed)
    sweeper, hosts_ns = nss.name(spec.name, "sw"), nss.name(spec.name, "hosts")
    nss.add([sweeper, hosts_ns])
    # Before any macvlan exists, so every one of them inherits the defaults.
    nss.sysctl(hosts_ns, MACVLAN_SYSCTLS)
    prefix = spec.cidr.prefixlen
    nss.batch(
        sweeper,
        [
            "link set dev lo up",
            f"link add name {SWEEP_IFNAME} address {sweeper_mac} type veth"
            f" peer name trunk0 netns {hosts_ns}",
            f"link set dev {SWEEP_IFNAME} addrgenmode none",
            f"addr add {sweeper_ip}/{prefix} dev {SWEEP_IFNAME}",
            f"link set dev {SWEEP_IFNAME} up",
        ],
    )
    lines = ["link set dev lo up", "link set dev trunk0 up"]
    queue = "" if bcqueuelen is None else f" bcqueuelen {bcqueuelen}"
    for i, host in enumerate(hosts, start=1):
        lines += [
            f"link add name mv{i} link trunk0 address {host.mac} type macvlan mode bridge{queue}",
            f"addr add {host.ip}/{prefix} dev mv{i} noprefixroute",
            f"link set dev mv{i} up",
        ]
    nss.batch(hosts_ns, lines)

    def macvlans_up() -> bool:
        links = nss.links(hosts_ns, "link", "show", "type", "macvlan")
        return sum(bool(link.get("operstate") == "UP") for link in links) == len(hosts)

    _wait(macvlans_up, f"{spec.name}: macvlans")
    info = nss.links(hosts_ns, "-d", "link", "show", "dev", "mv1")
    data = info[0].get("linkinfo", {}).get("info_data", {}) if info else {}
    return SweepLab(
        spec=spec,
        sweeper_ns=sweeper,
        interface=SWEEP_IFNAME,
        sweeper_ip=sweeper_ip,
        sweeper_mac=sweeper_mac,
        hosts=hosts,
        hosts_ns=hosts_ns,
        build_s=time.perf_counter() - started,
        details={"namespaces": 2, "macvlan": data, "sysctls": list(MACVLAN_SYSCTLS)},
    )


def build_lab(nss: Namespaces, spec: LabSpec, seed: int, bcqueuelen: int | None = None) -> SweepLab:
    """Build the lab ``spec`` describes inside namespaces owned by ``nss``."""
    if spec.kind == "bridge":
        return build_bridge_lab(nss, spec, seed)
    if spec.kind == "macvlan":
        return build_macvlan_lab(nss, spec, seed, bcqueuelen)
    raise LabError(f"unknown lab kind {spec.kind!r}")


def rx_dropped(nss: Namespaces, lab: SweepLab) -> dict[str, int]:
    """Receive-drop counters on the hosts' side of a lab (macvlan: trunk and macvlans)."""
    if lab.hosts_ns is None:
        return {}
    counts = {"trunk0": 0, "macvlans": 0}
    for link in nss.links(lab.hosts_ns, "-s", "link", "show"):
        dropped = int(link.get("stats64", {}).get("rx", {}).get("dropped", 0))
        if link.get("ifname") == "trunk0":
            counts["trunk0"] += dropped
        elif str(link.get("ifname", "")).startswith("mv"):
            counts["macvlans"] += dropped
    return counts


def softnet_dropped() -> int:
    """Packets dropped because a CPU's input backlog was full (all CPUs, whole machine)."""
    total = 0
    for line in Path("/proc/net/softnet_stat").read_text().splitlines():
        fields = line.split()
        if len(fields) > 1:
            total += int(fields[1], 16)
    return total
