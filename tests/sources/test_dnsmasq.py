"""dnsmasq: the shared samples give the results their README lists; edge cases inline."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lanventory.collect.files import read_texts
from lanventory.sources import dnsmasq
from lanventory.sources.observation import ParseResult, SourceText
from tests.conftest import SAMPLE_NOW, fixture_path


def parse_fixture(name: str) -> ParseResult:
    return dnsmasq.parse(read_texts([fixture_path("dnsmasq", name)]), SAMPLE_NOW)


def parse_lines(*lines: str, now: datetime = SAMPLE_NOW) -> ParseResult:
    return dnsmasq.parse([SourceText("dnsmasq.leases", "".join(f"{x}\n" for x in lines))], now)


def test_dhcp4_and_dhcp6_sample() -> None:
    result = parse_fixture("shared-sample-dnsmasq-2.93test-dhcp4-dhcp6.leases")
    assert result.error is None and result.complete
    got = {(o.ip, o.mac, o.hostname, o.client_id, o.active) for o in result.observations}
    assert got == {
        ("192.168.1.23", "3c:22:fb:12:34:56", "macbook-air", "01:3c:22:fb:12:34:56", True),
        ("192.168.1.42", "de:ad:7e:11:22:33", None, "01:de:ad:7e:11:22:33", True),
        # expiry 0: infinite
        ("192.168.1.57", "b8:27:eb:aa:bb:cc", "pihole", None, True),
        # expired at 06:40, still in a stale file
        (
            "192.168.1.88",
            "e4:5f:01:de:ad:01",
            "garage-pi",
            "ff:5f:01:de:ad:00:01:00:01:2c:5e:7a:10:e4:5f:01:de:ad:01",
            False,
        ),
        # 06- (IEEE 802) type prefix stripped
        ("192.168.1.91", "00:11:22:33:44:99", "tokenring-box", None, True),
    }
    # The duid line is the server's and no lease; both DHCPv6 leases lack a MAC.
    assert result.skipped_by_reason() == {"dhcpv6-no-mac": 2}
    assert [s.where.rsplit(":", 1)[1] for s in result.skipped] == ["7", "8"]
    assert result.lines == 8
    assert all(o.source == "dnsmasq" for o in result.observations)


def test_seen_at_is_now_when_active_and_the_expiry_when_expired() -> None:
    result = parse_fixture("shared-sample-dnsmasq-2.93test-dhcp4-dhcp6.leases")
    by_ip = {o.ip: o for o in result.observations}
    assert by_ip["192.168.1.23"].seen_at == SAMPLE_NOW
    assert by_ip["192.168.1.57"].seen_at == SAMPLE_NOW
    assert by_ip["192.168.1.88"].seen_at == datetime.fromtimestamp(1795416000, UTC)


def test_292_trailer_lines_are_skipped_but_not_malformed() -> None:
    result = parse_fixture("shared-sample-dnsmasq-2.92-extras.leases")
    assert result.error is None and result.complete
    assert {(o.ip, o.hostname) for o in result.observations} == {
        ("192.168.1.23", "macbook-air"),
        ("192.168.1.64", "Kitchen-Display"),
    }
    assert result.skipped_by_reason() == {"trailer": 2}


def test_openwrt_lease_file() -> None:
    result = parse_fixture("shared-sample-dnsmasq-openwrt-dhcp.leases")
    assert result.error is None
    assert [(o.ip, o.active) for o in result.observations] == [
        ("192.168.1.23", True),
        ("192.168.1.42", True),
    ]


def test_expiry_is_judged_against_now() -> None:
    line = "1795419000 3c:22:fb:12:34:56 192.168.1.23 mac *"
    assert parse_lines(line, now=datetime.fromtimestamp(1795418999, UTC)).observations[0].active
    late = parse_lines(line, now=datetime.fromtimestamp(1795419000, UTC)).observations[0]
    assert not late.active and late.seen_at == datetime.fromtimestamp(1795419000, UTC)


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("1795419000 20-00:11:22:33:44:55:66:77 192.168.1.9 ib *", "unsupported-hwtype (32)"),
        ("1795419000 01- 192.168.1.9 nohw *", "no-hwaddr"),
        ("1795419000 01:00:5e:00:00:01 192.168.1.9 mc *", "invalid-mac (multicast)"),
        ("1795419000 00:00:00:00:00:00 192.168.1.9 zero *", "invalid-mac (all-zero)"),
        ("1795419000 3c:22:fb:12:34:56 192.168.1.300 bad *", "bad-address"),
        ("1795419000 3c:22:fb:12:34:56 192.168.1.9", "malformed-line"),
        ("soon 3c:22:fb:12:34:56 192.168.1.9 x *", "malformed-line"),
        ("duid", "malformed-line"),
    ],
)
def test_unusable_lines_are_skipped_with_a_reason(line: str, reason: str) -> None:
    result = parse_lines(line, "1795419000 3c:22:fb:12:34:56 192.168.1.23 ok *")
    assert [o.ip for o in result.observations] == ["192.168.1.23"]
    assert result.skipped_by_reason() == {reason: 1}
    assert result.skipped[0].where == "dnsmasq.leases:1"
    assert result.error is None and result.complete


def test_ethernet_type_prefix_and_uppercase_client_id() -> None:
    result = parse_lines("0 01-3C:22:FB:12:34:56 192.168.1.23 mac 01:3C:22:FB:12:34:56")
    (obs,) = result.observations
    assert (obs.mac, obs.client_id) == ("3c:22:fb:12:34:56", "01:3c:22:fb:12:34:56")


def test_hostname_is_kept_as_written() -> None:
    result = parse_lines("0 3c:22:fb:12:34:56 192.168.1.23 <img/src=x> *")
    assert result.observations[0].hostname == "<img/src=x>"


def test_a_cut_off_last_line_marks_the_file_incomplete() -> None:
    text = "0 3c:22:fb:12:34:56 192.168.1.23 mac *\n1795419000 b8:27:eb:aa:bb:cc 192.16"
    result = dnsmasq.parse([SourceText("f", text)], SAMPLE_NOW)
    assert [o.ip for o in result.observations] == ["192.168.1.23"]
    assert result.skipped_by_reason() == {"truncated-line": 1}
    assert result.complete is False and result.error is None


@pytest.mark.parametrize("text", ["", "\n\n", "   \n"])
def test_an_empty_file_has_no_leases(text: str) -> None:
    result = dnsmasq.parse([SourceText("f", text)], SAMPLE_NOW)
    assert result.error is None and result.observations == [] and result.skipped == []


def test_a_file_with_no_dnsmasq_line_fails() -> None:
    kea = fixture_path("kea-csv", "shared-sample-kea-2.2-schema2.1.csv")
    result = dnsmasq.parse(read_texts([kea]), SAMPLE_NOW)
    assert result.error is not None
    assert result.error.startswith(f"{kea}: not a dnsmasq lease file")
    assert "<expiry> <mac> <ip>" in result.error


def test_one_bad_file_fails_the_whole_parse() -> None:
    good = SourceText("a", "0 3c:22:fb:12:34:56 192.168.1.23 mac *\n")
    result = dnsmasq.parse([good, SourceText("b", "hello world\n")], SAMPLE_NOW)
    assert result.error is not None and result.error.startswith("b: ")


@pytest.mark.parametrize(
    ("last", "expected"),
    [
        # cut inside the client id: five fields still, but the id is cut
        ("1795419000 de:ad:7e:11:22:33 192.168.1.42 * 01:de:ad", 1),
        # cut inside a 2.92 trailer line
        ("vendorclass 192.168.1.23 75:64", 1),
        # the only line, cut: still a dnsmasq file, just an incomplete one
        (None, 0),
    ],
)
def test_a_last_line_cut_short_is_skipped_and_makes_the_file_incomplete(
    last: str | None, expected: int
) -> None:
    # Found by tests/properties/: a lease cut inside its last field was read as whole.
    first = "1795419000 3c:22:fb:12:34:56 192.168.1.23 macbook-air 01:3c:22:fb:12:34:56"
    text = f"{first}\n{last}" if last is not None else first[:40]
    result = dnsmasq.parse([SourceText("dnsmasq.leases", text)], SAMPLE_NOW)
    assert result.error is None and not result.complete
    assert len(result.observations) == expected
    assert result.skipped_by_reason() == {"truncated-line": 1}
