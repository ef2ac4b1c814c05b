"""A throw-away LAN built from Linux network namespaces, for lanventory's lab tests.

Topology (nothing is ever created in the host's root network namespace)::

    <prefix>-core namespace                     <prefix>-<device> namespaces
    +----------------------------------+
    | br0  198.18.0.1/24               |        +---------------------------+
    |  |-- port1 ===== veth ========================== eth0  <mac> [ip/24]  |
    |  |-- port2 ===== veth ===== ...   |        +---------------------------+
    |  `-- stub0 == stub1 (keeps br0   |
    |      running while it has no     |
    |      devices; Kea needs that)    |
    | kea-dhcp4, arp-scan run here     |
    +----------------------------------+

Every address lives in 198.18.0.0/24 (RFC 2544 benchmarking space).  ``kea-dhcp4`` and
``arp-scan`` only ever run inside the core namespace, ``udhcpc`` only inside a device
namespace, so no packet can reach a real interface of the machine.

Usage::

    with Lab(tmp_path) as lab:
        pc = lab.add_device("pc", "00:16:3e:00:00:01")
        kea = lab.start_kea()
        ip = pc.dhcp()
        rows = kea.rows()
        text = lab.arp_scan()

Leaving the ``with`` block stops every process the lab started and deletes its namespaces,
also when the block raised.
"""

from __future__ import annotations

import csv
import functools
import io
import ipaddress
import itertools
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Self

__all__ = [
    "BRIDGE",
    "BRIDGE_IP",
    "BRIDGE_MAC",
    "LAB_SUBNET",
    "Device",
    "KeaServer",
    "Lab",
    "LabError",
    "iter_lab_namespaces",
    "lab_available",
]

LAB_SUBNET = ipaddress.IPv4Network("198.18.0.0/24")
"""The one subnet of the lab: the bridge, the static devices and the Kea pool live here."""
_SAFE_SUPERNET = ipaddress.IPv4Network("198.18.0.0/15")
BRIDGE = "br0"
BRIDGE_IP = "198.18.0.1"
BRIDGE_MAC = "02:00:c6:12:00:01"
"""Fixed (locally administered) bridge MAC, so arp-scan's header line is reproducible."""
DEVICE_IFNAME = "eth0"
DEFAULT_POOL = "198.18.0.100 - 198.18.0.199"
NS_PREFIX = "lvlab"

_EXTRA_PATH = ("/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/bin", "/bin")
_BINARIES: Mapping[str, str] = {  # binary -> Debian package providing it
    "ip": "iproute2",
    "kea-dhcp4": "kea-dhcp4-server",
    "udhcpc": "udhcpc",
    "arp-scan": "arp-scan",
}
_MAC_RE = re.compile(r"^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$")
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,23}$")
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


class LabError(RuntimeError):
    """Building, driving or tearing down the lab failed."""


# --------------------------------------------------------------------------- helpers


def _which(name: str) -> str | None:
    path = os.pathsep.join([os.environ.get("PATH", ""), *_EXTRA_PATH])
    return shutil.which(name, path=path)


def _binary(name: str) -> str:
    found = _which(name)
    if found is None:
        raise LabError(f"{name} not found (install the {_BINARIES[name]} package)")
    return found


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


def _lab_ip(ip: str, *, what: str = "address") -> ipaddress.IPv4Address:
    addr = ipaddress.IPv4Address(ip)
    if addr not in _SAFE_SUPERNET:
        raise ValueError(f"{what} {ip} is outside the lab range {_SAFE_SUPERNET}")
    if addr not in LAB_SUBNET or addr in (LAB_SUBNET.network_address, LAB_SUBNET.broadcast_address):
        raise ValueError(f"{what} {ip} is not a host address of the lab subnet {LAB_SUBNET}")
    return addr


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


# --------------------------------------------------------------------------- availability


@functools.cache
def lab_available() -> str | None:
    """Return why a lab cannot be built here, or None if it can.

    Checks for Linux, root, the four binaries, and actually creates (and deletes) a probe
    namespace holding a bridge and a veth pair.  The result is cached per process.
    """
    if not sys.platform.startswith("linux"):
        return "network lab needs Linux network namespaces"
    if os.geteuid() != 0:
        return "network lab needs root (it creates network namespaces)"
    for name, package in _BINARIES.items():
        if _which(name) is None:
            return f"network lab needs {name} (Debian package {package})"
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


# --------------------------------------------------------------------------- Kea


class KeaServer:
    """A ``kea-dhcp4`` process serving the lab bridge from the core namespace."""

    def __init__(
        self,
        proc: subprocess.Popen[bytes],
        *,
        config_file: Path,
        lease_file: Path,
        log_file: Path,
        output_file: Path,
    ) -> None:
        self._proc = proc
        self.config_file = config_file
        self.lease_file = lease_file
        self.log_file = log_file
        self.output_file = output_file

    @property
    def pid(self) -> int:
        return self._proc.pid

    @property
    def running(self) -> bool:
        return self._proc.poll() is None

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

    def log_text(self) -> str:
        return self.log_file.read_text(errors="replace") if self.log_file.exists() else ""

    def stop(self) -> None:
        """Stop Kea (SIGTERM, SIGKILL after 5 s).  Idempotent."""
        _stop_process(self._proc)

    def _wait_ready(self, timeout: float) -> None:
        def ready() -> bool:
            if self._proc.poll() is not None:
                raise LabError(
                    f"kea-dhcp4 exited with {self._proc.returncode} during start-up:\n"
                    f"{_tail(self.log_file)}\n{_tail(self.output_file)}"
                )
            return "DHCP4_STARTED" in self.log_text() and self.lease_file.exists()

        if not _wait_until(ready, timeout):
            self.stop()
            raise LabError(f"kea-dhcp4 not ready after {timeout}s:\n{_tail(self.log_file)}")
        problems = [
            line
            for line in self.log_text().splitlines()
            if "DHCPSRV_OPEN_SOCKET_FAIL" in line or "DHCPSRV_NO_SOCKETS_OPEN" in line
        ]
        if problems:
            self.stop()
            raise LabError("kea-dhcp4 could not open its socket:\n" + "\n".join(problems))


# --------------------------------------------------------------------------- devices


class Device:
    """One host on the lab LAN: its own namespace with ``eth0`` cabled to the bridge."""

    def __init__(self, lab: Lab, *, name: str, ns: str, port: str, mac: str) -> None:
        self.lab = lab
        self.name = name
        self.ns = ns
        self.ifname = DEVICE_IFNAME
        self.port = port
        """The bridge-side end of the veth, in the core namespace."""
        self.mac = mac
        self.static_ip: str | None = None
        self.leased_ip: str | None = None
        """Address from the last successful :meth:`dhcp` (None after a release)."""

    def __repr__(self) -> str:
        return f"Device({self.name!r}, mac={self.mac!r}, ns={self.ns!r})"

    def run(
        self, args: Sequence[str], *, timeout: float = 15.0
    ) -> subprocess.CompletedProcess[str]:
        """Run a command inside this device's namespace (raises LabError on failure)."""
        return _run([self.lab.ip, "netns", "exec", self.ns, *args], timeout=timeout)

    def set_ip(self, ip: str | None) -> None:
        """Replace the interface's IPv4 addresses with ``ip``/24 (or none)."""
        self.lab._ip("-n", self.ns, "-4", "addr", "flush", "dev", self.ifname)
        if ip is not None:
            addr = _lab_ip(ip)
            prefix = LAB_SUBNET.prefixlen
            self.lab._ip("-n", self.ns, "addr", "add", f"{addr}/{prefix}", "dev", self.ifname)
        self.static_ip = ip

    def set_mac(self, new_mac: str) -> None:
        """Change the interface MAC (link down, set address, link up).  Addresses are kept."""
        mac = _normalise_mac(new_mac)
        self.lab._ip("-n", self.ns, "link", "set", "dev", self.ifname, "down")
        self.lab._ip("-n", self.ns, "link", "set", "dev", self.ifname, "address", mac)
        self.lab._ip("-n", self.ns, "link", "set", "dev", self.ifname, "up")
        self.mac = mac
        self.leased_ip = None
        self.lab._wait_oper_up(self.ns, self.ifname)

    def unplug(self) -> None:
        """Take the bridge port down: the device vanishes from the LAN but keeps its state."""
        self.lab._ip("-n", self.lab.core_ns, "link", "set", "dev", self.port, "down")

    def plug(self) -> None:
        """Undo :meth:`unplug`."""
        self.lab._ip("-n", self.lab.core_ns, "link", "set", "dev", self.port, "up")
        self.lab._wait_oper_up(self.ns, self.ifname)

    def dhcp(self, release: bool = False, requested_ip: str | None = None) -> str | None:
        """Run ``udhcpc`` once; return the leased address (also set on eth0) or None.

        With ``release=True`` the lease is released right after it was obtained, so the
        server records a release; the interface ends up without an IPv4 address.
        ``requested_ip`` is sent as option 50 (``udhcpc -r``).
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
            args += ["-r", str(_lab_ip(requested_ip, what="requested_ip"))]
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
            kea = lab.kea
            if leased is not None and kea is not None and kea.running:
                # The RELEASE is processed asynchronously: wait until Kea has persisted it.
                mac = self.mac
                kea.wait_for_rows(
                    lambda rows: any(
                        r["hwaddr"] == mac and r["address"] == leased and r["valid_lifetime"] == "0"
                        for r in rows
                    )
                )
        else:
            self.leased_ip = leased
        return leased

    def renew(self) -> str | None:
        """Ask for the current lease again (same MAC), so Kea appends a renewal row."""
        return self.dhcp(requested_ip=self.leased_ip)

    def release(self) -> str | None:
        """Shorthand for ``dhcp(release=True, requested_ip=<current lease>)``."""
        return self.dhcp(release=True, requested_ip=self.leased_ip)

    @staticmethod
    def _read_result(result: Path) -> str | None:
        try:
            text = result.read_text().strip()
        except FileNotFoundError:
            return None
        return text or None


# --------------------------------------------------------------------------- the lab


class Lab:
    """A private LAN: a core namespace with bridge ``br0`` (198.18.0.1/24) plus devices.

    ``workdir`` receives the Kea config, lease file and logs, the udhcpc script and logs.
    Use as a context manager; :meth:`close` is idempotent.
    """

    def __init__(self, workdir: Path | str) -> None:
        self.workdir = Path(workdir)
        self.prefix = f"{NS_PREFIX}-{os.getpid()}-{next(_lab_counter)}{secrets.token_hex(2)}"
        self.core_ns = f"{self.prefix}-core"
        self.bridge = BRIDGE
        self.bridge_ip = BRIDGE_IP
        self.bridge_mac = BRIDGE_MAC
        self.subnet = LAB_SUBNET
        self.devices: dict[str, Device] = {}
        self.kea: KeaServer | None = None
        self.udhcpc_script = self.workdir / "udhcpc-event.sh"
        self._namespaces: list[str] = []
        self._processes: list[subprocess.Popen[bytes]] = []
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
        """Create the core namespace and the bridge (called by ``__enter__``)."""
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
            self._ip(
                "-n", core, "link", "add", "name", self.bridge, "address", self.bridge_mac,
                "type", "bridge", "forward_delay", "0", "stp_state", "0", "mcast_snooping", "0",
            )  # fmt: skip
            # A bridge without running ports has no carrier and Kea refuses to open its socket
            # on it ("interface br0 is not running"); a veth pair kept inside the core
            # namespace holds it up.  (`dummy` would do too, but its module is often missing.)
            self._ip("-n", core, "link", "add", "stub0", "type", "veth", "peer", "name", "stub1")
            self._ip("-n", core, "link", "set", "dev", "stub0", "master", self.bridge, "up")
            self._ip("-n", core, "link", "set", "dev", "stub1", "up")
            self._ip(
                "-n", core, "addr", "add", f"{self.bridge_ip}/{LAB_SUBNET.prefixlen}",
                "dev", self.bridge,
            )  # fmt: skip
            self._ip("-n", core, "link", "set", "dev", self.bridge, "up")
            self._wait_oper_up(core, self.bridge)
        except BaseException:
            self.close()
            raise

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
        if self.kea is not None:
            try:
                self.kea.stop()
            except OSError as exc:
                errors.append(f"stopping kea-dhcp4: {exc}")
        # Device namespaces first: deleting one destroys its veth, and with it the bridge port.
        for ns in reversed(self._namespaces):
            try:
                self._kill_namespace_processes(ns)
                self._ip("netns", "del", ns)
            except (LabError, OSError) as exc:
                errors.append(f"deleting namespace {ns}: {exc}")
        self._namespaces.clear()
        if errors:
            raise LabError("lab cleanup incomplete:\n" + "\n".join(errors))

    # -- building ----------------------------------------------------------------------

    def add_device(self, name: str, mac: str, ip: str | None = None) -> Device:
        """Add a host: namespace ``<prefix>-<name>`` whose ``eth0`` has ``mac`` (and ``ip``/24)."""
        self._require_running()
        if not _NAME_RE.match(name):
            raise ValueError(f"device name must match {_NAME_RE.pattern}: {name!r}")
        if name in self.devices:
            raise ValueError(f"duplicate device name {name!r}")
        norm_mac = _normalise_mac(mac)
        if ip is not None:
            _lab_ip(ip)
        ns = f"{self.prefix}-{name}"
        port = f"port{len(self.devices) + 1}"
        self._add_namespace(ns)
        self._ip("-n", ns, "link", "set", "dev", "lo", "up")
        # Both ends are created inside lab namespaces: the peer goes straight into `ns`.
        self._ip(
            "-n", self.core_ns, "link", "add", "name", port, "type", "veth",
            "peer", "name", DEVICE_IFNAME, "netns", ns,
        )  # fmt: skip
        self._ip("-n", ns, "link", "set", "dev", DEVICE_IFNAME, "address", norm_mac)
        device = Device(self, name=name, ns=ns, port=port, mac=norm_mac)
        if ip is not None:
            device.set_ip(ip)
        self._ip("-n", self.core_ns, "link", "set", "dev", port, "master", self.bridge, "up")
        self._ip("-n", ns, "link", "set", "dev", DEVICE_IFNAME, "up")
        self._wait_oper_up(ns, DEVICE_IFNAME)
        self.devices[name] = device
        return device

    def start_kea(self, pool: str = DEFAULT_POOL, valid_lifetime: int = 3600) -> KeaServer:
        """Start ``kea-dhcp4`` on br0 in the core namespace and wait until it serves."""
        self._require_running()
        if self.kea is not None and self.kea.running:
            raise LabError("kea-dhcp4 is already running in this lab")
        first, sep, last = pool.partition("-")
        if not sep:
            raise ValueError(f"pool must look like 'A - B': {pool!r}")
        lo, hi = _lab_ip(first.strip(), what="pool start"), _lab_ip(last.strip(), what="pool end")
        if (
            lo > hi
            or ipaddress.IPv4Address(self.bridge_ip) in (lo, hi)
            or (lo < ipaddress.IPv4Address(self.bridge_ip) < hi)
        ):
            raise ValueError(f"bad pool {pool!r} (empty or containing the bridge address)")
        if valid_lifetime < 1:
            raise ValueError("valid_lifetime must be positive")

        run_dir = self.workdir / "kea-run"
        run_dir.mkdir(exist_ok=True)
        config_file = self.workdir / "kea-dhcp4.json"
        lease_file = self.workdir / "kea-leases4.csv"
        log_file = self.workdir / "kea-dhcp4.log"
        output_file = self.workdir / "kea-dhcp4.out"
        config: dict[str, Any] = {
            "Dhcp4": {
                "interfaces-config": {
                    "interfaces": [self.bridge],
                    "dhcp-socket-type": "raw",
                    "service-sockets-require-all": True,
                },
                "lease-database": {
                    "type": "memfile",
                    "name": str(lease_file),
                    "persist": True,
                    "lfc-interval": 0,
                },
                "valid-lifetime": valid_lifetime,
                "subnet4": [
                    {"id": 1, "subnet": str(LAB_SUBNET), "pools": [{"pool": f"{lo} - {hi}"}]}
                ],
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
        env = {
            **os.environ,
            "KEA_PIDFILE_DIR": str(run_dir),
            "KEA_LOCKFILE_DIR": str(run_dir),
        }
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
        )
        self.kea._wait_ready(timeout=10.0)
        return self.kea

    def arp_scan(self, extra_args: Sequence[str] | None = None) -> str:
        """Sweep 198.18.0.0/24 from br0 with arp-scan inside the core namespace; return stdout."""
        self._require_running()
        args = [
            self.ip, "netns", "exec", self.core_ns, self.arp_scan_bin,
            "--interface", self.bridge, "--retry=2", "--timeout=150",
            *(extra_args or ()), str(LAB_SUBNET),
        ]  # fmt: skip
        return _run(args, timeout=60).stdout

    def namespaces(self) -> list[str]:
        """The namespaces this lab created and still owns, core first."""
        return list(self._namespaces)

    # -- internals ---------------------------------------------------------------------

    def _require_running(self) -> None:
        if not self._started or self._closed:
            raise LabError("lab is not running (use it as a context manager)")

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


def iter_lab_namespaces() -> Iterator[str]:
    """Names of all lab namespaces currently present (any process), for diagnostics."""
    proc = _run([_binary("ip"), "netns", "list"], check=False)
    for line in proc.stdout.splitlines():
        name = line.split(" ", 1)[0]
        if name.startswith(f"{NS_PREFIX}-"):
            yield name
