"""The read clauses and graph patterns an analyst may write (Cypher5Parser.g4, the read part only).

A query is one statement of ``MATCH``/``OPTIONAL MATCH``, ``WHERE``, ``WITH``, ``UNWIND``,
``CALL { subquery }`` (not ``IN TRANSACTIONS``), ``CALL`` of a named schema procedure,
``RETURN`` with ``ORDER BY``/``SKIP``/``LIMIT``, joined by ``UNION``. Every other clause
(writes, ``LOAD CSV``, ``USE``, ``SHOW``, ``TERMINATE``, ``FOREACH``, ...) is refused
where it starts, with the reason.
"""

from __future__ import annotations

from knowledge.graph.cypher_guard.cursor import Cursor, Expr
from knowledge.graph.cypher_guard.vocabulary import PROCEDURES, REFUSED_WORDS

CLAUSES = ("MATCH", "OPTIONAL", "WITH", "RETURN", "UNWIND", "CALL")
SELECTOR_WORDS = ("ANY", "ALL", "SHORTEST")
INDEX_KINDS = ("BTREE", "TEXT", "RANGE", "POINT")
MAX_COMPREHENSION_HOPS = 5


class Clauses(Cursor):
    """Statement, clauses and patterns; the expressions come from ``Expressions`` (``expressions``), which
    completes this class: the methods below that raise ``NotImplementedError`` are the ones it gives."""

    def expression(self) -> Expr:
        raise NotImplementedError

    def statement(self) -> None:
        self.query()
        if self.at_sym(";"):
            self.take()
        if self.peek() is not None:
            if self.tokens[self.i - 1].text == ";":
                self.fail("one statement per request: ';' ends the first one")
            self.expect_clause()
        self.check_property_sources()

    def query(self) -> None:
        self.single_query()
        while self.at_word("UNION"):
            self.take()
            if self.at_word("ALL", "DISTINCT"):
                self.take()
            self.single_query()

    def single_query(self) -> None:
        self.expect_clause()
        while self.at_word(*CLAUSES):
            self.clause()

    def expect_clause(self) -> None:
        token = self.peek()
        if token is not None and token.kind == "word" and token.upper in REFUSED_WORDS:
            self.refuse_word(token)
        periodic = self.word_at("PERIODIC", k=1)
        if periodic is not None and self.at_word("USING"):
            self.refuse_word(periodic)
        if not self.at_word(*CLAUSES):
            self.fail("expected a read clause (MATCH, OPTIONAL MATCH, WITH, UNWIND, CALL, RETURN)")

    def clause(self) -> None:
        with self.nested():
            if self.at_word("OPTIONAL"):
                self.take()
                if self.at_word("CALL"):
                    return self.call()
                self.word("MATCH")
                return self.match()
            keyword = self.take().upper
            if keyword == "MATCH":
                self.match()
            elif keyword in ("WITH", "RETURN"):
                self.projection()
                if keyword == "WITH" and self.at_word("WHERE"):
                    self.take()
                    self.expression()
            elif keyword == "UNWIND":
                self.unwind()
            else:
                self.call()

    # ------------------------------------------------------------------ clauses

    def match(self) -> None:
        if self.at_word("REPEATABLE", "DIFFERENT"):
            self.take()
            self.word("ELEMENT", "ELEMENTS", "RELATIONSHIP", "RELATIONSHIPS")
            if self.at_word("BINDINGS"):
                self.take()
        self.pattern_list()
        while self.at_word("USING"):
            self.hint()
        if self.at_word("WHERE"):
            self.take()
            self.expression()

    def hint(self) -> None:
        self.word("USING")
        periodic = self.word_at("PERIODIC")
        if periodic is not None:
            self.refuse_word(periodic)
        if self.at_word("JOIN"):
            self.take()
            self.word("ON")
            self.name_list()
            return
        if self.at_word("SCAN"):
            self.take()
            self.variable()
            self.sym(":")
            self.name("a label or type")
            return
        if self.at_word(*INDEX_KINDS):
            self.take()
        self.word("INDEX")
        if self.at_word("SEEK"):
            self.take()
        self.variable()
        self.sym(":")
        self.name("a label or type")
        self.sym("(")
        self.name_list()
        self.sym(")")

    def name_list(self) -> None:
        self.name()
        while self.at_sym(","):
            self.take()
            self.name()

    def projection(self) -> None:
        if self.at_word("DISTINCT"):
            self.take()
        if self.at_sym("*"):
            self.take()
        else:
            self.projection_item()
        while self.at_sym(","):
            self.take()
            self.projection_item()
        if self.at_word("ORDER"):
            self.take()
            self.word("BY")
            self.sort_item()
            while self.at_sym(","):
                self.take()
                self.sort_item()
        if self.at_word("SKIP", "OFFSET"):
            self.take()
            self.expression()
        if self.at_word("LIMIT"):
            self.take()
            self.expression()

    def projection_item(self) -> None:
        self.expression()
        if self.at_word("AS"):
            self.take()
            self.variable("alias")

    def sort_item(self) -> None:
        self.expression()
        if self.at_word("ASC", "ASCENDING", "DESC", "DESCENDING"):
            self.take()

    def unwind(self) -> None:
        if self.at_word("RANGE") and self.at_sym("(", k=1):
            self.function_call(streamed=True)  # a range UNWIND streams row by row: the time limit bounds it
        else:
            self.expression()
        self.word("AS")
        self.variable("alias")

    def call(self) -> None:
        """After CALL: a read subquery, or one of the named schema procedures."""
        if self.at_sym("{") or self.at_sym("("):
            if self.at_sym("("):
                self.take()
                if self.at_sym("*"):
                    self.take()
                elif not self.at_sym(")"):
                    self.variable()
                    while self.at_sym(","):
                        self.take()
                        self.variable()
                self.sym(")")
            self.subquery_body()
            if self.at_word("IN"):
                self.fail(f"refused CALL {{}} IN TRANSACTIONS: {REFUSED_WORDS['TRANSACTIONS']}", self.peek())
            return
        start = self.peek()
        parts = [self.name("a procedure name")]
        while self.at_sym(".") and self.at_name(k=1):
            self.take()
            parts.append(self.take().value)
        name = ".".join(parts)
        if name not in PROCEDURES:
            self.fail(
                f"refused CALL {name}: procedures are not allowed here, except " + ", ".join(sorted(PROCEDURES)), start
            )
        if self.at_sym("("):
            self.take()
            if not self.at_sym(")"):
                self.expression()
                while self.at_sym(","):
                    self.take()
                    self.expression()
            self.sym(")")
        if self.at_word("YIELD"):
            self.take()
            if self.at_sym("*"):
                self.take()
                return
            self.yield_item()
            while self.at_sym(","):
                self.take()
                self.yield_item()
            if self.at_word("WHERE"):
                self.take()
                self.expression()

    def yield_item(self) -> None:
        column = self.name("a procedure's output column")
        if self.at_word("AS"):
            self.take()
            self.variable("alias")
        else:
            self.alias_names.add(column)

    def subquery_body(self) -> None:
        self.sym("{")
        with self.nested():
            self.query()
        self.sym("}")

    # ------------------------------------------------------------------ patterns

    def pattern_list(self) -> None:
        self.pattern()
        while self.at_sym(","):
            self.take()
            self.pattern()

    def pattern(self) -> None:
        if self.at_variable() and self.at_sym("=", k=1):
            self.variable("pattern")
            self.take()
        if self.at_word(*SELECTOR_WORDS) and not self.at_sym("(", k=1):
            self.selector()
        if self.at_word("SHORTESTPATH", "ALLSHORTESTPATHS"):
            self.take()
            self.sym("(")
            self.path()
            self.sym(")")
        else:
            self.path()

    def selector(self) -> None:
        first = self.take().upper
        if first in ("ANY", "ALL") and self.at_word("SHORTEST"):
            self.take()
        elif self.at_kind("number"):
            self.integer()
        if self.at_word("PATH", "PATHS"):
            self.take()
        if first == "SHORTEST" and self.at_word("GROUP", "GROUPS"):
            self.take()

    def path(self) -> None:
        """Nodes, relationships, quantified parenthesised paths: ``(a)-[:R]->(b)``, ``((a)-->(b)){1,3}``."""
        if not self.at_sym("("):
            self.fail("expected a pattern starting with '('")
        while True:
            if self.at_sym("("):
                if self.at_sym("(", k=1):
                    self.parenthesized_path()
                else:
                    self.node()
            elif self.at_relationship():
                self.relationship()
                self.quantifier()
            else:
                return

    def at_relationship(self) -> bool:
        return self.at_sym("-") or self.at_sym("<") and self.at_sym("-", k=1)

    def parenthesized_path(self) -> None:
        with self.nested():
            self.sym("(")
            self.pattern()
            if self.at_word("WHERE"):
                self.take()
                self.expression()
            self.sym(")")
        self.quantifier()

    def quantifier(self) -> None:
        if self.at_sym("+", "*"):
            self.take()
        elif self.at_sym("{"):
            self.take()
            if not self.at_sym(","):
                self.integer()
            if self.at_sym(","):
                self.take()
                if not self.at_sym("}"):
                    self.integer()
            self.sym("}")

    def node(self) -> None:
        with self.nested():
            self.sym("(")
            if self.at_variable():
                self.variable("pattern")
            elif self.at_kind("word") and not self.at_word("WHERE", "IS"):
                self.variable()  # a keyword where a variable stands: say to backtick it
            self.labels_and_properties()
            self.sym(")")

    def relationship(self) -> None:
        if self.at_sym("<"):
            self.take()
        self.sym("-")
        if self.at_sym("["):
            with self.nested():
                self.take()
                if self.at_variable():
                    self.variable("pattern")
                if self.at_sym(":") or self.at_word("IS"):
                    self.take()
                    self.label_expression()
                if self.at_sym("*"):
                    star = self.take()
                    upper = None
                    if self.at_kind("number"):
                        upper = self.integer()
                    if self.at_sym(".."):
                        self.take()
                        upper = self.integer() if self.at_kind("number") else None
                    if self.in_pattern_comprehension and (upper is None or upper > MAX_COMPREHENSION_HOPS):
                        self.fail(
                            f"inside a pattern comprehension a variable-length relationship needs an upper "
                            f"bound of at most {MAX_COMPREHENSION_HOPS} (e.g. *..3): the list it builds is "
                            "outside Neo4j's memory limit",
                            star,
                        )
                self.properties_and_where()
                self.sym("]")
        self.sym("-")
        if self.at_sym(">"):
            self.take()

    def labels_and_properties(self) -> None:
        if self.at_sym(":") or self.at_word("IS"):
            self.take()
            self.label_expression()
        self.properties_and_where()

    def properties_and_where(self) -> None:
        if self.at_sym("{"):
            self.map_literal()
        elif self.at_sym("$"):
            self.parameter()
        if self.at_word("WHERE"):
            self.take()
            self.expression()

    def label_expression(self) -> None:
        """``A|B``, ``A&B``, ``!A``, ``%``, ``(A|B)&C``, ``A:B``: names only (no dynamic ``$(...)`` labels)."""
        with self.nested():
            self.label_term()
            while self.at_sym("|", "&", ":"):
                self.take()
                if self.at_sym(":"):
                    self.take()
                self.label_term()

    def label_term(self) -> None:
        while self.at_sym("!"):
            self.take()
        if self.at_sym("%"):
            self.take()
        elif self.at_sym("("):
            self.take()
            self.label_expression()
            self.sym(")")
        elif self.at_sym("$"):
            self.fail("dynamic labels and types ($(...)) are not accepted: write the label")
        else:
            self.name("a label or relationship type")

    def map_literal(self) -> None:
        raise NotImplementedError

    def parameter(self) -> Expr:
        raise NotImplementedError

    def function_call(self, streamed: bool = False) -> Expr:
        raise NotImplementedError
