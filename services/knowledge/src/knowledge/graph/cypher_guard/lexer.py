"""Cypher tokens exactly as Neo4j 5.26 reads them, so that no character can mean one thing to the guard and another to Neo4j.

Neo4j 5.26 parses with its ANTLR grammar (``Cypher5Lexer.g4``; the launcher pins
``internal.cypher.parser.antlr_enabled``). Before lexing, it replaces every unicode
escape ``\\uXXXX`` in the *whole* query, outside strings too
(``UnicodeEscapeReplacementReader``): ``// x\\u000a DELETE n`` ends the comment, and
``'\\u0027`` ends the string. So this module does the same two steps:

1. ``decode``: replace ``\\uXXXX`` unless the backslash is itself escaped, keeping for
   every decoded character the line and column of the original text;
2. ``tokenize``: the lexer rules of ``Cypher5Lexer.g4`` on the decoded text: a ``//``
   comment ends at ``\\n`` or ``\\r`` (measured on the server: VT, FF, NEL, U+2028 and
   U+2029 do not end it), ``/* */`` comments, strings with backslash escapes,
   backticked names with doubled backticks, numbers, the whitespace set of the grammar.

What the lexer cannot be sure of it refuses: characters that are neither whitespace,
an ASCII symbol of the grammar, a letter or a digit (control and invisible format
characters, other dashes and arrows), malformed numbers, and an escape that would
decode a second time (``\\u005cu0041``). The guard sends Neo4j the tokens it checked,
decoded, with their whitespace but without comments (``render``): comments and
escapes never reach Neo4j.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from knowledge.graph.cypher_guard.errors import CypherRefused

SPACE = frozenset(
    "\t\n\u000b\u000c\r\u001c\u001d\u001e\u001f \u00a0\u1680"
    "\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
"""The SPACE rule of Cypher5Lexer.g4 (hidden channel)."""

LINE_BREAKS = ("\n", "\r")
"""What ends a ``//`` comment in Cypher5Lexer.g4 (``'//' ~[\\r\\n]*``), confirmed against the server."""

OTHER_BREAKS = frozenset("\u000b\u000c\u001c\u001d\u001e\u0085\u2028\u2029")
"""Characters other grammars end a line at; inside a ``//`` comment they are refused, so nobody is misled."""

SYMBOLS = (
    "=~",
    "<>",
    "!=",
    "<=",
    ">=",
    "+=",
    "..",
    "::",
    "||",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ",",
    ";",
    ":",
    ".",
    "=",
    "<",
    ">",
    "+",
    "-",
    "*",
    "/",
    "%",
    "^",
    "|",
    "&",
    "!",
    "?",
    "$",
)
"""The ASCII operators and punctuation of the grammar, longest first."""

_NUMBER = re.compile(
    r"0[xX][0-9a-fA-F]+|0o[0-7]+"
    r"|(?:[0-9](?:_?[0-9])*)?\.[0-9](?:_?[0-9])*(?:[eE][+-]?[0-9](?:_?[0-9])*)?"
    r"|[0-9](?:_?[0-9])*[eE][+-]?[0-9](?:_?[0-9])*"
    r"|[1-9](?:_?[0-9])*|0"
)
_STRING_ESCAPES = {"t": "\t", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "\\": "\\", "'": "'", '"': '"'}
"""Escapes Neo4j turns into characters; any other backslash pair stays as it is (measured: ``'\\('`` is two characters)."""


TokenKind = Literal["word", "name", "string", "number", "symbol"]
"""A word (keyword or name), a backticked name, a string, a number, or a symbol."""


@dataclass(frozen=True)
class Token:
    """One token of the query; ``text`` is what is sent to Neo4j."""

    kind: TokenKind
    text: str
    line: int
    column: int
    value: str = ""
    """The string's value, the backticked name's name, the word itself."""
    gap: str = ""
    """What stood between the previous token and this one: its whitespace, or one space where a comment was."""

    @property
    def upper(self) -> str:
        return self.text.upper() if self.kind == "word" else ""

    def where(self) -> str:
        return f"line {self.line}, column {self.column}"


@dataclass(frozen=True)
class Decoded:
    text: str
    lines: list[int]
    columns: list[int]
    end: tuple[int, int]


def _positions(query: str) -> tuple[list[int], list[int], tuple[int, int]]:
    """Line and column of every character; a line ends at \\n, \\r or \\r\\n, as in Neo4j's messages."""
    lines, columns = [], []
    line, column = 1, 1
    for i, c in enumerate(query):
        lines.append(line)
        columns.append(column)
        if c == "\n" or (c == "\r" and not query.startswith("\n", i + 1)):
            line, column = line + 1, 1
        else:
            column += 1
    return lines, columns, (line, column)


def decode(query: str) -> Decoded:
    """Replace unicode escapes as ``UnicodeEscapeReplacementReader`` does; refuse any it would refuse or read twice."""
    lines, columns, end = _positions(query)
    out: list[str] = []
    out_lines: list[int] = []
    out_columns: list[int] = []
    i, n, escaped = 0, len(query), False
    while i < n:
        c = query[i]
        replacement = not escaped and c == "\\" and query.startswith("u", i + 1)
        start = i
        if replacement:
            digits = query[i + 2 : i + 6]
            if len(digits) < 4 or any(d not in "0123456789abcdefABCDEF" for d in digits):
                raise CypherRefused(
                    f"\\u must be followed by four hexadecimal digits, not {digits!r}", lines[i], columns[i]
                )
            c = chr(int(digits, 16))
            if 0xD800 <= ord(c) <= 0xDFFF:
                raise CypherRefused(
                    "a \\u escape of half a surrogate pair is not accepted: write the character itself",
                    lines[i],
                    columns[i],
                )
            i += 6
        else:
            i += 1
        escaped = not escaped and not replacement and c == "\\"
        out.append(c)
        out_lines.append(lines[start])
        out_columns.append(columns[start])
    text = "".join(out)
    if "\\u" in text and decode_once(text) != text:
        k = text.find("\\u")
        raise CypherRefused(
            "a \\u escape that writes a backslash before 'u' would be read twice: write the text itself",
            out_lines[k],
            out_columns[k],
        )
    return Decoded(text, out_lines, out_columns, end)


def decode_once(text: str) -> str:
    """The same replacement without positions (to see whether a decoded text would change again)."""
    out, i, escaped = [], 0, False
    while i < len(text):
        c = text[i]
        replacement = not escaped and c == "\\" and text.startswith("u", i + 1)
        if replacement:
            digits = text[i + 2 : i + 6]
            if len(digits) < 4 or any(d not in "0123456789abcdefABCDEF" for d in digits):
                return text + "\0"  # Neo4j would refuse it: count it as a change
            c, i = chr(int(digits, 16)), i + 6
        else:
            i += 1
        escaped = not escaped and not replacement and c == "\\"
        out.append(c)
    return "".join(out)


def _is_letter(c: str) -> bool:
    return c.isascii() and (c.isalpha() or c == "_") or not c.isascii() and unicodedata.category(c).startswith("L")


def _is_part_letter(c: str) -> bool:
    return (
        _is_letter(c)
        or c.isascii()
        and c.isdigit()
        or not c.isascii()
        and unicodedata.category(c) in ("Mn", "Mc", "Nd")
    )


def tokenize(query: str) -> list[Token]:
    """The tokens of a query (comments and whitespace dropped); ``CypherRefused`` for what Neo4j might read otherwise."""
    decoded = decode(query)
    text, n = decoded.text, len(decoded.text)
    tokens: list[Token] = []
    i = 0
    last_end = 0

    def at(k: int) -> tuple[int, int]:
        return (decoded.lines[k], decoded.columns[k]) if k < n else decoded.end

    def add(kind: TokenKind, start: int, end: int, value: str) -> None:
        nonlocal last_end
        between = text[last_end:start]
        gap = "" if not tokens else (between if all(c in SPACE for c in between) else " ")
        tokens.append(Token(kind, text[start:end], *at(start), value=value, gap=gap))
        last_end = end

    while i < n:
        c = text[i]
        if c in SPACE:
            i += 1
        elif text.startswith("//", i):
            while i < n and text[i] not in LINE_BREAKS:
                if text[i] in OTHER_BREAKS:
                    raise CypherRefused(
                        f"this // comment runs on past {_describe(text[i])}: Neo4j ends a comment "
                        "only at a line feed or carriage return, so what follows would be hidden; "
                        "start a new line with \\n",
                        *at(i),
                    )
                i += 1
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                raise CypherRefused("unterminated /* comment", *at(i))
            i = end + 2
        elif c in "'\"":
            start, value = i, []
            i += 1
            while i < n and text[i] != c:
                if text[i] == "\\" and i + 1 < n:
                    nxt = text[i + 1]
                    value.append(_STRING_ESCAPES.get(nxt, "\\" + nxt))
                    i += 2
                else:
                    value.append(text[i])
                    i += 1
            if i >= n:
                raise CypherRefused("unterminated string", *at(start))
            i += 1
            add("string", start, i, "".join(value))
        elif c == "`":
            start, value = i, []
            i += 1
            while True:
                if i >= n:
                    raise CypherRefused("unterminated `name`", *at(start))
                if text[i] == "`":
                    if text.startswith("``", i):
                        value.append("`")
                        i += 2
                        continue
                    i += 1
                    break
                value.append(text[i])
                i += 1
            add("name", start, i, "".join(value))
        elif c.isascii() and c.isdigit() or c == "." and i + 1 < n and text[i + 1].isascii() and text[i + 1].isdigit():
            match = _NUMBER.match(text, i)
            end = match.end() if match else i + 1
            if (
                not match
                or end < n
                and (
                    _is_part_letter(text[end])
                    or text[end] == "$"
                    or text[end] == "."
                    and end + 1 < n
                    and text[end + 1].isdigit()
                )
            ):
                raise CypherRefused(f"malformed number {text[i : end + 1]!r}", *at(i))
            add("number", i, end, text[i:end])
            i = end
        elif _is_letter(c):
            start = i
            while i < n and _is_part_letter(text[i]):
                i += 1
            if i < n and text[i] == "$":  # Neo4j reads a $ after a letter as part of the name
                raise CypherRefused("a $ inside a name is not accepted: write the name in `backticks`", *at(i))
            add("word", start, i, text[start:i])
        else:
            symbol = next((s for s in SYMBOLS if text.startswith(s, i)), None)
            if symbol is None:
                raise CypherRefused(f"the character {_describe(c)} is not accepted outside a string", *at(i))
            add("symbol", i, i + len(symbol), symbol)
            i += len(symbol)
    return tokens


def _describe(c: str) -> str:
    name = unicodedata.name(c, "")
    return f"U+{ord(c):04X}" + (f" ({name})" if name else "")


def render(tokens: list[Token]) -> tuple[str, list[int]]:
    """The text Neo4j runs, and where each token starts in it.

    The checked tokens, decoded, with the whitespace that stood between them (so that
    Neo4j names columns as the analyst wrote them, ``p.title``); a comment becomes one
    space. No comment and no unicode escape reaches Neo4j.
    """
    parts: list[str] = []
    starts: list[int] = []
    length = 0
    for token in tokens:
        parts.append(token.gap)
        length += len(token.gap)
        starts.append(length)
        parts.append(token.text)
        length += len(token.text)
    return "".join(parts), starts
