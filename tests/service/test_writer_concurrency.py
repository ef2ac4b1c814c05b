"""On SQLite, a large ingest through the one writer while many PATCHes arrive through the
API: no "database is locked", no error at all, and every acknowledged edit is kept."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import httpx
from sqlalchemy import select

from lanventory.collect.files import read_texts
from lanventory.config import Settings
from lanventory.ingest import RunReport, ingest
from lanventory.service.writer import Writer
from lanventory.sources import kea_csv
from lanventory.store import schema
from lanventory.store.credentials import create_token
from lanventory.store.engine import create_engine
from lanventory.store.tables import devices
from lanventory.web.app import create_app
from lanventory.web.services import Services
from tests.conftest import SAMPLE_NOW

NOW = int(SAMPLE_NOW.timestamp())
LINES = 50_000
DEVICES = 5_000
EDITS = 50


def mac_of(n: int) -> str:
    return f"3c:22:fb:{n >> 16 & 0xFF:02x}:{n >> 8 & 0xFF:02x}:{n & 0xFF:02x}"


def generate(path: Path, seed: int) -> None:
    """A Kea lease file: LINES renewals of DEVICES devices (like bench/kea_ingest.py)."""
    rng = random.Random(seed)
    with path.open("w") as out:
        out.write(",".join(kea_csv.V4_COLUMNS) + "\n")
        for i in range(LINES):
            n = rng.randrange(DEVICES)
            expire = NOW - 600 + i * 7200 // LINES
            out.write(
                f"10.1.{n >> 8 & 0xFF}.{n & 0xFF},{mac_of(n)},,3600,{expire},1,0,0,h-{n},0,,0\n"
            )


def test_a_large_ingest_and_concurrent_patches_never_fail_and_keep_every_edit(
    tmp_path: Path,
) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'lanventory.db'}")
    schema.upgrade(engine)
    settings = Settings(data_dir=tmp_path / "data")
    writer = Writer()
    services = Services(settings, engine, writer, lambda: SAMPLE_NOW, {}.get)
    leases = tmp_path / "kea-leases4.csv"
    generate(leases, seed=1)
    every_device = [
        f"10.1.{n >> 8 & 0xFF}.{n & 0xFF},{mac_of(n)},,3600,{NOW + 600},1,0,0,h-{n},0,,0"
        for n in range(DEVICES)
    ]
    with leases.open("a") as out:  # every device is known before the edits arrive
        out.write("\n".join(every_device) + "\n")

    def run_ingest() -> RunReport:
        return ingest(
            engine,
            "kea-csv",
            "lan",
            read_texts([leases]),
            now=SAMPLE_NOW,
            policy=settings.policy,
            lookup=services.lookup,
            clock=services.clock,
        )

    assert run_ingest().counts.new == DEVICES
    token = create_token(engine, "bench", SAMPLE_NOW)
    app = create_app(services, background=False)
    chosen = random.Random(2).sample(range(DEVICES), EDITS)

    async def scenario() -> tuple[list[RunReport], list[httpx.Response], bool]:
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(
            transport=transport, base_url="http://lanventory", headers=headers
        ) as client:
            ingests = asyncio.gather(*(writer.run(run_ingest) for _ in range(3)))
            await asyncio.sleep(0.05)
            overlapped = not ingests.done()
            patches = await asyncio.gather(
                *(
                    client.patch(
                        f"/api/devices/lan/{mac_of(n).replace(':', '-')}",
                        json={"name": f"device {n}", "grp": "lab", "note": f"edit {i}"},
                    )
                    for i, n in enumerate(chosen)
                )
            )
            return await ingests, patches, overlapped

    reports, patches, overlapped = asyncio.run(scenario())
    writer.close()
    assert overlapped, "the edits did not arrive during the ingest"
    assert [r.ok for r in reports] == [True, True, True], [r.error for r in reports]
    assert [p.status_code for p in patches] == [200] * EDITS, [p.text for p in patches]
    with engine.connect() as connection:
        named = {
            row.mac: (row.name, row.grp)
            for row in connection.execute(select(devices).where(devices.c.name.is_not(None)))
        }
    assert named == {mac_of(n): (f"device {n}", "lab") for n in chosen}
    engine.dispose()
