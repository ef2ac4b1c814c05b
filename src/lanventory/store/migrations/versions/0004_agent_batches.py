"""Batches received from remote agents, so that each is applied exactly once.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from lanventory.store.types import UtcDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agent_batches",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("agent", sa.String(64), nullable=False),
        sa.Column("network", sa.String(64), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("received_at", UtcDateTime(), nullable=False),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="SET NULL")),
    )
    op.create_index("ix_agent_batches_received_at", "agent_batches", ["received_at"])


def downgrade() -> None:
    op.drop_index("ix_agent_batches_received_at", table_name="agent_batches")
    op.drop_table("agent_batches")
