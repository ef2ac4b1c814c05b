"""Initial inventory schema: devices keyed by (network, mac), sightings, IP history, runs, events.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from lanventory.store.types import UtcDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "devices",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("network", sa.String(64), nullable=False),
        sa.Column("mac", sa.String(17), nullable=False),
        sa.Column("ip", sa.String(45)),
        sa.Column("vendor", sa.String(255)),
        sa.Column("hostname", sa.String(255)),
        sa.Column("client_id", sa.String(255)),
        sa.Column("name", sa.String(255)),
        sa.Column("grp", sa.String(64)),
        sa.Column("note", sa.Text),
        sa.Column("status", sa.String(16), nullable=False, server_default="new"),
        sa.Column("randomized", sa.Boolean, nullable=False, server_default=sa.text("false")),
        sa.Column("flagged", sa.Boolean, nullable=False, server_default=sa.text("false")),
        sa.Column("first_seen", UtcDateTime, nullable=False),
        sa.Column("last_seen", UtcDateTime, nullable=False),
        sa.Column("present", sa.Boolean, nullable=False, server_default=sa.text("false")),
        sa.CheckConstraint("status IN ('new', 'known', 'ignored')", name="ck_devices_status"),
    )
    op.create_index("uq_devices_network_mac", "devices", ["network", "mac"], unique=True)
    op.create_index(
        "uq_devices_network_ip",
        "devices",
        ["network", "ip"],
        unique=True,
        sqlite_where=sa.text("ip IS NOT NULL"),
        postgresql_where=sa.text("ip IS NOT NULL"),
    )
    op.create_table(
        "sightings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "device_id",
            sa.Integer,
            sa.ForeignKey("devices.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("last_seen", UtcDateTime, nullable=False),
        sa.Column("ip", sa.String(45)),
        sa.Column("current", sa.Boolean, nullable=False),
        sa.Column("missed_runs", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_index("uq_sightings_device_source", "sightings", ["device_id", "source"], unique=True)
    op.create_table(
        "ip_history",
        sa.Column("id", _BIG_ID, primary_key=True),
        sa.Column(
            "device_id",
            sa.Integer,
            sa.ForeignKey("devices.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("ip", sa.String(45), nullable=False),
        sa.Column("family", sa.SmallInteger, nullable=False),
        sa.Column("first_seen", UtcDateTime, nullable=False),
        sa.Column("last_seen", UtcDateTime, nullable=False),
    )
    op.create_index("uq_ip_history_device_ip", "ip_history", ["device_id", "ip"], unique=True)
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("network", sa.String(64), nullable=False),
        sa.Column("started_at", UtcDateTime, nullable=False),
        sa.Column("finished_at", UtcDateTime),
        sa.Column("ok", sa.Boolean),
        sa.Column("error", sa.Text),
        sa.Column("inputs", sa.JSON),
        sa.Column("lines", sa.Integer, nullable=False, server_default="0"),
        sa.Column("observations", sa.Integer, nullable=False, server_default="0"),
        sa.Column("counts", sa.JSON),
    )
    op.create_index("ix_runs_network_source_started", "runs", ["network", "source", "started_at"])
    op.create_table(
        "events",
        sa.Column("id", _BIG_ID, primary_key=True),
        sa.Column("at", UtcDateTime, nullable=False),
        sa.Column("network", sa.String(64), nullable=False),
        sa.Column("mac", sa.String(17)),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("data", sa.JSON),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="SET NULL")),
    )
    op.create_index("ix_events_network_mac_at", "events", ["network", "mac", "at"])
    op.create_index("ix_events_at", "events", ["at"])


def downgrade() -> None:
    op.drop_table("events")
    op.drop_table("runs")
    op.drop_table("ip_history")
    op.drop_table("sightings")
    op.drop_table("devices")
