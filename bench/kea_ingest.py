#!/usr/bin/env python3
"""Ingest a generated 1,000,000-line Kea lease file into SQLite and report the wall time.

    .venv/bin/python bench/kea_ingest.py [--lines 1000000] [--devices 100000]

The file is schema 3.0 with renewals (every device appears about lines/devices times), a
share of deletes, expired and declined rows and escaped hostnames, like a busy server's log
between two LFC runs. It reports the wall time of each phase and of the whole `ingest`
(parse, rules, one SQLite transaction), then of a second ingest of the same file (every
device already known), and the peak resident memory.
"""

from __future__ import annotations

import argparse
import random
import resource
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from lanventory.collect.files import read_texts
from lanventory.ingest import ingest
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--devices", type=int, default=100_000)
    args = parser.parse_args()
    now = datetime.fromtimestamp(NOW, UTC)
    with tempfile.TemporaryDirectory(prefix="lanventory-bench-") as tmp:
        lease_file = Path(tmp) / "kea-leases4.csv"
        started = time.perf_counter()
        generate(lease_file, args.lines, args.devices)
        size = lease_file.stat().st_size
        print(
            f"generated {args.lines:,} lines ({size / 1e6:.1f} MB, {args.devices:,} devices) in {time.perf_counter() - started:.1f} s"
        )

        started = time.perf_counter()
        texts = read_texts([lease_file])
        parsed = kea_csv.parse(texts, now)
        parse_s = time.perf_counter() - started
        print(
            f"read + parse only: {parse_s:.2f} s, {len(parsed.observations):,} observations, skipped {parsed.skipped_by_reason()}"
        )

        engine = create_engine(f"sqlite:///{tmp}/bench.db")
        schema.upgrade(engine)
        lookup = load_table(None).lookup
        for label in ("first ingest (empty database)", "second ingest (all devices known)"):
            started = time.perf_counter()
            report = ingest(
                engine,
                "kea-csv",
                "lan",
                read_texts([lease_file]),
                now=now,
                policy=Policy(),
                lookup=lookup,
                clock=lambda: datetime.now(UTC),
            )
            print(f"{label}: {time.perf_counter() - started:.2f} s wall — {report.summary()}")
        engine.dispose()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
