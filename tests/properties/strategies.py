"""Hypothesis strategies for parser input: noise, and real files damaged the way files get damaged.

Noise is random text, and random bytes decoded as the collectors decode them
(``errors="replace"``) or more harshly (``surrogateescape``, which leaves lone
surrogates in the text). Damage starts from a real fixture: cut at any byte or
in the middle of a line, bits flipped, lines deleted, duplicated, swapped or
junk inserted, a column inserted or deleted, a value (in a line or in a JSON
document) or a whole column replaced, mostly by an edge value of its own kind.
Every damaged copy is a :class:`Mutant` that says what was done to it.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

#: Edge values of each kind a field holds: numbers too large for a timestamp or
#: negative, digits ``int()`` reads but ASCII regexes do not; MACs no device
#: uses as its own; addresses that locate no device, or carry a scope or padding.
NUMBERS: tuple[str, ...] = (
    "99999999999999999999",
    "-99999999999",
    "4294967295",
    "\u00b2",
    "\u0661\u0662",
    "1_000",
    "-1",
    "0",
    "",
)
MACS: tuple[str, ...] = (
    "01:00:5e:00:00:01",
    "00:00:00:00:00:00",
    "ff:ff:ff:ff:ff:ff",
    "3C-22-FB-12-34-56",
    "3c22.fb12.3456",
    "06-3c:22:fb:12:34:56",
    "3c:22:fb:12:34",
    "",
)
ADDRESSES: tuple[str, ...] = (
    "2001:db8::1%eth0",
    "fe80::1%eth0",
    "\u0661\u0669\u0662.168.1.23",
    " 192.168.1.23 ",
    "192.168.001.023",
    "0.0.0.0",
    "255.255.255.255",
    "127.0.0.1",
    "169.254.1.1",
    "224.0.0.1",
    "::",
    "::1",
    "2001:DB8:0::1",
    "",
)
#: Everything else: separators, quotes, escapes, control and odd Unicode characters.
TRICKY: tuple[str, ...] = (
    *NUMBERS,
    *MACS,
    *ADDRESSES,
    "*",
    "1e400",
    "&#x2c",
    "&#xzz",
    '"',
    "\\",
    "{",
    "}",
    ";",
    "\t",
    "\r",
    "\x00",
    "\ufffd",
    "\u2028",
    "REACHABLE",
    "lease",
    "Ending arp-scan",
)

_NUMBER = re.compile(r"[+-]?[0-9]+")
_HEX_BYTES = re.compile(r"[0-9a-fA-F]{1,2}(?:[:-][0-9a-fA-F]{1,2})+")
_ADDRESS = re.compile(r"[0-9.]+|[0-9a-fA-F:]*::?[0-9a-fA-F:]*")
#: A value in a line format: a run of anything but blanks and punctuation.
_VALUE = re.compile(r"""[^\s,;{}"]+""")


@dataclass(frozen=True, slots=True)
class Mutant:
    """A damaged copy of a real input: what was done to it (``kind``) and the result."""

    kind: str
    text: str


def examples(count: int) -> settings:
    """What every property runs with: ``count`` examples, the same ones on every run."""
    return settings(
        max_examples=count,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )


def noise_text(max_size: int = 2000) -> st.SearchStrategy[str]:
    """Any text at all (every code point but surrogates)."""
    return st.text(max_size=max_size)


def decoded_bytes(errors: str, max_size: int = 2000) -> st.SearchStrategy[str]:
    """Random bytes decoded as UTF-8 with ``errors`` (``replace``, as the collectors do)."""
    return st.binary(max_size=max_size).map(lambda data: data.decode("utf-8", errors))


def same_alphabet(text: str, max_size: int = 2000) -> st.SearchStrategy[str]:
    """Random text made of the characters ``text`` uses: noise that reaches deeper."""
    return st.text(alphabet=sorted(set(text)) or ["\n"], max_size=max_size)


def real_lines(text: str) -> st.SearchStrategy[str]:
    """The lines of ``text`` and tricky values in any order and number, as a file."""
    pool = [*text.split("\n"), *TRICKY]
    return st.lists(st.sampled_from(pool), max_size=40).map("\n".join)


def _tricky_or_any() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(TRICKY), st.text(max_size=24))


def like(value: str) -> st.SearchStrategy[str]:
    """A replacement for ``value``: mostly an edge value of its own kind, else anything."""
    if _NUMBER.fullmatch(value):
        pool = NUMBERS
    elif _HEX_BYTES.fullmatch(value):
        pool = MACS
    elif _ADDRESS.fullmatch(value):
        pool = ADDRESSES
    else:
        pool = TRICKY
    same_kind = st.sampled_from(pool)
    return st.one_of(same_kind, same_kind, same_kind, _tricky_or_any())


def _encoded(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


def _decoded(data: bytes) -> str:
    return data.decode("utf-8", "replace")


def truncated_at_byte(text: str) -> st.SearchStrategy[Mutant]:
    """``text`` cut at any byte before its end (a cut inside a character decodes as U+FFFD)."""
    data = _encoded(text)
    return st.integers(0, max(len(data) - 1, 0)).map(
        lambda cut: Mutant("truncated-at-byte", _decoded(data[:cut]))
    )


def truncated_mid_line(text: str) -> st.SearchStrategy[Mutant]:
    """``text`` cut strictly inside one of its lines: the lost tail starts mid-line."""
    spans: list[tuple[int, int]] = []
    start = 0
    for line in text.split("\n"):
        if len(line) >= 2:
            spans.append((start, start + len(line)))
        start += len(line) + 1
    if not spans:
        return truncated_at_byte(text)
    return st.sampled_from(spans).flatmap(
        lambda span: st.integers(span[0] + 1, span[1] - 1).map(
            lambda cut: Mutant("truncated-mid-line", text[:cut])
        )
    )


def bits_flipped(text: str) -> st.SearchStrategy[Mutant]:
    """``text`` with one to four bits flipped anywhere in its bytes."""
    data = _encoded(text)
    if not data:
        return st.just(Mutant("bits-flipped", text))
    flips = st.lists(st.tuples(st.integers(0, len(data) - 1), st.integers(0, 7)), min_size=1)

    def flip(positions: list[tuple[int, int]]) -> Mutant:
        damaged = bytearray(data)
        for index, bit in positions[:4]:
            damaged[index] ^= 1 << bit
        return Mutant("bits-flipped", _decoded(bytes(damaged)))

    return flips.map(flip)


def _lines_changed(
    kind: str, text: str, change: Callable[[list[str], st.DataObject], None]
) -> st.SearchStrategy[Mutant]:
    """A mutation of the line list (the final empty element keeps a trailing newline)."""

    @st.composite
    def mutated(draw: st.DrawFn) -> Mutant:
        lines = text.split("\n")
        change(lines, draw(st.data()))
        return Mutant(kind, "\n".join(lines))

    return mutated()


def _index(lines: list[str], data: st.DataObject, *, end: bool = False) -> int:
    return data.draw(st.integers(0, len(lines) - (0 if end else 1)))


def line_deleted(text: str) -> st.SearchStrategy[Mutant]:
    """One line gone."""

    def change(lines: list[str], data: st.DataObject) -> None:
        if len(lines) > 1:
            del lines[_index(lines, data)]

    return _lines_changed("line-deleted", text, change)


def line_duplicated(text: str) -> st.SearchStrategy[Mutant]:
    """One line written twice."""

    def change(lines: list[str], data: st.DataObject) -> None:
        index = _index(lines, data)
        lines.insert(index, lines[index])

    return _lines_changed("line-duplicated", text, change)


def lines_swapped(text: str) -> st.SearchStrategy[Mutant]:
    """Two lines in each other's place."""

    def change(lines: list[str], data: st.DataObject) -> None:
        first, second = _index(lines, data), _index(lines, data)
        lines[first], lines[second] = lines[second], lines[first]

    return _lines_changed("lines-swapped", text, change)


def junk_line_inserted(text: str) -> st.SearchStrategy[Mutant]:
    """A line of junk (a tricky value, random text or random decoded bytes) anywhere."""

    def change(lines: list[str], data: st.DataObject) -> None:
        junk = data.draw(st.one_of(_tricky_or_any(), decoded_bytes("replace", 80)))
        lines.insert(_index(lines, data, end=True), junk)

    return _lines_changed("junk-line-inserted", text, change)


def _separator(line: str) -> str:
    """The column separator a line seems to use: tab, comma, else space."""
    return "\t" if "\t" in line else "," if "," in line else " "


def column_inserted(text: str) -> st.SearchStrategy[Mutant]:
    """One line with an extra column (a tricky value or random text) anywhere in it."""

    def change(lines: list[str], data: st.DataObject) -> None:
        index = _index(lines, data)
        separator = _separator(lines[index])
        fields = lines[index].split(separator)
        value = data.draw(_tricky_or_any())
        fields.insert(data.draw(st.integers(0, len(fields))), value)
        lines[index] = separator.join(fields)

    return _lines_changed("column-inserted", text, change)


def column_deleted(text: str) -> st.SearchStrategy[Mutant]:
    """One line missing one of its columns."""

    def change(lines: list[str], data: st.DataObject) -> None:
        index = _index(lines, data)
        separator = _separator(lines[index])
        fields = lines[index].split(separator)
        if len(fields) > 1:
            del fields[data.draw(st.integers(0, len(fields) - 1))]
        lines[index] = separator.join(fields)

    return _lines_changed("column-deleted", text, change)


def value_replaced(text: str) -> st.SearchStrategy[Mutant]:
    """One value (a run between blanks and punctuation) replaced, mostly by an edge
    value of its own kind: a number by a huge one, a MAC by a multicast one."""
    values = [(match.start(), match.end()) for match in _VALUE.finditer(text)]
    if not values:
        return st.just(Mutant("value-replaced", text))
    return st.sampled_from(values).flatmap(
        lambda span: like(text[span[0] : span[1]]).map(
            lambda new: Mutant("value-replaced", text[: span[0]] + new + text[span[1] :])
        )
    )


def column_replaced(text: str) -> st.SearchStrategy[Mutant]:
    """One column replaced in every line that has it, mostly by an edge value of its
    own kind (every lease's expiry, every entry's address)."""
    lines = text.split("\n")
    separator = _separator(max(lines, key=len))
    width = max(len(line.split(separator)) for line in lines)

    @st.composite
    def replaced(draw: st.DrawFn) -> Mutant:
        column = draw(st.integers(0, width - 1))
        rows = [line.split(separator) for line in lines]
        sample = next(row[column] for row in reversed(rows) if len(row) > column)
        value = draw(like(sample))
        for row in rows:
            if len(row) > column:
                row[column] = value
        return Mutant("column-replaced", "\n".join(separator.join(row) for row in rows))

    return replaced()


def json_values() -> st.SearchStrategy[Any]:
    """Any JSON value, tricky strings and numbers far outside any field's range included."""
    leaves = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=False),
        _tricky_or_any(),
    )
    return st.recursive(
        leaves,
        lambda children: st.one_of(
            st.lists(children, max_size=3),
            st.dictionaries(st.text(max_size=12), children, max_size=3),
        ),
        max_leaves=8,
    )


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON document, the root included."""
    found = [path]
    if isinstance(value, dict):
        for key, inner in value.items():
            found += _paths(inner, (*path, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found += _paths(inner, (*path, index))
    return found


def _at(document: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        document = document[step]
    return document


def _json_like(value: Any) -> st.SearchStrategy[Any]:
    """A replacement for a JSON value: mostly an edge value of its own kind."""
    if isinstance(value, bool) or value is None:
        same_kind: st.SearchStrategy[Any] = st.sampled_from([1, "true", None, False, True])
    elif isinstance(value, int):
        same_kind = st.sampled_from([10**20, -(10**12), 2**63, -1, 0, 1.5, True, str(value)])
    elif isinstance(value, str):
        same_kind = st.one_of(like(value), st.sampled_from([0, None, [value]]))
    else:
        same_kind = st.sampled_from([[], {}, None, "", 0])
    return st.one_of(same_kind, same_kind, same_kind, json_values())


def json_value_replaced(text: str) -> st.SearchStrategy[Mutant]:
    """A JSON document with one value (any, the whole document included) replaced."""
    try:
        document = json.loads(text)
    except ValueError:
        return st.just(Mutant("json-value-replaced", text))
    paths = _paths(document)

    @st.composite
    def replaced(draw: st.DrawFn) -> Mutant:
        key = draw(st.sampled_from(sorted({str(path[-1:]) for path in paths})))
        path = draw(st.sampled_from([path for path in paths if str(path[-1:]) == key]))
        value = draw(_json_like(_at(document, path)))
        if not path:
            return Mutant("json-value-replaced", json.dumps(value))
        copy = json.loads(text)
        _at(copy, path[:-1])[path[-1]] = value
        return Mutant("json-value-replaced", json.dumps(copy))

    return replaced()


_DAMAGE: dict[str, Callable[[str], st.SearchStrategy[Mutant]]] = {
    "truncated-at-byte": truncated_at_byte,
    "truncated-mid-line": truncated_mid_line,
    "bits-flipped": bits_flipped,
    "line-deleted": line_deleted,
    "line-duplicated": line_duplicated,
    "lines-swapped": lines_swapped,
    "junk-line-inserted": junk_line_inserted,
    "column-inserted": column_inserted,
    "column-deleted": column_deleted,
    "value-replaced": value_replaced,
    "column-replaced": column_replaced,
    "json-value-replaced": json_value_replaced,
}
#: Every way a real file is damaged, by name (each strategy built once per text).
MUTATIONS: dict[str, Callable[[str], st.SearchStrategy[Mutant]]] = {
    kind: functools.cache(damage) for kind, damage in _DAMAGE.items()
}
