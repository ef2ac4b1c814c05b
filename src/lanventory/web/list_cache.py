"""The long device lists, reused until the inventory changes.

Every committed change to the inventory writes at least one event (a run
ends with ``run_finished``; edits, deletes, prunes and presence changes
have their own), and events are only ever appended. So the number of
events and the newest event id together name a version of the inventory:
a list built for that version (and that day, since "absent Nd" counts days)
is still right until either changes. Counting as well as taking the newest
id covers PostgreSQL, where a transaction can commit a lower id after a
higher one was already seen (SQLite, whose writers take turns, needs only the id).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from lanventory.store.tables import events

Version = tuple[int, int]


def inventory_version(connection: Connection) -> Version:
    """(number of events, newest event id): changes whenever the inventory does.

    On SQLite the newest id alone will do (and costs no scan of the table):
    writers take turns, so ids become visible in the order they were given.
    """
    if connection.dialect.name == "sqlite":
        newest = connection.execute(select(func.max(events.c.id))).scalar()
        return 0, int(newest or 0)
    count, newest = connection.execute(select(func.count(), func.max(events.c.id))).one()
    return int(count), int(newest or 0)


class ListCache:
    """A small LRU of encoded answers, keyed by what was asked and the inventory version."""

    def __init__(self, size: int = 32) -> None:
        self._size = size
        self._items: OrderedDict[Hashable, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, build: Callable[[], bytes]) -> bytes:
        """The answer for ``key``, built (outside the lock) if it is not kept."""
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                return found
        body = build()
        with self._lock:
            self._items[key] = body
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return body
