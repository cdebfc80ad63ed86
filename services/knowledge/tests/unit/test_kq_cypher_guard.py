"""The static fence of the read-only Cypher endpoint: what it refuses, what it lets through, and why."""

from __future__ import annotations

import pytest

from knowledge.graph.cypher_guard import CypherRefused, check_static, to_json, tokenize

pytestmark = pytest.mark.unit

REFUSED = [
    ("CREATE (n:Plan {id: 'x'})", "CREATE"),
    ("MERGE (n:Plan {id: 'x'}) RETURN n", "MERGE"),
    ("MATCH (n:Plan) SET n.title = 'x'", "SET"),
    ("MATCH (n:Plan) REMOVE n.title", "REMOVE"),
    ("MATCH (n:Plan) DELETE n", "DELETE"),
    ("MATCH (n) DETACH DELETE n", "DETACH"),
    ("MATCH (n) FOREACH (x IN [1] | SET n.y = x)", "FOREACH"),
    ("MATCH (n) CALL (n) { DELETE n } IN TRANSACTIONS OF 10 ROWS", "DELETE"),
    ("MATCH (n) CALL (n) { RETURN n AS m } IN TRANSACTIONS RETURN m", "TRANSACTIONS"),
    ("LOAD CSV FROM 'file:///etc/passwd' AS line RETURN line", "LOAD"),
    ("load csv with headers from 'http://example.org/x.csv' AS row RETURN row", "LOAD"),
    ("CALL dbms.components()", "CALL dbms.components"),
    ("CALL dbms.security.createUser('a', 'b', false)", "CALL dbms.security.createUser"),
    ("CALL db.createLabel('Foo')", "CALL db.createLabel"),
    ("CALL `db`.`createLabel`('Foo')", "CALL db.createLabel"),
    ("CALL apoc.periodic.iterate('MATCH (n) RETURN n', 'DELETE n', {})", "CALL apoc.periodic.iterate"),
    ("MATCH (n) WITH n CALL db.index.fulltext.queryNodes('x', 'y') YIELD node RETURN node", "CALL db.index"),
    ("CREATE INDEX plan_title FOR (n:Plan) ON (n.title)", "CREATE"),
    ("DROP CONSTRAINT plan_id", "DROP"),
    ("DROP INDEX plan_title IF EXISTS", "DROP"),
    ("USE system SHOW USERS", "USE"),
    ("SHOW USERS", "SHOW"),
    ("SHOW TRANSACTIONS", "SHOW"),
    ("TERMINATE TRANSACTIONS 'neo4j-transaction-1'", "TERMINATE"),
    ("CREATE DATABASE other", "CREATE"),
    ("STOP DATABASE neo4j", "STOP"),
    ("ALTER USER neo4j SET PASSWORD 'x'", "ALTER"),
    ("GRANT ROLE admin TO analyst", "GRANT"),
    ("MATCH (n) RETURN n; MATCH (m) DETACH DELETE m", "one statement"),
    ("MATCH (n) RETURN n; RETURN 1", "one statement"),
    ("EXPLAIN MATCH (n) RETURN n", "EXPLAIN"),
    ("PROFILE MATCH (n) RETURN n", "PROFILE"),
    ("CYPHER runtime=slotted MATCH (n) RETURN n", "CYPHER"),
    ("MATCH (n) /* sneaky */ DETACH /* x */ DELETE n", "DETACH"),
    ("MATCH (n) // comment\nSET n.x = 1", "SET"),
    ("INSERT (n:Plan {id: 'x'})", "INSERT"),
    ("", "empty"),
    ("   // only a comment", "nothing but comments"),
    ("MATCH (n) WHERE n.title = 'unterminated RETURN n", "unterminated string"),
    ("MATCH (n) /* open comment RETURN n", "unterminated /*"),
    ("MATCH (`n) RETURN 1", "unterminated `name`"),
]


@pytest.mark.parametrize(("query", "expected"), REFUSED)
def test_refused_with_a_reason_naming_the_keyword(query, expected):
    with pytest.raises(CypherRefused) as refused:
        check_static(query)
    assert expected in refused.value.reason


ALLOWED = [
    "MATCH (p:Plan) RETURN p.id, p.title ORDER BY p.id LIMIT 10",
    "MATCH (p:Plan) WHERE p.title CONTAINS 'CREATE' RETURN p",  # a keyword inside a string is text
    'MATCH (p:Plan) WHERE p.note = "DETACH DELETE" RETURN p',
    "MATCH (p:Plan) RETURN p.set, p.created, p.delete AS `delete`",  # property keys and a backticked alias
    "MATCH (s:Set) RETURN s",  # a label
    "MATCH ()-[r:REMOVE]->() RETURN count(r)",  # a relationship type
    "RETURN {set: 1, merge: 2} AS m",  # map keys
    "MATCH (p:Plan) WHERE p.id = $create RETURN p",  # a parameter named like a keyword
    "MATCH (p:Plan) WHERE p.title STARTS WITH 'Klima' RETURN p",
    "CALL db.labels() YIELD label RETURN label",
    "CALL db.relationshipTypes()",
    "CALL db.propertyKeys",
    "MATCH (p:Plan) CALL (p) { MATCH (p)-[:ANCHORED_IN]->(g:Goal) RETURN count(g) AS goals } RETURN p.id, goals",
    "CALL { MATCH (n:Plan) RETURN n } RETURN count(n)",
    "MATCH (n) RETURN n;",
    "// why: count the plans\nMATCH (n:Plan) RETURN count(n)",
    "MATCH (p:Plan) RETURN p.id AS `CREATE`",
    "MATCH (p:Plan)-[:PART_OF*1..3]->(q:Plan) USING INDEX q:Plan(id) WHERE q.id = 'x' RETURN p",
]


@pytest.mark.parametrize("query", ALLOWED)
def test_plain_reads_pass_the_static_fence(query):
    check_static(query)


def test_the_reason_says_where():
    with pytest.raises(CypherRefused) as refused:
        check_static("MATCH (n)\nWITH n\n  SET n.x = 1")
    assert "line 3, column 3" in refused.value.reason


def test_tokens_keep_strings_and_backticked_names_whole():
    kinds = [(t.kind, t.text) for t in tokenize("MATCH (`a b`) WHERE a.x = 'it' RETURN $`p q`")]
    assert ("name", "a b") in kinds
    assert ("param", "p q") in kinds
    assert ("word", "RETURN") in kinds


def test_an_escaped_quote_does_not_end_the_string():
    check_static(r"RETURN 'a \' SET b' AS s")


def test_too_long_a_query_is_refused():
    with pytest.raises(CypherRefused, match="longer than"):
        check_static("RETURN 1 " + " " * 20_000)


def test_values_come_back_as_json():
    from datetime import date, datetime, timezone
    from decimal import Decimal

    assert to_json([1, "a", None, Decimal("1.50"), date(2024, 1, 2)]) == [1, "a", None, "1.50", "2024-01-02"]
    assert to_json({"t": datetime(2024, 1, 2, 3, 4, tzinfo=timezone.utc)}) == {"t": "2024-01-02T03:04:00+00:00"}
    assert to_json(float("nan")) == "nan"
