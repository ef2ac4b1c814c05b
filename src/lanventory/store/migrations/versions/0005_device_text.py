"""What devices report about themselves is unbounded text: a 10 kB hostname is stored whole.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

#: The columns of ``devices`` that hold what a device reported.
DEVICE_TEXT = ("vendor", "hostname", "client_id")


def upgrade() -> None:
    with op.batch_alter_table("devices") as batch:
        for name in DEVICE_TEXT:
            batch.alter_column(name, type_=sa.Text, existing_type=sa.String(255))


def downgrade() -> None:
    # Longer values are cut to fit again (PostgreSQL would refuse the change otherwise).
    devices = sa.table("devices", *(sa.column(name, sa.Text) for name in DEVICE_TEXT))
    op.execute(
        devices.update().values(
            {name: sa.func.substr(devices.c[name], 1, 255) for name in DEVICE_TEXT}
        )
    )
    with op.batch_alter_table("devices") as batch:
        for name in DEVICE_TEXT:
            batch.alter_column(name, type_=sa.String(255), existing_type=sa.Text)
