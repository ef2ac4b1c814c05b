"""Reading source files, with errors that name the file and say what is wrong."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from lanventory.collect.error import CollectError
from lanventory.sources.observation import SourceText

__all__ = ["CollectError", "kea_lease_files", "read_texts"]


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
            data = path.read_bytes()
        except FileNotFoundError:
            raise CollectError(f"{path}: no such file") from None
        except IsADirectoryError:
            raise CollectError(f"{path}: is a directory, not a file") from None
        except PermissionError:
            raise CollectError(
                f"{path}: permission denied: run lanventory as a user that may read it "
                "(e.g. add it to the file's group)"
            ) from None
        except OSError as error:
            raise CollectError(f"{path}: cannot read: {error.strerror}") from None
        texts.append(SourceText(str(path), data.decode("utf-8", errors="replace")))
    return texts
