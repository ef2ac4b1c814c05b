"""neigh: ``ip -j neigh``, ``ip neigh`` text and ``/proc/net/arp``, from the shared samples."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lanventory.collect.files import read_texts
from lanventory.sources import neigh
from lanventory.sources.observation import ParseResult, SourceText
from tests.conftest import SAMPLE_NOW, fixture_path

IPROUTE2 = "shared-sample-iproute2-6.1.0-"

# The table in ip-j-neigh.json: (ip, mac, active)
FULL_TABLE = {
    ("192.168.1.10", "3c:22:fb:12:34:56", True),  # REACHABLE
    ("192.168.1.12", "00:0c:29:90:07:e9", True),  # PERMANENT
    ("192.168.1.14", "00:11:22:33:44:55", False),  # PROBE
    ("192.168.1.17", "00:11:22:33:44:77", False),  # PROBE
    ("192.168.1.11", "da:a1:19:aa:bb:cc", False),  # STALE
    ("2001:db8:1::10", "3c:22:fb:12:34:56", False),  # STALE, router
}


def parse_fixture(name: str) -> ParseResult:
    return neigh.parse(read_texts([fixture_path("neigh", name)]), SAMPLE_NOW)


def parse_text(text: str) -> ParseResult:
    return neigh.parse([SourceText("neigh", text)], SAMPLE_NOW)


def table(result: ParseResult) -> set[tuple[str | None, str, bool]]:
    return {(o.ip, o.mac, o.active) for o in result.observations}


def test_ip_json_sample() -> None:
    result = parse_fixture(IPROUTE2 + "ip-j-neigh.json")
    assert result.error is None and result.complete
    assert table(result) == FULL_TABLE
    assert result.skipped_by_reason() == {"incomplete": 1, "failed": 1, "link-local": 1}
    assert [s.where.rsplit(":", 1)[1] for s in result.skipped] == ["entry 6", "entry 7", "entry 9"]
    assert result.lines == 9
    assert all(o.seen_at == SAMPLE_NOW and o.source == "neigh" for o in result.observations)


def test_ip_text_sample_reads_like_the_json() -> None:
    result = parse_fixture(IPROUTE2 + "ip-neigh.txt")
    assert result.error is None and result.complete
    assert table(result) == FULL_TABLE
    assert result.skipped_by_reason() == {"incomplete": 1, "failed": 1, "link-local": 1}
    assert [s.where.rsplit(":", 1)[1] for s in result.skipped] == ["6", "7", "9"]


def test_dev_filtered_json_has_no_dev_key() -> None:
    result = parse_fixture(IPROUTE2 + "ip-j-4-neigh-dev.json")
    assert table(result) == {("192.168.1.10", "3c:22:fb:12:34:56", True)}
    assert result.skipped_by_reason() == {"incomplete": 1}


def test_nud_all_noarp_and_multicast_are_skipped() -> None:
    result = parse_fixture(IPROUTE2 + "ip-j-neigh-nud-all.json")
    assert table(result) == {("192.168.1.10", "3c:22:fb:12:34:56", True)}
    assert result.skipped_by_reason() == {"noarp": 1, "multicast": 1}


def test_statistics_give_seen_at_from_confirmed() -> None:
    result = parse_fixture(IPROUTE2 + "ip-s-j-neigh.json")
    seen = {o.ip: o.seen_at for o in result.observations}
    assert seen == {
        "192.168.1.10": SAMPLE_NOW,
        "192.168.1.12": SAMPLE_NOW,
        "192.168.1.11": SAMPLE_NOW - timedelta(seconds=60),
        "2001:db8:1::10": SAMPLE_NOW - timedelta(seconds=60),
    }
    assert result.skipped_by_reason() == {"incomplete": 1}


def test_proc_net_arp_sample() -> None:
    result = parse_fixture("shared-sample-linux-proc-net-arp.txt")
    assert result.error is None and result.complete
    # No NUD state here: every resolved entry counts as present, .11 (STALE) included.
    assert table(result) == {
        ("192.168.1.10", "3c:22:fb:12:34:56", True),
        ("192.168.1.12", "00:0c:29:90:07:e9", True),
        ("192.168.1.14", "00:11:22:33:44:55", True),
        ("192.168.1.11", "da:a1:19:aa:bb:cc", True),
    }
    assert result.skipped_by_reason() == {"incomplete": 2}
    assert [s.where.rsplit(":", 1)[1] for s in result.skipped] == ["6", "7"]


PROC_HEADER = "IP address       HW type     Flags       HW address            Mask     Device\n"


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("192.168.1.20     0x1         0xc         00:00:00:00:00:00     *        *", "proxy"),
        (
            "192.168.1.21     0x1         0x0         00:00:00:00:00:00     *        eth0",
            "incomplete",
        ),
        (
            "192.168.1.22     0x20        0x2         00:11:22:33:44:55     *        ib0",
            "unsupported-hwtype (0x20)",
        ),
        (
            "192.168.1.23     0x1         0x2         00:00:00:00:00:00     *        eth0",
            "invalid-mac (all-zero)",
        ),
        ("192.168.1.24     0x1         0x2", "malformed-line"),
    ],
)
def test_proc_rows_that_locate_no_device(row: str, reason: str) -> None:
    good = "192.168.1.2      0x1         0x2         00:16:3e:00:00:02     *        eth0"
    result = parse_text(f"{PROC_HEADER}{row}\n{good}\n")
    assert [o.ip for o in result.observations] == ["192.168.1.2"]
    assert result.skipped_by_reason() == {reason: 1}


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        ('{"dst":"10.0.0.9","dev":"br0","lladdr":"00:16:3e:00:00:09","state":["DELAY"]}', None),
        ('{"dst":"10.0.0.9","lladdr":"00:16:3e:00:00:09","state":["NOARP"]}', "noarp"),
        ('{"dst":"10.0.0.9","lladdr":"00:16:3e:00:00:09"}', "none"),
        ('{"dst":"10.0.0.9","lladdr":"00:16:3e:00:00:09","state":["WEIRD"]}', "unknown-state"),
        ('{"dst":"10.0.0.9","state":["REACHABLE"]}', "no-lladdr"),
        (
            '{"dst":"10.0.0.9","lladdr":"00:00:00:00:00:00","state":["STALE"]}',
            "invalid-mac (all-zero)",
        ),
        ('{"dst":"224.0.0.251","lladdr":"01:00:5e:00:00:fb","state":["NOARP"]}', "multicast"),
        ('{"dst":"fe80::1","lladdr":"00:16:3e:00:00:09","state":["REACHABLE"]}', "link-local"),
        ('{"dst":"10.0.0.9","lladdr":"00:16:3e:00:00:09","proxy":null}', "proxy"),
        (
            '{"deleted":true,"dst":"10.0.0.9","lladdr":"00:16:3e:00:00:09","state":["STALE"]}',
            "deleted",
        ),
        ('{"dst":"not-an-ip","lladdr":"00:16:3e:00:00:09","state":["STALE"]}', "bad-address"),
        ('{"dev":"eth0"}', "malformed-line"),
        ('"text"', "malformed-line"),
    ],
)
def test_json_entries(entry: str, reason: str | None) -> None:
    good = '{"dst":"10.0.0.2","lladdr":"00:16:3e:00:00:02","state":["REACHABLE"]}'
    result = parse_text(f"[{entry},{good}]")
    assert result.error is None
    if reason is None:
        assert table(result) == {
            ("10.0.0.9", "00:16:3e:00:00:09", False),
            ("10.0.0.2", "00:16:3e:00:00:02", True),
        }
    else:
        assert [o.ip for o in result.observations] == ["10.0.0.2"]
        assert result.skipped_by_reason() == {reason: 1}


def test_link_local_ipv4_is_kept() -> None:
    result = parse_text('[{"dst":"169.254.7.7","lladdr":"00:16:3e:00:00:07","state":["STALE"]}]')
    assert table(result) == {("169.254.7.7", "00:16:3e:00:00:07", False)}


def test_text_with_statistics_and_without_dev() -> None:
    text = (
        "10.0.0.9 lladdr 00:16:3e:00:00:09 ref 1 used 5/30/5 probes 1 STALE\n"
        "10.0.0.10 lladdr 00:16:3e:00:00:0a proto static PERMANENT\n"
        "Deleted 10.0.0.11 dev eth0 lladdr 00:16:3e:00:00:0b STALE\n"
    )
    result = parse_text(text)
    assert {(o.ip, o.active, o.seen_at) for o in result.observations} == {
        ("10.0.0.9", False, SAMPLE_NOW - timedelta(seconds=30)),
        ("10.0.0.10", True, SAMPLE_NOW),
    }
    assert result.skipped_by_reason() == {"malformed-line": 1}


@pytest.mark.parametrize("text", ["", "\n", "[]", "[]\n", PROC_HEADER])
def test_an_empty_table_is_not_an_error(text: str) -> None:
    result = parse_text(text)
    assert result.error is None and result.observations == [] and result.skipped == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("hello world\n", "not a neighbour table"),
        ('Object "neigh" is unknown, try "ip help".\n', "not a neighbour table"),
        ('[{"dst":"10.0.0.9"', "not valid 'ip -j neigh' JSON"),
        ('[{"a":1}, 2]', "not a neighbour table"),
        ("[1] trailing", "not valid 'ip -j neigh' JSON"),
    ],
)
def test_other_text_fails(text: str, message: str) -> None:
    result = parse_text(text)
    assert result.error is not None and result.error.startswith(f"neigh: {message}")
    assert result.observations == []


def test_a_json_object_is_not_ip_output() -> None:
    result = parse_text('{"dst": "10.0.0.1", "lladdr": "00:16:3e:00:00:01"}')
    assert result.error is not None and result.error.startswith("neigh: not a neighbour table")


@pytest.mark.parametrize(
    "text",
    [
        '[{"dst":"2001:db8::1%eth0","lladdr":"00:16:3e:00:00:01","state":["REACHABLE"]}]',
        "2001:db8::1%eth0 dev eth0 lladdr 00:16:3e:00:00:01 REACHABLE\n",
    ],
)
def test_an_address_with_a_zone_is_a_bad_address(text: str) -> None:
    # Found by tests/properties/: the zone went into the observation's IP.
    result = parse_text(text)
    assert result.observations == []
    assert result.skipped_by_reason() == {"bad-address": 1}


@pytest.mark.parametrize(
    "text",
    [
        "10.0.0.1 dev eth0 lladdr 00:16:3e:00:00:01 REACHABLE\n"
        "10.0.0.2 dev eth0 lladdr 00:16:3e:00:00:02 REACH",
        "IP address       HW type     Flags       HW address            Mask     Device\n"
        "10.0.0.1         0x1         0x2         00:16:3e:00:00:01     *        eth0\n"
        "10.0.0.2         0x1         0x2         00:16:3e:00:00:02     *        et",
    ],
)
def test_a_last_line_cut_short_makes_the_table_incomplete(text: str) -> None:
    # Found by tests/properties/: the devices after the cut would have gone absent.
    result = parse_text(text)
    assert result.error is None and not result.complete
    assert table(result) == {("10.0.0.1", "00:16:3e:00:00:01", True)}
    assert result.skipped_by_reason() == {"truncated-line": 1}
