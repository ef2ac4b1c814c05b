"""Stable locally administered prefixes: parsing, the effective list, and the one predicate."""

from __future__ import annotations

import pytest

from lanventory.net import is_locally_administered
from lanventory.stable_macs import (
    CONFIGURED,
    DEFAULT_STABLE_PREFIXES,
    StablePrefix,
    is_rotating,
    parse_entry,
    parse_prefix,
    stable_prefix_of,
    stable_prefixes,
)

DEFAULTS = DEFAULT_STABLE_PREFIXES


@pytest.mark.parametrize(
    ("text", "prefix"),
    [
        ("52:54:00", "52:54:00"),
        ("52-54-00", "52:54:00"),
        ("525400", "52:54:00"),
        ("5254.00", "52:54:00"),
        (" 0A:0:27 ", "0a:00:27"),
        ("02", "02"),
        ("2:42", "02:42"),
        ("02:42:ac:11:00:02", "02:42:ac:11:00:02"),
        ("0242.ac11.0002", "02:42:ac:11:00:02"),
    ],
)
def test_a_prefix_in_any_common_spelling(text: str, prefix: str) -> None:
    assert parse_prefix(text) == prefix


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is not a MAC prefix: write 1 to 6 octets"),
        ("52:54:0g", "is not a MAC prefix"),
        ("52:54-00", "is not a MAC prefix"),
        ("52540", "is not a MAC prefix"),
        ("02:42:ac:11:00:02:03", "is not a MAC prefix"),
        ("52:54:00/24", "is not a MAC prefix"),
        ("00:15:5d", "'00:15:5d' is universally administered"),
        ("bc:24:11", "so it need not be listed"),
        ("01:00:5e", "'01:00:5e' is a multicast prefix"),
        ("33:33", "no device sends from such an address"),
    ],
)
def test_a_bad_prefix_says_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_prefix(text)


def test_every_default_is_canonical_and_locally_administered() -> None:
    assert [p.prefix for p in DEFAULTS] == ["52:54:00", "02:42", "0a:00:27", "aa:00:04:00"]
    for stable in DEFAULTS:
        assert parse_prefix(stable.prefix) == stable.prefix
        assert is_locally_administered(stable.prefix.ljust(17, "0"))
        assert stable.reason


@pytest.mark.parametrize(
    ("mac", "rotating"),
    [
        ("52:54:00:12:34:56", False),  # QEMU/KVM
        ("02:42:ac:11:00:02", False),  # Docker
        ("0a:00:27:00:00:00", False),  # VirtualBox host-only
        ("aa:00:04:00:0a:04", False),  # DECnet 1.10
        ("52:54:01:12:34:56", True),  # one bit past the prefix
        ("02:43:ac:11:00:02", True),
        ("ae:3f:91:6b:20:c4", True),  # a phone's private address
        ("00:16:3e:00:00:0a", False),  # universal: never rotating
    ],
)
def test_is_rotating(mac: str, rotating: bool) -> None:
    assert is_rotating(mac, DEFAULTS) is rotating


def test_without_prefixes_every_locally_administered_mac_rotates() -> None:
    assert is_rotating("52:54:00:12:34:56", ())
    assert not is_rotating("00:16:3e:00:00:0a", ())


def test_the_longest_prefix_describes_the_device() -> None:
    prefixes = (*DEFAULTS, StablePrefix("52:54:00:aa", "lab hypervisor"))
    found = stable_prefix_of("52:54:00:aa:00:01", prefixes)
    assert found is not None and found.describe() == "52:54:00:aa: lab hypervisor"
    assert stable_prefix_of("52:54:00:bb:00:01", prefixes) == DEFAULTS[0]
    assert stable_prefix_of("ae:3f:91:6b:20:c4", prefixes) is None


def test_entries_add_to_the_defaults_and_drop_from_them() -> None:
    found = stable_prefixes(["a2-b4-c6 mesh repeater  (upstairs)", "!0a:00:27", "06:00:01"])
    assert [p.prefix for p in found] == ["52:54:00", "02:42", "aa:00:04:00", "a2:b4:c6", "06:00:01"]
    assert found[3].reason == "mesh repeater (upstairs)"
    assert found[4].reason == CONFIGURED
    assert stable_prefixes([]) == DEFAULTS


def test_an_entry_for_a_listed_prefix_replaces_its_reason() -> None:
    found = stable_prefixes(["525400 my VMs"])
    assert found[0] == StablePrefix("52:54:00", "my VMs") and len(found) == len(DEFAULTS)


def test_every_default_can_be_dropped() -> None:
    assert stable_prefixes([f"!{p.prefix}" for p in DEFAULTS]) == ()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "names no prefix"),
        ("!", "names no prefix"),
        ("!06:00:01", r"drops nothing: 06:00:01 is not a built-in prefix \(built-in: 52:54:00, "),
        ("!52:54:00 because", "a dropped prefix takes no reason"),
        ("06:00:01 " + "x" * 81, "at most 80 characters"),
        ("06:00:01 tab\x07bell", "printable text"),
        ("00:15:5d Hyper-V", "universally administered"),
    ],
)
def test_a_bad_entry_says_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_entry(text)
    with pytest.raises(ValueError, match=message):
        stable_prefixes(["06:00:02", text])


def test_a_drop_and_add_entry_round_trip() -> None:
    entry = parse_entry(" !02-42 ")
    assert entry.drop and entry.prefix == DEFAULTS[1]
    assert not parse_entry("02:42").drop
