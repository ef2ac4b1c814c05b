"""Reading what a started ``lanventory serve`` prints before it listens."""

from __future__ import annotations

import subprocess
import time


def read_banner(process: subprocess.Popen[str]) -> tuple[str, str]:
    """The generated owner password and the 'listening on' line, from the server's stdout."""
    assert process.stdout is not None
    password = ""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            raise AssertionError(f"serve exited early with {process.wait(5)}")
        if line.startswith("    ") and line.strip():
            password = line.strip()
        if "listening on" in line:
            return password, line.strip()
    raise AssertionError("serve printed no 'listening on' line")
