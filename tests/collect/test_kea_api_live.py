"""The kea-api collector against real Kea: Debian's kea-dhcp4 and kea-ctrl-agent 2.2.

kea-dhcp4 runs with ``"interfaces": []``, so it opens no DHCP socket at all:
only its UNIX control socket in a private directory. The Control Agent listens
on 127.0.0.1. The leases come from ``lease4-add`` (lab-kea-2.2.0.scenario.json).

``LANVENTORY_RECORD_KEA_API=1`` rewrites the ``lab-kea-2.2.0-*`` fixtures from
the answers of this run.
"""

from __future__ import annotations

import glob
import http.server
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from lanventory.collect.kea_api import CollectError, fetch_leases, fetch_subnets, subnet_map
from lanventory.sources import kea_api, kea_subnets
from lanventory.sources.observation import ParseResult
from tests.conftest import fixture_path

SCENARIO: dict[str, Any] = json.loads(
    fixture_path("kea-api", "lab-kea-2.2.0.scenario.json").read_text()
)
NOW = datetime.fromtimestamp(SCENARIO["now"], UTC)
FILES: dict[str, Any] = SCENARIO["files"]
RECORD = os.environ.get("LANVENTORY_RECORD_KEA_API") == "1"
USER, PASSWORD = "lanventory", "kea-lab-secret"
_SBIN = "/usr/local/sbin:/usr/sbin:/sbin"


def _missing(what: str, package: str) -> None:
    message = f"{what} is not installed: apt-get install {package}"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def _binary(name: str, package: str) -> str:
    found = shutil.which(name) or shutil.which(name, path=_SBIN)
    if found is None:
        _missing(name, package)
    assert found is not None
    return found


def _lease_cmds_hook() -> str:
    found = sorted(glob.glob("/usr/lib/*/kea/hooks/libdhcp_lease_cmds.so"))
    if not found:
        _missing("libdhcp_lease_cmds.so", "kea-dhcp4-server")
    return found[0]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until(ready: Any, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready():
            return True
        time.sleep(0.05)
    return False


def _accepts(family: int, address: str | tuple[str, int]) -> bool:
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        try:
            sock.connect(address)
        except OSError:
            return False
    return True


class KeaServer:
    """kea-dhcp4 (no DHCP interface, memfile in a private directory) and,
    optionally, kea-ctrl-agent on 127.0.0.1 with basic authentication."""

    def __init__(self, *, lease_cmds: bool = True, agent: bool = True) -> None:
        self.dhcp4 = _binary("kea-dhcp4", "kea-dhcp4-server")
        self.ctrl_agent = _binary("kea-ctrl-agent", "kea-ctrl-agent") if agent else None
        self.hook = _lease_cmds_hook() if lease_cmds else None
        # Short: a UNIX socket path must fit in 107 bytes.
        self.root = Path(tempfile.mkdtemp(prefix="lv-kea-"))
        self.socket_path = self.root / "kea4-ctrl-socket"
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self._procs: list[subprocess.Popen[bytes]] = []

    def _dhcp4_config(self) -> dict[str, Any]:
        top = [s for s in SCENARIO["subnets"] if "shared_network" not in s]
        shared: dict[str, list[dict[str, Any]]] = {}
        for subnet in SCENARIO["subnets"]:
            if "shared_network" in subnet:
                shared.setdefault(subnet["shared_network"], []).append(subnet)
        return {
            "Dhcp4": {
                "interfaces-config": {"interfaces": []},
                "control-socket": {"socket-type": "unix", "socket-name": str(self.socket_path)},
                "lease-database": {
                    "type": "memfile",
                    "name": str(self.root / "kea-leases4.csv"),
                    "persist": True,
                    "lfc-interval": 0,
                },
                # Leases keep the states lease4-add gave them: no reclamation.
                "expired-leases-processing": {
                    "reclaim-timer-wait-time": 0,
                    "flush-reclaimed-timer-wait-time": 0,
                },
                "hooks-libraries": [{"library": self.hook}] if self.hook else [],
                "valid-lifetime": 3600,
                "subnet4": [{"id": s["id"], "subnet": s["subnet"]} for s in top],
                "shared-networks": [
                    {
                        "name": name,
                        "subnet4": [{"id": s["id"], "subnet": s["subnet"]} for s in subs],
                    }
                    for name, subs in shared.items()
                ],
                "loggers": [self._logger("kea-dhcp4")],
            }
        }

    def _agent_config(self) -> dict[str, Any]:
        return {
            "Control-agent": {
                "http-host": "127.0.0.1",
                "http-port": self.port,
                "authentication": {
                    "type": "basic",
                    "realm": "lanventory-test",
                    "clients": [{"user": USER, "password": PASSWORD}],
                },
                "control-sockets": {
                    "dhcp4": {"socket-type": "unix", "socket-name": str(self.socket_path)}
                },
                "loggers": [self._logger("kea-ctrl-agent")],
            }
        }

    def _logger(self, name: str) -> dict[str, Any]:
        output = str(self.root / f"{name}.log")
        return {"name": name, "severity": "INFO", "output_options": [{"output": output}]}

    def _spawn(self, binary: str, config: dict[str, Any], name: str) -> subprocess.Popen[bytes]:
        config_file = self.root / f"{name}.json"
        config_file.write_text(json.dumps(config, indent=2))
        env = {
            **os.environ,
            "KEA_PIDFILE_DIR": str(self.root),
            "KEA_LOCKFILE_DIR": str(self.root),
        }
        with (self.root / f"{name}.out").open("wb") as out:
            proc = subprocess.Popen(
                [binary, "-c", str(config_file)],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        self._procs.append(proc)
        return proc

    def _logs(self) -> str:
        return "\n".join(
            f"--- {path.name}\n{path.read_text(errors='replace')[-2000:]}"
            for path in sorted(self.root.glob("*.out")) + sorted(self.root.glob("*.log"))
        )

    def start(self) -> KeaServer:
        dhcp4 = self._spawn(self.dhcp4, self._dhcp4_config(), "kea-dhcp4")
        if not _wait_until(
            lambda: dhcp4.poll() is not None or _accepts(socket.AF_UNIX, str(self.socket_path))
        ) or (dhcp4.poll() is not None):
            self.stop()
            pytest.fail(f"kea-dhcp4 did not start:\n{self._logs()}")
        if self.ctrl_agent is not None:
            agent = self._spawn(self.ctrl_agent, self._agent_config(), "kea-ctrl-agent")
            address = ("127.0.0.1", self.port)
            if not _wait_until(
                lambda: agent.poll() is not None or _accepts(socket.AF_INET, address)
            ) or (agent.poll() is not None):
                self.stop()
                pytest.fail(f"kea-ctrl-agent did not start:\n{self._logs()}")
        return self

    @property
    def dhcp4_pid(self) -> int:
        return self._procs[0].pid

    def command(self, command: dict[str, Any]) -> dict[str, Any]:
        """Send one command over the control socket (independently of the collector)."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(10)
            sock.connect(str(self.socket_path))
            sock.sendall(json.dumps(command).encode())
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
        answer: dict[str, Any] = json.loads(data)
        return answer

    def stop(self) -> None:
        for proc in reversed(self._procs):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        self._procs.clear()
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="module")
def kea() -> Iterator[KeaServer]:
    """A Kea holding the scenario's leases."""
    server = KeaServer().start()
    try:
        for lease in SCENARIO["leases"]:
            answer = server.command({"command": "lease4-add", "arguments": lease})
            assert answer["result"] == 0, answer
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def empty_kea() -> Iterator[KeaServer]:
    server = KeaServer().start()
    try:
        yield server
    finally:
        server.stop()


def _record(name: str, text: str) -> None:
    if RECORD:
        fixture_path("kea-api", name).write_bytes(text.encode())


def _assert_scenario(result: ParseResult) -> None:
    assert result.error is None and result.complete
    got = [
        {
            "ip": o.ip,
            "mac": o.mac,
            "hostname": o.hostname,
            "active": o.active,
            "subnet_id": o.subnet_id,
            "seen_at": int(o.seen_at.timestamp()),
        }
        for o in sorted(result.observations, key=lambda o: str(o.ip))
    ]
    assert got == SCENARIO["expected"]["observations"]
    assert result.skipped_by_reason() == SCENARIO["expected"]["skipped"]
    assert all(o.source == "kea-api" for o in result.observations)


def test_kea_opens_no_dhcp_socket(kea: KeaServer) -> None:
    ss = _binary("ss", "iproute2")
    sockets = subprocess.run(
        [ss, "-H", "-lunp"], check=True, capture_output=True, text=True, timeout=10
    ).stdout
    mine = [line for line in sockets.splitlines() if f"pid={kea.dhcp4_pid}," in line]
    assert mine == []


def test_lease4_get_all_over_the_control_socket(kea: KeaServer) -> None:
    texts = fetch_leases(socket_path=kea.socket_path)
    assert [t.name for t in texts] == [f"unix:{kea.socket_path} lease4-get-all"]
    assert texts[0].text.startswith("{")
    _assert_scenario(kea_api.parse(texts, NOW))
    _record(FILES["get_all_unix"], texts[0].text)


def test_lease4_get_all_through_the_control_agent(kea: KeaServer) -> None:
    texts = fetch_leases(url=kea.url, username=USER, password=PASSWORD)
    assert texts[0].text.startswith("[")  # the agent wraps the answer in a list
    _assert_scenario(kea_api.parse(texts, NOW))
    _record(FILES["get_all_http"], texts[0].text)


def test_paging_over_the_control_socket_ends_on_result_3(kea: KeaServer) -> None:
    pages = fetch_leases(socket_path=kea.socket_path, page_size=SCENARIO["page_size"])
    assert [p.name.rsplit(" ", 1)[-1] for p in pages] == ["#1", "#2", "#3", "#4"]
    assert json.loads(pages[-1].text)["result"] == 3
    _assert_scenario(kea_api.parse(pages, NOW))
    for page, name in zip(pages, FILES["pages_unix"], strict=True):
        _record(name, page.text)


def test_paging_through_the_control_agent_ends_on_a_short_page(kea: KeaServer) -> None:
    pages = fetch_leases(url=kea.url, username=USER, password=PASSWORD, page_size=4)
    assert [json.loads(p.text)[0]["arguments"]["count"] for p in pages] == [4, 2]
    _assert_scenario(kea_api.parse(pages, NOW))


def test_an_empty_server_answers_result_3_which_is_no_error(empty_kea: KeaServer) -> None:
    over_socket = fetch_leases(socket_path=empty_kea.socket_path)
    through_agent = fetch_leases(url=empty_kea.url, username=USER, password=PASSWORD)
    for texts in (over_socket, through_agent):
        result = kea_api.parse(texts, NOW)
        assert (result.error, result.complete, result.observations) == (None, True, [])
    assert json.loads(over_socket[0].text)["result"] == 3
    _record(FILES["empty_unix"], over_socket[0].text)
    _record(FILES["empty_http"], through_agent[0].text)
    paged = fetch_leases(socket_path=empty_kea.socket_path, page_size=10)
    assert len(paged) == 1 and kea_api.parse(paged, NOW).error is None


def test_without_the_lease_cmds_hook_the_parser_says_so() -> None:
    server = KeaServer(lease_cmds=False, agent=False).start()
    try:
        texts = fetch_leases(socket_path=server.socket_path)
    finally:
        server.stop()
    result = kea_api.parse(texts, NOW)
    assert result.error is not None and "libdhcp_lease_cmds.so" in result.error
    _record(FILES["no_hook_unix"], texts[0].text)


def test_config_get_maps_top_level_and_shared_network_subnets(kea: KeaServer) -> None:
    expected = {s["id"]: s["subnet"] for s in SCENARIO["subnets"]}
    over_socket = fetch_subnets(socket_path=kea.socket_path)
    subnets = kea_subnets.read_subnets(over_socket.text)
    assert {s.id: str(s.network) for s in subnets} == expected
    assert {s.id: s.shared_network for s in subnets} == {
        1: None,
        2: None,
        20: "lab-iot",
        21: "lab-iot",
    }
    mapped = subnet_map(url=kea.url, username=USER, password=PASSWORD)
    assert {i: str(n) for i, n in mapped.items()} == expected
    _record(FILES["config_get_unix"], over_socket.text)


def test_wrong_or_missing_credentials_are_http_401(kea: KeaServer) -> None:
    with pytest.raises(CollectError, match="HTTP 401.*check the username and password"):
        fetch_leases(url=kea.url, username=USER, password="wrong")
    with pytest.raises(CollectError, match="HTTP 401.*requires basic authentication"):
        fetch_leases(url=kea.url)


def test_a_missing_socket_says_what_to_check(tmp_path: Path) -> None:
    path = tmp_path / "kea4-ctrl-socket"
    with pytest.raises(CollectError, match="is kea-dhcp4 running with a control-socket at"):
        fetch_leases(socket_path=path)


def test_a_stale_socket_file_is_connection_refused(tmp_path: Path) -> None:
    path = tmp_path / "stale"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.bind(str(path))  # bound, never listening: what a dead server leaves
    with pytest.raises(CollectError, match="connection refused.*start kea-dhcp4"):
        fetch_leases(socket_path=path)


def _denied_message(path: Path) -> str:
    """The CollectError message for ``path``, asked as an unprivileged user."""
    if os.geteuid() != 0:
        with pytest.raises(CollectError) as raised:
            fetch_leases(socket_path=path)
        return str(raised.value)
    # root is never denied: ask from a child that has dropped to nobody.
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        os.close(reader)
        message = "no error"
        try:
            os.setgid(65534)
            os.setuid(65534)
            fetch_leases(socket_path=path)
        except CollectError as error:
            message = str(error)
        except BaseException as error:  # reported to the parent
            message = repr(error)
        os.write(writer, message.encode())
        os._exit(0)
    os.close(writer)
    with os.fdopen(reader, "rb") as pipe:
        message = pipe.read().decode()
    os.waitpid(pid, 0)
    return message


def test_a_socket_it_may_not_use_is_permission_denied() -> None:
    root = Path(tempfile.mkdtemp(prefix="lv-perm-"))
    try:
        root.chmod(0o755)
        path = root / "sock"
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
            server.bind(str(path))
            server.listen()
            path.chmod(0o660)  # like Kea's socket: owner and group only
            message = _denied_message(path)
    finally:
        shutil.rmtree(root)
    assert "permission denied" in message and "group" in message, message


def test_a_server_that_never_answers_times_out(tmp_path: Path) -> None:
    path = tmp_path / "mute"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(str(path))
        server.listen()  # the connection is queued, nothing is ever sent back
        with pytest.raises(CollectError, match="did not answer in time"):
            fetch_leases(socket_path=path, timeout=0.2)


def test_nothing_listening_at_the_url() -> None:
    url = f"http://127.0.0.1:{_free_port()}/"
    with pytest.raises(CollectError, match="cannot reach the Kea Control Agent"):
        fetch_leases(url=url)


class _Failing(http.server.BaseHTTPRequestHandler):
    """A Control Agent stand-in that fails every command the way Kea reports errors."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        body = b'{ "result": 1, "text": "Unable to forward command to the dhcp4 service" }'
        self.send_response(500)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_http_5xx_reports_keas_text() -> None:
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Failing) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            url = f"http://127.0.0.1:{server.server_address[1]}/"
            with pytest.raises(CollectError, match="HTTP 500.*Unable to forward command"):
                fetch_leases(url=url)
        finally:
            server.shutdown()
            thread.join()


@pytest.mark.parametrize(
    "where",
    [{}, {"socket_path": Path("/nonexistent"), "url": "http://127.0.0.1:1/"}],
    ids=["neither", "both"],
)
def test_exactly_one_transport(where: dict[str, Any]) -> None:
    with pytest.raises(CollectError, match="exactly one"):
        fetch_leases(**where)
