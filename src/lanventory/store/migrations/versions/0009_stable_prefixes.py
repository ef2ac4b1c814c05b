"""Stable MAC prefixes the owner added in the web UI (the config file's stay in the file).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from lanventory.store.types import UtcDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stable_prefixes",
        sa.Column("prefix", sa.String(17), primary_key=True),
        sa.Column("reason", sa.String(80), nullable=False),
        sa.Column("added_at", UtcDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("stable_prefixes")
