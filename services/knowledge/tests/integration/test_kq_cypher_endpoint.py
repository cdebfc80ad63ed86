"""POST /api/v1/cypher on a real Neo4j: reads answer within limits; writes and abuse are refused and change nothing.

1. A story of both sources is projected into an emptied graph and its checksum taken.
2. An analyst's reads answer, with parameters, a row limit and a time limit.
3. Forty write, schema, administration and abuse queries are refused with a 400 that
   names what was refused; the checksum is the same afterwards.
4. With the static fence switched off, EXPLAIN still refuses writes; with EXPLAIN also
   switched off, the READ transaction still refuses them.
"""

from __future__ import annotations

import asyncio

import httpx
import neo4j
import pytest
from fastapi import FastAPI

from kn_story import story
from planspor_runtime.access import DEVELOPMENT_TOKENS, Access, Role, parse_tokens

from knowledge.api import query_router
from knowledge.graph import cypher_guard
from knowledge.graph.checksum import graph_checksum
from knowledge.graph.schema import empty_graph, ensure_constraints
from knowledge.pipeline.ordering import decode
from knowledge.pipeline.graph_writer import GraphWriter

pytestmark = pytest.mark.integration

ROW_LIMIT = 5
TIMEOUT_SECONDS = 1.0


@pytest.fixture(scope="module")
def loop():
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


@pytest.fixture(scope="module")
def world(loop, neo4j_uri, neo4j_auth):
    driver = neo4j.AsyncGraphDatabase.driver(neo4j_uri, auth=neo4j_auth)
    registry, cocreation = story(1)

    async def setup():
        await empty_graph(driver)
        await ensure_constraints(driver)
        items = [decode(e.to_canonical(), msg_id=e.nats_msg_id) for e in registry.envelopes + cocreation.envelopes]
        await GraphWriter(driver).project(items)

    loop.run_until_complete(setup())
    app = FastAPI()
    app.include_router(query_router(lambda: driver, Access(parse_tokens(None)), cypher_row_limit=ROW_LIMIT,
                                    cypher_timeout_seconds=TIMEOUT_SECONDS))
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://knowledge")
    yield driver, client
    loop.run_until_complete(client.aclose())
    loop.run_until_complete(driver.close())


def cypher(loop, client, query, params=None, role=Role.ANALYST):
    headers = {"Authorization": f"Bearer {DEVELOPMENT_TOKENS[role]}"}
    body = {"query": query, **({"params": params} if params is not None else {})}
    response = loop.run_until_complete(client.post("/api/v1/cypher", json=body, headers=headers))
    return response.status_code, response.json()


def checksum(loop, driver):
    return loop.run_until_complete(graph_checksum(driver))


def test_an_analyst_reads_with_parameters(loop, world):
    _, client = world
    status, body = cypher(loop, client, "MATCH (p:Plan) WHERE p.title = $title RETURN p.title AS title, p",
                          {"title": "Idrettsplan"})
    assert status == 200, body
    assert body["columns"] == ["title", "p"]
    assert [row["title"] for row in body["rows"]] == ["Idrettsplan"]
    assert "Plan" in body["rows"][0]["p"]["labels"] and body["truncated"] is False
    status, body = cypher(loop, client, "CALL db.labels() YIELD label RETURN label ORDER BY label")
    assert status == 200 and "Ballot" in [row["label"] for row in body["rows"]]


def test_rows_beyond_the_limit_are_cut_and_said_so(loop, world):
    _, client = world
    status, body = cypher(loop, client, "UNWIND range(1, 100) AS i RETURN i")
    assert status == 200
    assert [row["i"] for row in body["rows"]] == [1, 2, 3, 4, 5]
    assert body["truncated"] is True and body["row_limit"] == ROW_LIMIT


def test_a_query_over_the_time_limit_is_stopped(loop, world):
    _, client = world
    status, body = cypher(loop, client, "UNWIND range(1, 2000000000) AS i WITH i WHERE i < 0 RETURN count(i)")
    assert status == 400
    assert "time limit of 1 s" in body["detail"]


def test_only_analysts_may_send_cypher(loop, world):
    _, client = world
    assert cypher(loop, client, "RETURN 1", role=Role.AUDITOR)[0] == 403
    response = loop.run_until_complete(client.post("/api/v1/cypher", json={"query": "RETURN 1"}))
    assert response.status_code == 401


def test_mistakes_are_400_or_422_not_500(loop, world):
    _, client = world
    status, body = cypher(loop, client, "MATCH (n RETURN n")
    assert status == 400 and "syntax error" in body["detail"]
    status, body = cypher(loop, client, "RETURN $missing")
    assert status == 400
    status, _ = cypher(loop, client, "")
    assert status == 422


REFUSED = [
    ("CREATE (n:Plan {id: 'x'})", "CREATE"),
    ("MERGE (n:Plan {id: 'x'}) RETURN n", "MERGE"),
    ("MATCH (n:Plan) SET n.title = 'x'", "SET"),
    ("MATCH (n:Plan) SET n += $props", "SET"),
    ("MATCH (n:Plan) REMOVE n.title", "REMOVE"),
    ("MATCH (n:Plan) REMOVE n:Plan", "REMOVE"),
    ("MATCH (n:Plan) DELETE n", "DELETE"),
    ("MATCH (n) DETACH DELETE n", "DETACH"),
    ("MATCH (n) FOREACH (x IN [1] | SET n.x = x)", "FOREACH"),
    ("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10 ROWS", "DETACH"),
    ("MATCH (n) CALL (n) { RETURN n AS m } IN TRANSACTIONS RETURN m", "TRANSACTIONS"),
    ("UNWIND range(1, 3) AS i CREATE (:X {i: i})", "CREATE"),
    ("MATCH (a:Plan), (b:Plan) MERGE (a)-[:PART_OF]->(b)", "MERGE"),
    ("INSERT (:X)", "INSERT"),
    ("LOAD CSV FROM 'file:///etc/passwd' AS line RETURN line", "LOAD"),
    ("LOAD CSV WITH HEADERS FROM 'http://127.0.0.1:1/x.csv' AS row RETURN row", "LOAD"),
    ("CALL dbms.components()", "CALL dbms.components"),
    ("CALL dbms.security.createUser('k2', 'password', false)", "CALL dbms.security.createUser"),
    ("CALL dbms.listConfig()", "CALL dbms.listConfig"),
    ("CALL db.createLabel('X')", "CALL db.createLabel"),
    ("CALL `db`.`createProperty`('x')", "CALL db.createProperty"),
    ("CALL db.clearQueryCaches()", "CALL db.clearQueryCaches"),
    ("CALL db.awaitIndexes(1)", "CALL db.awaitIndexes"),
    ("MATCH (n:Plan) WITH n CALL apoc.create.node(['X'], {}) YIELD node RETURN node", "CALL apoc.create.node"),
    ("CREATE INDEX k2_title FOR (n:Plan) ON (n.title)", "CREATE"),
    ("CREATE CONSTRAINT k2_x FOR (n:X) REQUIRE n.id IS UNIQUE", "CREATE"),
    ("DROP CONSTRAINT plan_id", "DROP"),
    ("DROP INDEX plan_id IF EXISTS", "DROP"),
    ("USE system SHOW USERS", "USE"),
    ("USE neo4j MATCH (n) RETURN n", "USE"),
    ("SHOW USERS", "SHOW"),
    ("SHOW TRANSACTIONS", "SHOW"),
    ("SHOW SETTINGS", "SHOW"),
    ("TERMINATE TRANSACTIONS 'neo4j-transaction-1'", "TERMINATE"),
    ("CREATE DATABASE k2", "CREATE"),
    ("STOP DATABASE neo4j", "STOP"),
    ("ALTER USER neo4j SET PASSWORD 'x'", "ALTER"),
    ("GRANT ROLE admin TO neo4j", "GRANT"),
    ("MATCH (n) RETURN n; MATCH (m) DETACH DELETE m", "one statement"),
    ("EXPLAIN MATCH (n) DETACH DELETE n", "EXPLAIN"),
    ("CYPHER runtime=slotted MATCH (n:Plan) SET n.x = 1", "CYPHER"),
    ("MATCH (n:Plan) /* harmless? */ DETACH /* no */ DELETE n", "DETACH"),
]


def test_writes_and_abuse_are_refused_and_the_graph_is_unchanged(loop, world):
    driver, client = world
    before = checksum(loop, driver)
    assert before["nodes"] > 50
    for query, named in REFUSED:
        status, body = cypher(loop, client, query, {"props": {"x": 1}} if "$props" in query else None)
        assert status == 400, (query, body)
        assert named in body["detail"], (query, body["detail"])
        assert "read-only" in body["detail"] or "one statement" in body["detail"] or "procedures" in body["detail"], (
            query, body["detail"])
    assert len(REFUSED) >= 25
    assert checksum(loop, driver) == before


def test_explain_refuses_a_write_the_static_fence_let_through(loop, world, monkeypatch):
    driver, client = world
    before = checksum(loop, driver)
    monkeypatch.setattr(cypher_guard, "check_static", lambda query: None)
    for query, kind in (("CREATE (n:X) RETURN n", "reads and writes"), ("MATCH (n:Plan) SET n.x = 1", "writes"),
                        ("CREATE INDEX k2_x FOR (n:X) ON (n.y)", "changes the schema")):
        status, body = cypher(loop, client, query)
        assert status == 400 and f"the planner says this query {kind}" in body["detail"], body
    assert checksum(loop, driver) == before


def test_the_read_transaction_refuses_a_write_both_fences_let_through(loop, world, monkeypatch):
    driver, client = world
    before = checksum(loop, driver)
    monkeypatch.setattr(cypher_guard, "check_static", lambda query: None)

    async def says_read(session, query, params):
        return "r"

    monkeypatch.setattr(cypher_guard, "_explain", says_read)
    status, body = cypher(loop, client, "MATCH (n:Plan) SET n.x = 1 RETURN n")
    assert status == 400 and "tried to write" in body["detail"]
    assert checksum(loop, driver) == before
