"""Expressions an analyst may write, and the rules that keep each one's value and time bounded.

Precedence follows Cypher5Parser.g4 (``expression`` .. ``expression1``). Neo4j's
transaction memory limit does not see values built inside an expression, and its time
limit does not stop a regular expression, so besides the allow-list of functions:

- ``reduce`` is refused; ``range()`` takes literal bounds (at most ``max_range``
  elements, except as the whole of an ``UNWIND``, which streams);
- ``+``/``||`` of two computed values, and copies of lists the query does not bound
  (``tail``, ``reverse``, ``to…List``, ``split``, filters), may appear ``max_growth``
  times together (each can double a value or hold as much as a ``collect()``);
- ``replace(x, 'a', 'b')`` only with literal search and replacement, the replacement
  not longer than the search;
- a comprehension's projection (``| ...``) iterates only a bounded list (written in the
  query, a parameter, ``range()``, ``nodes(p)``, ``relationships(p)``, ``keys()``,
  ``labels()``, a node's property, a slice with literal bounds), uses only its own
  variables, is short, and builds no list inside; a pattern comprehension's
  variable-length relationships have a small upper bound (``constructs._comprehension``);
- ``=~`` takes a literal pattern (or a parameter) that ``regex.check_regex`` accepts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from knowledge.graph.cypher_guard.constructs import COMPARISONS, NORMAL_FORMS, Constructs
from knowledge.graph.cypher_guard.cursor import COMPUTED, Expr
from knowledge.graph.cypher_guard.lexer import Token
from knowledge.graph.cypher_guard.regex import UnsafeRegex, check_regex
from knowledge.graph.cypher_guard.vocabulary import REFUSED_WORDS

QUANTIFIERS = ("ALL", "ANY", "NONE", "SINGLE")


class Expressions(Constructs):
    def expression(self) -> Expr:
        with self.nested():
            return self._chain(self._xor, "OR")

    def _chain(self, operand: Callable[[], Expr], keyword: str) -> Expr:
        result = operand()
        count = 1
        while self.at_word(keyword):
            self.take()
            count += 1
            if count > self.limits.max_operands:
                self.fail(
                    f"more than {self.limits.max_operands} terms joined by {keyword}: use IN [...] or a parameter"
                )
            operand()
            result = COMPUTED
        return result

    def _xor(self) -> Expr:
        return self._chain(self._and, "XOR")

    def _and(self) -> Expr:
        return self._chain(self._not, "AND")

    def _not(self) -> Expr:
        if self.at_word("NOT"):
            self.take()
            with self.nested():
                self._not()
            return COMPUTED
        return self._comparison()

    def _comparison(self) -> Expr:
        result = self._predicate()
        count = 1
        while self.at_sym(*COMPARISONS):
            self.take()
            count += 1
            if count > self.limits.max_operands:
                self.fail(f"more than {self.limits.max_operands} terms in one comparison")
            self._predicate()
            result = COMPUTED
        return result

    def _predicate(self) -> Expr:
        left = self._additive()
        if self.at_sym("=~"):
            operator = self.take()
            self.regex_pattern(self._additive(), operator)
        elif self.at_word("STARTS", "ENDS"):
            self.take()
            self.word("WITH")
            self._additive()
        elif self.at_word("CONTAINS", "IN"):
            self.take()
            self._additive()
        elif self.at_word("IS"):
            self.take()
            self._is_tail()
        elif self.at_sym("::"):
            self.take()
            self.type_()
        else:
            return left
        return COMPUTED

    def _is_tail(self) -> None:
        if self.at_word("NOT"):
            self.take()
        if self.at_word("NULL"):
            self.take()
        elif self.at_word("TYPED") or self.at_sym("::"):
            self.take()
            self.type_()
        else:
            if self.at_word(*NORMAL_FORMS):
                self.take()
            self.word("NORMALIZED")

    def regex_pattern(self, pattern: Expr, operator: Token) -> None:
        if pattern.kind == "param" and isinstance(self.params.get(pattern.name), str):
            text = self.params[pattern.name]
        elif pattern.kind == "literal" and isinstance(pattern.value, str):
            text = pattern.value
        else:
            self.fail("the pattern of =~ must be a string or a parameter, so that it can be checked", operator)
        try:
            check_regex(text)
        except UnsafeRegex as error:
            self.fail(f"refused =~ {text!r}: {error}", operator)

    def _additive(self) -> Expr:
        result = self._multiplicative()
        count = 1
        while self.at_sym("+", "-", "||"):
            operator = self.take()
            count += 1
            if count > self.limits.max_operands:
                self.fail(f"more than {self.limits.max_operands} terms in one sum", operator)
            right = self._multiplicative()
            if operator.text in ("+", "||") and not result.constant and not right.constant:
                if self.building:
                    self.fail(
                        f"'{operator.text}' of two computed values inside the projection of a comprehension "
                        "can double every element; join outside it",
                        operator,
                    )
                self.grow(f"'{operator.text}'", operator)
            result = COMPUTED
        return result

    def _multiplicative(self) -> Expr:
        result = self._power()
        count = 1
        while self.at_sym("*", "/", "%"):
            self.take()
            count += 1
            if count > self.limits.max_operands:
                self.fail(f"more than {self.limits.max_operands} factors in one product")
            self._power()
            result = COMPUTED
        return result

    def _power(self) -> Expr:
        result = self._unary()
        while self.at_sym("^"):
            self.take()
            self._unary()
            result = COMPUTED
        return result

    def _unary(self) -> Expr:
        if self.at_sym("+", "-"):
            sign = self.take().text
            with self.nested():
                operand = self._unary()
            if (
                operand.kind == "literal"
                and isinstance(operand.value, (int, float))
                and not isinstance(operand.value, bool)
            ):
                return Expr("literal", -operand.value if sign == "-" else operand.value)
            return COMPUTED
        return self._postfix()

    def _postfix(self) -> Expr:
        result = self.atom()
        levels = 0
        while True:
            following = COMPUTED
            if self.at_sym(".") and self.at_name(k=1):
                self.take()
                self.take()
                if result.kind == "variable":
                    following = Expr(base=result.name)
            elif self.at_sym(":"):
                self.take()
                self.label_expression()
            elif self.at_sym("["):
                following = self._index()
            else:
                return result
            levels += 1
            if self.depth + levels > self.limits.max_depth:
                self.fail(
                    f"the query nests deeper than {self.limits.max_depth} levels (a chain of properties or "
                    "indexes counts each step)"
                )
            result = following

    def _index(self) -> Expr:
        """``[i]`` or a slice ``[a..b]``; a slice with literal bounds is a bounded list, whatever it slices."""
        self.take()
        first = self.expression() if not self.at_sym("..") else None
        if not self.at_sym(".."):
            self.sym("]")
            return COMPUTED
        self.take()
        last = self.expression() if not self.at_sym("]") else None
        self.sym("]")
        low = 0 if first is None else first.value if first.kind == "literal" else None
        high = None if last is None else last.value if last.kind == "literal" else None
        if not all(v is None or isinstance(v, int) and not isinstance(v, bool) for v in (low, high)):
            return COMPUTED
        if high is not None and low is not None and 0 <= low <= high and high - low <= self.limits.max_range:
            return Expr(bounded=True)
        if last is None and low is not None and -self.limits.max_range <= low < 0:
            return Expr(bounded=True)
        return COMPUTED

    # ------------------------------------------------------------------ atoms

    def atom(self) -> Expr:
        token = self.peek()
        if token is None:
            self.fail("expected an expression")
        with self.nested():
            if token.kind == "number":
                return Expr("literal", _number(self.take().text))
            if token.kind == "string":
                return Expr("literal", self.take().value)
            if token.kind == "symbol":
                return self._symbol_atom(token)
            if token.kind == "name":
                return self._variable_or_projection()
            return self._word_atom(token)

    def _symbol_atom(self, token: Token) -> Expr:
        if token.text == "$":
            return self.parameter()
        if token.text == "{":
            self.map_literal()
            return COMPUTED
        if token.text == "[":
            return self._bracket()
        if token.text == "(":
            if self.looks_like_pattern():
                self.path()
                return COMPUTED
            self.take()
            inner = self.expression()
            self.sym(")")
            return inner
        self.fail("expected an expression")

    def _word_atom(self, token: Token) -> Expr:
        word = token.upper
        nxt = self.peek(1)
        opens = nxt is not None and nxt.kind == "symbol" and nxt.text
        if word in ("TRUE", "FALSE"):
            self.take()
            return Expr("literal", word == "TRUE")
        if word == "NULL":
            self.take()
            return Expr("literal", None)
        if word in ("INF", "INFINITY", "NAN") and opens != "(":
            self.take()
            return Expr("literal", float("nan") if word == "NAN" else float("inf"))
        if word == "CASE":
            return self._case()
        if word in ("EXISTS", "COUNT", "COLLECT") and opens == "{":
            return self._subquery_expression(word)
        if word == "COUNT" and opens == "(" and self.at_sym("*", k=2):
            self.take(), self.take(), self.take()
            self.sym(")")
            return COMPUTED
        if word in QUANTIFIERS and opens == "(":
            self.take()
            self.sym("(")
            self.variable("alias")
            self.word("IN")
            self.expression()
            if self.at_word("WHERE"):
                self.take()
                self.expression()
            self.sym(")")
            return COMPUTED
        if word in ("SHORTESTPATH", "ALLSHORTESTPATHS") and opens == "(":
            self.take()
            self.sym("(")
            self.path()
            self.sym(")")
            return COMPUTED
        if word in REFUSED_WORDS:
            self.refuse_word(token)
        if self._at_function_call():
            return self.function_call()
        return self._variable_or_projection()

    def _variable_or_projection(self) -> Expr:
        name = self.variable()
        if not self.at_sym("{"):
            return Expr("variable", name=name)
        if self.at_sym("{"):
            self.take()
            if not self.at_sym("}"):
                self._projection_element()
                while self.at_sym(","):
                    self.take()
                    self._projection_element()
            self.sym("}")
        return COMPUTED

    def _projection_element(self) -> None:
        if self.at_sym("."):
            self.take()
            if self.at_sym("*"):
                self.take()
            else:
                self.name("a property key")
        elif self.at_name() and self.at_sym(":", k=1):
            self.take()
            self.take()
            self.expression()
        else:
            self.variable()

    def _at_function_call(self) -> bool:
        k = 0
        while self.at_name(k) and self.at_sym(".", k=k + 1):
            k += 2
        return self.at_name(k) and self.at_sym("(", k=k + 1)


def _number(text: str) -> Any:
    plain = text.replace("_", "")
    if plain[:2] in ("0x", "0X"):
        return int(plain, 16)
    if plain[:2] == "0o":
        return int(plain[2:], 8)
    if any(c in plain for c in ".eE"):
        return float(plain)
    return int(plain)
