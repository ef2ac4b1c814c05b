"""A sliding-window limit on failed logins, per client address, in memory."""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable


class FailureLimiter:
    """At most ``limit`` failures per ``window`` seconds for each key.

    Only failures count; a key that reached the limit is refused until its
    oldest failure leaves the window. Keys are independent: clearing one
    (after a success) leaves every other key's count as it was.
    """

    def __init__(
        self,
        limit: int,
        window: float = 60.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 10_000,
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._max_keys = max_keys
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, key: str, now: float) -> deque[float] | None:
        failures = self._failures.get(key)
        if failures is None:
            return None
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        if not failures:
            del self._failures[key]
            return None
        return failures

    def retry_after(self, key: str) -> int | None:
        """Seconds until ``key`` may try again; None if it may try now."""
        now = self._clock()
        failures = self._recent(key, now)
        if failures is None or len(failures) < self.limit:
            return None
        return max(1, math.ceil(failures[0] + self.window - now))

    def fail(self, key: str) -> None:
        """Count a failure for ``key``."""
        now = self._clock()
        if len(self._failures) >= self._max_keys:
            self._forget_expired(now)
        failures = self._recent(key, now)
        if failures is None:
            failures = self._failures[key] = deque()
        failures.append(now)

    def clear(self, key: str) -> None:
        """Forget ``key``'s failures (its owner just proved who it is)."""
        self._failures.pop(key, None)

    def _forget_expired(self, now: float) -> None:
        for key in list(self._failures):
            self._recent(key, now)
        while len(self._failures) >= self._max_keys:  # still full: drop the oldest keys
            del self._failures[next(iter(self._failures))]
