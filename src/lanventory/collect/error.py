"""The one error every collector raises: the run fails with its message."""

from __future__ import annotations


class CollectError(RuntimeError):
    """A source could not be read or run; the message says what to fix."""
