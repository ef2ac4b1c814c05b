"""Two sites, one server on PostgreSQL, server and agent killed mid-stream: every batch applied once.

Real processes throughout: ``lanventory serve`` on a throwaway PostgreSQL
cluster and two ``lanventory agent`` processes, one reading a Kea lease file
and one a dnsmasq lease file that the test keeps growing. Half-way through,
the server is killed with SIGKILL and restarted a few seconds later; the
agents keep reading and queueing meanwhile, and one agent is itself killed
and restarted while the server is down, with batches in its queue.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, func, select

from lanventory.store import schema
from lanventory.store.credentials import create_token
from lanventory.store.engine import create_engine
from lanventory.store.tables import agent_batches, devices, runs
from tests.conftest import PostgresCluster, _free_port
from tests.serve_banner import read_banner

STEPS = 24  # lease file versions per site
STEP_SECONDS = 0.4
KILL_AT, RESTART_AT = 8, 14  # steps at which the server dies and comes back
AGENT_RESTART_AT = 11  # step at which agent-a is killed and started again
DROPPED_ANSWERS = 3  # agent-b's first answers are lost after the server applied the batch
QUEUED = re.compile(r"queued batch (\S+): (\S+) <- ")


@pytest.fixture
def server_db(pg_cluster: PostgresCluster) -> Iterator[Engine]:
    engine = create_engine(pg_cluster.create_database("lanventory_multisite"))
    schema.upgrade(engine)
    yield engine
    engine.dispose()


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "lanventory.cli", *args]


def _env(data: Path) -> dict[str, str]:
    return {**os.environ, "LANVENTORY_DATA_DIR": str(data), "PYTHONUNBUFFERED": "1"}


class Server:
    """``lanventory serve`` on a loopback port, restartable on the same port."""

    def __init__(self, root: Path, db_url: str) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.config = root / "server.toml"
        self.config.write_text(
            '[[networks]]\nname = "site-a"\ncidr = "198.18.10.0/24"\n\n'
            '[[networks]]\nname = "site-b"\ncidr = "198.18.20.0/24"\n'
        )
        self.db_url, self.data = db_url, root / "server-data"
        self.process: subprocess.Popen[str] | None = None

    def start(self) -> None:
        command = _cli("--db", self.db_url, "--config", str(self.config), "serve")
        command += ["--host", "127.0.0.1", "--port", str(self.port)]
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=_env(self.data),
        )
        read_banner(self.process)
        for _ in range(200):
            try:
                httpx.get(self.url + "/healthz", timeout=2)
                return
            except httpx.TransportError:
                time.sleep(0.05)
        raise AssertionError("the server does not answer")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)
        self.process.stdout.close()  # type: ignore[union-attr]

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
            self.process.stdout.close()  # type: ignore[union-attr]


def _agent_config(root: Path, name: str, network: str, cidr: str, source: str, path: Path) -> Path:
    config = root / f"{name}.toml"
    config.write_text(
        f'[agent]\nqueue = "{root / name / "queue"}"\nmax_backoff = 1.0\ntimeout = 5\n\n'
        f'[[networks]]\nname = "{network}"\ncidr = "{cidr}"\n\n'
        f'[[networks.sources]]\ntype = "{source}"\npath = "{path}"\nschedule = "* * * * * *"\n'
    )
    return config


def _close(*ends: socket.socket) -> None:
    for end in ends:
        with contextlib.suppress(OSError):
            end.shutdown(socket.SHUT_RDWR)
        end.close()


class AnswerDropper:
    """A loopback TCP proxy in front of the server that loses the server's first answers.

    It loses the answer to every other request until it has lost ``drops``: it
    passes the request on, waits for the server's reply (so the batch was
    applied and committed) and closes the connection without passing the
    reply on. The agent never learns its batch arrived, and sends it again;
    the retry's answer goes through.
    """

    def __init__(self, upstream_port: int, drops: int) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.upstream_port, self.drops = upstream_port, drops
        self.dropped = self.requests = 0
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=30)
        except OSError:
            client.close()  # the server is down: the agent sees a failed connection
            return
        lose = threading.Event()  # set: lose the answer to the request just passed on
        threading.Thread(target=self._requests, args=(client, upstream, lose), daemon=True).start()
        self._answers(upstream, client, lose)

    def _requests(
        self, client: socket.socket, upstream: socket.socket, lose: threading.Event
    ) -> None:
        try:
            while data := client.recv(65536):
                if data.startswith(b"POST "):  # a new request on this (kept-alive) connection
                    with self._lock:
                        if self.dropped < self.drops and self.requests % 2 == 0:
                            lose.set()
                        self.requests += 1
                upstream.sendall(data)
        except OSError:
            pass
        finally:
            _close(client, upstream)

    def _answers(
        self, upstream: socket.socket, client: socket.socket, lose: threading.Event
    ) -> None:
        try:
            while data := upstream.recv(65536):
                if lose.is_set():
                    with self._lock:
                        self.dropped += 1
                    break
                client.sendall(data)
        except OSError:
            pass
        finally:
            _close(client, upstream)

    def close(self) -> None:
        self._listener.close()


def _start_agent(command: list[str], home: Path) -> subprocess.Popen[str]:
    """An agent process, its log appended to ``<home>.log``."""
    with home.with_suffix(".log").open("a") as errors:  # the agent keeps its own descriptor
        return subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=errors, text=True, env=_env(home)
        )


def _kea_line(step: int, now: int) -> str:
    mac = f"00:16:3e:0a:00:{step:02x}"
    return f"198.18.10.{10 + step},{mac},,3600,{now + 3600},1,0,0,host-a{step},0,\n"


def _dnsmasq_text(step: int, now: int) -> str:
    return "".join(
        f"{now + 3600} 00:16:3e:0b:00:{i:02x} 198.18.20.{10 + i} host-b{i} *\n"
        for i in range(step + 1)
    )


def _write_step(step: int, kea: Path, dnsmasq: Path) -> None:
    now = int(time.time())
    with kea.open("a") as handle:
        handle.write(_kea_line(step, now))
    temporary = dnsmasq.with_suffix(".new")
    temporary.write_text(_dnsmasq_text(step, now))
    os.replace(temporary, dnsmasq)  # as dnsmasq itself writes it


def _unsent(queues: list[Path]) -> list[Path]:
    return [path for queue in queues for path in queue.glob("*.json.gz")]


def _wait_for(condition: Callable[[], object], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting until {what}")
        time.sleep(0.1)


def _count(engine: Engine, table: object) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_two_agents_feed_one_server_through_a_crash_exactly_once(
    tmp_path: Path, server_db: Engine
) -> None:
    now = datetime.now(UTC)
    token_a = create_token(server_db, "site-a", now, kind="agent", networks=["site-a"])
    token_b = create_token(server_db, "site-b", now, kind="agent", networks=["site-b"])
    server = Server(tmp_path, server_db.url.render_as_string(hide_password=False))
    kea, dnsmasq = tmp_path / "kea-leases4.csv", tmp_path / "dhcp.leases"
    kea.write_text(
        "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context\n"
    )
    _write_step(0, kea, dnsmasq)
    agents: list[tuple[str, subprocess.Popen[str], Path]] = []
    server.start()
    dropper = AnswerDropper(server.port, drops=DROPPED_ANSWERS)  # agent-b's answers get lost
    try:
        for name, network, cidr, source, path, token, url in (
            ("agent-a", "site-a", "198.18.10.0/24", "kea-csv", kea, token_a, server.url),
            ("agent-b", "site-b", "198.18.20.0/24", "dnsmasq", dnsmasq, token_b, dropper.url),
        ):
            config = _agent_config(tmp_path, name, network, cidr, source, path)
            command = _cli("agent", "--server", url, "--token", token, "--config", str(config))
            agents.append((name, _start_agent(command, tmp_path / name), tmp_path / f"{name}.log"))
        for step in range(1, STEPS):
            time.sleep(STEP_SECONDS)
            _write_step(step, kea, dnsmasq)
            if step == KILL_AT:
                server.kill()
            if step == AGENT_RESTART_AT:  # agent-a dies too, with batches queued, and comes back
                name, process, log = agents[0]
                _wait_for(
                    partial(_unsent, [tmp_path / name / "queue"]), "agent-a has batches queued"
                )
                process.kill()
                process.wait(10)
                agents[0] = (name, _start_agent(process.args, tmp_path / name), log)  # type: ignore[arg-type]
            if step == RESTART_AT:
                server.start()
        queues = [tmp_path / name / "queue" for name, _, _ in agents]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            time.sleep(1.5)  # past the next one-second tick, so the last version is queued
            if not _unsent(queues) and _count(server_db, devices) >= 2 * STEPS:
                break
        for _, process, _ in agents:
            process.send_signal(signal.SIGTERM)
            assert process.wait(15) == 0
    finally:
        for _, process, _ in agents:
            if process.poll() is None:
                process.kill()
        server.stop()
        dropper.close()

    queued: dict[str, str] = {}
    outages = 0
    for _name, _, log in agents:
        text = log.read_text()
        assert "Traceback" not in text, text
        outages += text.count("could not send batch")
        for batch_id, network in QUEUED.findall(text):
            queued[batch_id] = network
    assert outages > 0, "the agents never noticed the server was down"
    assert dropper.dropped == DROPPED_ANSWERS
    assert agents[1][2].read_text().count("was already applied") >= DROPPED_ANSWERS
    restarted = agents[0][2].read_text().split("agent started: ")
    assert len(restarted) == 3 and int(restarted[2].split(" jobs, ")[1].split()[0]) > 0, (
        "agent-a was not restarted with batches in its queue"
    )
    assert not _unsent(queues), "batches left unsent"
    assert not [p for q in queues for p in (q / "rejected").iterdir()], "batches refused"
    with server_db.connect() as connection:
        received = dict(
            connection.execute(select(agent_batches.c.id, agent_batches.c.network)).all()
        )
        run_batches = [row.counts["batch"] for row in connection.execute(select(runs.c.counts))]
        macs = set(connection.execute(select(devices.c.mac)).scalars())
    # every batch an agent queued was applied, exactly once, as exactly one run
    assert received == queued
    assert sorted(run_batches) == sorted(queued) and len(set(run_batches)) == len(run_batches)
    assert macs == {f"00:16:3e:0a:00:{i:02x}" for i in range(STEPS)} | {
        f"00:16:3e:0b:00:{i:02x}" for i in range(STEPS)
    }
