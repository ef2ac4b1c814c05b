"""Offline vendor lookup: longest prefix over MA-S, MA-M and MA-L."""

from __future__ import annotations

from pathlib import Path

import pytest

from lanventory.vendors import VendorTable, build_from_directory, load_table

HEADER = "Registry,Assignment,Organization Name,Organization Address\n"


@pytest.fixture
def ieee_dir(tmp_path: Path) -> Path:
    (tmp_path / "oui.csv").write_text(
        HEADER
        + "MA-L,70B3D5,IEEE Registration Authority,445 Hoes Lane Piscataway NJ US 08554\n"
        + 'MA-L,00163E,"Xensource, Inc.",somewhere\n'
        + "MA-L,AA0004,DIGITAL EQUIPMENT CORPORATION,legacy\n"
        + "MA-L,7C2E0D,Blackmagic,x\n"
    )
    (tmp_path / "mam.csv").write_text(HEADER + "MA-M,7C2E0D1,Acme MA-M,x\nMA-M,7C2E0D2,Private,\n")
    (tmp_path / "oui36.csv").write_text(
        HEADER + 'MA-S,70B3D5F2F,TELEPLATFORMS,"Polbina st., 3/1"\n'
    )
    return tmp_path


@pytest.mark.parametrize(
    ("mac", "vendor"),
    [
        ("00:16:3e:00:00:01", "Xensource, Inc."),
        ("70:b3:d5:f2:f0:01", "TELEPLATFORMS"),  # MA-S beats the MA-L placeholder
        ("70:b3:d5:00:00:01", None),  # MA-L "IEEE Registration Authority" names no vendor
        ("7c:2e:0d:10:00:01", "Acme MA-M"),
        ("7c:2e:0d:20:00:01", None),  # "Private"
        ("7c:2e:0d:30:00:01", "Blackmagic"),
        ("aa:00:04:00:00:01", None),  # legacy DEC entry, but the MAC is locally administered
        ("00:99:99:00:00:01", None),
    ],
)
def test_longest_prefix(ieee_dir: Path, mac: str, vendor: str | None) -> None:
    assert build_from_directory(ieee_dir).lookup(mac) == vendor


def test_round_trip_and_user_table_wins(ieee_dir: Path, tmp_path: Path) -> None:
    table = build_from_directory(ieee_dir)
    again = VendorTable.loads(table.dumps(), origin="x")
    assert again.by_length == table.by_length
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "ieee-registries.tsv.gz").write_bytes(table.dumps())
    assert load_table(data_dir).lookup("00:16:3e:00:00:01") == "Xensource, Inc."
    assert len(load_table(data_dir)) == len(table)


def test_packaged_table_covers_all_registries() -> None:
    table = load_table(None)
    assert len(table) > 40_000
    assert table.lookup("b8:27:eb:aa:bb:cc") == "Raspberry Pi Foundation"  # MA-L
    assert table.lookup("70:b3:d5:f2:f0:01") == "TELEPLATFORMS"  # MA-S
    assert all(len(table.by_length[n]) > 1000 for n in (6, 7, 9))


def test_a_directory_without_oui_csv_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no oui.csv"):
        build_from_directory(tmp_path)


def test_a_csv_that_is_not_an_ieee_export_is_refused(tmp_path: Path) -> None:
    (tmp_path / "oui.csv").write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="not an IEEE registry CSV"):
        build_from_directory(tmp_path)


def test_the_lazy_table_loads_on_first_lookup(tmp_path: Path) -> None:
    from lanventory.vendors import LazyVendorTable

    lazy = LazyVendorTable(tmp_path)
    assert lazy._table is None
    assert lazy.lookup("00:16:3e:00:00:01") == "Xensource, Inc."
    assert lazy._table is not None
