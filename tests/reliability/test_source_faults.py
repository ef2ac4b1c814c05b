"""Source faults: every one gives a failed run that says what is wrong (or a correct run),
never an exception out of ``run_source``/``run_sweep`` and never a half-applied run.

Each test first seeds ``lan`` with a successful kea-csv run, then runs the faulty source on
the same network: the run record is failed with a clear error, a ``source_failed`` event is
written, and the devices table is exactly as before (a failed run marks nobody absent).
Kea's lease file cleanup running during a read is in ``test_lfc_rotation.py``.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from lanventory.store import schema
from lanventory.store.engine import create_engine
from lanventory.sweep.run import run_sweep
from tests.reliability.faults import (
    assert_failed_cleanly,
    clock,
    device_rows,
    lan,
    last_run,
    present_macs,
    require_privilege_tools,
    run,
    seed,
    settings_for,
)

# -- lease files ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["kea-csv", "dnsmasq"])
def test_a_missing_lease_file_fails_the_run(engine: Engine, tmp_path: Path, kind: str) -> None:
    seed(engine, tmp_path)
    before = device_rows(engine)
    missing = tmp_path / "gone" / "leases"
    report = run(engine, lan({"type": kind, "path": str(missing)}))
    assert_failed_cleanly(engine, report, before, str(missing), "no such file")


@pytest.mark.parametrize("kind", ["kea-csv", "dnsmasq"])
def test_a_directory_in_place_of_the_lease_file_fails_the_run(
    engine: Engine, tmp_path: Path, kind: str
) -> None:
    seed(engine, tmp_path)
    before = device_rows(engine)
    directory = tmp_path / "kea-leases4.csv"
    directory.mkdir()
    report = run(engine, lan({"type": kind, "path": str(directory)}))
    assert_failed_cleanly(engine, report, before, "is a directory, not a file")


def test_an_unreadable_lease_file_fails_the_run(tmp_path: Path) -> None:
    """chmod 000: run as ``collect`` with CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH dropped
    when this is root (root reads anything), else as this user."""
    database = tmp_path / "lanventory.db"
    engine = create_engine(f"sqlite:///{database}")
    schema.upgrade(engine)
    seed(engine, tmp_path)
    before = device_rows(engine)
    live = tmp_path / "kea" / "kea-leases4.csv"
    live.parent.mkdir()
    live.write_text("address\n")
    live.chmod(0)
    config = tmp_path / "lanventory.toml"
    config.write_text(
        f'[[networks]]\nname = "lan"\ncidr = "10.0.0.0/8"\n'
        f'[[networks.sources]]\ntype = "kea-csv"\npath = "{live}"\n'
    )
    command = [sys.executable, "-m", "lanventory.cli", "--db", f"sqlite:///{database}"]
    command += ["--config", str(config), "collect", "--network", "lan"]
    if os.geteuid() == 0:
        require_privilege_tools()
        caps = "-dac_override,-dac_read_search"
        command = ["setpriv", f"--inh-caps={caps}", f"--bounding-set={caps}", "--", *command]
    env = {**os.environ, "LANVENTORY_DATA_DIR": str(tmp_path / "data")}
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert "Traceback" not in output, output
    assert "FAILED" in output and "permission denied" in output, output
    record = last_run(engine)
    assert record.ok is False and "permission denied: run lanventory as a user" in record.error
    assert device_rows(engine) == before
    engine.dispose()


# -- Kea's control socket ------------------------------------------------------------------


def kea_api(socket_path: Path | None = None, url: str | None = None) -> dict[str, Any]:
    source: dict[str, Any] = {"type": "kea-api", "timeout": 1.0}
    if socket_path is not None:
        source["socket"] = str(socket_path)
    if url is not None:
        source["url"] = url
    return source


def test_a_control_socket_that_does_not_exist_fails_the_run(engine: Engine, tmp_path: Path) -> None:
    seed(engine, tmp_path)
    before = device_rows(engine)
    path = tmp_path / "kea4-ctrl-socket"
    report = run(engine, lan(kea_api(socket_path=path)))
    assert_failed_cleanly(engine, report, before, "no such control socket", "is kea-dhcp4 running")


def test_a_stale_control_socket_nobody_listens_on_fails_the_run(
    engine: Engine, tmp_path: Path
) -> None:
    seed(engine, tmp_path)
    before = device_rows(engine)
    path = tmp_path / "kea4-ctrl-socket"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as stale:
        stale.bind(str(path))  # the file stays; nothing listens: what a killed Kea leaves
    report = run(engine, lan(kea_api(socket_path=path)))
    assert_failed_cleanly(engine, report, before, "connection refused", "stale file")


@pytest.fixture
def unix_listener(tmp_path: Path) -> Iterator[Callable[[bool], Path]]:
    """A control socket that accepts, then closes at once (``answer=False``) or never
    answers (``answer=True`` keeps the connection open)."""
    path = tmp_path / "kea4-ctrl-socket"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(8)
    held: list[socket.socket] = []
    mode = {"hang": False}

    def serve() -> None:
        while True:
            try:
                connection, _ = server.accept()
            except OSError:
                return
            if mode["hang"]:
                held.append(connection)
            else:
                connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()

    def start(hang: bool) -> Path:
        mode["hang"] = hang
        return path

    yield start
    server.shutdown(socket.SHUT_RDWR)
    server.close()
    thread.join(5)
    for connection in held:
        connection.close()


@pytest.mark.parametrize(
    ("hang", "says"),
    [(False, "closed the connection without an answer"), (True, "did not answer in time")],
)
def test_a_control_socket_that_closes_or_hangs_fails_the_run(
    engine: Engine,
    tmp_path: Path,
    unix_listener: Callable[[bool], Path],
    hang: bool,
    says: str,
) -> None:
    seed(engine, tmp_path)
    before = device_rows(engine)
    report = run(engine, lan(kea_api(socket_path=unix_listener(hang))))
    assert_failed_cleanly(engine, report, before, says)


# -- Kea over HTTP -------------------------------------------------------------------------

#: A Control Agent's answers by command: (HTTP status, body).
Answers = dict[str, tuple[int, str]]

LEASES_OK = json.dumps(
    [{"result": 0, "text": "1 IPv4 lease(s) found.", "arguments": {"leases": []}}]
)
CONFIG_OK = json.dumps(
    [{"result": 0, "arguments": {"Dhcp4": {"subnet4": [{"id": 1, "subnet": "10.0.0.0/8"}]}}}]
)


@pytest.fixture
def control_agent() -> Iterator[Callable[[Answers], str]]:
    """A loopback HTTP server answering each Kea command as told; its URL."""
    answers: Answers = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            try:
                command = str(json.loads(body)["command"])
            except (ValueError, KeyError, TypeError):
                command = ""
            status, text = answers.get(command, (400, "unknown command"))
            data = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def start(given: Answers) -> str:
        answers.update(given)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield start
    server.shutdown()
    server.server_close()
    thread.join(5)


KEA_500 = json.dumps([{"result": 1, "text": "lease database unavailable"}])


@pytest.mark.parametrize(
    ("answers", "says"),
    [
        pytest.param(
            {"lease4-get-all": (500, KEA_500), "config-get": (200, CONFIG_OK)},
            ["HTTP 500 from the Kea Control Agent", "lease database unavailable"],
            id="500-with-kea-text",
        ),
        pytest.param(
            {"lease4-get-all": (500, "Internal Server Error"), "config-get": (200, CONFIG_OK)},
            ["HTTP 500", "Internal Server Error"],
            id="500-plain",
        ),
        pytest.param(
            {"lease4-get-all": (200, LEASES_OK), "config-get": (500, KEA_500)},
            ["HTTP 500", "lease database unavailable"],
            id="500-on-config-get",
        ),
        pytest.param(
            {"lease4-get-all": (200, "<html>gateway says hello</html>"), "config-get": (200, CONFIG_OK)},
            ["not a Kea answer", "invalid JSON"],
            id="garbage",
        ),
        pytest.param(
            {"lease4-get-all": (200, '[{"result": 0, "arguments": {"leases": "all of them"}}]'),
             "config-get": (200, CONFIG_OK)},
            ["no arguments.leases list"],
            id="wrong-json-shape",
        ),
        pytest.param(
            {"lease4-get-all": (200, '{"text": "ok"}'), "config-get": (200, CONFIG_OK)},
            ["not a Kea answer", "no integer 'result'"],
            id="json-without-result",
        ),
        pytest.param(
            {"lease4-get-all": (200, LEASES_OK), "config-get": (200, "[]")},
            ["Kea's answer is unusable"],
            id="config-get-empty-list",
        ),
    ],
)  # fmt: skip
def test_a_kea_http_endpoint_that_fails_or_talks_nonsense_fails_the_run(
    engine: Engine,
    tmp_path: Path,
    control_agent: Callable[[Answers], str],
    answers: Answers,
    says: list[str],
) -> None:
    seed(engine, tmp_path)
    before = device_rows(engine)
    report = run(engine, lan(kea_api(url=control_agent(answers))))
    assert_failed_cleanly(engine, report, before, *says)


def test_a_kea_http_endpoint_nobody_listens_on_fails_the_run(
    engine: Engine, tmp_path: Path
) -> None:
    seed(engine, tmp_path)
    before = device_rows(engine)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nothing listens there
    report = run(engine, lan(kea_api(url=f"http://127.0.0.1:{port}/")))
    assert_failed_cleanly(engine, report, before, "cannot reach the Kea Control Agent")


# -- sweeps --------------------------------------------------------------------------------


def test_a_missing_arp_scan_binary_fails_the_sweep(engine: Engine, tmp_path: Path) -> None:
    """Nothing is run and nothing is sent: the binary is looked up first."""
    seed(engine, tmp_path)
    before = device_rows(engine)
    network = lan(
        cidr="198.18.77.0/24",
        interface="lvfault0",
        sweep={"engine": "arp-scan", "arp_scan": "/nonexistent/arp-scan"},
    )
    report, stats = run_sweep(
        engine, settings_for(network), network, engine=None, lookup={}.get, clock=clock
    )
    assert stats is None
    assert_failed_cleanly(engine, report, before, "arp-scan is not installed", "apt install")


#: Inside a private network namespace (only its loopback and this veth pair exist, IPv6
#: off so the kernel sends nothing by itself): print lv0's sent-packet count, sweep with
#: CAP_NET_RAW dropped from every set, print the count again. The namespace dies with it.
IN_PRIVATE_NETNS = """
set -e
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip link add lv0 type veth peer name lv1
ip link set lv1 up
ip link set lv0 up
ip addr add 198.18.77.1/24 dev lv0
ip -j -s link show dev lv0
set +e
setpriv --inh-caps=-net_raw --ambient-caps=-net_raw --bounding-set=-net_raw -- "$@"
echo "exit=$?"
ip -j -s link show dev lv0
"""


@pytest.mark.parametrize("sweeper", ["native", "arp-scan"])
def test_sweeping_without_cap_net_raw_fails_before_any_packet(tmp_path: Path, sweeper: str) -> None:
    """Also covered end to end in the lab (tests/lab/test_sweeps_e2e.py); here the run
    record, the event and the inventory are checked, and that nothing was sent."""
    require_privilege_tools()
    database = tmp_path / "lanventory.db"
    engine = create_engine(f"sqlite:///{database}")
    schema.upgrade(engine)
    seed(engine, tmp_path)
    before = device_rows(engine)
    config = tmp_path / "lanventory.toml"
    config.write_text(
        '[[networks]]\nname = "lan"\ncidr = "198.18.77.0/24"\ninterface = "lv0"\n'
        f'[networks.sweep]\nengine = "{sweeper}"\n'
    )
    cli = [sys.executable, "-m", "lanventory.cli", "--db", f"sqlite:///{database}"]
    cli += ["--config", str(config), "scan", "--network", "lan"]
    command = ["unshare", "--net", "--", "sh", "-c", IN_PRIVATE_NETNS, "sh", *cli]
    env = {**os.environ, "LANVENTORY_DATA_DIR": str(tmp_path / "data")}
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    first, *middle, exited, last = done.stdout.strip().splitlines()
    assert exited == "exit=1", output
    scan_output = "\n".join(middle) + done.stderr
    assert "Traceback" not in scan_output and "FAILED" in scan_output, output
    advice = "setcap cap_net_raw+ep" if sweeper == "arp-scan" else "CAP_NET_RAW"
    assert advice in scan_output, output
    sent_before = json.loads(first)[0]["stats64"]["tx"]["packets"]
    sent_after = json.loads(last)[0]["stats64"]["tx"]["packets"]
    assert sent_after == sent_before, output
    record = last_run(engine)
    assert record.ok is False and record.source == sweeper and advice in record.error
    assert device_rows(engine) == before
    assert len(present_macs(engine)) > 0
    engine.dispose()
