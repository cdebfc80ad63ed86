"""POST /api/v1/cypher on a real Neo4j: reads answer within limits; writes are refused; every failure is a 400, 429 or
503, never a 500.

1. A story of both sources is projected into an emptied graph and its checksum taken.
2. An analyst's reads answer, with parameters; rows and bytes beyond the limits are cut and the answer says so.
3. Too long a query is stopped by the time limit; a mistake is a 400 that says where, in the query as sent.
4. With the guard switched off, EXPLAIN still refuses writes; with EXPLAIN also off, the READ transaction does.
5. A token gets 429 past its share; Neo4j unreachable, or silent past the deadline, is 503.
(The attack suite is tests/integration/test_kq_cypher_attacks.py.)
"""

from __future__ import annotations

import asyncio
import time

import pytest
from kq_cypher_world import ANALYSTS, AUDITOR, close_world, open_world

from knowledge.graph import analyst as analyst_module
from knowledge.graph.analyst import AnalystLimits, AnalystQueries
from knowledge.graph.cypher_guard import GuardedQuery, tokenize
from planspor_runtime.access import Access, parse_tokens

pytestmark = pytest.mark.integration

LIMITS = AnalystLimits(timeout_seconds=1.0, row_limit=5, max_bytes=20_000, per_token=2)


@pytest.fixture(scope="module")
def loop():
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


@pytest.fixture(scope="module")
def world(loop, neo4j_uri, neo4j_auth):
    world = open_world(loop, neo4j_uri, neo4j_auth, LIMITS)
    yield world
    close_world(world)


def test_an_analyst_reads_with_parameters_and_gets_nodes_as_labels_and_properties(world):
    reply = world.cypher("MATCH (p:Plan) WHERE p.title = $title RETURN p.title, p", {"title": "Idrettsplan"})
    assert reply.status == 200, reply.body
    assert reply.body["columns"] == ["p.title", "p"]  # named as written: the guard keeps the query's spacing
    assert [row["p.title"] for row in reply.body["rows"]] == ["Idrettsplan"]
    assert "Plan" in reply.body["rows"][0]["p"]["labels"] and reply.body["truncated"] is False
    labels = world.cypher("CALL db.labels() YIELD label RETURN label ORDER BY label")
    assert labels.status == 200 and "Ballot" in [row["label"] for row in labels.body["rows"]]


def test_rows_beyond_the_limit_are_cut_and_the_answer_says_so(world):
    reply = world.cypher("UNWIND range(1, 100) AS i RETURN i")
    assert reply.status == 200
    assert [row["i"] for row in reply.body["rows"]] == [1, 2, 3, 4, 5]
    assert (reply.body["truncated"], reply.body["limited_by"], reply.body["row_limit"]) == (True, "rows", 5)


def test_an_answer_beyond_the_byte_limit_is_cut_at_a_whole_row(world):
    reply = world.cypher("UNWIND range(1, 5) AS i RETURN i, range(1, 1000) AS r")
    assert reply.status == 200
    assert reply.body["limited_by"] == "bytes" and reply.body["byte_limit"] == 20_000
    assert 1 <= len(reply.body["rows"]) < 5 and all(len(row["r"]) == 1000 for row in reply.body["rows"])


def test_a_query_over_the_time_limit_is_stopped_by_the_server(world):
    reply = world.cypher("UNWIND range(1, 2000000000) AS i WITH i WHERE i < 0 RETURN count(i)")
    assert reply.status == 400 and "time limit of 1 s" in reply.detail
    assert reply.seconds < 1.0 + 2.0


def test_only_analysts_may_send_cypher(world):
    assert world.cypher("RETURN 1", who=AUDITOR).status == 403
    assert world.cypher("RETURN 1", who=None).status == 401


def test_mistakes_are_400_saying_where_in_the_query_as_sent(world):
    reply = world.cypher("MATCH (p:Plan)\n  RETURN q.title")
    assert reply.status == 400 and "Variable `q` not defined" in reply.detail and "line 2, column 10" in reply.detail
    assert world.cypher("RETURN $missing").status == 400
    assert world.cypher("RETURN 1 / 0 AS x").status == 400
    assert world.cypher("").status == 422


def test_a_shortest_path_from_a_node_to_itself_is_the_query_s_mistake_not_the_server_s(world):
    reply = world.cypher("MATCH (a:Plan) WITH a LIMIT 1 MATCH p = allShortestPaths((a)-[*]-(a)) RETURN length(p)")
    assert reply.status == 400 and "start and end nodes are the same" in reply.detail


def test_explain_refuses_a_write_the_guard_let_through(world, monkeypatch):
    before = world.checksum()
    monkeypatch.setattr(analyst_module, "check", _unguarded)
    for query, kind in (
        ("CREATE (n:X) RETURN n", "reads and writes"),
        ("MATCH (n:Plan) SET n.x = 1", "writes"),
        ("CREATE INDEX kq_x FOR (n:X) ON (n.y)", "changes the schema"),
        ("CALL dbms.killConnections([])", "changes the schema or the system"),
    ):
        reply = world.cypher(query)
        assert reply.status == 400 and f"the planner says this query {kind}" in reply.detail, reply.body
    assert world.checksum() == before


def test_the_read_transaction_refuses_a_write_both_fences_let_through(world, monkeypatch):
    before = world.checksum()
    monkeypatch.setattr(analyst_module, "check", _unguarded)
    monkeypatch.setattr(analyst_module, "EXPLAIN", "")  # the "plan" is then the query itself: a read answer
    reply = world.cypher("MATCH (n:Plan) WITH n LIMIT 1 RETURN n.title")
    assert reply.status == 200
    reply = world.cypher("MATCH (n:Plan) SET n.x = 1 RETURN n")
    assert reply.status == 400 and ("tried to write" in reply.detail or "planner says" in reply.detail), reply.body
    assert world.checksum() == before


def test_a_token_running_its_share_gets_429_and_others_still_answer(world):
    async def story():
        slow = "UNWIND range(1, 2000000000) AS i WITH i WHERE i < 0 RETURN count(i)"
        first = [asyncio.ensure_future(world.ask(slow, who=ANALYSTS[0])) for _ in range(2)]
        await _until(lambda: sum(world.analyst._running.values()) == 2)
        third = await world.ask("RETURN 1 AS one", who=ANALYSTS[0])
        other = await world.ask("RETURN 1 AS one", who=ANALYSTS[1])
        waited = any(future.done() for future in first)
        return third, other, waited, await asyncio.gather(*first)

    third, other, waited, first = world.loop.run_until_complete(story())
    assert third.status == 429 and third.headers.get("retry-after") == "1" and "already runs 2" in third.detail
    assert other.status == 200 and not waited, "the other analyst's query waited for the slow ones"
    assert [reply.status for reply in first] == [400, 400]


def test_neo4j_unreachable_is_503(loop):
    unreachable = AnalystQueries.connect("bolt://127.0.0.1:1", ("neo4j", "x" * 40), limits=LIMITS)
    try:
        with pytest.raises(analyst_module.AnalystError) as failed:
            loop.run_until_complete(unreachable.run("token:x", "RETURN 1"))
    finally:
        loop.run_until_complete(unreachable.aclose())
    assert failed.value.status == 503 and "not reachable" in failed.value.detail


def test_a_server_that_stays_silent_past_the_deadline_is_given_up_with_503(world, monkeypatch):
    """1,500 nested parentheses overflow Neo4j's parser, which then never answers: without the guard (switched off
    here) the connection would hang for 120 s; the deadline gives it up and the pool stays usable."""
    monkeypatch.setattr(analyst_module, "check", _unguarded)
    monkeypatch.setattr(analyst_module, "GRACE_SECONDS", 1.0)
    started = time.monotonic()
    reply = world.cypher("RETURN " + "(" * 1500 + "1" + ")" * 1500 + " AS x")
    assert reply.status in (400, 503) and time.monotonic() - started < 1.0 + 1.0 + 1.5, reply.body
    assert world.cypher("RETURN 1 AS one", who=ANALYSTS[1]).status == 200


def test_the_endpoint_says_503_when_it_is_not_configured(loop):
    import httpx
    from fastapi import FastAPI

    from knowledge.api import query_router

    app = FastAPI()
    app.include_router(query_router(lambda: None, Access(parse_tokens(None))))
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://knowledge")
    response = loop.run_until_complete(
        client.post("/api/v1/cypher", json={"query": "RETURN 1"}, headers={"Authorization": "Bearer dev-analyst-token"})
    )
    loop.run_until_complete(client.aclose())
    assert response.status_code == 503


def _unguarded(query, params=None, limits=None):
    tokens = tokenize(query)
    return GuardedQuery(query, tokens, [0] * len(tokens))


async def _until(condition, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.01)
