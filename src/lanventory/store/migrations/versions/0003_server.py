"""What the server needs: the owner's password, API tokens, sessions, watched devices.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from lanventory.store.types import UtcDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("devices") as batch:
        batch.add_column(
            sa.Column("watched", sa.Boolean, nullable=False, server_default=sa.text("false"))
        )
    op.create_table(
        "owner",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.CheckConstraint("id = 1", name="ck_owner_single"),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False, server_default="owner"),
        sa.Column("networks", sa.JSON),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("last_used_at", UtcDateTime()),
        sa.Column("revoked_at", UtcDateTime()),
        sa.CheckConstraint("kind IN ('owner', 'agent')", name="ck_api_tokens_kind"),
    )
    op.create_index("uq_api_tokens_name", "api_tokens", ["name"], unique=True)
    op.create_index("uq_api_tokens_hash", "api_tokens", ["token_hash"], unique=True)
    op.create_table(
        "sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("sessions")
    op.drop_index("uq_api_tokens_hash", "api_tokens")
    op.drop_index("uq_api_tokens_name", "api_tokens")
    op.drop_table("api_tokens")
    op.drop_table("owner")
    with op.batch_alter_table("devices") as batch:
        batch.drop_column("watched")
