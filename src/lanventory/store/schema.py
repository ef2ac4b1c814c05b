"""Bringing a database to the current schema through the Alembic migrations."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine


class SchemaError(RuntimeError):
    """The database is not at the schema this lanventory expects."""


def alembic_config() -> Config:
    """Alembic's configuration, pointing at the migrations inside the package."""
    config = Config()
    config.set_main_option("script_location", "lanventory.store:migrations")
    return config


def head_revision() -> str | None:
    """The newest migration this lanventory ships."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The migration the database is at (None for an empty database)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Run every migration up to ``revision`` in one transaction."""
    config = alembic_config()
    with engine.connect() as connection:
        connection = connection.execution_options(sqlite_begin="IMMEDIATE")
        with connection.begin():
            config.attributes["connection"] = connection
            command.upgrade(config, revision)


def ensure_current(engine: Engine) -> None:
    """Create the schema in an empty database; refuse one at an older revision."""
    current = current_revision(engine)
    head = head_revision()
    if current == head:
        return
    if current is None:
        upgrade(engine)
        return
    raise SchemaError(
        f"the database is at schema revision {current}, this lanventory needs {head}: "
        "run 'lanventory db upgrade' (back the database up first)"
    )
