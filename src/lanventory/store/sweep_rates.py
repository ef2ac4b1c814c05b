"""The rate each network's native sweep last ran at without loss."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, select

from lanventory.store.tables import sweep_rates
from lanventory.store.upsert import upsert


def learned_rate(connection: Connection, network: str, interface: str) -> int | None:
    """The learned rate for ``network`` on ``interface``; None if never learned there."""
    row = connection.execute(
        select(sweep_rates.c.rate).where(
            sweep_rates.c.network == network, sweep_rates.c.interface == interface
        )
    ).first()
    return None if row is None else int(row.rate)


def remember_rate(
    connection: Connection, network: str, interface: str, rate: int, now: datetime
) -> None:
    """Store the rate that worked for ``network`` (one row per network)."""
    statement = upsert(connection, sweep_rates).values(
        network=network, interface=interface, rate=rate, updated_at=now
    )
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=["network"],
            set_={"interface": interface, "rate": rate, "updated_at": now},
        )
    )
