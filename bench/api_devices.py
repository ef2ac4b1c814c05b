#!/usr/bin/env python3
"""Latency of `GET /api/devices` on a 10,000-device inventory, over loopback.

    .venv/bin/python bench/api_devices.py [--devices 10000] [--known 0.9]
        [--workers 4] [--requests 50] [--warmup 5]

Builds a temporary SQLite database of ``--devices`` devices (one ingest of generated
observations through `ingest_result`, the way a lease file arrives), marks a share of them
known and spreads those over groups, then starts the real `lanventory serve` on a free
loopback port with an empty config (no networks: nothing is swept), creates an API token
with `lanventory token create`, and drives the server with ``--workers`` concurrent httpx
clients, ``--requests`` requests each after a warm-up. It reports p50/p95/p99 latency,
requests per second and the server's resident memory after the run, for `GET /api/devices`
(the known devices, grouped) and `GET /api/devices/discovered` (the review queue).

The load generator runs on the same machine as the server: both share its cores.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import bindparam, update

from lanventory.ingest import RunReport, ingest_result
from lanventory.inventory.model import Policy
from lanventory.sources.observation import Observation, ParseResult
from lanventory.store import schema
from lanventory.store.engine import create_engine
from lanventory.store.tables import devices
from lanventory.vendors import load_table

NOW = datetime.fromtimestamp(1795417200, UTC)
OUIS = ["3c:22:fb", "b8:27:eb", "dc:a6:32", "00:0c:29", "a4:cf:12", "f0:9f:c2", "ae:3f:91"]
GROUPS = [
    "Infrastructure",
    "Servers",
    "Laptops",
    "Phones",
    "Smart Home",
    "Media",
    "Printers",
    "Cameras",
    "IoT",
    "Guests",
    "Lab",
    "Kids",
]
LANVENTORY = str(Path(sys.executable).with_name("lanventory"))


def build_database(path: Path, count: int, known_share: float, seed: int = 7) -> tuple[int, int]:
    """A migrated SQLite file with ``count`` devices on ``lan``; (known, new) counts."""
    rng = random.Random(seed)
    engine = create_engine(f"sqlite:///{path}")
    schema.upgrade(engine)
    observations = []
    for n in range(count):
        mac = f"{rng.choice(OUIS)}:{n >> 16 & 0xFF:02x}:{n >> 8 & 0xFF:02x}:{n & 0xFF:02x}"
        seen = NOW - timedelta(seconds=rng.randrange(7 * 86400))
        ip = f"10.{n >> 16 & 0xFF}.{n >> 8 & 0xFF}.{n & 0xFF}"
        host = f"host-{n}" if n % 3 else None
        observations.append(Observation(mac, ip, "kea-csv", seen, hostname=host))
    report = ingest_result(
        engine,
        RunReport("kea-csv", "lan", ["generated"], ok=False),
        ParseResult(observations, lines=count),
        started_at=NOW,
        now=NOW,
        policy=Policy(),
        lookup=load_table(None).lookup,
        clock=lambda: NOW,
    )
    if not report.ok:
        raise SystemExit(f"could not build the database: {report.error}")
    known = int(count * known_share)
    with engine.begin() as connection:
        ids = [row.id for row in connection.execute(devices.select().order_by(devices.c.id))]
        edits = [
            {
                "row_id": row_id,
                "new_name": f"device {i}",
                "new_grp": GROUPS[i % len(GROUPS)],
                "new_status": "known",
            }
            for i, row_id in enumerate(ids[:known])
        ]
        connection.execute(
            update(devices)
            .where(devices.c.id == bindparam("row_id"))
            .values(
                name=bindparam("new_name"),
                grp=bindparam("new_grp"),
                status=bindparam("new_status"),
            ),
            edits,
        )
    engine.dispose()
    return known, count - known


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(slots=True)
class Server:
    """A running `lanventory serve`."""

    process: subprocess.Popen[bytes]
    url: str
    db_url: str
    env: dict[str, str]

    def memory(self) -> dict[str, int]:
        """VmRSS and VmHWM of the server process, in kB."""
        found = {}
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                found[key] = int(value.split()[0])
        return found

    def token(self, name: str) -> str:
        """A new owner API token, made with `lanventory token create`."""
        done = subprocess.run(
            [LANVENTORY, "--db", self.db_url, "token", "create", name],
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
        )
        return done.stdout.strip().splitlines()[-1]


@contextmanager
def serve(db_path: Path, workdir: Path) -> Iterator[Server]:
    """`lanventory serve` on a free loopback port, with an empty config; stopped afterwards."""
    config = workdir / "config.toml"
    config.write_text("")
    env = {
        **os.environ,
        "LANVENTORY_CONFIG": str(config),
        "LANVENTORY_DATA_DIR": str(workdir / "data"),
    }
    port = free_port()
    db_url = f"sqlite:///{db_path}"
    log = (workdir / "serve.log").open("wb")
    process = subprocess.Popen(
        [LANVENTORY, "--db", db_url, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    server = Server(process, f"http://127.0.0.1:{port}", db_url, env)
    try:
        wait_healthy(server)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def wait_healthy(server: Server, timeout: float = 30) -> float:
    """Seconds until `/healthz` answered."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if server.process.poll() is not None:
            raise SystemExit(f"lanventory serve exited with {server.process.returncode}")
        try:
            if httpx.get(f"{server.url}/healthz", timeout=1).status_code == 200:
                return time.perf_counter() - started
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise SystemExit("lanventory serve did not answer /healthz in time")


@dataclass(slots=True)
class Result:
    path: str
    latencies: list[float]
    wall: float
    size: int
    items: int

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.wall


async def load(url: str, token: str, workers: int, requests: int, warmup: int) -> Result:
    """``workers`` clients, ``requests`` GETs each (after ``warmup`` untimed ones)."""
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(headers=headers, timeout=120) as client:
        size = items = 0
        for _ in range(warmup):
            response = await client.get(url)
            response.raise_for_status()
            size = len(response.content)
            body = response.json()
            items = sum(len(g["devices"]) for g in body["groups"]) if "groups" in body else 0
            items = items or len(body.get("devices", []))

    latencies: list[float] = []

    async def worker() -> None:
        async with httpx.AsyncClient(headers=headers, timeout=120) as client:
            for _ in range(requests):
                started = time.perf_counter()
                response = await client.get(url)
                await response.aread()
                latencies.append(time.perf_counter() - started)
                response.raise_for_status()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(workers)))
    return Result(url, latencies, time.perf_counter() - started, size, items)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--devices", type=int, default=10_000)
    parser.add_argument("--known", type=float, default=0.9, help="Share marked known.")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--requests", type=int, default=50, help="Per worker.")
    parser.add_argument("--warmup", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="lanventory-bench-") as tmp:
        workdir = Path(tmp)
        started = time.perf_counter()
        known, new = build_database(workdir / "bench.db", args.devices, args.known)
        print(
            f"database: {args.devices:,} devices ({known:,} known in {len(GROUPS)} groups, "
            f"{new:,} new) built in {time.perf_counter() - started:.1f} s"
        )
        with serve(workdir / "bench.db", workdir) as server:
            token = server.token("bench")
            idle = server.memory()
            results = []
            for path in ("/api/devices", "/api/devices/discovered"):
                result = asyncio.run(
                    load(server.url + path, token, args.workers, args.requests, args.warmup)
                )
                results.append((path, result, server.memory()))
    print(
        f"\nloopback, {args.workers} concurrent clients x {args.requests} requests "
        f"(after {args.warmup} warm-up); load generator and server share this machine's "
        f"{os.cpu_count()} CPUs\n"
    )
    header = (
        f"{'endpoint':<26} {'items':>6} {'body':>8} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'p99 ms':>8} {'req/s':>7} {'RSS MB':>7} {'peak MB':>8}"
    )
    print(header)
    print("-" * len(header))
    for path, result, memory in results:
        print(
            f"{'GET ' + path:<26} {result.items:>6} {result.size / 1e6:>6.2f}MB "
            f"{result.percentile(0.50):>8.1f} {result.percentile(0.95):>8.1f} "
            f"{result.percentile(0.99):>8.1f} {result.rate:>7.1f} "
            f"{memory['VmRSS'] / 1024:>7.1f} {memory['VmHWM'] / 1024:>8.1f}"
        )
    print(f"\nserver RSS before the load: {idle['VmRSS'] / 1024:.1f} MB")
    print(f"mean latency /api/devices: {statistics.mean(results[0][1].latencies) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
