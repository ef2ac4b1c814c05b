"""Service types and the group hints they give: a pure table."""

from __future__ import annotations

import pytest

from lanventory.names.services import GROUP_HINTS, group_hint, short_type


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("_ipp._tcp.local.", "_ipp._tcp"),
        ("_IPP._TCP.local", "_ipp._tcp"),
        ("_universal._sub._ipp._tcp.local.", "_ipp._tcp"),
        ("_airplay._tcp", "_airplay._tcp"),
        ("_hap._udp.local.", "_hap._udp"),
        ("Foo.local.", None),
        ("_tcp.local.", None),
        ("ipp._tcp.local.", None),
        ("", None),
    ],
)
def test_short_type(given: str, expected: str | None) -> None:
    assert short_type(given) == expected


@pytest.mark.parametrize(
    ("services", "hint"),
    [
        (["_ipp._tcp"], "Printers"),
        (["_printer._tcp.local."], "Printers"),
        (["_airplay._tcp", "_raop._tcp"], "Media"),
        (["_googlecast._tcp"], "Media"),
        (["_spotify-connect._tcp"], "Media"),
        (["_hap._tcp"], "Smart home"),
        (["_matter._tcp"], "Smart home"),
        (["_ssh._tcp", "_smb._tcp"], "Computers"),
        (["_workstation._tcp"], "Computers"),
        (["_ssh._tcp", "_ipp._tcp"], "Printers"),  # the first group in the table wins
        (["_airplay._tcp", "_ipp._tcp"], "Printers"),
        (["_http._tcp"], None),
        ([], None),
        (["not a type"], None),
    ],
)
def test_group_hint(services: list[str], hint: str | None) -> None:
    assert group_hint(services) == hint


def test_every_table_entry_is_a_service_name() -> None:
    for _hint, members in GROUP_HINTS:
        for name in members:
            assert short_type(f"{name}._tcp.local.") == f"{name}._tcp"
