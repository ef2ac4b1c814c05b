#!/usr/bin/env python3
"""Ingest a generated 1,000,000-line Kea lease file into SQLite and report the wall time.

    .venv/bin/python bench/kea_ingest.py [--lines 1000000] [--devices 200000] [--small 1000]

The file is schema 3.0 with renewals (every device appears about lines/devices times), a
share of deletes, expired and declined rows and escaped hostnames, like a busy server's log
between two LFC runs. It reports the wall time of each phase and of the whole `ingest`
(parse, rules, one SQLite transaction), then of a second ingest of the same file (every
device already known), each in a process of its own so that its peak resident memory is the
ingest's alone, and finally the time of ingesting an unchanged 1,000-device file again.
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine

from lanventory.collect.files import read_texts
from lanventory.ingest import RunReport, ingest
from lanventory.inventory.merge import VendorLookup
from lanventory.inventory.model import Policy
from lanventory.sources import kea_csv
from lanventory.store import schema
from lanventory.store.engine import create_engine
from lanventory.vendors import load_table

NOW = 1795417200
HEADER = ",".join(kea_csv.V4_COLUMNS)
OUIS = ["3c:22:fb", "b8:27:eb", "dc:a6:32", "00:0c:29", "a4:cf:12", "ae:3f:91", "f0:9f:c2"]


def generate(path: Path, lines: int, devices: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    macs = [
        f"{rng.choice(OUIS)}:{n >> 16 & 0xFF:02x}:{n >> 8 & 0xFF:02x}:{n & 0xFF:02x}"
        for n in range(devices)
    ]
    with path.open("w") as out:
        out.write(HEADER + "\n")
        for i in range(lines):
            n = rng.randrange(devices)
            ip = f"10.{n >> 16 & 0xFF}.{n >> 8 & 0xFF}.{n & 0xFF}"
            roll = rng.random()
            valid = 0 if roll < 0.01 else 3600
            state = 1 if roll > 0.995 else 0
            mac = "" if state == 1 else macs[n]
            expire = NOW - 7200 + i * 7200 // lines + (valid if roll > 0.05 else 0)
            host = f"host-{n}&#x2c lab" if n % 3 else ""
            out.write(f"{ip},{mac},,{valid},{expire},1,0,0,{host},{state},,0\n")


def _ingest(engine: Engine, lease_file: Path, lookup: VendorLookup) -> RunReport:
    """``lease_file`` (with its LFC siblings) as one kea-csv run of network ``lan``."""
    return ingest(
        engine,
        "kea-csv",
        "lan",
        read_texts([lease_file]),
        now=datetime.fromtimestamp(NOW, UTC),
        policy=Policy(),
        lookup=lookup,
        clock=lambda: datetime.now(UTC),
    )


def ingest_once(lease_file: Path, db_url: str) -> None:
    """One ``ingest`` of ``lease_file`` in this process: its wall time, summary and peak RSS."""
    engine = create_engine(db_url)
    schema.ensure_current(engine)
    lookup = load_table(None).lookup
    started = time.perf_counter()
    report = _ingest(engine, lease_file, lookup)
    wall = time.perf_counter() - started
    engine.dispose()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{wall:.2f} s wall, peak RSS {peak_mb:.0f} MB — {report.summary()}")


def _child(lease_file: Path, db_url: str) -> str:
    done = subprocess.run(
        [sys.executable, __file__, "--ingest", str(lease_file), "--db", db_url],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def reingest(tmp: Path, devices: int, repeats: int = 30) -> None:
    """A small unchanged lease file ingested again and again: what a quiet minute costs."""
    lease_file = tmp / f"kea-{devices}.csv"
    generate(lease_file, devices * 5, devices)
    engine = create_engine(f"sqlite:///{tmp}/small.db")
    schema.upgrade(engine)
    lookup = load_table(None).lookup
    timings = []
    for _ in range(repeats + 1):
        started = time.perf_counter()
        report = _ingest(engine, lease_file, lookup)
        timings.append((time.perf_counter() - started) * 1000)
    engine.dispose()
    again = sorted(timings[1:])
    print(
        f"re-ingest of an unchanged {devices:,}-device file ({devices * 5:,} lines), {repeats} times: "
        f"median {statistics.median(again):.1f} ms, p95 {again[int(len(again) * 0.95) - 1]:.1f} ms "
        f"(first ingest {timings[0]:.0f} ms) — {report.summary()}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--devices", type=int, default=200_000)
    parser.add_argument("--small", type=int, default=1000, help="Devices of the re-ingest file.")
    parser.add_argument("--ingest", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.ingest is not None:
        ingest_once(args.ingest, args.db)
        return
    now = datetime.fromtimestamp(NOW, UTC)
    with tempfile.TemporaryDirectory(prefix="lanventory-bench-") as scratch:
        tmp = Path(scratch)
        lease_file = tmp / "kea-leases4.csv"
        started = time.perf_counter()
        generate(lease_file, args.lines, args.devices)
        size = lease_file.stat().st_size
        print(
            f"generated {args.lines:,} lines ({size / 1e6:.1f} MB, {args.devices:,} devices) "
            f"in {time.perf_counter() - started:.1f} s"
        )
        started = time.perf_counter()
        parsed = kea_csv.parse(read_texts([lease_file]), now)
        print(
            f"read + parse only: {time.perf_counter() - started:.2f} s, "
            f"{len(parsed.observations):,} observations, skipped {parsed.skipped_by_reason()}"
        )
        del parsed
        db_url = f"sqlite:///{tmp}/bench.db"
        schema.upgrade(create_engine(db_url))
        print(f"first ingest (empty database), own process: {_child(lease_file, db_url)}")
        print(f"second ingest (all devices known), own process: {_child(lease_file, db_url)}")
        reingest(tmp, args.small)


if __name__ == "__main__":
    main()
