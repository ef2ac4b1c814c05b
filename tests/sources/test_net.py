"""MAC and IPv4 normalisation: the one funnel every source goes through."""

from __future__ import annotations

import pytest

from lanventory.net import is_locally_administered, normalize_mac, parse_ipv4, parse_mac


@pytest.mark.parametrize(
    "text",
    [
        "aa:bb:cc:00:11:22",
        "AA:BB:CC:00:11:22",
        "aa-bb-cc-00-11-22",
        "aabb.cc00.1122",
        "AABBCC001122",
        " aa:bb:cc:0:11:22 ",
    ],
)
def test_common_spellings_normalise(text: str) -> None:
    assert parse_mac(text).mac == "aa:bb:cc:00:11:22"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("00:00:00:00:00:00", "all-zero"),
        ("ff:ff:ff:ff:ff:ff", "broadcast"),
        ("01:00:5e:7f:00:01", "multicast"),
        ("33:33:00:00:00:01", "multicast"),
        ("aa:bb:cc:dd:ee", "malformed"),
        ("aa:bb:cc:dd:ee:fg", "malformed"),
        ("aa:bb-cc:dd:ee:ff", "malformed"),
        ("", "malformed"),
        ("06-00:11:22:33:44:55", "malformed"),
    ],
)
def test_macs_that_identify_nothing_are_rejected_with_the_reason(text: str, reason: str) -> None:
    assert parse_mac(text).reason == reason
    with pytest.raises(ValueError, match=reason):
        normalize_mac(text)


@pytest.mark.parametrize(
    ("mac", "local"),
    [
        ("ae:3f:91:6b:20:c4", True),
        ("02:42:ac:11:00:02", True),
        ("de:ad:7e:11:22:33", True),
        ("3c:22:fb:12:34:56", False),
    ],
)
def test_locally_administered_bit(mac: str, local: bool) -> None:
    assert is_locally_administered(mac) is local


@pytest.mark.parametrize(
    ("text", "ip"),
    [
        ("198.18.0.5", "198.18.0.5"),
        (" 10.0.0.1 ", "10.0.0.1"),
        ("0.0.0.0", None),
        ("127.0.0.1", None),
        ("169.254.1.1", None),
        ("224.0.0.1", None),
        ("255.255.255.255", None),
        ("fe80::1", None),
        ("x", None),
    ],
)
def test_ipv4(text: str, ip: str | None) -> None:
    assert parse_ipv4(text) == ip
