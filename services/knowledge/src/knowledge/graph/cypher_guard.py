"""Read-only Cypher for analysts: refuse anything that is not a plain read, then run it with limits.

Three fences, each catching what the one before cannot (design.md, "Access": analysts
get read-only Cypher with time and row limits; the graph is rebuilt only from events,
so nothing may write to it from the side):

1. ``check_static``: a small lexer (strings, comments and backticked names cannot hide
   or fake a keyword) refuses write clauses, ``LOAD CSV``, ``USE``, ``SHOW`` and other
   administration commands, ``CALL {} IN TRANSACTIONS``, several statements, and every
   procedure ``CALL`` except a short allowlist of read-only schema procedures. ``EXPLAIN``
   alone would let through ``LOAD CSV`` (it reads, from any URL the server can reach),
   ``SHOW TRANSACTIONS``/``SHOW SETTINGS`` and ``TERMINATE TRANSACTIONS`` (type ``r``).
2. ``EXPLAIN`` on the server: the planner's ``query_type`` must be ``r`` (read only), not
   ``rw``, ``w`` or ``s`` (schema); this catches writes the lexer cannot foresee.
3. The query runs in a READ transaction (the server refuses writes in read access mode)
   with a transaction timeout, and at most ``row_limit`` rows are fetched.

``SHOW`` is refused as a whole: it exposes users, settings and other sessions' queries,
and what an analyst needs of the schema is in the README and in the allowlisted
``db.labels()``, ``db.relationshipTypes()`` and ``db.propertyKeys()``.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import neo4j
from neo4j import exceptions as neo4j_errors
from neo4j.graph import Node, Path, Relationship
from neo4j.spatial import Point
from neo4j.time import Date, DateTime, Duration, Time

MAX_QUERY_LENGTH = 20_000

ALLOWED_PROCEDURES: frozenset[str] = frozenset({"db.labels", "db.relationshipTypes", "db.propertyKeys"})
"""Read-only schema procedures an analyst may CALL; every other procedure is refused."""

REFUSED_KEYWORDS: dict[str, str] = {
    "CREATE": "CREATE writes to the graph (or creates an index, constraint or database)",
    "INSERT": "INSERT writes to the graph",
    "MERGE": "MERGE writes to the graph",
    "SET": "SET writes to the graph",
    "REMOVE": "REMOVE writes to the graph",
    "DELETE": "DELETE writes to the graph",
    "DETACH": "DETACH DELETE writes to the graph",
    "FOREACH": "FOREACH exists only to write",
    "DROP": "DROP changes the schema or the databases",
    "ALTER": "ALTER is an administration command",
    "RENAME": "RENAME is an administration command",
    "GRANT": "GRANT is an administration command",
    "DENY": "DENY is an administration command",
    "REVOKE": "REVOKE is an administration command",
    "START": "START is an administration command",
    "STOP": "STOP is an administration command",
    "ENABLE": "ENABLE is an administration command",
    "DEALLOCATE": "DEALLOCATE is an administration command",
    "REALLOCATE": "REALLOCATE is an administration command",
    "TERMINATE": "TERMINATE ends other sessions' transactions",
    "SHOW": "SHOW commands expose users, settings and other sessions; they are not offered here",
    "LOAD": "LOAD CSV reads files and URLs from the server's side",
    "USE": "USE switches database (e.g. to system); the endpoint queries the graph only",
    "TRANSACTIONS": "CALL {} IN TRANSACTIONS commits in batches; only one read transaction is allowed",
    "PERIODIC": "USING PERIODIC COMMIT is for writes",
    "EXPLAIN": "EXPLAIN/PROFILE are added by the endpoint itself; send the query alone",
    "PROFILE": "EXPLAIN/PROFILE are added by the endpoint itself; send the query alone",
    "CYPHER": "query options (CYPHER ...) are not offered here",
}
"""Keywords refused wherever they stand as keywords (not as a property key, label, parameter or backticked name)."""


class CypherRefused(ValueError):
    """The query is not a plain read (or cannot run within the limits); ``reason`` says what to change."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Token:
    kind: str  # word | name (backticked) | string | number | param | punct
    text: str
    line: int
    column: int


def tokenize(query: str) -> list[Token]:
    """Cypher tokens without comments; raises ``CypherRefused`` on an unterminated string, name or comment."""
    tokens: list[Token] = []
    i, n = 0, len(query)
    line, line_start = 1, 0

    def where(pos: int) -> tuple[int, int]:
        return line, pos - line_start + 1

    while i < n:
        c = query[i]
        if c == "\n":
            line, line_start = line + 1, i + 1
            i += 1
        elif c.isspace():
            i += 1
        elif query.startswith("//", i):
            end = query.find("\n", i)
            i = n if end < 0 else end
        elif query.startswith("/*", i):
            end = query.find("*/", i + 2)
            if end < 0:
                raise CypherRefused("unterminated /* comment")
            for j in range(i, end):
                if query[j] == "\n":
                    line, line_start = line + 1, j + 1
            i = end + 2
        elif c in "'\"":
            start, pos = i, where(i)
            i += 1
            while i < n and query[i] != c:
                i += 2 if query[i] == "\\" else 1
            if i >= n:
                raise CypherRefused(f"unterminated string starting at line {pos[0]}, column {pos[1]}")
            i += 1
            tokens.append(Token("string", query[start:i], *pos))
        elif c == "`":
            pos = where(i)
            text, i = _backticked(query, i, pos)
            tokens.append(Token("name", text, *pos))
        elif c == "$":
            pos = where(i)
            i += 1
            if i < n and query[i] == "`":
                text, i = _backticked(query, i, pos)
            else:
                start = i
                while i < n and (query[i].isalnum() or query[i] == "_"):
                    i += 1
                text = query[start:i]
            tokens.append(Token("param", text, *pos))
        elif c.isalpha() or c == "_":
            start, pos = i, where(i)
            while i < n and (query[i].isalnum() or query[i] == "_"):
                i += 1
            tokens.append(Token("word", query[start:i], *pos))
        elif c.isdigit():
            start, pos = i, where(i)
            while i < n and (query[i].isalnum() or query[i] in "._"):
                i += 1
            tokens.append(Token("number", query[start:i], *pos))
        else:
            tokens.append(Token("punct", c, *where(i)))
            i += 1
    return tokens


def _backticked(query: str, i: int, pos: tuple[int, int]) -> tuple[str, int]:
    """The name inside backticks (a doubled backtick is one backtick) and the index after it."""
    out, i = [], i + 1
    while i < len(query):
        if query[i] == "`":
            if query.startswith("``", i):
                out.append("`")
                i += 2
                continue
            return "".join(out), i + 1
        out.append(query[i])
        i += 1
    raise CypherRefused(f"unterminated `name` starting at line {pos[0]}, column {pos[1]}")


def _is_keyword_position(tokens: list[Token], k: int) -> bool:
    """False where a word is a name: a property key (``n.set``), a label or type (``:Set``), a map key (``{set: 1}``)."""
    prev = tokens[k - 1].text if k > 0 and tokens[k - 1].kind == "punct" else None
    nxt = tokens[k + 1].text if k + 1 < len(tokens) and tokens[k + 1].kind == "punct" else None
    if prev in (".", ":"):
        return False
    if prev in ("{", ",") and nxt == ":":
        return False
    return True


def _procedure_name(tokens: list[Token], k: int) -> str:
    """The dotted name after CALL at ``k`` (backticked parts unquoted)."""
    parts, j = [], k + 1
    while j < len(tokens) and tokens[j].kind in ("word", "name"):
        parts.append(tokens[j].text)
        if j + 1 < len(tokens) and tokens[j + 1].text == "." and tokens[j + 1].kind == "punct":
            j += 2
        else:
            break
    return ".".join(parts)


def check_static(query: str) -> None:
    """Refuse, with the reason and the place, what is not a plain read; return None for a candidate read."""
    if not query or not query.strip():
        raise CypherRefused("query is empty")
    if len(query) > MAX_QUERY_LENGTH:
        raise CypherRefused(f"query is longer than {MAX_QUERY_LENGTH} characters")
    tokens = tokenize(query)
    if not tokens:
        raise CypherRefused("query has nothing but comments")
    for k, token in enumerate(tokens):
        at = f"(line {token.line}, column {token.column})"
        if token.kind == "punct" and token.text == ";":
            if any(t for t in tokens[k + 1 :]):
                raise CypherRefused(f"one statement per request: ';' {at} starts a second one")
            continue
        if token.kind != "word" or not _is_keyword_position(tokens, k):
            continue
        upper = token.text.upper()
        if upper in REFUSED_KEYWORDS:
            raise CypherRefused(
                f"refused {upper} {at}: {REFUSED_KEYWORDS[upper]}; this endpoint only runs read-only queries"
                + (" (if it is a name, write it in `backticks`)" if upper in ("SET", "START", "STOP", "USE") else "")
            )
        if upper == "CALL":
            following = tokens[k + 1] if k + 1 < len(tokens) else None
            if following is not None and following.kind == "punct" and following.text in ("{", "("):
                continue  # a subquery: CALL { ... } or CALL (vars) { ... }
            name = _procedure_name(tokens, k)
            if name not in ALLOWED_PROCEDURES:
                shown = name or "(no name)"
                raise CypherRefused(
                    f"refused CALL {shown} {at}: procedures are not allowed here, except "
                    + ", ".join(sorted(ALLOWED_PROCEDURES))
                )


@dataclass(frozen=True)
class CypherResult:
    columns: list[str]
    rows: list[dict[str, Any]]
    truncated: bool
    row_limit: int
    notifications: list[str] = field(default_factory=list)


async def run_read_only(
    driver: neo4j.AsyncDriver,
    query: str,
    params: dict[str, Any] | None = None,
    *,
    database: str | None = None,
    timeout_seconds: float = 10.0,
    row_limit: int = 1000,
) -> CypherResult:
    """Run an analyst's query behind the three fences; ``CypherRefused`` for anything refused or over the time limit."""
    params = dict(params or {})
    check_static(query)
    async with driver.session(database=database, default_access_mode=neo4j.READ_ACCESS) as session:
        query_type = await _explain(session, query, params)
        if query_type != "r":
            kinds = {"rw": "reads and writes", "w": "writes", "s": "changes the schema", "s/w": "writes the schema"}
            raise CypherRefused(
                f"refused: the planner says this query {kinds.get(query_type, f'is of type {query_type!r}')}; "
                "this endpoint only runs read-only queries"
            )

        @neo4j.unit_of_work(timeout=timeout_seconds)
        async def read(tx: neo4j.AsyncManagedTransaction) -> CypherResult:
            result = await tx.run(query, params)
            records = await result.fetch(row_limit + 1)
            columns = list(result.keys())
            truncated = len(records) > row_limit
            rows = [{key: to_json(record[key]) for key in columns} for record in records[:row_limit]]
            return CypherResult(columns=columns, rows=rows, truncated=truncated, row_limit=row_limit)

        try:
            return await session.execute_read(read)
        except neo4j_errors.ClientError as error:
            code = error.code or ""
            if "TransactionTimedOut" in code or "Terminated" in code:
                raise CypherRefused(
                    f"the query ran longer than the time limit of {timeout_seconds:g} s and was stopped; "
                    "narrow it (a label, a WHERE, a LIMIT)"
                ) from None
            if "AccessMode" in code:
                raise CypherRefused("refused: the query tried to write; this endpoint only runs read-only queries") from None
            raise CypherRefused(f"the query failed: {error.message or code}") from None


async def _explain(session: neo4j.AsyncSession, query: str, params: dict[str, Any]) -> str:
    try:
        summary = await (await session.run("EXPLAIN " + query, params)).consume()
    except neo4j_errors.CypherSyntaxError as error:
        raise CypherRefused(f"syntax error: {error.message}") from None
    except neo4j_errors.ClientError as error:
        raise CypherRefused(f"the query cannot be planned: {error.message or error.code}") from None
    return summary.query_type or ""


def to_json(value: Any) -> Any:
    """A Neo4j value as JSON: nodes and relationships as their labels/type and properties, times as ISO strings.

    Element ids are left out on purpose: they are not stable across a rebuild; a fact's
    ``id`` property is.
    """
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else str(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Node):
        return {"labels": sorted(value.labels), "properties": {k: to_json(v) for k, v in sorted(value.items())}}
    if isinstance(value, Relationship):
        return {
            "type": value.type,
            "start": _node_key(value.start_node),
            "end": _node_key(value.end_node),
            "properties": {k: to_json(v) for k, v in sorted(value.items())},
        }
    if isinstance(value, Path):
        return {"nodes": [to_json(n) for n in value.nodes], "relationships": [to_json(r) for r in value.relationships]}
    if isinstance(value, (DateTime, Time)):
        return value.to_native().isoformat()
    if isinstance(value, (Date, _dt.datetime, _dt.date, _dt.time)):
        return value.isoformat()
    if isinstance(value, Duration):
        return str(value)
    if isinstance(value, Point):
        return {"srid": value.srid, "coordinates": list(value)}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, (bytes, bytearray)):
        return value.hex()
    return str(value)


def _node_key(node: Node | None) -> Any:
    if node is None:
        return None
    return {"labels": sorted(node.labels), "id": node.get("id")}
