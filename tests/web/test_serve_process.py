"""The real ``lanventory serve`` on a loopback port, driven with an HTTP client."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.serve_banner import read_banner


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_healthy(client: httpx.Client) -> httpx.Response:
    for _ in range(200):
        try:
            return client.get("/healthz")
        except httpx.TransportError:
            time.sleep(0.05)
    raise AssertionError("serve does not answer on its port")


def test_serve_runs_logs_in_answers_and_stops_on_sigterm(tmp_path: Path) -> None:
    port = _free_port()
    config = tmp_path / "lanventory.toml"
    config.write_text("")  # no networks: nothing is swept or read
    env = {
        **os.environ,
        "LANVENTORY_DATA_DIR": str(tmp_path / "data"),
        "PYTHONUNBUFFERED": "1",
    }
    command = [sys.executable, "-m", "lanventory.cli", "--db", f"sqlite:///{tmp_path / 'db'}"]
    command += ["--config", str(config), "serve", "--host", "127.0.0.1", "--port", str(port)]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    ) as process:
        try:
            _drive(process, port)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(5)


def _drive(process: subprocess.Popen[str], port: int) -> None:
    """Log in, read, check the gate, then stop the server with SIGTERM."""
    password, listening = read_banner(process)
    assert password, "no generated password was printed"
    assert listening.endswith(f"http://127.0.0.1:{port}/")
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
        health = _wait_healthy(client)
        assert health.status_code == 200 and health.json() == {"status": "ok"}
        assert client.get("/api/devices").status_code == 401
        assert client.post("/api/login", json={"password": "wrong"}).status_code == 401
        login = client.post("/api/login", json={"password": password})
        assert login.status_code == 200, login.text
        devices = client.get("/api/devices")
        assert devices.status_code == 200, devices.text
        assert devices.json()["groups"] == []
    process.send_signal(signal.SIGTERM)
    # uvicorn shuts down gracefully, then ends by the signal it caught
    assert process.wait(timeout=10) in (0, -signal.SIGTERM)
    _, errors = process.communicate(timeout=5)
    assert "Traceback" not in errors and "ERROR" not in errors, errors
