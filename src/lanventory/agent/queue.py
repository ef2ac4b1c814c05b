"""The agent's on-disk queue: every batch is on disk before it is sent, and until it arrived.

One gzip-compressed JSON file per batch, named ``<sequence>-<batch id>.json.gz``
so that sorting by name is sending order. A file is written under a
temporary name, flushed to disk and renamed, so a crash or power cut leaves
either the whole batch or none of it; leftovers of an interrupted write are
removed on start. A batch the server refuses for good (malformed, or for a
network the token may not report) moves to ``rejected/`` with the reason
beside it, so one bad batch never blocks the others.
"""

from __future__ import annotations

import gzip
import os
import re
from pathlib import Path

from lanventory.agent.batch import Batch

_NAME = re.compile(r"^(\d{12})-([A-Za-z0-9_-]+)\.json\.gz$")
_TEMP_PREFIX = ".incoming-"


def _sync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class BatchQueue:
    """Batches waiting to be sent, oldest first."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.rejected = directory / "rejected"
        self.rejected.mkdir(parents=True, exist_ok=True, mode=0o700)
        for leftover in directory.glob(_TEMP_PREFIX + "*"):
            leftover.unlink(missing_ok=True)
        numbers = [int(m.group(1)) for p in self.pending() if (m := _NAME.match(p.name))]
        self._next = max(numbers, default=0) + 1

    def pending(self) -> list[Path]:
        """The queued batch files, in sending order."""
        return sorted(p for p in self.directory.iterdir() if _NAME.match(p.name))

    def put(self, batch: Batch) -> Path:
        """Store ``batch`` durably at the end of the queue; its file."""
        name = f"{self._next:012d}-{batch.id}.json.gz"
        self._next += 1
        temporary = self.directory / f"{_TEMP_PREFIX}{name}"
        data = gzip.compress(batch.model_dump_json().encode(), compresslevel=6, mtime=0)
        with open(temporary, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        target = self.directory / name
        os.replace(temporary, target)
        _sync_directory(self.directory)
        return target

    @staticmethod
    def batch_id(path: Path) -> str:
        """The id of the batch in ``path``."""
        found = _NAME.match(path.name)
        if found is None:
            raise ValueError(f"{path.name} is not a queued batch")
        return found.group(2)

    def done(self, path: Path) -> None:
        """The server has the batch in ``path``: forget it."""
        path.unlink(missing_ok=True)
        _sync_directory(self.directory)

    def reject(self, path: Path, reason: str) -> Path:
        """Set the batch in ``path`` aside for good, with ``reason`` in a file beside it."""
        target = self.rejected / path.name
        (self.rejected / (path.name + ".reason.txt")).write_text(reason + "\n", encoding="utf-8")
        os.replace(path, target)
        _sync_directory(self.directory)
        return target
