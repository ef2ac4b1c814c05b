"""What every source-fault test checks: a failed run that says why, or a correct one, and
never a half-applied run."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from lanventory.collect.run import run_source
from lanventory.config import Settings
from lanventory.ingest import RunReport
from lanventory.network_config import NetworkConfig
from lanventory.store.tables import devices, events, runs
from tests.reliability.kea_files import CIDR, lease_row, write_leases

#: The clock of the in-process runs; every generated lease is active at it.
NOW = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
EXPIRE = int((NOW + timedelta(hours=1)).timestamp())
#: Devices the seeding run leaves present in ``lan``.
SEEDED = 20


def clock() -> datetime:
    return NOW


def lan(*sources: dict[str, Any], **extra: Any) -> NetworkConfig:
    """The network ``lan`` (10.0.0.0/8) with ``sources``."""
    return NetworkConfig.model_validate(
        {"name": "lan", "cidr": CIDR, "sources": list(sources), **extra}
    )


def settings_for(network: NetworkConfig) -> Settings:
    return Settings(data_dir=Path("/nonexistent"), networks=[network])


def run(engine: Engine, network: NetworkConfig, index: int = 0) -> RunReport:
    """Run source ``index`` of ``network`` now, in this process."""
    return run_source(
        engine,
        settings_for(network),
        network,
        network.sources[index],
        lookup={}.get,
        clock=clock,
    )


def seed(engine: Engine, directory: Path) -> Path:
    """A successful kea-csv run that leaves :data:`SEEDED` devices present; its live file."""
    live = directory / "seed" / "kea-leases4.csv"
    live.parent.mkdir(parents=True)
    write_leases(live, [lease_row(n, EXPIRE) for n in range(SEEDED)])
    report = run(engine, lan({"type": "kea-csv", "path": str(live)}))
    assert report.ok, report.error
    assert len(present_macs(engine)) == SEEDED
    return live


def device_rows(engine: Engine) -> list[tuple[Any, ...]]:
    """The whole devices table, in a stable order."""
    with engine.connect() as connection:
        rows = connection.execute(select(devices).order_by(devices.c.network, devices.c.mac))
        return [tuple(row) for row in rows]


def present_macs(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        return set(
            connection.execute(select(devices.c.mac).where(devices.c.present.is_(True))).scalars()
        )


def last_run(engine: Engine) -> Any:
    with engine.connect() as connection:
        return connection.execute(select(runs).order_by(runs.c.id.desc()).limit(1)).one()


def failure_events(engine: Engine, run_id: int) -> list[Any]:
    with engine.connect() as connection:
        return list(
            connection.execute(
                select(events).where(events.c.run_id == run_id, events.c.type == "source_failed")
            )
        )


def assert_failed_cleanly(
    engine: Engine, report: RunReport, before: list[tuple[Any, ...]], *says: str
) -> None:
    """``report`` is a recorded failed run whose error says each of ``says``, with its
    ``source_failed`` event, and the devices table is exactly ``before``."""
    assert not report.ok, report.summary()
    assert report.error is not None
    for fragment in says:
        assert fragment in report.error, report.error
    record = last_run(engine)
    assert record.id == report.run_id
    assert record.ok is False and record.finished_at is not None
    assert record.error == report.error
    (event,) = failure_events(engine, record.id)
    assert event.data["error"] == report.error
    assert device_rows(engine) == before


def privilege_tools() -> str | None:
    """Why a test that drops capabilities or makes a namespace cannot run here, or None."""
    if os.geteuid() != 0:
        return "needs root (to drop capabilities and create a network namespace)"
    missing = [tool for tool in ("setpriv", "unshare", "ip") if shutil.which(tool) is None]
    return f"{', '.join(missing)} not installed" if missing else None


def require_privilege_tools() -> None:
    """Skip (fail in CI) unless this machine can drop capabilities and make namespaces."""
    reason = privilege_tools()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"this test must run in CI: {reason}")
        pytest.skip(reason)
