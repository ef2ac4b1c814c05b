"""What an agent's batch of a large lease file costs: size on the wire and on disk, and the
server's time to apply it (and to recognise it when it is sent again).

    .venv/bin/python bench/agent_batch.py --devices 10000

Builds the Kea lease file with ``bench/kea_ingest.py``'s generator, reads and parses it as
the agent does, makes the batch, then applies it to a fresh SQLite database as the server
does (``receive_batch``), twice.
"""

from __future__ import annotations

import argparse
import gzip
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from kea_ingest import generate  # noqa: E402

from lanventory.agent.batch import Batch, batch_of  # noqa: E402
from lanventory.collect.run import collect_source  # noqa: E402
from lanventory.config import Settings  # noqa: E402
from lanventory.service.batches import receive_batch  # noqa: E402
from lanventory.store import schema  # noqa: E402
from lanventory.store.engine import create_engine  # noqa: E402
from lanventory.vendors import load_table  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=10000)
    parser.add_argument("--lines", type=int, default=0, help="Lease lines (default 5 per device).")
    args = parser.parse_args()
    lines = args.lines or 5 * args.devices
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        leases = root / "kea-leases4.csv"
        generate(leases, lines, args.devices)
        network = {
            "name": "lan",
            "cidr": "10.0.0.0/8",
            "sources": [{"type": "kea-csv", "path": str(leases)}],
        }
        settings = Settings(data_dir=root, networks=[network])  # type: ignore[list-item]
        config = settings.networks[0]
        now = datetime.now(UTC)
        started = time.perf_counter()
        collected = collect_source(settings, config, config.sources[0], clock=lambda: now)
        batch = batch_of("bench-batch-0001", collected.report, collected.started, collected.result)
        body = batch.model_dump_json().encode()
        zipped = gzip.compress(body, compresslevel=6, mtime=0)
        made = time.perf_counter() - started
        started = time.perf_counter()
        received = Batch.model_validate_json(gzip.decompress(zipped))
        validated = time.perf_counter() - started
        engine = create_engine(f"sqlite:///{root / 'server.db'}")
        schema.upgrade(engine)
        lookup = load_table(None).lookup
        timings = []
        for _ in range(2):
            started = time.perf_counter()
            receipt = receive_batch(
                engine, received, agent="bench", settings=settings, lookup=lookup, clock=lambda: now
            )
            timings.append(time.perf_counter() - started)
            assert receipt.ok, receipt.error
        engine.dispose()
    print(
        f"lease file: {lines} lines, {args.devices} devices; batch: {len(batch.observations)} observations"
    )
    print(
        f"agent: read, parse and make the batch {made:.2f} s; JSON {len(body) / 1e6:.2f} MB, gzip {len(zipped) / 1e6:.2f} MB ({len(body) / len(zipped):.1f}x)"
    )
    print(
        f"server: validate {validated:.2f} s, apply {timings[0]:.2f} s, the same batch again {timings[1] * 1000:.1f} ms"
    )


if __name__ == "__main__":
    main()
