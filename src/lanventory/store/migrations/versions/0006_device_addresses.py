"""A device's extra current IPv4 addresses, besides its primary ``devices.ip``.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from lanventory.store.types import UtcDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "device_addresses",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "device_id",
            sa.Integer,
            sa.ForeignKey("devices.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("network", sa.String(64), nullable=False),
        sa.Column("ip", sa.String(45), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("first_seen", UtcDateTime(), nullable=False),
        sa.Column("last_seen", UtcDateTime(), nullable=False),
    )
    op.create_index(
        "uq_device_addresses_network_ip", "device_addresses", ["network", "ip"], unique=True
    )
    op.create_index("ix_device_addresses_device", "device_addresses", ["device_id"])


def downgrade() -> None:
    op.drop_index("ix_device_addresses_device", table_name="device_addresses")
    op.drop_index("uq_device_addresses_network_ip", table_name="device_addresses")
    op.drop_table("device_addresses")
