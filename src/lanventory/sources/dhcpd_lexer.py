"""The ISC dhcpd configuration-file syntax: tokens, then statements and blocks.

``dhcpd.leases`` is written in the same language as ``dhcpd.conf``::

    lease 192.168.1.57 {                      # a statement with a block
      starts 1 2026/11/23 05:00:00;           # a statement ends with ';'
      uid "\\001\\270'\\353\\252\\273\\314";  # quoted, with C-like escapes
      on expiry or release { set x = "y"; }   # blocks nest
    }

:func:`tokenize` splits the text (``#`` comments run to the end of the line;
strings may hold ``\\"``, ``\\\\``, ``\\t``/``\\r``/``\\n``/``\\b``, octal
``\\ooo`` and hex ``\\xhh`` escapes, decoded to bytes as ISC's lexer does).
:func:`parse_statements` groups the tokens into a tree of statements and
stops at the first syntax error, keeping every top-level statement before it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple


class Kind(StrEnum):
    """What a token is."""

    WORD = "word"
    STRING = "string"
    SEMI = ";"
    OPEN = "{"
    CLOSE = "}"
    EQUAL = "="


class Token(NamedTuple):
    """One token: its kind, its text (a string's decoded value), its line.

    ``data`` holds a string's bytes after escapes were undone (a ``uid`` is
    binary); it is None for every other kind.
    """

    kind: Kind
    text: str
    line: int
    data: bytes | None = None


@dataclass(frozen=True, slots=True)
class SyntaxProblem:
    """Where the text stopped making sense, and why."""

    line: int
    reason: str


#: Whitespace is what no alternative matches: ``finditer`` steps over it. A
#: string's closing quote is optional, so one that never ends is a single
#: token running to the end of the text (never a costly failed match).
_TOKEN = re.compile(r"""\#[^\n]*|"[^"\\]*(?:\\.[^"\\]*)*"?|[;{}=]|[^\s;{}="\#]+""", re.DOTALL)
_PUNCTUATION = {";": Kind.SEMI, "{": Kind.OPEN, "}": Kind.CLOSE, "=": Kind.EQUAL}
_ESCAPE = re.compile(r"\\(?:([0-7]{1,3})|x([0-9a-fA-F]{1,2})|(.))", re.DOTALL)
_SIMPLE_ESCAPES = {"t": "\t", "r": "\r", "n": "\n", "b": "\b"}


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def unescape(body: str) -> bytes:
    """The bytes a quoted string's body stands for.

    >>> unescape(r'\\001<\\"\\373\\0224V').hex(":")
    '01:3c:22:fb:12:34:56'
    >>> unescape(r'Kitchen \\"Display\\" \\\\ \\x41')
    b'Kitchen "Display" \\\\ A'
    """
    if "\\" not in body:
        return _utf8(body)
    out = bytearray()
    position = 0
    for match in _ESCAPE.finditer(body):
        out += _utf8(body[position : match.start()])
        octal, hexadecimal, other = match.groups()
        if octal is not None:
            out.append(int(octal, 8) & 0xFF)
        elif hexadecimal is not None:
            out.append(int(hexadecimal, 16))
        else:
            out += _utf8(_SIMPLE_ESCAPES.get(other, other))
        position = match.end()
    out += _utf8(body[position:])
    return bytes(out)


def _closed(string: str) -> bool:
    """Whether a string token ends with its closing quote (not an escaped one)."""
    if len(string) < 2 or string[-1] != '"':
        return False
    backslashes = len(string) - 1 - len(string[:-1].rstrip("\\"))
    return backslashes % 2 == 0


def _values(text: str) -> Iterator[tuple[list[str], int]]:
    """Token texts line by line, each batch with its line number.

    A string running past the end of its line (dhcpd never writes one, but
    the syntax allows it) switches to reading the rest of the text token by
    token, counting lines as it goes.
    """
    offset = 0
    for number, line in enumerate(text.split("\n"), start=1):
        values = _TOKEN.findall(line)
        if '"' in line and any(value[0] == '"' and not _closed(value) for value in values):
            yield from _across_lines(text, offset, number)
            return
        yield values, number
        offset += len(line) + 1


def _across_lines(text: str, offset: int, line: int) -> Iterator[tuple[list[str], int]]:
    previous = offset
    for match in _TOKEN.finditer(text, offset):
        line += text.count("\n", previous, match.start())
        previous = match.start()
        yield [match.group()], line


def tokenize(text: str) -> tuple[list[Token], SyntaxProblem | None]:
    """The tokens of ``text``, and the problem that stopped the lexer, if any.

    The only lexical error is a string that never ends: the tokens before it
    are returned with the line it started on.
    """
    tokens: list[Token] = []
    append = tokens.append
    for values, line in _values(text):
        for value in values:
            first = value[0]
            if first == "#":
                continue  # a comment runs to the end of its line
            if first == '"':
                if not _closed(value):
                    return tokens, SyntaxProblem(line, "unterminated string")
                data = unescape(value[1:-1])
                append(Token(Kind.STRING, data.decode("utf-8", "replace"), line, data))
            elif (punctuation := _PUNCTUATION.get(value)) is not None:
                append(Token(punctuation, value, line))
            else:
                append(Token(Kind.WORD, value, line))
    return tokens, None


@dataclass(slots=True)
class Statement:
    """``words ;`` or ``words { statements }``, from line ``line`` to ``end``."""

    words: list[Token]
    line: int
    end: int
    block: list[Statement] | None = None

    @property
    def keyword(self) -> str:
        """The first word, lowercased ('' for a statement that starts with a string)."""
        first = self.words[0] if self.words else None
        return first.text.lower() if first is not None and first.kind is Kind.WORD else ""


@dataclass(slots=True)
class Document:
    """The parsed top-level statements, and the first syntax error, if any.

    ``unfinished`` is the head of the top-level statement the error cut
    short (its words up to the ``{``), so a caller can tell a truncated file
    from one that is not in this syntax at all.
    """

    statements: list[Statement] = field(default_factory=list)
    problem: SyntaxProblem | None = None
    unfinished: Statement | None = None


def parse_statements(tokens: list[Token], lexer_problem: SyntaxProblem | None) -> Document:
    """Group ``tokens`` into statements and nested blocks."""
    document = Document()
    # Each open block: its head and the statements read inside it so far.
    stack: list[tuple[Statement, list[Statement]]] = []
    words: list[Token] = []
    for token in tokens:
        body = stack[-1][1] if stack else document.statements
        if token.kind is Kind.SEMI:
            if words:
                body.append(Statement(words, words[0].line, token.line))
            words = []
        elif token.kind is Kind.OPEN:
            head = Statement(words, words[0].line if words else token.line, token.line, [])
            stack.append((head, []))
            words = []
        elif token.kind is Kind.CLOSE:
            if words:
                return _stop(document, stack, words, token.line, "missing ';' before '}'")
            if not stack:
                return _stop(document, stack, words, token.line, "'}' without a matching '{'")
            head, inner = stack.pop()
            head.block, head.end = inner, token.line
            (stack[-1][1] if stack else document.statements).append(head)
        else:
            words.append(token)
    if lexer_problem is not None:
        return _stop(document, stack, words, lexer_problem.line, lexer_problem.reason)
    if stack:
        head = stack[-1][0]
        reason = f"end of file inside the block opened at line {head.line}"
        return _stop(document, stack, words, tokens[-1].line, reason)
    if words:
        return _stop(document, stack, words, words[-1].line, "end of file before ';'")
    return document


def _stop(
    document: Document,
    stack: list[tuple[Statement, list[Statement]]],
    words: list[Token],
    line: int,
    reason: str,
) -> Document:
    document.problem = SyntaxProblem(line, reason)
    if stack:
        document.unfinished = stack[0][0]
    elif words:
        document.unfinished = Statement(words, words[0].line, line)
    return document
