"""The sweep rate each network was last swept at without loss, learned by the native sweeper.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from lanventory.store.types import UtcDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sweep_rates",
        sa.Column("network", sa.String(64), primary_key=True),
        sa.Column("interface", sa.String(64), nullable=False),
        sa.Column("rate", sa.Integer, nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("sweep_rates")
