"""One writer: every database write of the server runs on one thread, in order.

SQLite allows one writer at a time; funnelling scheduled runs and API edits
through a single thread means none of them ever fails with "database is
locked", and a long ingest simply makes edits wait their turn.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


class Writer:
    """Runs write jobs one after another on its own thread."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lanventory-writer")

    def submit(self, job: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        """Queue ``job`` from synchronous code; its future."""
        return self._pool.submit(job, *args, **kwargs)

    async def run(self, job: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Queue ``job`` and wait for it without blocking the event loop."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, functools.partial(job, *args, **kwargs))

    def close(self) -> None:
        """Finish the queued jobs, then stop the thread."""
        self._pool.shutdown(wait=True)
