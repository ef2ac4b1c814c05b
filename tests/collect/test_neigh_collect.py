"""collect_neigh: a real neighbour table in a throw-away namespace, and ip's failure modes.

The namespace test adds entries by hand (``nud permanent``/``nud stale``): no
packet is sent anywhere, and the namespace is deleted afterwards.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from lanventory.collect.error import CollectError
from lanventory.collect.neigh import collect_neigh
from lanventory.sources import neigh
from lanventory.sources.observation import SourceText
from tests.conftest import SAMPLE_NOW, fixture_path

IFACE = "lv0"
PERMANENT = ("198.18.200.2", "02:00:c6:12:c8:02")
STALE = ("198.18.200.3", "02:00:c6:12:c8:03")


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=10)


@pytest.fixture
def namespace() -> Iterator[str]:
    """A namespace holding a veth pair on 198.18.200.0/24 and two hand-made entries."""
    if os.geteuid() != 0:
        pytest.skip("needs root to create a network namespace")
    if shutil.which("ip") is None:
        pytest.skip("needs ip (iproute2) to create a network namespace")
    name = f"lvtest-neigh-{secrets.token_hex(4)}"
    try:
        _ip("netns", "add", name)
    except subprocess.CalledProcessError as error:
        pytest.skip(f"cannot create a network namespace: {error.stderr.decode().strip()}")
    try:
        subprocess.run(
            ["ip", "netns", "exec", name, "sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1"],
            check=False,
            capture_output=True,
            timeout=10,
        )
        _ip("-n", name, "link", "add", IFACE, "type", "veth", "peer", "name", "lv1")
        _ip("-n", name, "addr", "add", "198.18.200.1/24", "dev", IFACE)
        _ip("-n", name, "link", "set", IFACE, "up")
        _ip("-n", name, "link", "set", "lv1", "up")
        ip, mac = PERMANENT
        _ip("-n", name, "neigh", "add", ip, "lladdr", mac, "dev", IFACE, "nud", "permanent")
        ip, mac = STALE
        _ip("-n", name, "neigh", "replace", ip, "lladdr", mac, "dev", IFACE, "nud", "stale")
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], check=False, capture_output=True, timeout=10)


def collect_in(namespace: str, call: str) -> list[SourceText] | str:
    """Run ``collect_neigh(...)`` inside ``namespace``: its sources, or its CollectError."""
    program = (
        "import json\n"
        "from pathlib import Path\n"
        "from lanventory.collect.error import CollectError\n"
        "from lanventory.collect.neigh import collect_neigh\n"
        "try:\n"
        f"    texts = {call}\n"
        "except CollectError as error:\n"
        "    print(json.dumps(str(error)))\n"
        "else:\n"
        "    print(json.dumps([[t.name, t.text] for t in texts]))\n"
    )
    argv = ["ip", "netns", "exec", namespace, sys.executable, "-c", program]
    completed = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=True)
    answer = json.loads(completed.stdout)
    if isinstance(answer, str):
        return answer
    return [SourceText(name, text) for name, text in answer]


@pytest.mark.lab
def test_reads_the_table_of_an_interface(namespace: str) -> None:
    texts = collect_in(namespace, f"collect_neigh({IFACE!r})")
    assert isinstance(texts, list)
    (source,) = texts
    assert source.name == f"ip -j -s neigh show dev {IFACE}"
    assert source.text.startswith("[")
    entries = json.loads(source.text)
    assert all("dev" not in entry for entry in entries)  # left out with "dev X"
    result = neigh.parse(texts, SAMPLE_NOW)
    assert result.error is None
    assert {(o.ip, o.mac, o.active) for o in result.observations} == {
        (*PERMANENT, True),
        (*STALE, False),
    }


@pytest.mark.lab
def test_reads_every_interface_and_proc_net_arp(namespace: str) -> None:
    texts = collect_in(namespace, "collect_neigh(None)")
    assert isinstance(texts, list) and texts[0].name == "ip -j -s neigh show"
    assert {o.ip for o in neigh.parse(texts, SAMPLE_NOW).observations} == {
        PERMANENT[0],
        STALE[0],
    }
    call = f"collect_neigh({IFACE!r}, proc_path=Path('/proc/net/arp'))"
    texts = collect_in(namespace, call)
    assert isinstance(texts, list) and texts[0].name == f"/proc/net/arp (dev {IFACE})"
    result = neigh.parse(texts, SAMPLE_NOW)
    # /proc/net/arp has no NUD state: the stale entry reads as present.
    assert {(o.ip, o.mac, o.active) for o in result.observations} == {
        (*PERMANENT, True),
        (*STALE, True),
    }


@pytest.mark.lab
def test_an_interface_missing_from_this_host(namespace: str) -> None:
    message = collect_in(namespace, "collect_neigh('nosuch0')")
    assert isinstance(message, str)
    assert message.startswith("interface 'nosuch0' does not exist on this host")


def fake_ip(tmp_path: Path, script: str) -> str:
    """An ``ip`` stand-in: a shell script run with ip's arguments."""
    path = tmp_path / "ip"
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


BUSYBOX = """\
case "$1" in
  -j) echo "ip: invalid option -- 'j'" >&2; echo "BusyBox v1.36.1 multi-call binary." >&2; exit 1;;
esac
echo "$@" > "$(dirname "$0")/args"
echo "198.18.200.2 dev br-lan lladdr 02:00:c6:12:c8:02 REACHABLE"
"""


def test_falls_back_to_text_when_ip_has_no_json(tmp_path: Path) -> None:
    (source,) = collect_neigh("br-lan", ip_binary=fake_ip(tmp_path, BUSYBOX))
    assert source.name == "ip neigh show dev br-lan"
    assert (tmp_path / "args").read_text() == "neigh show dev br-lan\n"
    result = neigh.parse([source], SAMPLE_NOW)
    assert [(o.ip, o.active) for o in result.observations] == [("198.18.200.2", True)]


def test_cannot_find_device(tmp_path: Path) -> None:
    script = 'echo "Cannot find device \\"$6\\"" >&2; exit 1\n'
    with pytest.raises(CollectError, match="interface 'eth9' does not exist on this host"):
        collect_neigh("eth9", ip_binary=fake_ip(tmp_path, script))


def test_missing_ip_binary(tmp_path: Path) -> None:
    with pytest.raises(CollectError, match="install iproute2"):
        collect_neigh(None, ip_binary=str(tmp_path / "no-ip"))


def test_other_failures_carry_ips_message(tmp_path: Path) -> None:
    script = 'echo "RTNETLINK answers: Operation not permitted" >&2; exit 2\n'
    with pytest.raises(CollectError, match="RTNETLINK answers: Operation not permitted"):
        collect_neigh(None, ip_binary=fake_ip(tmp_path, script))


def test_proc_file_is_filtered_to_the_interface(tmp_path: Path) -> None:
    arp = tmp_path / "arp"
    arp.write_text(
        fixture_path("neigh", "shared-sample-linux-proc-net-arp.txt").read_text()
        + "10.9.9.9         0x1         0x2         00:16:3e:00:00:09     *        eth1\n"
    )
    (every,) = collect_neigh(None, proc_path=arp)
    assert every.name == str(arp) and "10.9.9.9" in every.text
    (source,) = collect_neigh("eth0", proc_path=arp)
    assert source.name == f"{arp} (dev eth0)"
    assert source.text.startswith("IP address") and "10.9.9.9" not in source.text
    assert len(neigh.parse([source], SAMPLE_NOW).observations) == 4


def test_missing_proc_file(tmp_path: Path) -> None:
    with pytest.raises(CollectError, match="no such file"):
        collect_neigh(None, proc_path=tmp_path / "arp")
