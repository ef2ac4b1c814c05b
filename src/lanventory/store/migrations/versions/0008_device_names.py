"""Names a device is known by besides its DHCP hostname: reverse DNS and mDNS.

One row per device and source (``ptr`` or ``mdns``); for mDNS also the
advertised service types. The owner's own ``devices.name`` is not touched.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from lanventory.store.device_text import DeviceJson, DeviceText
from lanventory.store.types import UtcDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "device_names",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "device_id",
            sa.Integer,
            sa.ForeignKey("devices.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("name", DeviceText(), nullable=False),
        sa.Column("services", DeviceJson()),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.CheckConstraint("source IN ('ptr', 'mdns')", name="ck_device_names_source"),
    )
    op.create_index(
        "uq_device_names_device_source", "device_names", ["device_id", "source"], unique=True
    )


def downgrade() -> None:
    op.drop_index("uq_device_names_device_source", table_name="device_names")
    op.drop_table("device_names")
