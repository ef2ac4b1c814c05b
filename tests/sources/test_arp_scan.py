"""arp-scan: default, --plain and --format CSV output, from the shared samples."""

from __future__ import annotations

import pytest

from lanventory.collect.files import read_texts
from lanventory.sources import arp_scan
from lanventory.sources.observation import SourceText
from tests.conftest import SAMPLE_NOW, fixture_path


def parse_fixture(name: str) -> arp_scan.ParseResult:
    return arp_scan.parse(read_texts([fixture_path("arp-scan", name)]), SAMPLE_NOW)


def test_default_output_sample() -> None:
    result = parse_fixture("shared-sample-arp-scan-1.10.0-default.txt")
    assert result.error is None and result.complete
    got = {(o.ip, o.mac, o.vendor) for o in result.observations}
    assert got == {
        ("192.168.1.1", "74:ac:b9:12:34:56", "Ubiquiti Networks Inc."),
        ("192.168.1.23", "3c:22:fb:12:34:56", "Apple, Inc."),
        ("192.168.1.42", "de:ad:7e:11:22:33", None),
        ("192.168.1.57", "b8:27:eb:aa:bb:cc", "Raspberry Pi Foundation"),
        ("192.168.1.77", "00:0c:29:90:07:e9", "VMware, Inc."),
        ("192.168.1.64", "a4:cf:12:01:02:03", "Espressif Inc."),
        ("192.168.1.80", "00:1a:2b:3c:4d:5e", None),
        ("192.168.1.90", "00:11:22:33:44:66", "CIMSYS Inc"),
        ("192.168.1.200", "f0:9f:c2:01:02:03", "Ubiquiti Networks Inc."),
        ("192.168.1.201", "dc:a6:32:00:00:05", "Raspberry Pi Trading Ltd"),
    }
    assert len(result.observations) == 10  # the footer's "10 responded"; the DUP is folded
    assert result.skipped_by_reason() == {"malformed-line": 2}
    assert [s.where.rsplit(":", 1)[1] for s in result.skipped] == ["14", "15"]
    assert result.conflicts == []
    assert all(o.seen_at == SAMPLE_NOW and o.source == "arp-scan" for o in result.observations)


def test_development_build_target_list_line() -> None:
    result = parse_fixture("shared-sample-arp-scan-1.10.1git-localnet.txt")
    assert result.error is None and result.skipped == []
    assert [(o.ip, o.mac) for o in result.observations] == [("192.168.1.1", "74:ac:b9:12:34:56")]


def test_plain_output() -> None:
    result = parse_fixture("shared-sample-arp-scan-1.10.0-plain.txt")
    assert (
        arp_scan.detect_layout(
            fixture_path("arp-scan", "shared-sample-arp-scan-1.10.0-plain.txt").read_text()
        )
        is arp_scan.Layout.PLAIN
    )
    assert result.error is None and result.complete
    assert [o.ip for o in result.observations] == ["192.168.1.1", "192.168.1.23", "192.168.1.42"]


def test_csv_format_with_commas_in_vendor() -> None:
    result = parse_fixture("shared-sample-arp-scan-1.10.0-format-csv.txt")
    assert result.error is None and result.complete
    assert [(o.ip, o.vendor) for o in result.observations] == [
        ("192.168.1.1", "Ubiquiti Networks Inc."),
        ("192.168.1.77", "VMware, Inc."),
        ("192.168.1.42", None),
    ]


def test_missing_footer_fails_the_run() -> None:
    text = fixture_path("arp-scan", "shared-sample-arp-scan-1.10.0-default.txt").read_text()
    cut = text[: text.index("\n\n")]
    result = arp_scan.parse([SourceText("scan.txt", cut)], SAMPLE_NOW)
    assert result.error is not None
    assert "scan.txt" in result.error and "Ending arp-scan" in result.error


def test_missing_banner_fails_when_default_layout_was_asked_for() -> None:
    text = "192.168.1.1\t74:ac:b9:12:34:56\tUbiquiti\n"
    assert arp_scan.parse_text(text, SAMPLE_NOW).error is None
    result = arp_scan.parse_text(text, SAMPLE_NOW, layout=arp_scan.Layout.DEFAULT)
    assert result.error is not None and "banner" in result.error


BANNER = "Interface: br0, type: EN10MB, MAC: 02:42:c0:a8:01:0a, IPv4: 198.18.0.1\nStarting arp-scan 1.10.0 with 256 hosts (https://github.com/royhills/arp-scan)\n"


def footer(n: int) -> str:
    return f"\n3 packets received by filter, 0 packets dropped by kernel\nEnding arp-scan 1.10.0: 256 hosts scanned in 1.0 seconds (256 hosts/sec). {n} responded\n"


def test_dup_with_a_different_mac_is_an_ip_conflict() -> None:
    text = (
        BANNER
        + "198.18.0.7\t00:16:3e:00:00:07\tXensource, Inc.\n"
        + "198.18.0.7\t00:16:3e:00:00:08\tXensource, Inc. (DUP: 2)\n"
        + footer(1)
    )
    result = arp_scan.parse_text(text, SAMPLE_NOW)
    assert result.error is None
    (conflict,) = result.conflicts
    assert conflict.ip == "198.18.0.7"
    assert conflict.macs == ("00:16:3e:00:00:07", "00:16:3e:00:00:08")
    assert [o.mac for o in result.observations] == ["00:16:3e:00:00:07", "00:16:3e:00:00:08"]


def test_fewer_hosts_than_the_footer_says_is_incomplete() -> None:
    text = BANNER + "198.18.0.7\t00:16:3e:00:00:07\tXensource, Inc.\n" + footer(2)
    result = arp_scan.parse_text(text, SAMPLE_NOW)
    assert result.error is None and result.complete is False


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("198.18.0.9\t01:00:5e:00:00:01\tmulticast", "invalid-mac (multicast)"),
        ("198.18.0.9\tff:ff:ff:ff:ff:ff\tbroadcast", "invalid-mac (broadcast)"),
        ("198.18.0.9\t00:00:00:00:00:00\tzero", "invalid-mac (all-zero)"),
        ("printer.lan\t00:16:3e:00:00:09\tname instead of IP (-d)", "bad-address"),
        ("198.18.0.9 00:16:3e:00:00:09 spaces not tabs", "malformed-line"),
    ],
)
def test_bad_host_lines_are_skipped_with_a_reason(line: str, reason: str) -> None:
    text = BANNER + "198.18.0.7\t00:16:3e:00:00:07\tXensource, Inc.\n" + line + "\n" + footer(1)
    result = arp_scan.parse_text(text, SAMPLE_NOW)
    assert result.error is None
    assert [o.ip for o in result.observations] == ["198.18.0.7"]
    assert result.skipped_by_reason() == {reason: 1}


@pytest.mark.parametrize(
    ("suffix", "vendor"),
    [
        ("Cisco (802.1Q VLAN=10)", "Cisco"),
        ("Cisco (802.2 LLC/SNAP)", "Cisco"),
        ("Cisco (ARP Proto=0x0800) (DUP: 3)", "Cisco"),
        ("Cisco\tPadding=00\tRTT=0.412 ms", "Cisco"),
        ("(Unknown: locally administered)", None),
    ],
)
def test_vendor_suffixes(suffix: str, vendor: str | None) -> None:
    result = arp_scan.parse_text(f"198.18.0.7\t00:16:3e:00:00:07\t{suffix}\n", SAMPLE_NOW)
    assert [o.vendor for o in result.observations] == [vendor]


def test_plain_text_that_is_not_arp_scan_fails() -> None:
    result = arp_scan.parse_text("hello world\nthis is not a scan\n", SAMPLE_NOW, name="x.txt")
    assert result.error is not None and result.error.startswith("x.txt: not arp-scan output")


def test_empty_output_is_an_empty_successful_capture() -> None:
    result = arp_scan.parse_text("", SAMPLE_NOW)
    assert result.error is None and result.observations == []


def test_csv_dup_count_that_is_not_ascii_digits_is_ignored() -> None:
    # Found by tests/properties/: "²" passes str.isdigit() but not int().
    text = '192.168.1.77,00:0c:29:90:07:e9,"VMware, Inc.",\u00b2\n'
    result = arp_scan.parse([SourceText("scan.csv", text)], SAMPLE_NOW)
    assert [(o.ip, o.mac) for o in result.observations] == [("192.168.1.77", "00:0c:29:90:07:e9")]


@pytest.mark.parametrize(
    "text",
    [
        "10.0.0.14\ta4:1f:72:7f:25:bb\tDell Inc.\n10.0.0.77\t00:0c:29:90:07:e9\tVMw",
        '10.0.0.14,a4:1f:72:7f:25:bb,"Dell Inc.",\n10.0.0.77,00:0c:29:90:07:e9,"VMw',
    ],
)
def test_plain_and_csv_output_cut_mid_line_is_incomplete(text: str) -> None:
    # Found by tests/properties/: the hosts after the cut would have gone absent.
    result = arp_scan.parse([SourceText("scan", text)], SAMPLE_NOW)
    assert result.error is None and not result.complete
    assert [o.ip for o in result.observations] == ["10.0.0.14"]
    assert result.skipped_by_reason() == {"truncated-line": 1}


def test_a_cut_line_that_is_no_host_line_is_not_arp_scan_output() -> None:
    result = arp_scan.parse([SourceText("scan", "hello")], SAMPLE_NOW)
    assert result.error is not None and "not arp-scan output" in result.error
