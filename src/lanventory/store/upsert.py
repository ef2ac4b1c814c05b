"""INSERT … ON CONFLICT for the backends lanventory runs on."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Table

from lanventory.store.bulk import execute_many


def upsert(connection: Connection, table: Table) -> Any:
    """An INSERT that supports ``on_conflict_do_update`` for this connection's dialect."""
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(table)
    if connection.dialect.name == "sqlite":
        from sqlalchemy.dialects import sqlite

        return sqlite.insert(table)
    raise NotImplementedError(f"unsupported database: {connection.dialect.name}")


def upsert_many(
    connection: Connection, table: Table, keys: Sequence[str], rows: Sequence[dict[str, Any]]
) -> None:
    """Insert ``rows``; a row whose ``keys`` exist already replaces that row's other columns."""
    if not rows:
        return
    statement = upsert(connection, table)
    columns = [name for name in rows[0] if name not in keys]
    execute_many(
        connection,
        statement.on_conflict_do_update(
            index_elements=list(keys),
            set_={name: statement.excluded[name] for name in columns},
        ),
        rows,
    )
