"""``UtcDateTime`` writes exactly what SQLAlchemy's own SQLite DATETIME would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import DateTime
from sqlalchemy.dialects import sqlite

from lanventory.store.types import UtcDateTime


@pytest.mark.parametrize(
    "value",
    [
        datetime(2026, 11, 23, 7, 0, tzinfo=UTC),
        datetime(2026, 1, 2, 3, 4, 5, 678, tzinfo=timezone(timedelta(hours=2))),
        datetime(2026, 3, 29, 0, 59, 59, 999999, tzinfo=timezone(timedelta(hours=-9, minutes=-30))),
        datetime(1, 1, 1, tzinfo=UTC),
    ],
)
def test_the_sqlite_text_is_sqlalchemys(value: datetime) -> None:
    dialect = sqlite.dialect()
    ours = UtcDateTime().bind_processor(dialect)
    theirs = DateTime().dialect_impl(dialect).bind_processor(dialect)
    assert ours(value) == theirs(value.astimezone(UTC).replace(tzinfo=None))


def test_a_naive_time_is_refused() -> None:
    process = UtcDateTime().bind_processor(sqlite.dialect())
    with pytest.raises(ValueError, match="naive datetime"):
        process(datetime(2026, 11, 23, 7, 0))
    assert process(None) is None
