"""Offline MAC vendor lookup over the IEEE registries (MA-L, MA-M, MA-S, IAB).

The table is built from the IEEE's own CSV exports (``oui.csv``, ``mam.csv``,
``oui36.csv``, ``iab.csv``; Debian's ``ieee-data`` package keeps copies in
``/usr/share/ieee-data``) and stored as a gzipped ``PREFIX<TAB>Organization``
file. lanventory ships one such table; ``lanventory vendors update`` builds a
newer one into the data directory, which then takes precedence. Lookup is
longest prefix first: 36 bits (MA-S, IAB), then 28 (MA-M), then 24 (MA-L).
"""

from __future__ import annotations

import csv
import gzip
import io
import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from lanventory.net import is_locally_administered

_LOGGER = logging.getLogger(__name__)

#: The IEEE CSV exports and the registry each one holds.
IEEE_CSV_FILES = ("oui.csv", "mam.csv", "oui36.csv", "iab.csv")
PACKAGED_TABLE = "ieee-registries.tsv.gz"
USER_TABLE = "ieee-registries.tsv.gz"

_PREFIX_LENGTHS = (9, 7, 6)  # hex digits: MA-S/IAB, MA-M, MA-L
#: Placeholder organisations that name no vendor.
_NOT_A_VENDOR = frozenset({"private", "ieee registration authority"})


@dataclass(slots=True)
class VendorTable:
    """Prefix → organisation, by prefix length in hex digits."""

    by_length: dict[int, dict[str, str]] = field(
        default_factory=lambda: {n: {} for n in _PREFIX_LENGTHS}
    )
    origin: str = "empty"

    def __len__(self) -> int:
        return sum(len(table) for table in self.by_length.values())

    def add(self, prefix: str, organization: str) -> None:
        """Register ``organization`` for a 6, 7 or 9 hex digit ``prefix``."""
        digits = prefix.replace(":", "").replace("-", "").replace(".", "").upper()
        name = " ".join(organization.split())
        if len(digits) in self.by_length and name:
            self.by_length[len(digits)][digits] = name

    def lookup(self, mac: str) -> str | None:
        """The registered vendor of a canonical MAC, longest prefix first.

        Locally administered MACs get None: no registry assignment applies to
        them even when their first octets collide with a legacy entry.
        """
        if is_locally_administered(mac):
            return None
        digits = mac.replace(":", "").upper()
        for length in _PREFIX_LENGTHS:
            name = self.by_length[length].get(digits[:length])
            if name is not None:
                return None if name.lower() in _NOT_A_VENDOR else name
        return None

    def dumps(self) -> bytes:
        """The table as gzipped ``PREFIX<TAB>Organization`` lines."""
        lines = [
            f"{prefix}\t{name}\n"
            for length in sorted(self.by_length)
            for prefix, name in sorted(self.by_length[length].items())
        ]
        return gzip.compress("".join(lines).encode("utf-8"), mtime=0)

    @classmethod
    def loads(cls, data: bytes, origin: str) -> VendorTable:
        """Read a table written by :meth:`dumps` (already normalised: no per-line cleanup)."""
        table = cls(origin=origin)
        by_length = table.by_length
        names: dict[str, str] = {}  # one string per organisation: many own hundreds of prefixes
        for line in gzip.decompress(data).decode("utf-8").splitlines():
            prefix, _, name = line.partition("\t")
            bucket = by_length.get(len(prefix))
            if bucket is not None and name:
                bucket[prefix] = names.setdefault(name, name)
        return table

    @classmethod
    def from_ieee_csv(cls, texts: Iterable[str], origin: str) -> VendorTable:
        """Build a table from IEEE registry CSV exports.

        Each has the header ``Registry,Assignment,Organization Name,Organization Address``.
        """
        table = cls(origin=origin)
        for text in texts:
            reader = csv.DictReader(io.StringIO(text))
            if reader.fieldnames is None or "Assignment" not in reader.fieldnames:
                raise ValueError("not an IEEE registry CSV (no 'Assignment' column)")
            for row in reader:
                table.add(row.get("Assignment") or "", row.get("Organization Name") or "")
        return table


def build_from_directory(directory: Path) -> VendorTable:
    """A table from the IEEE CSVs in ``directory`` (at least ``oui.csv``)."""
    paths = [directory / name for name in IEEE_CSV_FILES if (directory / name).is_file()]
    if not any(path.name == "oui.csv" for path in paths):
        raise FileNotFoundError(f"{directory}: no oui.csv (IEEE MA-L registry export) found")
    texts = [path.read_text(encoding="utf-8", errors="replace") for path in paths]
    return VendorTable.from_ieee_csv(texts, origin=str(directory))


def load_table(data_dir: Path | None) -> VendorTable:
    """The user's updated table when there is one, else the packaged table."""
    if data_dir is not None:
        user = data_dir / USER_TABLE
        if user.is_file():
            return VendorTable.loads(user.read_bytes(), origin=str(user))
    packaged = resources.files("lanventory.data").joinpath(PACKAGED_TABLE)
    try:
        return VendorTable.loads(packaged.read_bytes(), origin=f"lanventory/{PACKAGED_TABLE}")
    except FileNotFoundError:
        _LOGGER.warning("no vendor table found: vendors will be unknown")
        return VendorTable()


class LazyVendorTable:
    """:func:`load_table` on the first lookup, not before: a server whose sources have
    not run yet (or that has none) does not hold the table in memory."""

    def __init__(self, data_dir: Path | None) -> None:
        self._data_dir = data_dir
        self._table: VendorTable | None = None
        self._lock = threading.Lock()

    def lookup(self, mac: str) -> str | None:
        """The registered vendor of a canonical MAC (see :meth:`VendorTable.lookup`)."""
        table = self._table
        if table is None:
            with self._lock:
                if self._table is None:
                    self._table = load_table(self._data_dir)
                table = self._table
        return table.lookup(mac)
