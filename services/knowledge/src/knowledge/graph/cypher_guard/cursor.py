"""Walking the tokens: look ahead, take, refuse with the place; and the limits every part of the parser enforces."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal, NoReturn

from knowledge.graph.cypher_guard.errors import CypherRefused
from knowledge.graph.cypher_guard.lexer import Token, TokenKind
from knowledge.graph.cypher_guard.vocabulary import REFUSED_WORDS, RESERVED


@dataclass(frozen=True)
class Limits:
    """How large a query may be before it reaches Neo4j.

    ``max_depth``: measured on 5.26, 1,000 nested parentheses or 500 ``NOT`` overflow
    Neo4j's parser and leave the connection without an answer for 120 s; 48 is far below.
    ``max_operands``: planning ``a OR b OR ...`` takes 1.2 s at 200 terms.
    ``max_growth``: values inside an expression are outside Neo4j's memory limit (27
    doublings of a string, or a map built for each of 4 million collected numbers, stopped
    the server with an OutOfMemoryError). Each ``+``/``||`` of two computed values can double
    a text or a list, and each copy of a list the query does not bound (``tail``,
    ``reverse``, ``to…List``, ``split``, a filter ``[x IN list WHERE ...]``) can hold as
    much as a ``collect()``; a query may have four of these together.
    ``max_range``: ``range()`` outside ``UNWIND`` builds a list of that many elements, and a
    comprehension may project over a slice of at most that many.
    """

    max_length: int = 20_000
    max_tokens: int = 4_000
    max_depth: int = 48
    max_operands: int = 64
    max_growth: int = 4
    max_range: int = 1_000
    max_params_bytes: int = 65_536


ExprKind = Literal["literal", "param", "variable", "computed"]


@dataclass(frozen=True)
class Expr:
    """What the parser knows of an expression: whether it is a literal (and its value) or a parameter."""

    kind: ExprKind = "computed"
    value: Any = None
    name: str = ""
    bounded: bool = False
    """A list whose length the query bounds: written in it, range(), nodes(p), a slice with literal bounds, ..."""
    base: str = ""
    """For ``v.key``: the variable ``v`` (a list in a node's property is bounded by what was stored)."""

    @property
    def constant(self) -> bool:
        return self.kind in ("literal", "param")


COMPUTED = Expr()


class Cursor:
    def __init__(self, tokens: list[Token], params: dict[str, Any], limits: Limits) -> None:
        self.tokens = tokens
        self.params = params
        self.limits = limits
        self.i = 0
        self.depth = 0
        self.growth = 0
        self.building = 0  # > 0 inside the projection of a list or pattern comprehension
        self.in_pattern_comprehension = 0
        self.pattern_names: set[str] = set()
        self.alias_names: set[str] = set()
        self.property_sources: list[tuple[str, Token]] = []
        self.pattern_seen: list[str] = []
        self.projection_refs: list[list[tuple[str, Token]]] = []
        self.closing = _match_brackets(tokens, limits.max_depth)

    # ------------------------------------------------------------------ looking

    def peek(self, k: int = 0) -> Token | None:
        j = self.i + k
        return self.tokens[j] if j < len(self.tokens) else None

    def word_at(self, *words: str, k: int = 0) -> Token | None:
        """The token at ``k`` if it is one of ``words``."""
        token = self.peek(k)
        return token if token is not None and token.kind == "word" and token.upper in words else None

    def at_word(self, *words: str, k: int = 0) -> bool:
        return self.word_at(*words, k=k) is not None

    def at_kind(self, kind: TokenKind, k: int = 0) -> bool:
        token = self.peek(k)
        return token is not None and token.kind == kind

    def at_sym(self, *symbols: str, k: int = 0) -> bool:
        token = self.peek(k)
        return token is not None and token.kind == "symbol" and token.text in symbols

    def at_name(self, k: int = 0) -> bool:
        """A word or a backticked name: what may stand as a label, type, property key or map key."""
        token = self.peek(k)
        return token is not None and token.kind in ("word", "name")

    def at_variable(self, k: int = 0) -> bool:
        token = self.peek(k)
        return token is not None and (token.kind == "name" or token.kind == "word" and token.upper not in RESERVED)

    # ------------------------------------------------------------------ taking

    def take(self) -> Token:
        token = self.peek()
        if token is None:
            self.fail("the query ends too early")
        self.i += 1
        return token

    def word(self, *words: str) -> Token:
        if not self.at_word(*words):
            self.fail(f"expected {' or '.join(words)}")
        return self.take()

    def sym(self, symbol: str) -> Token:
        if not self.at_sym(symbol):
            self.fail(f"expected '{symbol}'")
        return self.take()

    def name(self, what: str = "a name") -> str:
        if not self.at_name():
            self.fail(f"expected {what}")
        return self.take().value

    def variable(self, binds: str | None = None) -> str:
        """A variable; ``binds`` = "pattern" or "alias" when this is where it gets its value."""
        token = self.peek()
        if token is not None and token.kind == "word" and token.upper in RESERVED:
            self.fail(f"{token.text} is a keyword: write it in `backticks` to use it as a name")
        if not self.at_variable():
            self.fail("expected a variable")
        token = self.take()
        name = token.value
        if binds == "pattern":
            self.pattern_names.add(name)
            self.pattern_seen.append(name)
        elif binds is None and self.projection_refs:
            self.projection_refs[-1].append((name, token))
        elif binds == "alias":
            self.alias_names.add(name)
        return name

    def grow(self, what: str, token: Token) -> None:
        """Count one operation that can double a value or copy a large list; refuse past ``max_growth``."""
        self.growth += 1
        if self.growth > self.limits.max_growth:
            self.fail(
                f"refused {what}: at most {self.limits.max_growth} operations that can double a value or copy "
                "a whole list ('+'/'||' of two computed values, tail, reverse, to…List, split, [x IN list "
                "WHERE ...]) per query; Neo4j does not limit the memory of values inside an expression",
                token,
            )

    def check_property_sources(self) -> None:
        """``[x IN v.key | ...]`` iterates a stored list only if ``v`` is a node or relationship and nothing else."""
        for name, token in self.property_sources:
            if name not in self.pattern_names or name in self.alias_names:
                self.fail(
                    f"[x IN {name}.… | …] may only iterate a list stored on a node or relationship of a pattern; "
                    f"{name} is bound otherwise too",
                    token,
                )

    def integer(self) -> int:
        token = self.peek()
        if token is None or token.kind != "number" or not token.text.replace("_", "").isdigit():
            self.fail("expected a whole number")
        return int(self.take().text.replace("_", ""))

    # ------------------------------------------------------------------ refusing

    def fail(self, reason: str, token: Token | None = None) -> NoReturn:
        """Refuse at ``token``, or at the next token saying what was found there."""
        if token is not None:
            raise CypherRefused(reason, token.line, token.column)
        token = self.peek()
        if token is None:
            last = self.tokens[-1] if self.tokens else None
            if last is None:
                raise CypherRefused(reason)
            raise CypherRefused(f"{reason}, found the end of the query", last.line, last.column)
        raise CypherRefused(f"{reason}, found {_shown(token)}", token.line, token.column)

    def refuse_word(self, token: Token) -> NoReturn:
        raise CypherRefused(f"refused {token.upper}: {REFUSED_WORDS[token.upper]}", token.line, token.column)

    @contextlib.contextmanager
    def nested(self) -> Iterator[None]:
        self.depth += 1
        if self.depth > self.limits.max_depth:
            self.fail(
                f"the query nests deeper than {self.limits.max_depth} levels (brackets, operators, "
                "property chains); write it flatter, e.g. with WITH"
            )
        try:
            yield
        finally:
            self.depth -= 1


def _shown(token: Token) -> str:
    return token.text if token.kind == "word" else repr(token.text)


def _match_brackets(tokens: list[Token], max_depth: int) -> dict[int, int]:
    """Index of the closing bracket for every opening one; refuses unbalanced or too deep brackets before any recursion."""
    pairs = {")": "(", "]": "[", "}": "{"}
    stack: list[int] = []
    closing: dict[int, int] = {}
    for k, token in enumerate(tokens):
        if token.kind != "symbol":
            continue
        if token.text in "([{":
            stack.append(k)
            if len(stack) > max_depth:
                raise CypherRefused(f"the query nests deeper than {max_depth} brackets", token.line, token.column)
        elif token.text in pairs:
            if not stack or tokens[stack[-1]].text != pairs[token.text]:
                raise CypherRefused(f"unbalanced '{token.text}'", token.line, token.column)
            closing[stack.pop()] = k
    if stack:
        token = tokens[stack[-1]]
        raise CypherRefused(f"'{token.text}' is never closed", token.line, token.column)
    return closing
