"""Read the old router web UI's ``dhcp_leases`` table from its PostgreSQL database.

Read-only: one look at ``information_schema.columns`` to learn which optional
columns the table has (``id``, ``hostname``, the time columns of
:data:`~lanventory.legacy.dhcp_leases.TIME_COLUMNS`), then one ``SELECT``, in
a read-only transaction. Both layouts the old tool had (``ip_address INET
UNIQUE``, later one row per ``(network, mac_address)``) read the same way.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from lanventory.legacy.dhcp_leases import TIME_COLUMNS, LeaseRow
from lanventory.store.engine import normalize_url

_LOGGER = logging.getLogger(__name__)

#: The columns an import cannot do without.
REQUIRED = ("network", "ip_address", "mac_address")
_TIMESTAMPS = {"timestamp without time zone", "timestamp with time zone", "date"}
_NUMBERS = {"integer", "bigint", "smallint", "numeric", "double precision", "real"}
_ADDRESSES = {"inet", "cidr"}
#: Seconds to wait for the legacy server before giving up.
CONNECT_TIMEOUT = 10


class LegacyReadError(Exception):
    """The legacy table cannot be read; the message says which and why."""


@dataclass(frozen=True, slots=True)
class LegacyTable:
    """The rows of a legacy table and what was read from where."""

    label: str
    columns: tuple[str, ...]
    ignored: tuple[str, ...]
    rows: list[LeaseRow]


def _problem(error: DBAPIError) -> str:
    """The first line of the database's own message."""
    return str(error.orig).strip().splitlines()[0] if error.orig else str(error)


def _columns(connection: Connection, schema: str | None, table: str) -> dict[str, str]:
    """Column name -> data type of ``schema.table`` (the current schema when None)."""
    query = text(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_name = :table AND table_schema = COALESCE(:schema, current_schema()) "
        "ORDER BY ordinal_position"
    )
    found = connection.execute(query, {"table": table, "schema": schema}).all()
    return {str(name): str(kind) for name, kind in found}


def _tables(connection: Connection, schema: str | None) -> list[str]:
    query = text(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = COALESCE(:schema, current_schema()) ORDER BY table_name LIMIT 20"
    )
    return [str(name) for name in connection.execute(query, {"schema": schema}).scalars()]


def _select_list(columns: dict[str, str], quote: Any) -> tuple[list[str], list[str], list[str]]:
    """The expressions of the SELECT, the optional columns used and those ignored (and why)."""
    ip = quote("ip_address")
    exprs = [
        f"CAST({quote('network')} AS text) AS network",
        f"CAST({quote('mac_address')} AS text) AS mac",
        f"host({ip}) AS ip" if columns["ip_address"] in _ADDRESSES else f"CAST({ip} AS text) AS ip",
    ]
    used, ignored = [], []
    if "id" in columns:
        if columns["id"] in {"integer", "bigint", "smallint"}:
            exprs.append(f"{quote('id')} AS id")
            used.append("id")
        else:
            ignored.append(f"id ({columns['id']})")
    if "hostname" in columns:
        exprs.append(f"CAST({quote('hostname')} AS text) AS hostname")
        used.append("hostname")
    for column in TIME_COLUMNS:
        kind = columns.get(column)
        if kind is None:
            continue
        if kind in _TIMESTAMPS:
            exprs.append(f"CAST({quote(column)} AS timestamptz) AS t_{column}")
        elif kind in _NUMBERS:  # epoch seconds
            exprs.append(f"to_timestamp({quote(column)}) AS t_{column}")
        else:
            ignored.append(f"{column} ({kind})")
            continue
        used.append(column)
    return exprs, used, ignored


def _row(row: Any, used: list[str]) -> LeaseRow:
    mapping = row._mapping
    times: dict[str, datetime] = {}
    for column in used:
        value = mapping.get(f"t_{column}")
        if isinstance(value, datetime):
            times[column] = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return LeaseRow(
        network=mapping["network"],
        mac=mapping["mac"],
        ip=mapping["ip"],
        hostname=mapping.get("hostname"),
        id=mapping.get("id"),
        times=times,
    )


def _read(connection: Connection, database: str, schema: str | None, table: str) -> LegacyTable:
    where = f"{schema}.{table}" if schema else table
    columns = _columns(connection, schema, table)
    if not columns:
        others = ", ".join(_tables(connection, schema)) or "none"
        raise LegacyReadError(
            f"database {database!r} has no table {where!r} "
            f"(tables in {'schema ' + repr(schema) if schema else 'its current schema'}: {others}); "
            "name it with --table"
        )
    missing = [name for name in REQUIRED if name not in columns]
    if missing:
        raise LegacyReadError(
            f"table {database}.{where} has no column {', '.join(missing)} "
            f"(required: {', '.join(REQUIRED)}; it has: {', '.join(columns)})"
        )
    quote = connection.dialect.identifier_preparer.quote
    exprs, used, ignored = _select_list(columns, quote)
    source = f"{quote(schema)}.{quote(table)}" if schema else quote(table)
    result = connection.execute(text(f"SELECT {', '.join(exprs)} FROM {source}"))
    rows = [_row(row, used) for row in result]
    _LOGGER.info("read %d rows of %s.%s (columns %s)", len(rows), database, where, used)
    return LegacyTable(f"{database}.{table}", tuple(used), tuple(ignored), rows)


def read_dhcp_leases(url: str, table: str = "dhcp_leases") -> LegacyTable:
    """Every row of ``table`` (``name`` or ``schema.name``) in the PostgreSQL database at ``url``.

    Raises :class:`LegacyReadError` for a URL that is not PostgreSQL's, a
    database that cannot be reached, a missing table or a missing required column.
    """
    try:
        parsed = make_url(normalize_url(url))
        shown = make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        raise LegacyReadError(
            f"{url!r} is not a database URL: use postgresql://USER@HOST/DATABASE"
        ) from None
    if parsed.get_backend_name() != "postgresql" or not parsed.database:
        raise LegacyReadError(
            f"{shown} is not a PostgreSQL database URL: use postgresql://USER@HOST/DATABASE"
        )
    schema, _, name = table.rpartition(".")
    try:
        engine = create_engine(parsed, connect_args={"connect_timeout": CONNECT_TIMEOUT})
    except (ArgumentError, NoSuchModuleError) as error:
        raise LegacyReadError(f"cannot use {shown}: {error}") from None
    try:
        try:
            connection = engine.connect()
        except DBAPIError as error:
            raise LegacyReadError(f"cannot connect to {shown}: {_problem(error)}") from None
        with connection.execution_options(postgresql_readonly=True) as reading:
            with reading.begin():
                return _read(reading, parsed.database, schema or None, name)
    except DBAPIError as error:
        raise LegacyReadError(f"cannot read {table} from {shown}: {_problem(error)}") from None
    finally:
        engine.dispose()
