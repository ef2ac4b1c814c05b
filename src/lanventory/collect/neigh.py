"""Reading the kernel's neighbour table: ``ip -j -s neigh show``, or a ``/proc/net/arp`` file.

Only reads the table; nothing is sent on the network.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from lanventory.collect.error import CollectError
from lanventory.collect.files import read_texts
from lanventory.sources.observation import SourceText

__all__ = ["IP_TIMEOUT", "collect_neigh"]

#: Seconds ``ip`` may take; reading the table is instant unless the host is in trouble.
IP_TIMEOUT = 10.0
_NO_DEVICE = "Cannot find device"


def _run(argv: list[str], interface: str | None) -> subprocess.CompletedProcess[bytes]:
    try:
        completed = subprocess.run(argv, capture_output=True, timeout=IP_TIMEOUT, check=False)
    except FileNotFoundError:
        raise CollectError(
            f"{argv[0]}: no such program: install iproute2 (e.g. 'apt install iproute2') "
            "to read the neighbour table"
        ) from None
    except PermissionError:
        raise CollectError(f"{argv[0]}: permission denied: cannot run it") from None
    except subprocess.TimeoutExpired:
        raise CollectError(f"'{' '.join(argv)}' did not finish in {IP_TIMEOUT:g} s") from None
    if completed.returncode != 0 and _NO_DEVICE in _text(completed.stderr):
        raise CollectError(
            f"interface {interface!r} does not exist on this host: set the network's interface "
            "to one 'ip link' lists here"
        )
    return completed


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def _name(argv: list[str]) -> str:
    """The command line as a source name, whatever path ``ip`` was run from."""
    return " ".join(["ip", *argv[1:]])


def _filter_device(text: str, interface: str) -> str:
    """The header and the rows of ``/proc/net/arp`` text for one device."""
    lines = text.splitlines(keepends=True)
    return "".join(
        line
        for number, line in enumerate(lines)
        if number == 0 or (line.split() or [""])[-1] == interface
    )


def collect_neigh(
    interface: str | None, *, proc_path: Path | None = None, ip_binary: str = "ip"
) -> list[SourceText]:
    """The neighbour table of ``interface`` (all interfaces when None).

    With ``proc_path``, read that ``/proc/net/arp``-style file, keeping only
    the rows of ``interface``. Otherwise run ``ip -j -s neigh show [dev X]``;
    when ``ip`` has no JSON output (BusyBox, iproute2 < 4.17), run
    ``ip neigh show [dev X]`` and return its text instead.
    """
    if proc_path is not None:
        (source,) = read_texts([proc_path])
        if interface is None:
            return [source]
        name = f"{source.name} (dev {interface})"
        return [SourceText(name, _filter_device(source.text, interface))]
    device = ["dev", interface] if interface else []
    argv = [ip_binary, "-j", "-s", "neigh", "show", *device]
    completed = _run(argv, interface)
    output = _text(completed.stdout)
    if completed.returncode == 0 and output.lstrip().startswith("["):
        return [SourceText(_name(argv), output)]
    # No JSON: an ip without -j complains or ignores it; ask for the text table.
    argv = [ip_binary, "neigh", "show", *device]
    completed = _run(argv, interface)
    if completed.returncode != 0:
        stderr = _text(completed.stderr).strip() or f"exit status {completed.returncode}"
        raise CollectError(f"'{' '.join(argv)}' failed: {stderr}")
    return [SourceText(_name(argv), _text(completed.stdout))]
