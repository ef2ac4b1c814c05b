"""Every parser, on any text: it never raises, and what it returns is well formed.

Well formed: every observation's MAC is canonical and a device's own (not
zero, broadcast or multicast: ``net.parse_mac`` gives it back unchanged), its
IP is None or a canonical IPv4/IPv6 address, its time is timezone-aware; every
skip says why; the line count is not negative. Inputs are noise (random text,
random bytes decoded as the collectors decode them), noise made of a real
file's own characters or lines, and real fixtures damaged in every way
:mod:`tests.properties.strategies` knows.
"""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lanventory.net import parse_mac
from lanventory.sources import PARSERS, ParseResult, SourceText
from tests.conftest import SAMPLE_NOW
from tests.properties.cases import CASES, Case, cases_of
from tests.properties.strategies import (
    MUTATIONS,
    decoded_bytes,
    examples,
    noise_text,
    real_lines,
    same_alphabet,
)

FORMATS = sorted(PARSERS)


def _is_canonical_ip(ip: str) -> bool:
    """An address in its one canonical spelling (dotted quad, compressed IPv6), without a zone."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return str(address) == ip and "%" not in ip


def assert_well_formed(result: ParseResult) -> None:
    """What every parse result must satisfy, whatever the input."""
    assert result.lines >= 0
    assert result.error is None or result.error.strip()
    for obs in result.observations:
        assert parse_mac(obs.mac).mac == obs.mac, obs
        assert obs.ip is None or _is_canonical_ip(obs.ip), obs
        assert obs.seen_at.tzinfo is not None, obs
    for skip in result.skipped:
        assert skip.reason.strip() and skip.where.strip(), skip
    assert all(count > 0 for count in result.skipped_by_reason().values())


def _parse(format_: str, inputs: list[SourceText], case: Case | None = None) -> ParseResult:
    now = case.now if case is not None else SAMPLE_NOW
    return PARSERS[format_](inputs, now)


@pytest.mark.parametrize("format_", FORMATS)
@examples(50)
@given(text=noise_text())
def test_random_text(format_: str, text: str) -> None:
    assert_well_formed(_parse(format_, [SourceText("noise", text)]))


@pytest.mark.parametrize("errors", ["replace", "surrogateescape"])
@pytest.mark.parametrize("format_", FORMATS)
@examples(40)
@given(data=st.data())
def test_random_bytes_decoded(format_: str, errors: str, data: st.DataObject) -> None:
    text = data.draw(decoded_bytes(errors))
    assert_well_formed(_parse(format_, [SourceText("noise", text)]))


@pytest.mark.parametrize("format_", FORMATS)
@examples(40)
@given(data=st.data())
def test_noise_from_real_files(format_: str, data: st.DataObject) -> None:
    """The fixture's own characters, or its lines shuffled with tricky values."""
    case = data.draw(st.sampled_from(cases_of(format_)), label="case")
    real = case.inputs()[-1].text
    text = data.draw(st.one_of(same_alphabet(real), real_lines(real)))
    assert_well_formed(_parse(format_, [SourceText("noise", text)], case))


#: Values replaced get more examples than damage to a file's structure.
REPLACED = ["value-replaced", "column-replaced", "json-value-replaced"]
STRUCTURAL = [kind for kind in MUTATIONS if kind not in REPLACED]


def _damage(format_: str, kind: str, data: st.DataObject) -> None:
    """Damage one input of a real run (the others, other pages or LFC siblings, stay
    intact) and check the parse."""
    cases = cases_of(format_)
    if kind == "json-value-replaced":
        cases = [case for case in cases if case.files[0].endswith(".json")]
    case = data.draw(st.sampled_from(cases), label="case")
    inputs = case.inputs()
    index = data.draw(st.integers(0, len(inputs) - 1), label="damaged input")
    mutant = data.draw(MUTATIONS[kind](inputs[index].text), label="mutant")
    inputs[index] = SourceText(inputs[index].name, mutant.text)
    assert_well_formed(_parse(format_, inputs, case))


@pytest.mark.parametrize("kind", STRUCTURAL)
@pytest.mark.parametrize("format_", FORMATS)
@examples(25)
@given(data=st.data())
def test_damaged_real_files(format_: str, kind: str, data: st.DataObject) -> None:
    _damage(format_, kind, data)


@pytest.mark.parametrize("kind", ["value-replaced", "column-replaced"])
@pytest.mark.parametrize(
    "format_",
    FORMATS,
)
@examples(100)
@given(data=st.data())
def test_values_replaced_in_real_files(format_: str, kind: str, data: st.DataObject) -> None:
    """A value of a line, or a column of every line, replaced: mostly by an edge
    value of its own kind."""
    _damage(format_, kind, data)


@pytest.mark.parametrize("format_", ["kea-api", "neigh"])
@examples(100)
@given(data=st.data())
def test_json_values_replaced_in_real_files(format_: str, data: st.DataObject) -> None:
    """A value of a JSON answer replaced, mostly by an edge value of its own kind."""
    _damage(format_, "json-value-replaced", data)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_undamaged_fixtures_are_well_formed(case: Case) -> None:
    """The fixtures the damage starts from pass the same checks."""
    assert_well_formed(_parse(case.format, case.inputs(), case))
