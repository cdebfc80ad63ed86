"""The Cypher guard: the analyst's query as an allow-list of read clauses, checked on Neo4j's own tokens.

``check(query, params, limits)`` returns the ``GuardedQuery`` to run, or raises
``CypherRefused`` with the reason and the line and column in the query as sent. The
text to run is rebuilt from the checked tokens (``lexer.render``): comments and unicode
escapes never reach Neo4j, so what Neo4j parses is what was checked. Three more fences
stand behind it (``knowledge.graph.analyst``): ``EXPLAIN`` must call the query a read,
it runs in a READ transaction, and the server itself cannot read files or the network.

Modules: ``lexer`` (Neo4j's tokens), ``clauses`` and ``expressions`` (the allow-list
grammar), ``regex`` (patterns ``=~`` may use), ``vocabulary`` (functions, procedures,
refusal reasons), ``cursor`` (the limits).
"""

from __future__ import annotations

import bisect
import json
from dataclasses import dataclass
from typing import Any

from knowledge.graph.cypher_guard.cursor import Limits
from knowledge.graph.cypher_guard.errors import CypherRefused
from knowledge.graph.cypher_guard.expressions import Expressions
from knowledge.graph.cypher_guard.lexer import Token, render, tokenize
from knowledge.graph.cypher_guard.vocabulary import FUNCTIONS, PROCEDURES

__all__ = ["FUNCTIONS", "PROCEDURES", "CypherRefused", "GuardedQuery", "Limits", "Token", "check", "tokenize"]


@dataclass(frozen=True)
class GuardedQuery:
    """A query the guard accepted: ``text`` is what Neo4j runs; ``origin`` maps its offsets back to the original."""

    text: str
    tokens: list[Token]
    starts: list[int]

    def origin(self, offset: int) -> tuple[int, int] | None:
        """Line and column, in the query as sent, of the token at ``offset`` of ``text`` (for Neo4j's messages)."""
        found = bisect.bisect_right(self.starts, offset) - 1
        if found < 0:
            return None
        token = self.tokens[found]
        return token.line, token.column


def check(query: str, params: dict[str, Any] | None = None, limits: Limits = Limits()) -> GuardedQuery:
    """Accept a read-only query within the limits, or raise ``CypherRefused`` saying what and where."""
    params = params or {}
    if not query or not query.strip():
        raise CypherRefused("the query is empty")
    if len(query) > limits.max_length:
        raise CypherRefused(f"the query is longer than {limits.max_length} characters")
    try:
        params_size = len(json.dumps(params, default=str))
    except (TypeError, ValueError):
        raise CypherRefused("the parameters are not plain JSON values") from None
    if params_size > limits.max_params_bytes:
        raise CypherRefused(f"the parameters take more than {limits.max_params_bytes} bytes")
    tokens = tokenize(query)
    if not tokens:
        raise CypherRefused("the query has nothing but comments")
    if len(tokens) > limits.max_tokens:
        raise CypherRefused(f"the query has more than {limits.max_tokens} words and symbols")
    Expressions(tokens, params, limits).statement()
    text, starts = render(tokens)
    return GuardedQuery(text, tokens, starts)


def __getattr__(name: str) -> Any:
    """``to_json`` moved to ``knowledge.graph.values``; still importable from here for the query modules."""
    if name == "to_json":
        from knowledge.graph.values import to_json

        return to_json
    raise AttributeError(name)
