"""The composite forms of expressions: function calls, comprehensions, CASE, subqueries, maps, types.

Split from ``expressions`` (which has the operators and atoms) only for length; the rules
they enforce are described there.
"""

from __future__ import annotations

from knowledge.graph.cypher_guard.clauses import Clauses
from knowledge.graph.cypher_guard.cursor import COMPUTED, Expr
from knowledge.graph.cypher_guard.lexer import Token
from knowledge.graph.cypher_guard.vocabulary import FUNCTIONS, REFUSED_WORDS

COMPARISONS = ("=", "<>", "!=", "<", ">", "<=", ">=")
NORMAL_FORMS = ("NFC", "NFD", "NFKC", "NFKD")
TYPE_WORDS = frozenset(
    {
        "NOTHING",
        "NULL",
        "BOOL",
        "BOOLEAN",
        "VARCHAR",
        "STRING",
        "INT",
        "SIGNED",
        "INTEGER",
        "FLOAT",
        "DATE",
        "LOCAL",
        "ZONED",
        "TIME",
        "DATETIME",
        "TIMESTAMP",
        "TIMEZONE",
        "ZONE",
        "DURATION",
        "POINT",
        "NODE",
        "VERTEX",
        "RELATIONSHIP",
        "EDGE",
        "MAP",
        "LIST",
        "ARRAY",
        "PATH",
        "PATHS",
        "PROPERTY",
        "VALUE",
        "ANY",
    }
)
LIST_BUILDERS = ("range", "split")
BOUNDED_LISTS = frozenset({"range", "nodes", "relationships", "keys", "labels"})
"""Functions whose list is bounded by the query or the graph, so that a comprehension may project over it."""
MAX_PROJECTION_TOKENS = 64
COPYING = frozenset({"tail", "reverse", "tobooleanlist", "tofloatlist", "tointegerlist", "tostringlist", "split"})
"""List functions that copy their whole list (split: a list as long as the text)."""


class Constructs(Clauses):
    """Function calls, parameters, maps, lists and comprehensions, CASE, subquery expressions and types; the
    methods below that raise ``NotImplementedError`` are given by ``Expressions``."""

    def _additive(self) -> Expr:
        raise NotImplementedError

    def _is_tail(self) -> None:
        raise NotImplementedError

    def regex_pattern(self, pattern: Expr, operator: Token) -> None:
        raise NotImplementedError

    def function_call(self, streamed: bool = False) -> Expr:
        start = self.take()
        parts = [start.value]
        while self.at_sym("."):
            self.take()
            parts.append(self.take().value)
        name = ".".join(parts).lower()
        shown = ".".join(parts)
        if name.upper() in REFUSED_WORDS:
            self.refuse_word(start)
        if name not in FUNCTIONS and name not in ("normalize", "trim"):
            self.fail(
                f"refused function {shown}(): it is not among the functions this endpoint offers "
                "(see the knowledge service's README)",
                start,
            )
        if name in LIST_BUILDERS and self.building:
            self.fail(
                f"{shown}() inside the projection of a list comprehension builds a list per element; UNWIND first",
                start,
            )
        self.sym("(")
        args: list[Expr] = []
        if name == "trim":
            self._trim_arguments()
        elif not self.at_sym(")"):
            if self.at_word("DISTINCT", "ALL"):
                self.take()
            args.append(self.expression())
            while self.at_sym(","):
                self.take()
                if name == "normalize" and self.at_word(*NORMAL_FORMS):
                    self.take()
                    continue
                args.append(self.expression())
        self.sym(")")
        if name in COPYING and not (args and args[0].bounded):
            self.grow(f"{shown}()", start)
        if name == "range":
            self._check_range(args, start, streamed)
        elif name == "replace":
            self._check_replace(args, start)
        return Expr(bounded=name in BOUNDED_LISTS)

    def _trim_arguments(self) -> None:
        if self.at_word("BOTH", "LEADING", "TRAILING"):
            self.take()
        if self.at_word("FROM"):
            self.take()
        else:
            self.expression()
            if not self.at_word("FROM"):
                return
            self.take()
        self.expression()

    def _check_range(self, args: list[Expr], start: Token, streamed: bool) -> None:
        values = [a.value for a in args]
        if not 2 <= len(args) <= 3 or any(
            a.kind != "literal" or not isinstance(v, int) or isinstance(v, bool) for a, v in zip(args, values)
        ):
            self.fail("range() takes whole numbers written in the query (literals), so its length is known", start)
        first, last, step = values[0], values[1], values[2] if len(values) == 3 else 1
        if step == 0:
            self.fail("range() needs a step other than 0", start)
        size = max(0, (last - first) // step + 1)
        if not streamed and size > self.limits.max_range:
            self.fail(
                f"range() of {size} elements: at most {self.limits.max_range} here "
                "(UNWIND range(...) AS x streams any length)",
                start,
            )

    def _check_replace(self, args: list[Expr], start: Token) -> None:
        if len(args) != 3 or any(a.kind != "literal" or not isinstance(a.value, str) for a in args[1:]):
            self.fail("replace() takes the text to find and its replacement as strings written in the query", start)
        if not args[1].value or len(args[2].value) > len(args[1].value):
            self.fail(
                "replace() may not make a text longer: the replacement must not be longer than what it "
                "replaces (and that may not be empty)",
                start,
            )

    def parameter(self) -> Expr:
        self.sym("$")
        token = self.peek()
        if token is None or token.kind not in ("word", "name", "number"):
            self.fail("expected a parameter name after $ (dynamic $(...) expressions are not accepted)")
        self.take()
        return Expr("param", name=token.value, bounded=True)

    def map_literal(self) -> None:
        with self.nested():
            self.sym("{")
            if not self.at_sym("}"):
                self._map_entry()
                while self.at_sym(","):
                    self.take()
                    self._map_entry()
            self.sym("}")

    def _map_entry(self) -> None:
        self.name("a map key")
        self.sym(":")
        self.expression()

    def _bracket(self) -> Expr:
        """``[`` starts a pattern comprehension, a list comprehension or a list."""
        if (self.at_variable(k=1) and self.at_sym("=", k=2) and self.at_sym("(", k=3)) or (
            self.at_sym("(", k=1) and self.looks_like_pattern(k=1)
        ):
            return self._comprehension(pattern=True)
        if self.at_variable(k=1) and self.at_word("IN", k=2):
            return self._comprehension(pattern=False)
        self.take()
        if not self.at_sym("]"):
            self.expression()
            while self.at_sym(","):
                self.take()
                self.expression()
        self.sym("]")
        return Expr(bounded=True)

    def _comprehension(self, pattern: bool) -> Expr:
        """``[x IN list WHERE ... | ...]`` or ``[(a)-->(b) WHERE ... | ...]``.

        The list it builds is outside Neo4j's memory limit, so a projection (``| ...``) must
        iterate a bounded list (written in the query, a parameter, range(), nodes(p),
        relationships(p), keys(), labels(), a stored property, a slice ``[0..1000]``) and be
        short; a pattern comprehension's variable-length relationships need a small bound.
        """
        start = self.take()
        if self.building:
            self.fail("a comprehension inside the projection of another builds a list per element; UNWIND first", start)
        source = COMPUTED
        seen = len(self.pattern_seen)
        if pattern:
            self.in_pattern_comprehension += 1
            try:
                if self.at_variable() and self.at_sym("=", k=1):
                    self.variable("pattern")
                    self.take()
                self.path()
            finally:
                self.in_pattern_comprehension -= 1
            local = set(self.pattern_seen[seen:])
        else:
            local = {self.variable("alias")}
            self.word("IN")
            source_at = self.i
            source = self.expression()
            source_token = self.tokens[source_at]  # the list's first token: an expression has at least one
        if self.at_word("WHERE"):
            where = self.take()
            self.expression()
            if not pattern and not source.bounded and not self.at_sym("|"):
                self.grow("[x IN list WHERE ...]", where)
        if self.at_sym("|"):
            bar = self.take()
            if not pattern and not source.bounded:
                if source.base:
                    self.property_sources.append((source.base, source_token))
                else:
                    self.fail(
                        "[x IN list | ...] builds a list outside Neo4j's memory limit, so its list must be "
                        "bounded: written in the query, a parameter, range(), nodes(p), relationships(p), "
                        "keys(), labels(), a node's property, or a slice like list[0..1000]; "
                        "or UNWIND the list and collect() again",
                        source_token,
                    )
            begin = self.i
            self.building += 1
            self.projection_refs.append([])
            try:
                self.expression()
            finally:
                self.building -= 1
                references = self.projection_refs.pop()
            for name, token in references:
                if name not in local:
                    self.fail(
                        f"the projection of a comprehension may use only its own variables "
                        f"({', '.join(sorted(local))}): {name} would be copied into every element; "
                        "compute it outside, or refer to it in WHERE",
                        token,
                    )
            if self.i - begin > MAX_PROJECTION_TOKENS:
                self.fail(
                    f"the projection of a comprehension may have at most {MAX_PROJECTION_TOKENS} words and "
                    "symbols: it is built once per element",
                    bar,
                )
        elif pattern:
            self.fail("a pattern comprehension needs '| expression'")
        self.sym("]")
        return Expr(bounded=source.bounded)

    def looks_like_pattern(self, k: int = 0) -> bool:
        """``(`` at ``k`` starts a pattern when its ``)`` is followed by a relationship (``--``, ``-[``, ``<-``)."""
        close = self.closing.get(self.i + k)
        if close is None:
            return False
        after = self.tokens[close + 1 : close + 3]
        texts = [t.text if t.kind == "symbol" else "" for t in after]
        return len(texts) == 2 and (texts[0] == "-" and texts[1] in ("-", "[") or texts == ["<", "-"])

    def _subquery_expression(self, word: str) -> Expr:
        start = self.take()
        if word == "COLLECT" and self.building:
            self.fail("COLLECT { } inside the projection of a list comprehension builds a list per element", start)
        self.sym("{")
        with self.nested():
            if word != "COLLECT" and not self.at_word("MATCH", "OPTIONAL", "WITH", "UNWIND", "CALL", "RETURN"):
                self.pattern_list()
                if self.at_word("WHERE"):
                    self.take()
                    self.expression()
            else:
                self.query()
        self.sym("}")
        return COMPUTED

    def _case(self) -> Expr:
        self.word("CASE")
        simple = not self.at_word("WHEN")
        if simple:
            self.expression()
        if not self.at_word("WHEN"):
            self.fail("expected WHEN")
        while self.at_word("WHEN"):
            self.take()
            self._when() if simple else self.expression()
            while simple and self.at_sym(","):
                self.take()
                self._when()
            self.word("THEN")
            self.expression()
        if self.at_word("ELSE"):
            self.take()
            self.expression()
        self.word("END")
        return COMPUTED

    def _when(self) -> None:
        if self.at_sym(*COMPARISONS):
            self.take()
            self._additive()
        elif self.at_sym("=~"):
            operator = self.take()
            self.regex_pattern(self._additive(), operator)
        elif self.at_word("STARTS", "ENDS"):
            self.take()
            self.word("WITH")
            self._additive()
        elif self.at_word("IS"):
            self.take()
            self._is_tail()
        elif self.at_sym("::"):
            self.take()
            self.type_()
        else:
            self.expression()

    def type_(self) -> None:
        """A type of ``IS :: ...``: names like INTEGER, LIST<STRING NOT NULL>, ZONED DATETIME, joined by |."""
        with self.nested():
            self._type_part()
            while self.at_sym("|"):
                self.take()
                self._type_part()

    def _type_part(self) -> None:
        if not self.at_word(*TYPE_WORDS):
            self.fail("expected a type, e.g. INTEGER, STRING, LIST<INTEGER>")
        self.take()
        while True:
            if self.at_word("WITH", "WITHOUT") and self.at_word("TIMEZONE", "TIME", k=1):
                self.take()
            elif self.at_sym("<"):
                self.take()
                self.type_()
                self.sym(">")
            elif self.at_word("NOT") and self.at_word("NULL", k=1):
                self.take()
                self.take()
            elif self.at_sym("!") or self.at_word(*(TYPE_WORDS - {"NULL"})):
                self.take()
            else:
                return
