#!/usr/bin/env python3
"""Resident memory of an idle `lanventory serve`: empty, then with 10,000 devices.

    .venv/bin/python bench/serve_rss.py [--devices 10000] [--settle 5]

Starts the real `lanventory serve` on a free loopback port with an empty config (no
networks: the scheduler has nothing to run) on an empty SQLite database, waits until
`/healthz` answers, lets it settle for ``--settle`` seconds and reads VmRSS (resident now)
and VmHWM (peak) from /proc/PID/status. Then the same with a database of ``--devices``
devices (built as in bench/api_devices.py), after one `GET /api/devices` request.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import httpx
from api_devices import build_database, serve

from lanventory.store import schema
from lanventory.store.engine import create_engine


def empty_database(path: Path) -> None:
    engine = create_engine(f"sqlite:///{path}")
    schema.upgrade(engine)
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--devices", type=int, default=10_000)
    parser.add_argument("--settle", type=float, default=5.0, help="Seconds idle before reading.")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="lanventory-bench-") as tmp:
        workdir = Path(tmp)
        empty_database(workdir / "empty.db")
        with serve(workdir / "empty.db", workdir) as server:
            time.sleep(args.settle)
            rows.append(("empty database, idle", server.memory()))

        known, new = build_database(workdir / "full.db", args.devices, 0.9)
        with serve(workdir / "full.db", workdir) as server:
            token = server.token("rss")
            response = httpx.get(
                f"{server.url}/api/devices",
                headers={"Authorization": f"Bearer {token}"},
                timeout=120,
            )
            response.raise_for_status()
            time.sleep(args.settle)
            label = f"{args.devices:,} devices, after 1 GET /api/devices"
            rows.append((label, server.memory()))
    print(f"\nlanventory serve, no networks configured, SQLite, {args.settle:g} s after start\n")
    header = f"{'state':<44} {'VmRSS MB':>9} {'VmHWM MB':>9}"
    print(header)
    print("-" * len(header))
    for label, memory in rows:
        print(f"{label:<44} {memory['VmRSS'] / 1024:>9.1f} {memory['VmHWM'] / 1024:>9.1f}")
    print(f"\n({known:,} known and {new:,} new devices in the second database)")


if __name__ == "__main__":
    main()
