"""Kea lease files for the reliability tests: generated logs, and Kea's lease file cleanup done
for real on them, the way kea-dhcp4 2.2 and kea-lfc do it.

kea-dhcp4 starts a cleanup by renaming the live file ``X`` to ``X.1`` (only when ``X.1``
does not exist) and opening a new ``X``; kea-lfc (``-x X.2 -i X.1 -o X.output -f
X.completed``) writes the merged leases of ``X.2`` and ``X.1`` to ``X.output``, renames it
``X.completed``, removes ``X.2`` and ``X.1`` and renames ``X.completed`` to ``X.2``.
"""

from __future__ import annotations

import ipaddress
import os
import random
from collections.abc import Iterable
from pathlib import Path

from lanventory.sources import kea_csv

HEADER = ",".join(kea_csv.V4_COLUMNS)
#: Every generated device is in this network.
CIDR = "10.0.0.0/8"


def device(n: int) -> tuple[str, str]:
    """The MAC and address of generated device ``n`` (a universal MAC, a 10/8 address)."""
    mac = f"3c:22:fb:{n >> 16 & 0xFF:02x}:{n >> 8 & 0xFF:02x}:{n & 0xFF:02x}"
    return mac, str(ipaddress.IPv4Address(0x0A000001 + n))


def lease_row(n: int, expire: int, *, valid: int = 3600, host: str = "") -> str:
    """One lease line of device ``n`` (state 0: default), newline included."""
    mac, ip = device(n)
    return f"{ip},{mac},,{valid},{expire},1,0,0,{host},0,,0\n"


def write_leases(path: Path, rows: Iterable[str]) -> None:
    """A lease file: the header, then ``rows``."""
    with path.open("w") as out:
        out.write(HEADER + "\n")
        out.writelines(rows)


def generate(path: Path, *, lines: int, devices: int, expire: int, seed: int = 7) -> None:
    """A busy server's log: every device leased once, then ``lines - devices`` renewals of
    random devices, every lease active until about ``expire``."""
    rng = random.Random(seed)
    with path.open("w") as out:
        out.write(HEADER + "\n")
        for n in range(devices):
            out.write(lease_row(n, expire, host=f"host-{n}" if n % 3 else ""))
        for i in range(max(lines - devices, 0)):
            n = rng.randrange(devices)
            out.write(lease_row(n, expire + i % 600, host=f"host-{n}" if n % 3 else ""))


def append(path: Path, rows: Iterable[str]) -> None:
    """Append lease lines to the live file, as kea-dhcp4 does on every renewal."""
    with path.open("a") as out:
        out.writelines(rows)
        out.flush()


def sibling(live: Path, suffix: str) -> Path:
    return live.with_name(live.name + suffix)


def start_cleanup(live: Path) -> bool:
    """kea-dhcp4's part: ``X`` becomes ``X.1`` and a new, header-only ``X`` starts.

    Like Kea, nothing is renamed while ``X.1`` exists (a cleanup still in progress).
    """
    copy = sibling(live, ".1")
    if copy.exists():
        return False
    os.rename(live, copy)
    write_leases(live, [])
    return True


def merge(*paths: Path) -> list[str]:
    """The last line of every address over ``paths`` in order, deletes dropped (kea-lfc)."""
    latest: dict[str, str] = {}
    for path in paths:
        if not path.exists():
            continue
        for line in path.read_text().splitlines(keepends=True)[1:]:
            fields = line.split(",")
            if len(fields) < 4 or not line.endswith("\n"):
                continue
            latest.pop(fields[0], None)
            if fields[3] != "0":
                latest[fields[0]] = line
    return list(latest.values())


def write_output(live: Path) -> None:
    """kea-lfc's first part: ``X.2`` + ``X.1`` merged into ``X.output``, renamed ``X.completed``."""
    output = sibling(live, ".output")
    write_leases(output, merge(sibling(live, ".2"), sibling(live, ".1")))
    os.rename(output, sibling(live, ".completed"))


def finish_cleanup(live: Path) -> None:
    """kea-lfc's last part: remove ``X.2`` and ``X.1``, rename ``X.completed`` to ``X.2``."""
    for suffix in (".2", ".1"):
        sibling(live, suffix).unlink(missing_ok=True)
    os.rename(sibling(live, ".completed"), sibling(live, ".2"))


def full_cleanup(live: Path) -> None:
    """A whole cleanup: rotate, merge, finish."""
    start_cleanup(live)
    write_output(live)
    finish_cleanup(live)
