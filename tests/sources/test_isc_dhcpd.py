"""isc-dhcpd: the shared samples give the results their README lists; edge cases inline."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lanventory.collect.files import read_texts
from lanventory.sources import isc_dhcpd
from lanventory.sources.dhcpd_lexer import Kind, parse_statements, tokenize
from lanventory.sources.observation import ParseResult, SourceText
from tests.conftest import SAMPLE_NOW, fixture_path

SAMPLE = "shared-sample-isc-dhcpd-4.4.3-P1.leases"
LEASE = """lease 10.0.0.5 {
  starts 1 2026/11/23 06:00:00;
  ends 1 2026/11/23 08:00:00;
  cltt 1 2026/11/23 06:30:00;
  binding state active;
  hardware ethernet 00:16:3e:00:00:05;
  client-hostname "five";
}
"""


def at(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)


def parse_fixture(*names: str) -> ParseResult:
    paths = [fixture_path("isc-dhcpd", name) for name in names]
    return isc_dhcpd.parse(read_texts(paths), SAMPLE_NOW)


def parse_text(text: str, now: datetime = SAMPLE_NOW) -> ParseResult:
    return isc_dhcpd.parse([SourceText("dhcpd.leases", text)], now)


def test_sample_gives_the_documented_state() -> None:
    result = parse_fixture(SAMPLE)
    assert result.error is None and result.complete
    got = {o.ip: (o.mac, o.hostname, o.client_id, o.active, o.seen_at) for o in result.observations}
    assert got == {
        # several blocks: the last one wins (ends 08:00:05)
        "192.168.1.57": (
            "b8:27:eb:aa:bb:cc",
            "raspberrypi",
            "01:b8:27:eb:aa:bb:cc",
            True,
            at("2026-11-23 06:00:05"),
        ),
        # uid with an escaped quote: \001<\"\373\0224V
        "192.168.1.23": (
            "3c:22:fb:12:34:56",
            "macbook-air",
            "01:3c:22:fb:12:34:56",
            True,
            at("2026-11-23 06:30:00"),
        ),
        "192.168.1.42": (
            "de:ad:7e:11:22:33",
            None,
            "01:de:ad:7e:11:22:33",
            False,  # free
            at("2026-11-23 06:40:00"),
        ),
        "192.168.1.5": ("dc:a6:32:00:00:05", "printer", None, True, at("2026-01-01 00:00:00")),
        "192.168.1.66": (
            "a4:cf:12:01:02:03",
            'Kitchen "Display"',
            None,
            False,  # released
            at("2026-11-23 06:50:00"),
        ),
    }
    # .60 is abandoned and has no hardware address.
    assert result.skipped_by_reason() == {"no-hwaddr": 1}
    assert result.skipped[0].where.endswith(":39")
    assert result.skipped[0].text.startswith("lease 192.168.1.60 {")
    assert result.lines == 8  # authoring-byte-order and seven lease blocks


def test_the_last_block_for_57_is_the_one_used() -> None:
    result = parse_fixture(SAMPLE)
    (pi,) = [o for o in result.observations if o.ip == "192.168.1.57"]
    # The first block ended at 06:00 and would be expired at 07:00.
    assert pi.active and pi.seen_at == at("2026-11-23 06:00:05")


def test_localtime_epoch_format() -> None:
    result = parse_fixture("shared-sample-isc-dhcpd-4.4.3-P1-localtime.leases")
    assert result.error is None and result.complete
    (obs,) = result.observations
    assert (obs.ip, obs.mac, obs.hostname, obs.active) == (
        "192.168.1.23",
        "3c:22:fb:12:34:56",
        "macbook-air",
        True,
    )
    assert obs.seen_at == datetime.fromtimestamp(1795415400, UTC)


def test_dhcpd6_blocks_have_no_mac() -> None:
    result = parse_fixture("shared-sample-isc-dhcpd-4.4.3-P1-dhcpd6.leases")
    assert result.error is None and result.complete
    assert result.observations == []
    assert result.skipped_by_reason() == {"dhcpv6-no-mac": 2}
    assert [s.where.rsplit(":", 1)[1] for s in result.skipped] == ["9", "19"]


def test_last_block_wins_across_files_too() -> None:
    older = SourceText("dhcpd.leases~", LEASE)
    newer = SourceText("dhcpd.leases", LEASE.replace("active", "free"))
    result = isc_dhcpd.parse([older, newer], SAMPLE_NOW)
    assert [(o.ip, o.active) for o in result.observations] == [("10.0.0.5", False)]


@pytest.mark.parametrize(
    ("ends", "now", "active"),
    [
        ("ends 1 2026/11/23 08:00:00;", SAMPLE_NOW, True),
        ("ends 1 2026/11/23 08:00:00;", at("2026-11-23 08:00:00"), False),
        ("ends never;", at("2036-01-01 00:00:00"), True),
        ("", at("2036-01-01 00:00:00"), True),  # no ends: never
        ("ends epoch 1795417201; # Mon Nov 23 07:00:01 2026", SAMPLE_NOW, True),
    ],
)
def test_active_means_binding_active_and_not_ended(ends: str, now: datetime, active: bool) -> None:
    text = LEASE.replace("ends 1 2026/11/23 08:00:00;", ends)
    assert [o.active for o in parse_text(text, now).observations] == [active]


@pytest.mark.parametrize("state", ["free", "expired", "released", "abandoned", "backup", "reset"])
def test_other_binding_states_are_inactive(state: str) -> None:
    text = LEASE.replace("binding state active", f"binding state {state}")
    assert [o.active for o in parse_text(text).observations] == [False]


def test_next_and_rewind_binding_state_do_not_count() -> None:
    text = LEASE.replace(
        "binding state active;",
        "binding state active;\n  next binding state free;\n  rewind binding state free;",
    )
    assert parse_text(text).observations[0].active


def test_seen_at_falls_back_to_starts_then_now() -> None:
    no_cltt = LEASE.replace("  cltt 1 2026/11/23 06:30:00;\n", "")
    assert parse_text(no_cltt).observations[0].seen_at == at("2026-11-23 06:00:00")
    no_times = "lease 10.0.0.5 { binding state active; hardware ethernet 00:16:3e:00:00:05; }"
    assert parse_text(no_times).observations[0].seen_at == SAMPLE_NOW


def test_hex_uid_and_escapes_in_strings() -> None:
    text = LEASE.replace(
        'client-hostname "five";',
        'uid 1:3c:22:FB:12:34:56;\n  client-hostname "caf\\303\\251 \\\\ \\"x\\"";',
    )
    (obs,) = parse_text(text).observations
    assert obs.client_id == "01:3c:22:fb:12:34:56"
    assert obs.hostname == 'café \\ "x"'


def test_nested_blocks_and_other_statements_are_skipped_structurally() -> None:
    text = (
        "# comment { with a brace\n"
        "authoring-byte-order little-endian;\n"
        'server-duid "\\000\\001";\n'
        'failover peer "dhcp" state {\n  my state normal at 1 2026/11/23 06:00:00;\n}\n'
        "host fixed { dynamic; hardware ethernet 00:16:3e:00:00:09; fixed-address 10.0.0.9; }\n"
        + LEASE.replace(
            'client-hostname "five";',
            'client-hostname "five";\n  set vendor-class-identifier = "x}";\n'
            '  on expiry or release { on commit { set a = "b"; } set c = "}{"; }',
        )
    )
    result = parse_text(text)
    assert result.error is None and result.complete
    assert [(o.ip, o.hostname, o.vendor) for o in result.observations] == [
        ("10.0.0.5", "five", None)
    ]
    assert result.skipped == []


@pytest.mark.parametrize(
    ("hardware", "reason"),
    [
        ("", "no-hwaddr"),
        ("hardware token-ring 00:16:3e:00:00:05;", "unsupported-hwtype (token-ring)"),
        ("hardware ethernet 01:00:5e:00:00:05;", "invalid-mac (multicast)"),
        ("hardware ethernet 00:16:3e:00:00:05;\n  ends 8 2026/13/40 99:00:00;", "bad-time (ends)"),
        ("hardware ethernet 00:16:3e:00:00:05;\n  cltt epoch 99999999999999;", "bad-time (cltt)"),
    ],
)
def test_unusable_leases_are_skipped_with_a_reason(hardware: str, reason: str) -> None:
    text = LEASE.replace("hardware ethernet 00:16:3e:00:00:05;", hardware)
    result = parse_text(text + LEASE.replace("10.0.0.5", "10.0.0.6"))
    assert [o.ip for o in result.observations] == ["10.0.0.6"]
    assert result.skipped_by_reason() == {reason: 1}
    assert result.skipped[0].where == "dhcpd.leases:1"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (LEASE.replace("10.0.0.5", "10.0.0.500"), "bad-address"),
        (LEASE.replace("10.0.0.5", "2001:db8::5"), "bad-address"),
        (LEASE.replace("10.0.0.5 ", ""), "malformed-lease"),
        ("lease 10.0.0.5;\n", "malformed-lease"),
    ],
)
def test_a_lease_statement_without_an_address_and_block_is_skipped(text: str, reason: str) -> None:
    result = parse_text(text)
    assert result.observations == [] and result.skipped_by_reason() == {reason: 1}
    assert result.error is None and result.complete


def test_an_unknown_top_level_statement_is_skipped() -> None:
    result = parse_text("frobnicate 1 2;\n" + LEASE)
    assert [o.ip for o in result.observations] == ["10.0.0.5"]
    assert result.skipped_by_reason() == {"unknown-statement": 1}


LATER = LEASE.replace("10.0.0.5", "10.0.0.7")


@pytest.mark.parametrize(
    ("tail", "line", "reason"),
    [
        ("lease 10.0.0.6 {\n  starts 1 2026/11/23 06:00:00;\n", 11, "end of file inside"),
        ('lease 10.0.0.6 {\n  client-hostname "cut off;\n}\n', 11, "unterminated string"),
        ("}\n" + LATER, 10, "'}' without a matching '{'"),
        ("lease 10.0.0.6 {\n  binding state active\n}\n" + LATER, 12, "missing ';' before '}'"),
        ("authoring-byte-order little-endian", 10, "end of file before ';'"),
    ],
    ids=["truncated-block", "unterminated-string", "extra-brace", "missing-semicolon", "no-semi"],
)
def test_a_syntax_error_keeps_what_came_before(tail: str, line: int, reason: str) -> None:
    result = parse_text("# header\n" + LEASE + tail)
    assert result.error is None
    assert [o.ip for o in result.observations] == ["10.0.0.5"]
    assert result.complete is False
    (skip,) = result.skipped
    assert skip.where == f"dhcpd.leases:{line}"
    assert skip.reason.startswith("syntax-error (") and reason in skip.reason


def test_a_file_cut_inside_its_first_lease_is_incomplete_not_wrong() -> None:
    result = parse_text("authoring-byte-order little-endian;\n" + LEASE[:60])
    assert result.error is None and result.complete is False
    result = parse_text(LEASE[:60])
    assert result.error is None and result.complete is False


@pytest.mark.parametrize("text", ["", "\n", "# only a comment\n"])
def test_an_empty_file_has_no_leases(text: str) -> None:
    result = parse_text(text)
    assert result.error is None and result.complete and result.observations == []


@pytest.mark.parametrize(
    "text",
    [
        "hello world\n",
        "address,hwaddr,client_id\n10.0.0.1,00:16:3e:00:00:01,\n",
        '{"leases": [1, 2]}',
        "0 3c:22:fb:12:34:56 192.168.1.23 mac *\n",
        'garbage "unterminated\n',
    ],
)
def test_a_file_with_no_dhcpd_statement_fails(text: str) -> None:
    result = parse_text(text)
    assert result.error is not None
    assert result.error.startswith("dhcpd.leases: not an ISC dhcpd lease file")
    assert result.observations == []


def test_lexer_tokens_and_lines() -> None:
    tokens, problem = tokenize('a "b\\"\nc" # x {\n{ d = e; }')
    assert problem is None
    assert [(t.kind, t.text, t.line) for t in tokens] == [
        (Kind.WORD, "a", 1),
        (Kind.STRING, 'b"\nc', 1),
        (Kind.OPEN, "{", 3),
        (Kind.WORD, "d", 3),
        (Kind.EQUAL, "=", 3),
        (Kind.WORD, "e", 3),
        (Kind.SEMI, ";", 3),
        (Kind.CLOSE, "}", 3),
    ]


def test_a_string_across_lines_keeps_later_line_numbers() -> None:
    tokens, problem = tokenize('x "a\nb" # c "\n y; # "\n}')
    assert problem is None
    assert [(t.text, t.line) for t in tokens] == [
        ("x", 1),
        ("a\nb", 1),
        ("y", 3),
        (";", 3),
        ("}", 4),
    ]


@pytest.mark.parametrize(
    ("text", "closed"),
    [('x "a\\\\";', True), ('x "a\\";', False), ('x "a\\', False), ('x "', False)],
    ids=["escaped-backslash", "escaped-quote", "trailing-backslash", "lone-quote"],
)
def test_unterminated_strings(text: str, closed: bool) -> None:
    tokens, problem = tokenize(text)
    assert (problem is None) is closed
    assert tokens[0].text == "x"
    if closed:
        assert tokens[1].data == b"a\\"


def test_an_unterminated_string_early_in_a_big_file_costs_one_pass() -> None:
    # Escaped quotes all the way: the string never ends.
    text = 'a "' + '\\"x' * 200_000 + "\n" + LEASE.replace('"five"', "five") * 2000
    tokens, problem = tokenize(text)
    assert [t.text for t in tokens] == ["a"] and problem is not None and problem.line == 1


def test_string_bytes_are_decoded_as_utf8_with_replacement() -> None:
    (token,), _ = tokenize('"\\377\\x41\\t"')
    assert token.data == b"\xffA\t" and token.text == "\ufffdA\t"


def test_statement_tree() -> None:
    document = parse_statements(*tokenize("a 1;\nb { c; d { e; } }\n"))
    assert document.problem is None
    first, second = document.statements
    assert (first.keyword, first.block, first.line, first.end) == ("a", None, 1, 1)
    assert second.block is not None and [s.keyword for s in second.block] == ["c", "d"]
    assert second.block[1].block is not None and second.block[1].block[0].keyword == "e"


def test_the_vendor_class_identifier_is_kept() -> None:
    found = {o.mac: o for o in parse_fixture(SAMPLE).observations}
    assert found["b8:27:eb:aa:bb:cc"].vendor_class == (
        "dhcpcd-9.4.1:Linux-6.1.21-v8+:aarch64:BCM2835"
    )
    assert {o.vendor_class for m, o in found.items() if m != "b8:27:eb:aa:bb:cc"} == {None}
    other = LEASE.replace("}", '  set ddns-fwd-name = "five.lan";\n}')
    (plain,) = parse_text(other).observations
    assert plain.vendor_class is None
