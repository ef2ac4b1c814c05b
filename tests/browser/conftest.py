"""Fixtures for the browser tests: a real ``lanventory serve`` and a headless Chromium.

- ``lanventory``: runs the ``lanventory`` command on the session's database and config.
- ``server``: ``lanventory serve`` on a free loopback port, after ingesting a small
  history (see :func:`_seed`); ``server.url``, ``server.password``.
- ``browser``: one headless Chromium (Debian's ``chromium`` and ``chromium-driver``) for
  the session, with its console log kept and every ``alert()`` recorded.
- ``screenshot_dir``: ``docs/screenshots``, or ``$LANVENTORY_SCREENSHOTS``.

The network ``lan`` is declared on 198.18.0.0/24 with no sweep and no sources, so the
server never sweeps or reads anything by itself; every device comes from ``ingest``.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.remote.webdriver import WebDriver

from lanventory.store.devices import edit_device
from lanventory.store.engine import create_engine
from tests.conftest import SAMPLE_NOW, fixture_path
from tests.serve_banner import read_banner

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
#: Records every ``alert()`` of every document in ``window.__alerts`` (and still shows it);
#: injected before any script of the page runs.
ALERT_RECORDER = """
window.__alerts = [];
const shown = window.alert.bind(window);
window.alert = (message) => { window.__alerts.push(String(message)); return shown(message); };
"""
#: The desktop viewport of the tests and the screenshots.
WINDOW = (1280, 900)
NETWORK = "lan"
NOW = int(SAMPLE_NOW.timestamp())
DAY = 86400

#: Attacker-controlled hostnames: one stays in the queue, one is promoted unnamed.
HOSTILE_IMG = "<img src=x onerror=alert(1)>"
HOSTILE_SCRIPT = "<script>alert(2)</script>"
HOSTILE_IMG_MAC = "00:16:3e:66:66:01"
HOSTILE_SCRIPT_MAC = "00:16:3e:66:66:02"
#: A device with a history: swept, away for four days, back on a new IP.
PRINTER_MAC = "dc:a6:32:00:00:05"
#: A known device last seen 40 days ago: the band marks it "absent 40d".
OLD_NAS_MAC = "00:16:3e:00:00:40"

#: A visitor whose lease ends the NAS's presence; pruned later, being new.
GUEST_MAC = "00:16:3e:00:00:41"
#: Devices the owner has named and grouped: (mac, name, group, other fields).
PROMOTED: tuple[tuple[str, str, str, dict[str, object]], ...] = (
    ("3c:22:fb:12:34:56", "MacBook Air", "Personal", {}),
    ("de:ad:7e:11:22:33", "John's iPhone", "Personal", {}),
    ("a4:cf:12:01:02:03", "Kitchen display", "Smart Home", {}),
    ("74:ac:b9:12:34:56", "Gateway", "Network", {}),
    ("b8:27:eb:aa:bb:cc", "Pi-hole", "Network", {}),
    (PRINTER_MAC, "Printer", "Office", {"note": "second floor, by the window"}),
    (HOSTILE_SCRIPT_MAC, "", "Entertainment", {"flagged": True}),
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _lanventory_command() -> list[str]:
    """The installed ``lanventory`` script beside this Python, else ``python -m``."""
    script = Path(sys.executable).with_name("lanventory")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "lanventory.cli"]


def arp_scan_capture(*hosts: tuple[str, str, str]) -> str:
    """arp-scan 1.10.0's default output for ``hosts`` (ip, mac, vendor)."""
    lines = [
        "Interface: eth0, type: EN10MB, MAC: 02:42:c0:a8:01:0a, IPv4: 192.168.1.10",
        "Starting arp-scan 1.10.0 with 256 hosts (https://github.com/royhills/arp-scan)",
        *("\t".join(host) for host in hosts),
        "",
        f"{len(hosts)} packets received by filter, 0 packets dropped by kernel",
        "Ending arp-scan 1.10.0: 256 hosts scanned in 2.041 seconds (125.43 hosts/sec). "
        f"{len(hosts)} responded",
    ]
    return "\n".join(lines) + "\n"


def kea_csv(*leases: tuple[str, str, int, str]) -> str:
    """A Kea memfile ``kea-leases4.csv`` with ``leases`` (ip, mac, expire, hostname)."""
    header = "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,"
    header += "hostname,state,user_context,pool_id"
    rows = [f"{ip},{mac},,3600,{expire},1,0,0,{name},0,,0" for ip, mac, expire, name in leases]
    return "\n".join([header, *rows]) + "\n"


@dataclass(frozen=True, slots=True)
class Lanventory:
    """The ``lanventory`` command bound to one database and config."""

    db: str
    config: Path
    env: dict[str, str]

    def argv(self, *args: str) -> list[str]:
        return [*_lanventory_command(), "--db", self.db, "--config", str(self.config), *args]

    def __call__(self, *args: str) -> str:
        done = subprocess.run(
            self.argv(*args), capture_output=True, text=True, env=self.env, timeout=60
        )
        assert done.returncode == 0, f"lanventory {' '.join(args)}: {done.stderr}{done.stdout}"
        return done.stdout

    def ingest(self, kind: str, path: Path, now: int | None = None) -> str:
        """``lanventory ingest`` of one capture, as of ``now`` (epoch seconds) if given."""
        when = () if now is None else ("--now", str(now))
        return self("ingest", "--network", NETWORK, *when, kind, str(path))


@pytest.fixture(scope="session")
def lanventory(tmp_path_factory: pytest.TempPathFactory) -> Lanventory:
    root = tmp_path_factory.mktemp("lanventory-serve")
    config = root / "cfg.toml"
    config.write_text(f'[[networks]]\nname = "{NETWORK}"\ncidr = "198.18.0.0/24"\n')
    env = {**os.environ, "LANVENTORY_DATA_DIR": str(root / "data"), "PYTHONUNBUFFERED": "1"}
    return Lanventory(f"sqlite:///{root / 'lv.db'}", config, env)


def _seed(lv: Lanventory, root: Path) -> None:
    """Forty days of history, then the shared samples at their time, then the owner's edits.

    The NAS leaves 39 days before the samples; the printer is swept six days before,
    missed four days before, then seen by Kea and arp-scan (on a new IP) at their time.
    """
    old = NOW - 40 * DAY
    (root / "old.leases").write_text(f"{old + 3600} {OLD_NAS_MAC} 192.168.1.40 old-nas *\n")
    (root / "later.leases").write_text(f"{old + 2 * DAY} {GUEST_MAC} 192.168.1.41 guest *\n")
    gateway = ("192.168.1.1", "74:ac:b9:12:34:56", "Ubiquiti Networks Inc.")
    printer = ("192.168.1.5", PRINTER_MAC, "Raspberry Pi Trading Ltd")
    (root / "sweep-1.txt").write_text(arp_scan_capture(gateway, printer))
    (root / "sweep-2.txt").write_text(arp_scan_capture(gateway))
    hostile = root / "hostile"
    hostile.mkdir()
    (hostile / "kea-leases4.csv").write_text(
        kea_csv(
            ("192.168.1.66", HOSTILE_IMG_MAC, NOW + 3000, HOSTILE_IMG),
            ("192.168.1.67", HOSTILE_SCRIPT_MAC, NOW + 3000, HOSTILE_SCRIPT),
        )
    )
    lv.ingest("dnsmasq", root / "old.leases", old)
    lv.ingest("dnsmasq", root / "later.leases", old + DAY)  # the NAS leaves
    _promote(lv, [(OLD_NAS_MAC, "Old NAS", "Network", {})], old + DAY)  # before it is pruned
    lv.ingest("arp-scan", root / "sweep-1.txt", NOW - 6 * DAY)
    lv.ingest("arp-scan", root / "sweep-2.txt", NOW - 4 * DAY)  # the printer leaves
    lv.ingest("kea-csv", fixture_path("kea-csv", "shared-sample-kea-3.0", "kea-leases4.csv"), NOW)
    lv.ingest(
        "arp-scan", fixture_path("arp-scan", "shared-sample-arp-scan-1.10.0-default.txt"), NOW
    )
    lv.ingest("kea-csv", hostile / "kea-leases4.csv", NOW)
    _promote(lv, PROMOTED, NOW + 60)


def _promote(
    lv: Lanventory, edits: Sequence[tuple[str, str, str, dict[str, object]]], now: int
) -> None:
    """The owner's edits, written straight to the database (the server is not up yet)."""
    engine = create_engine(lv.db)
    try:
        for mac, name, group, other in edits:
            fields = {"name": name or None, "grp": group, "status": "known", **other}
            edit_device(engine, NETWORK, mac, fields, datetime.fromtimestamp(now, UTC))
    finally:
        engine.dispose()


def _read_password(process: subprocess.Popen[str]) -> str:
    """The generated owner password, from the banner ``serve`` prints before listening."""
    password, _listening = read_banner(process)
    assert password, "serve printed no generated password"
    return password


def _wait_healthy(url: str) -> None:
    for _ in range(400):
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"serve does not answer on {url}")


@dataclass(frozen=True, slots=True)
class Server:
    """A running ``lanventory serve``."""

    url: str
    password: str


@pytest.fixture(scope="session")
def server(lanventory: Lanventory, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    _seed(lanventory, tmp_path_factory.mktemp("captures"))
    with running_server(lanventory) as started:
        yield started


@contextmanager
def running_server(lanventory: Lanventory) -> Iterator[Server]:
    """``lanventory serve`` on a free loopback port, stopped with SIGTERM afterwards."""
    port = _free_port()
    command = lanventory.argv("serve", "--host", "127.0.0.1", "--port", str(port))
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=lanventory.env
    ) as process:
        try:
            password = _read_password(process)
            url = f"http://127.0.0.1:{port}"
            _wait_healthy(url)
            yield Server(url, password)
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(5)
            process.communicate(timeout=5)


def _missing_browser() -> str | None:
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    if not missing:
        return None
    return f"{', '.join(missing)} not found: install Debian's chromium and chromium-driver"


@pytest.fixture(scope="session")
def browser() -> Iterator[WebDriver]:
    """A headless Chromium driven by chromedriver, with a fresh profile."""
    problem = _missing_browser()
    if problem is not None:
        if os.environ.get("CI"):
            pytest.fail(problem)
        pytest.skip(problem)
    profile = tempfile.mkdtemp(prefix="lanventory-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in CHROMIUM_ARGS:
        options.add_argument(argument)
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument(f"--window-size={WINDOW[0]},{WINDOW[1]}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": ALERT_RECORDER})
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    """Where screenshots go: ``docs/screenshots``, or ``$LANVENTORY_SCREENSHOTS``."""
    default = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
    where = Path(os.environ.get("LANVENTORY_SCREENSHOTS") or default)
    where.mkdir(parents=True, exist_ok=True)
    return where
