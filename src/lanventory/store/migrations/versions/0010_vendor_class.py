"""The DHCP vendor class a device sent (option 60, e.g. ``android-dhcp-13``), where a source
records it: evidence for rotated-MAC suggestions.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("devices") as batch:
        batch.add_column(sa.Column("vendor_class", sa.Text))


def downgrade() -> None:
    with op.batch_alter_table("devices") as batch:
        batch.drop_column("vendor_class")
