"""Many rows through one statement, at the driver's speed.

SQLAlchemy's executemany prepares every parameter of every row through its
generic machinery, which costs more than the database's own work when a run
writes hundreds of thousands of rows. :func:`execute_many` compiles the
statement once, converts each value with its column type's own bind
processor (so what is stored is exactly what SQLAlchemy would store), and
hands the rows to the driver's ``executemany``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.engine import Connection
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement

from lanventory.store.types import UtcDateTime


def _compiled(connection: Connection, statement: ClauseElement, keys: list[str]) -> SQLCompiler:
    compiled = statement.compile(dialect=connection.dialect, column_keys=keys)
    assert isinstance(compiled, SQLCompiler)
    return compiled


def execute_many(
    connection: Connection, statement: ClauseElement, rows: Sequence[Mapping[str, Any]]
) -> None:
    """Execute ``statement`` once for each of ``rows`` (all with the same keys)."""
    if not rows:
        return
    keys = list(rows[0])
    compiled = _compiled(connection, statement, keys)
    dialect = connection.dialect
    names = list(compiled.positiontup or ()) if compiled.positional else list(compiled.binds)
    columns: list[list[Any]] = []
    for name in names:
        bind = compiled.binds[name]
        if name in rows[0]:
            column = [row[name] for row in rows]
        else:  # a value the statement itself holds, the same for every row
            column = [bind.effective_value] * len(rows)
        process = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None and isinstance(bind.type, UtcDateTime):
            # A run's times repeat (its "now", a device's first and last seen, a lease's
            # cltt shared by many): each distinct one is converted once.
            done: dict[Any, Any] = {None: None}
            column = [
                done[value] if value in done else done.setdefault(value, process(value))
                for value in column
            ]
        elif process is not None:
            column = [None if value is None else process(value) for value in column]
        columns.append(column)
    params: list[Any] = list(zip(*columns, strict=True))
    if not compiled.positional:
        params = [dict(zip(names, values, strict=True)) for values in params]
    connection.exec_driver_sql(compiled.string, params)
