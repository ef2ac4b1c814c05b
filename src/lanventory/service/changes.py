"""Lease-file change detection: ingest a file source only when its files changed.

A source's fingerprint is the size, modification time, inode and status-change
time of every file it may read (Kea's LFC siblings included, whether they
exist or not). The first look at a source always counts as a change.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from lanventory.network_config import (
    DnsmasqSource,
    IscDhcpdSource,
    KeaCsvSource,
    SourceConfig,
)

#: What one file looked like: ``(path, size, mtime_ns, inode, ctime_ns)``, or ``(path,)`` if missing.
FileState = tuple[str, int, int, int, int] | tuple[str]
Fingerprint = tuple[FileState, ...]

_KEA_SIBLINGS = ("", ".completed", ".2", ".1")


def watched_files(source: SourceConfig) -> list[Path] | None:
    """Every file ``source`` may read, or None for a source that is not files (run always)."""
    match source:
        case KeaCsvSource():
            lives = [source.path] + ([source.path6] if source.path6 is not None else [])
            return [
                live.with_name(live.name + suffix) for live in lives for suffix in _KEA_SIBLINGS
            ]
        case DnsmasqSource() | IscDhcpdSource():
            return [source.path]
    return None


def fingerprint(paths: Sequence[Path]) -> Fingerprint:
    """The state of ``paths`` now (a file that cannot be looked at counts as missing)."""
    states: list[FileState] = []
    for path in paths:
        try:
            stat = os.stat(path)
        except OSError:
            states.append((str(path),))
            continue
        states.append((str(path), stat.st_size, stat.st_mtime_ns, stat.st_ino, stat.st_ctime_ns))
    return tuple(states)


class ChangeWatch:
    """Remembers the fingerprint each source had when it last ran."""

    def __init__(self) -> None:
        self._seen: dict[str, Fingerprint] = {}

    def check(self, key: str, source: SourceConfig) -> Fingerprint | None:
        """The new fingerprint if ``source`` must run (changed or never seen), else None.

        A source that is not files always must run: its fingerprint is empty.
        """
        paths = watched_files(source)
        if paths is None:
            return ()
        current = fingerprint(paths)
        return None if self._seen.get(key) == current else current

    def remember(self, key: str, current: Fingerprint) -> None:
        """Note that ``key`` ran on the files as ``current`` describes them."""
        if current:
            self._seen[key] = current
