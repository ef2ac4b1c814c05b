"""Whether a lab test may run here: skip with the reason, but never skip in CI."""

from __future__ import annotations

import os

import pytest

from .netlab import lab_available


def lab_or_skip(*extras: str) -> None:
    """Skip (fail in CI) unless this machine can build the lab."""
    reason = lab_available(*extras)
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"the network lab must run in CI: {reason}")
        pytest.skip(f"needs root to create network namespaces: {reason}")
