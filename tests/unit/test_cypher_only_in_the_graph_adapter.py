"""All Cypher lives in knowledge's graph adapter (knowledge/graph/), so the graph's shape has one home.

The rule is read off the shipped code: every string constant (f-strings whole) in an ``src/`` tree that
starts like a Cypher clause, in capitals as the code writes them (``MATCH``, ``MERGE``, ``CREATE``,
``UNWIND``, ...), is a query. SQL that starts with the same words (``CREATE TABLE``, ``CREATE SCHEMA``, ...)
is not Cypher. Tests and benchmarks live outside the ``src/`` trees and are not read.
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]
SOURCE_TREES = sorted(p for p in [*REPO.glob("*/src"), *REPO.glob("services/*/src")] if p.is_dir())
GRAPH_ADAPTER = REPO / "services" / "knowledge" / "src" / "knowledge" / "graph"

CYPHER_START = re.compile(
    r"\s*(OPTIONAL\s+MATCH|MATCH|MERGE|CREATE|UNWIND|CALL|RETURN|WITH|DETACH\s+DELETE|DELETE|SET|REMOVE|FOREACH"
    r"|LOAD\s+CSV|USE|SHOW|DROP|EXPLAIN|PROFILE)[\s(]"
)
SQL_START = re.compile(
    r"\s*(CREATE\s+(TABLE|SCHEMA|SEQUENCE|VIEW|EXTENSION|(UNIQUE\s+)?INDEX\s+\S+\s+ON)|DROP\s+(TABLE|SCHEMA)"
    r"|DELETE\s+FROM|WITH\s+RECURSIVE)\b"
)

CYPHER_OUTSIDE_THE_ADAPTER = [
    # Fixed queries sent to the analysts' Cypher endpoint (POST /api/v1/cypher) because knowledge has no route
    # for the question yet. Each should become a knowledge route (knowledge/graph/queries/ and api/), and leave
    # this list. The CLI's two wait for issue 11 (effective dates), which is changing planspor_cli.
    ("services/portal/src/portal/client.py", "MATCH (n:{label} {{id: $id}}) OPTIONAL MATCH (n)-[r]-(m)"),
    ("services/portal/src/portal/client.py", "MATCH (e:Event) RETURN e.source AS source, count(e)"),
    ("deploy/src/planspor_cli/tour.py", "MATCH (n) UNWIND labels(n) AS label"),
    ("deploy/src/planspor_cli/demo/loader.py", "MATCH (p:Plan {id: $plan}) MATCH (s:Strategy {id: $strategy})"),
    # Examples an analyst reads: the Cypher console's first query and the endpoint's OpenAPI example. Code
    # never runs them; a person sends them, through the guard, like any query of their own.
    ("services/portal/src/portal/web/analysis.py", "MATCH (p:Plan)-[a:ANCHORED_IN]->(g:Goal)"),
    ("services/knowledge/src/knowledge/api/cypher.py", "MATCH (p:Plan) RETURN p.id, p.title LIMIT 10"),
    # The local stack's readiness probe of the Neo4j it starts: it names no label, relationship or property.
    ("deploy/src/planspor_stack/servers.py", "RETURN 1 AS one"),
]
"""The one list of Cypher outside knowledge/graph/: (file, how the query starts), each with its reason above."""


def string_constants(tree: ast.AST) -> list[tuple[int, str]]:
    """Each string of the module once: a plain constant, or an f-string whole (``{}`` where it formats)."""
    inside_fstrings = {id(part) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for part in node.values}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            text = "".join(p.value if isinstance(p, ast.Constant) else "{}" for p in node.values)
            found.append((node.lineno, text))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in inside_fstrings:
            found.append((node.lineno, node.value))
    return found


def is_cypher(text: str) -> bool:
    return bool(CYPHER_START.match(text)) and not SQL_START.match(text)


@cache
def cypher_outside_the_adapter() -> list[tuple[str, int, str]]:
    found = []
    for tree in SOURCE_TREES:
        for path in sorted(tree.rglob("*.py")):
            if path.is_relative_to(GRAPH_ADAPTER):
                continue
            for line, text in string_constants(ast.parse(path.read_text(encoding="utf-8"))):
                if is_cypher(text):
                    found.append((str(path.relative_to(REPO)), line, " ".join(text.split())))
    return found


def allowed(path: str, query: str) -> bool:
    return any(path == where and query.startswith(start) for where, start in CYPHER_OUTSIDE_THE_ADAPTER)


def test_no_cypher_lives_outside_knowledges_graph_adapter_but_the_listed_exceptions():
    stray = [
        f"{path}:{line}: {query[:80]}" for path, line, query in cypher_outside_the_adapter() if not allowed(path, query)
    ]
    assert not stray, "Cypher outside knowledge/graph/ (move it into the graph adapter):\n" + "\n".join(stray)


def test_every_listed_exception_is_still_there_so_the_list_shrinks_when_one_moves():
    found = cypher_outside_the_adapter()
    gone = [
        (where, start)
        for where, start in CYPHER_OUTSIDE_THE_ADAPTER
        if not any(path == where and query.startswith(start) for path, _, query in found)
    ]
    assert len(CYPHER_OUTSIDE_THE_ADAPTER) == len(set(CYPHER_OUTSIDE_THE_ADAPTER))
    assert not gone, f"no longer outside the adapter: remove them from CYPHER_OUTSIDE_THE_ADAPTER: {gone}"


def test_the_scan_finds_the_adapters_own_cypher_and_tells_sql_from_cypher():
    adapter = [
        text
        for path in GRAPH_ADAPTER.rglob("*.py")
        for _, text in string_constants(ast.parse(path.read_text(encoding="utf-8")))
        if is_cypher(text)
    ]
    assert len(adapter) > 30, "the scan no longer recognises the queries of the graph adapter"
    assert is_cypher("UNWIND $rows AS row MERGE (n:Plan {id: row.id})")
    assert is_cypher(f"MATCH (n:{'Plan'}) RETURN n")
    assert is_cypher("CREATE CONSTRAINT plan_id IF NOT EXISTS FOR (n:Plan) REQUIRE n.id IS UNIQUE")
    assert not is_cypher("CREATE TABLE IF NOT EXISTS relay_state (id INTEGER PRIMARY KEY)")
    assert not is_cypher('CREATE SCHEMA IF NOT EXISTS "relay"')
    assert not is_cypher("MATCH")  # a keyword alone, as the guard's vocabulary lists them
    assert not is_cypher("match the plan to its goal")
