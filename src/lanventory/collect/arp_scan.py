"""Running ``arp-scan -I IFACE CIDR`` for a configured network."""

from __future__ import annotations

import shutil
import subprocess
from ipaddress import IPv4Network

from lanventory.collect.error import CollectError
from lanventory.sources.observation import SourceText

_SBIN = "/usr/local/sbin:/usr/sbin:/sbin"


def _find(binary: str) -> str:
    found = shutil.which(binary) or shutil.which(binary, path=_SBIN)
    if found is None:
        raise CollectError(
            f"arp-scan is not installed ({binary!r} is not on PATH): install it with "
            "`sudo apt install arp-scan`, or set sweep.arp_scan to its path"
        )
    return found


def _explain(binary: str, interface: str, code: int, stderr: str) -> str:
    text = stderr.strip()
    last = text.splitlines()[-1] if text else "(no message)"
    lowered = text.lower()
    if "permission" in lowered or "operation not permitted" in lowered:
        return (
            f"arp-scan has no permission to capture on {interface}: it needs CAP_NET_RAW. "
            f"Run `sudo setcap cap_net_raw+ep {binary}` once, or run lanventory as root. "
            f"arp-scan said: {last}"
        )
    if "no such device" in lowered or "doesn't exist" in lowered or "not found" in lowered:
        return (
            f"interface {interface!r} does not exist on this host: set the network's "
            f"'interface' to one `ip link` lists. arp-scan said: {last}"
        )
    return f"arp-scan exited with status {code}: {last}"


def run_arp_scan(
    interface: str, cidr: IPv4Network, *, binary: str = "arp-scan", timeout: float = 600
) -> SourceText:
    """Sweep ``cidr`` on ``interface`` with arp-scan's default settings; its stdout."""
    path = _find(binary)
    command = [path, "-I", interface, str(cidr)]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, errors="replace", timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        raise CollectError(f"arp-scan did not finish within {timeout:.0f} s") from None
    except PermissionError:
        raise CollectError(f"{path}: permission denied: lanventory may not execute it") from None
    if done.returncode != 0:
        raise CollectError(_explain(path, interface, done.returncode, done.stderr))
    return SourceText(f"arp-scan -I {interface} {cidr}", done.stdout)
