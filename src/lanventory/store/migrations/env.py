"""Alembic environment: runs on the connection lanventory hands it."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from lanventory.store.tables import metadata


def run_migrations_online() -> None:
    """Migrate on ``config.attributes['connection']`` (see lanventory.store.schema)."""
    connection = context.config.attributes.get("connection")
    if not isinstance(connection, Connection):
        raise RuntimeError("run migrations through 'lanventory db upgrade'")
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
