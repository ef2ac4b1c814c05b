"""Reading source files, with errors that name the file and say what is wrong.

Kea's lease files are read as one consistent set. Kea's lease file cleanup
(LFC) renames them while it works: the live file becomes ``X.1`` and a new
live file starts, kea-lfc merges ``X.2`` and ``X.1`` into ``X.output``, renames
it ``X.completed``, removes ``X.2`` and ``X.1`` and renames ``X.completed`` to
``X.2``. A reader that lists the files and then reads them one by one can read
the new, nearly empty live file after the old one moved away, and miss every
lease the old one held. :func:`read_kea_lease_files` notes which file each name
is before and after reading (and which file it actually opened), and reads
again when any of them was renamed, replaced, removed or added meanwhile.
Appending to the live file, which Kea does all the time, is not a change.
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from lanventory.collect.error import CollectError
from lanventory.sources.observation import SourceText

__all__ = [
    "ROTATED",
    "ROTATION_ATTEMPTS",
    "CollectError",
    "kea_lease_files",
    "read_kea_lease_files",
    "read_texts",
]

#: How many times a set of Kea lease files is read before a run gives up on it.
ROTATION_ATTEMPTS = 3
#: The error of a run whose lease files kept changing under every attempt.
ROTATED = (
    "Kea's lease file cleanup rotated the files while they were read; the next run will read them"
)
#: Seconds to wait before looking again when the live file is missing or empty: Kea
#: renames it, then creates the new one and writes its header; a reader may look between.
_SETTLE = 0.05

#: The suffixes of Kea's LFC files that are read, and the live file's ("").
_SIBLINGS = (".completed", ".2", ".1")
_LIVE = ""

#: What a name was when looked at: ``(st_dev, st_ino, size, mtime_ns)`` for an LFC
#: sibling (never written in place), ``(st_dev, st_ino)`` for the live file (appended
#: to all the time), None when missing.
Identity = tuple[int, ...] | None
Snapshot = dict[str, Identity]
#: Called with the file just read, before the next one is opened.
BetweenReads = Callable[[Path], None]


def kea_lease_files(live: Path) -> list[Path]:
    """The lease files to read for the live file ``live``, in Kea's load order.

    ``X.completed`` if it exists, otherwise ``X.2`` then ``X.1``; the live file
    always comes last (Kea's ``Memfile_LeaseMgr::loadLeasesFromFiles``).
    """
    completed = live.with_name(live.name + ".completed")
    if completed.is_file():
        siblings = [completed]
    else:
        siblings = [live.with_name(live.name + suffix) for suffix in (".2", ".1")]
    return [path for path in siblings if path.is_file()] + [live]


def read_texts(paths: Sequence[Path]) -> list[SourceText]:
    """Read each file as text (undecodable bytes become U+FFFD)."""
    texts: list[SourceText] = []
    for path in paths:
        try:
            data, _status = _load(path)
        except OSError as error:
            raise _read_error(path, error) from None
        texts.append(_text(path, data))
    return texts


def read_kea_lease_files(
    live: Path,
    *,
    attempts: int = ROTATION_ATTEMPTS,
    between_reads: BetweenReads | None = None,
) -> list[SourceText]:
    """Every lease file of the live file ``live``, in Kea's load order, as one consistent set.

    When Kea's lease file cleanup renamed, replaced, removed or added one of
    the files while they were read, they are read again, up to ``attempts``
    times; then the run fails with :data:`ROTATED` rather than use a set
    that may lack leases. A live file that is missing or empty is looked at
    again a moment later too (Kea creates the new one right after renaming the
    old). ``between_reads`` runs after each file but the last.
    """
    missing = rotated = False
    previous: Snapshot | None = None
    for attempt in range(attempts):
        last = attempt + 1 == attempts
        before = _snapshot(live)
        rotated = rotated or (previous is not None and before != previous)
        previous = before
        missing = before[_LIVE] is None
        if not missing:
            texts = _read_set(live, before, between_reads)
            if texts is None or _snapshot(live) != before:
                rotated = True
                continue  # renamed, replaced, removed or added meanwhile: read again now
            if texts[-1].text:
                return texts
            # An empty live file: Kea has just created it and not yet written its header.
            if last and not rotated:
                return texts  # it stays empty: the parser says what is wrong with it
        if not last:
            time.sleep(_SETTLE)
    if missing and not rotated:
        raise CollectError(f"{live}: no such file")
    raise CollectError(f"{live}: {ROTATED}")


def _sibling(live: Path, suffix: str) -> Path:
    return live.with_name(live.name + suffix)


def _snapshot(live: Path) -> Snapshot:
    """Which file every name of the set is now."""
    snapshot: Snapshot = {}
    for suffix in (*_SIBLINGS, _LIVE):
        try:
            status = os.stat(_sibling(live, suffix))
        except OSError:
            snapshot[suffix] = None
            continue
        if suffix == _LIVE:
            snapshot[suffix] = (status.st_dev, status.st_ino)
        elif stat.S_ISREG(status.st_mode):
            snapshot[suffix] = (status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns)
        else:
            snapshot[suffix] = None  # a directory named like a sibling is not a lease file
    return snapshot


def _load_order(snapshot: Snapshot) -> list[str]:
    """The suffixes to read, as :func:`kea_lease_files` orders them."""
    if snapshot[".completed"] is not None:
        return [".completed", _LIVE]
    return [suffix for suffix in (".2", ".1") if snapshot[suffix] is not None] + [_LIVE]


def _read_set(
    live: Path, before: Snapshot, between_reads: BetweenReads | None
) -> list[SourceText] | None:
    """The files ``before`` lists, or None when one of them is no longer that file."""
    texts: list[SourceText] = []
    for index, suffix in enumerate(_load_order(before)):
        path = _sibling(live, suffix)
        if index and between_reads is not None:
            between_reads(Path(texts[-1].name))
        try:
            data, status = _load(path)
        except FileNotFoundError:
            return None  # renamed or removed since the snapshot
        except OSError as error:
            raise _read_error(path, error) from None
        identity = before[suffix]
        if identity is None or (status.st_dev, status.st_ino) != identity[:2]:
            return None  # another file took the name since the snapshot
        texts.append(_text(path, data))
    return texts


def _load(path: Path) -> tuple[bytes, os.stat_result]:
    """The bytes of ``path`` and the status of the very file they came from."""
    with path.open("rb") as handle:
        return handle.read(), os.fstat(handle.fileno())


def _text(path: Path, data: bytes) -> SourceText:
    return SourceText(str(path), data.decode("utf-8", errors="replace"))


def _read_error(path: Path, error: OSError) -> CollectError:
    """What to tell the owner about a file that cannot be read."""
    if isinstance(error, FileNotFoundError):
        return CollectError(f"{path}: no such file")
    if isinstance(error, IsADirectoryError):
        return CollectError(f"{path}: is a directory, not a file")
    if isinstance(error, PermissionError):
        return CollectError(
            f"{path}: permission denied: run lanventory as a user that may read it "
            "(e.g. add it to the file's group)"
        )
    return CollectError(f"{path}: cannot read: {error.strerror}")
