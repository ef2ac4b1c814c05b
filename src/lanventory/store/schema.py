"""Bringing a database to the current schema through the Alembic migrations.

Alembic is imported only when a migration has to run: a command against an
up-to-date database just reads ``alembic_version`` and compares it with
:data:`HEAD` (a test keeps that constant equal to the newest migration).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect, text

if TYPE_CHECKING:
    from alembic.config import Config

HEAD = "0010"
"""The newest migration this lanventory ships."""


class SchemaError(RuntimeError):
    """The database is not at the schema this lanventory expects."""


def alembic_config() -> Config:
    """Alembic's configuration, pointing at the migrations inside the package."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", "lanventory.store:migrations")
    return config


def head_revision() -> str | None:
    """The newest migration in the migrations directory."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The migration the database is at (None for an empty database)."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        rows = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    return rows[0][0] if len(rows) == 1 else None


@contextmanager
def _tables_rebuildable(connection: Connection) -> Iterator[None]:
    """On SQLite, foreign keys off while migrations run, checked before the commit.

    A migration that changes a column on SQLite rebuilds the table (Alembic's
    batch mode) and drops the old one, which would delete every row referring
    to it (``ON DELETE CASCADE``). SQLite switches foreign keys only outside a
    transaction, so this wraps the migrations' transaction.
    """
    if connection.dialect.name != "sqlite":
        yield
        return
    raw = connection.connection.driver_connection
    assert raw is not None
    raw.execute("PRAGMA foreign_keys = OFF")
    try:
        yield
    finally:
        raw.execute("PRAGMA foreign_keys = ON")


def _check_foreign_keys(connection: Connection) -> None:
    if connection.dialect.name != "sqlite":
        return
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
    if broken:
        raise SchemaError(f"a migration left rows without their parent row: {broken[:5]}")


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Run every migration up to ``revision`` in one transaction."""
    from alembic import command

    config = alembic_config()
    with engine.connect() as connection, _tables_rebuildable(connection):
        connection = connection.execution_options(sqlite_begin="IMMEDIATE")
        with connection.begin():
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
            _check_foreign_keys(connection)


def ensure_current(engine: Engine) -> None:
    """Create the schema in an empty database; refuse one at an older revision."""
    current = current_revision(engine)
    if current == HEAD:
        return
    if current is None:
        upgrade(engine)
        return
    raise SchemaError(
        f"the database is at schema revision {current}, this lanventory needs {HEAD}: "
        "run 'lanventory db upgrade' (back the database up first)"
    )
