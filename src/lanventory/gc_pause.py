"""Pausing Python's cycle collector while a run builds and drops many short-lived objects.

A large run creates millions of small objects (rows, leases, observations,
devices) and no reference cycles. The cycle collector would scan the whole
growing heap again and again as they are made, which makes a large run take
more than linearly longer; reference counting frees them all the same.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    """Run the body with the cycle collector off (as it was afterwards; nesting is fine)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()
