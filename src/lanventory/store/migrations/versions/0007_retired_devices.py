"""Adopting a rotated MAC retires the old device row instead of deleting it.

A retired row keeps its history and names its successor (``retired_into``, the
adopting device's id) and when it was retired. Only live rows hold a
``(network, mac)``: the old MAC may come back later as a device of its own.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from lanventory.store.types import UtcDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

LIVE = "retired_at IS NULL"


def upgrade() -> None:
    with op.batch_alter_table("devices") as batch:
        batch.add_column(sa.Column("retired_into", sa.Integer))
        batch.add_column(sa.Column("retired_at", UtcDateTime()))
    op.drop_index("uq_devices_network_mac", table_name="devices")
    op.create_index(
        "uq_devices_network_mac",
        "devices",
        ["network", "mac"],
        unique=True,
        sqlite_where=sa.text(LIVE),
        postgresql_where=sa.text(LIVE),
    )
    op.create_index("ix_devices_retired_into", "devices", ["retired_into"])


def downgrade() -> None:
    # Retired rows cannot survive without the partial index: they go, as they did before.
    op.execute(sa.text("DELETE FROM devices WHERE retired_at IS NOT NULL"))
    op.drop_index("ix_devices_retired_into", table_name="devices")
    op.drop_index("uq_devices_network_mac", table_name="devices")
    op.create_index("uq_devices_network_mac", "devices", ["network", "mac"], unique=True)
    with op.batch_alter_table("devices") as batch:
        batch.drop_column("retired_at")
        batch.drop_column("retired_into")
