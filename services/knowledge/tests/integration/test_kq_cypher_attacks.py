"""An attacker with an analyst token, against a real Neo4j: every attack is refused or stopped within the limits, the
graph is unchanged, another analyst is answered in under a second meanwhile, and nothing is a 500.

The attacks are the classes of issue 12, run two at a time (the attacker's share) so that the suite stays short:
comment and line-terminator tricks, unicode escapes and backticks, LOAD CSV from files and URLs, SHOW and
TERMINATE, procedures, USE, writes hidden in subqueries, regular-expression and string blow-ups, values that
outgrow the server's memory, deep nesting, huge answers, cartesian products and long traversals.
"""

from __future__ import annotations

import asyncio
import time

import neo4j
import pytest
from kq_cypher_world import ANALYSTS, close_world, open_world

from knowledge.graph.analyst import AnalystLimits

pytestmark = pytest.mark.integration

LIMITS = AnalystLimits(timeout_seconds=2.0, row_limit=1000, max_bytes=2_000_000, per_token=2)
ATTACKER, BYSTANDER = ANALYSTS[0], ANALYSTS[1]
HARMLESS = "MATCH (p:Plan) RETURN count(p) AS plans"

R = "refused"  # 400 from the guard or a fence behind it, naming what
S = "stopped"  # 400: the server stopped it at the time or memory limit, or refused it itself
B = "bounded"  # 200 cut at the row or byte limit, or stopped at the time limit when a loaded machine streams slowly

ATTACKS: list[tuple[str, str, str, dict | None]] = [
    # comments and line terminators
    ("MATCH (n) // harmless\rDETACH DELETE n", R, "DETACH", None),
    ("MATCH (n) RETURN n // x\r\nCREATE (:X)", R, "CREATE", None),
    ("RETURN 1 AS x // x\rLOAD CSV FROM 'file:///etc/passwd' AS l RETURN l", R, "LOAD", None),
    ("MATCH (n) // x\u2028DETACH DELETE n", R, "runs on past", None),
    ("MATCH (n) // x\u0085SET n.x = 1", R, "runs on past", None),
    ("MATCH (n) /* a */ DETACH /* b */ DELETE n", R, "DETACH", None),
    ("MATCH (n) // x\\u000a DETACH DELETE n", R, "DETACH", None),
    ("MATCH (n) /* \\u002a/ DETACH DELETE n /* */ RETURN n", R, "DETACH", None),
    ("SHOW TRANSACTIONS // x\\u000d TERMINATE TRANSACTIONS 'neo4j-transaction-1'", R, "SHOW", None),
    # unicode escapes and backticks
    ("\\u0043REATE (:X)", R, "CREATE", None),
    ("MATCH (n) \\u0053ET n.x = 1", R, "SET", None),
    ("RETURN 'a\\u0027 LOAD CSV FROM 'file:///etc/passwd' AS l RETURN l //' AS x", R, "LOAD", None),
    ("RETURN '\\u005cu0027' AS x", R, "read twice", None),
    ("CALL `dbms`.`killConnections`([])", R, "dbms.killConnections", None),
    ("CALL db.\\u0063reateLabel('X')", R, "db.createLabel", None),
    ("\\u0055SE system SHOW USERS", R, "USE", None),
    ("MATCH (n) DETACH\u00a0DELETE n", R, "DETACH", None),
    ("MATCH (n)\u200bDETACH DELETE n", R, "U+200B", None),
    ("MATCH (`n`) `DETACH` DELETE n", R, "expected", None),
    # LOAD CSV from files and URLs
    ("LOAD CSV FROM 'file:///etc/passwd' AS l RETURN l", R, "LOAD", None),
    ("LOAD CSV FROM 'file:///../../../../../../etc/passwd' AS l RETURN l", R, "LOAD", None),
    ("LOAD CSV WITH HEADERS FROM 'http://127.0.0.1:8003/healthz' AS l RETURN l", R, "LOAD", None),
    ("LOAD CSV FROM $url AS l RETURN l", R, "LOAD", {"url": "https://example.org/x.csv"}),
    ("MATCH (n) WITH n LIMIT 1 LOAD CSV FROM 'ftp://127.0.0.1/x' AS l RETURN l", R, "LOAD", None),
    ("MATCH (n) RETURN file(), linenumber()", R, "file()", None),
    # SHOW and TERMINATE
    ("SHOW TRANSACTIONS", R, "SHOW", None),
    ("SHOW USERS", R, "SHOW", None),
    ("SHOW SETTINGS YIELD name, value RETURN name, value", R, "SHOW", None),
    ("TERMINATE TRANSACTIONS 'neo4j-transaction-1'", R, "TERMINATE", None),
    (
        "MATCH (n) WITH n LIMIT 1 SHOW TRANSACTIONS YIELD transactionId TERMINATE TRANSACTIONS transactionId",
        R,
        "SHOW",
        None,
    ),
    # procedures
    ("CALL dbms.killConnections([])", R, "dbms.killConnections", None),
    ("CALL dbms.listConfig() YIELD name, value RETURN name, value", R, "dbms.listConfig", None),
    ("CALL dbms.listConnections()", R, "dbms.listConnections", None),
    ("CALL db.createLabel('X')", R, "db.createLabel", None),
    ("CALL db.clearQueryCaches()", R, "db.clearQueryCaches", None),
    ("CALL dbms.queryJmx('*:*')", R, "dbms.queryJmx", None),
    ("CALL db.labels() YIELD label CALL dbms.components() YIELD name RETURN label, name", R, "dbms.components", None),
    ("RETURN apoc.text.join(['a'], ',') AS x", R, "apoc.text.join", None),
    # USE
    ("USE system SHOW USERS", R, "USE", None),
    ("USE neo4j MATCH (n) RETURN n", R, "USE", None),
    ("CALL { USE system SHOW USERS } RETURN 1", R, "USE", None),
    # writes inside subqueries and clauses that write
    ("CALL { CREATE (x:X) RETURN x } RETURN x", R, "CREATE", None),
    ("MATCH (n) WHERE EXISTS { MATCH (n) SET n.x = 1 } RETURN n", R, "SET", None),
    ("RETURN COLLECT { CREATE (x:X) RETURN x } AS xs", R, "CREATE", None),
    ("RETURN COUNT { MERGE (x:X) RETURN x } AS n", R, "MERGE", None),
    ("MATCH (n) FOREACH (x IN [1] | SET n.y = x)", R, "FOREACH", None),
    ("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10 ROWS", R, "DETACH", None),
    ("MATCH (n) CALL (n) { RETURN n AS m } IN TRANSACTIONS RETURN m", R, "IN TRANSACTIONS", None),
    ("MATCH (n) RETURN n; MATCH (m) DETACH DELETE m", R, "one statement", None),
    ("EXPLAIN MATCH (n) DETACH DELETE n", R, "EXPLAIN", None),
    ("CYPHER runtime=slotted MATCH (n:Plan) SET n.x = 1", R, "CYPHER", None),
    # regular expressions and strings
    ("RETURN 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!' =~ '(a+)+$' AS m", R, "repeated group", None),
    ("RETURN 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!' =~ '(.*a){12}' AS m", R, "repeated group", None),
    ("RETURN $text =~ '.*a.*a.*a.*b' AS m", R, "unbounded repetition", {"text": "a" * 20_000}),
    ("MATCH (p:Plan) WHERE p.title =~ $pattern RETURN p", R, "repeated group", {"pattern": "(x|xx)*y"}),
    ("MATCH (p:Plan) RETURN p.title =~ p.description AS m", R, "pattern of =~", None),
    ("RETURN reduce(s = '', x IN range(1, 100000) | s + 'xxxxxxxxxx') AS s", R, "REDUCE", None),
    ("RETURN reduce(s = 'a', x IN range(1, 40) | s + s) AS s", R, "REDUCE", None),
    ("WITH 'aaaaaaaa' AS s " + " ".join(["WITH s + s AS s"] * 27) + " RETURN size(s) AS n", R, "double", None),
    ("WITH 'ab' AS s WITH replace(s, 'a', 'aaaaaaaaaa') AS s RETURN s", R, "longer", None),
    # values that would outgrow the server's memory
    (
        "UNWIND range(1, 4000000) AS x WITH collect(x) AS c WITH [y IN c | {a: y, b: y, c: y}] AS m RETURN size(m)",
        R,
        "bounded",
        None,
    ),
    ("RETURN size([x IN range(1, 20000000) | x]) AS n", R, "range()", None),
    ("RETURN [x IN range(1, 1000) | [y IN range(1, 1000) | y]] AS l", R, "inside the projection", None),
    (
        "UNWIND range(1, 9) AS x WITH collect(x) AS c RETURN reverse(c), tail(c), tail(c), tail(c), tail(c)",
        R,
        "tail()",
        None,
    ),
    ("UNWIND range(1, 30000000) AS x WITH collect(x) AS c RETURN size(c) AS n", S, "", None),
    # deep nesting and long chains
    ("RETURN " + "(" * 1500 + "1" + ")" * 1500 + " AS x", R, "deeper than", None),
    ("RETURN " + "NOT " * 500 + "true AS x", R, "deeper than", None),
    ("RETURN " + "[" * 600 + "1" + "]" * 600 + " AS x", R, "deeper than", None),
    ("RETURN " + "- " * 400 + "1 AS x", R, "deeper than", None),
    ("RETURN " + " OR ".join(["true"] * 1000) + " AS x", R, "joined by OR", None),
    ("RETURN " + "+".join(["1"] * 1000) + " AS x", R, "terms in one sum", None),
    ("RETURN " + ", ".join(["1"] * 3000) + " AS x", R, "more than 4000 words", None),
    # huge answers
    ("UNWIND range(1, 1000) AS i RETURN i, range(1, 1000) AS r", B, "", None),
    ("UNWIND range(1, 100000) AS i RETURN i", B, "", None),
    ("UNWIND range(1, 1000) AS i RETURN i, [x IN range(1, 1000) | 'xxxxxxxxxxxxxxxxxxxxxxxx'] AS r", B, "", None),
    ("MATCH (a), (b) RETURN a, b", B, "", None),
    # cartesian products and long traversals
    ("MATCH (a), (b), (c), (d) WHERE a.id < b.id AND b.id < c.id RETURN count(*) AS n", S, "time limit", None),
    ("UNWIND range(1, 2000000000) AS i WITH i WHERE i < 0 RETURN count(i)", S, "time limit", None),
    ("MATCH p = (a)-[*]-(b) RETURN count(p) AS n", S, "", None),
    ("MATCH (a), (b), (c), (d) WITH a, b, c, d ORDER BY a.id, b.id, c.id, d.id RETURN count(*) AS n", S, "", None),
    ("MATCH (a:Plan) WITH a LIMIT 1 MATCH p = allShortestPaths((a)-[*]-(a)) RETURN p", S, "same", None),
]


@pytest.fixture(scope="module")
def loop():
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


@pytest.fixture(scope="module")
def world(loop, neo4j_uri, neo4j_auth):
    world = open_world(loop, neo4j_uri, neo4j_auth, LIMITS, pool_size=4)
    yield world
    close_world(world)


def test_the_attack_suite_covers_every_class_with_sixty_queries_or_more():
    assert len(ATTACKS) >= 60
    assert {kind for _, kind, _, _ in ATTACKS} == {R, S, B}


def test_every_attack_is_refused_or_stopped_the_graph_is_unchanged_and_a_bystander_is_answered_meanwhile(
    world, neo4j_uri, neo4j_auth
):
    before = world.checksum()

    async def attack():
        share = asyncio.Semaphore(LIMITS.per_token)
        running = {"attacks": len(ATTACKS)}

        async def one(query, params):
            async with share:
                try:
                    return await world.ask(query, params, who=ATTACKER)
                finally:
                    running["attacks"] -= 1

        async def bystander():
            replies = []
            while running["attacks"] > 0:
                replies.append(await world.ask(HARMLESS, who=BYSTANDER))
                await asyncio.sleep(0.2)
            return replies

        watching = asyncio.ensure_future(bystander())
        replies = await asyncio.gather(*(one(query, params) for query, _, _, params in ATTACKS))
        return replies, await watching

    started = time.monotonic()
    replies, watched = world.loop.run_until_complete(attack())
    elapsed = time.monotonic() - started

    failures = []
    for (query, kind, named, _), reply in zip(ATTACKS, replies):
        ok = {
            R: reply.status == 400 and named in reply.detail,
            S: reply.status == 400 and named in reply.detail,
            B: reply.status == 200 and reply.body["truncated"] or reply.status == 400 and "time limit" in reply.detail,
        }[kind]
        if not ok or reply.seconds > LIMITS.timeout_seconds + 6.0:  # stopped by the limit, not run to its end
            failures.append(
                (
                    query[:90],
                    kind,
                    reply.status,
                    reply.detail[:160] or reply.body.get("limited_by"),
                    round(reply.seconds, 2),
                )
            )
    assert not failures, failures
    assert all(reply.status != 500 for reply in replies + watched)
    assert world.checksum() == before, "an attack changed the graph"

    assert len(watched) >= 3, f"the bystander asked only {len(watched)} times in {elapsed:.1f} s"
    assert all(reply.status == 200 and reply.body["rows"][0]["plans"] > 0 for reply in watched)
    slowest = max(reply.seconds for reply in watched)
    # not a speed test (the machine is shared): the bystander never waited as long as an attack may run
    assert slowest < LIMITS.timeout_seconds, f"the bystander waited {slowest:.2f} s while the attacks ran"
    assert elapsed < 300, f"the attack suite took {elapsed:.0f} s: something was not stopped"

    async def still_serving() -> list[str]:
        async with neo4j.AsyncGraphDatabase.driver(neo4j_uri, auth=neo4j_auth) as driver:
            records, _, _ = await driver.execute_query(
                "SHOW TRANSACTIONS YIELD currentQuery, metaData WHERE metaData.app = 'planspor-analyst' "
                "RETURN currentQuery"
            )
            return [r["currentQuery"] for r in records]

    assert world.loop.run_until_complete(still_serving()) == [], "an attack's transaction is still running"


def test_a_third_query_from_the_attacker_s_token_waits_outside_with_429(world):
    async def story():
        slow = "UNWIND range(1, 2000000000) AS i WITH i WHERE i < 0 RETURN count(i)"
        running = [asyncio.ensure_future(world.ask(slow, who=ATTACKER)) for _ in range(2)]
        while sum(world.analyst._running.values()) < 2:
            await asyncio.sleep(0.01)
        third = await world.ask(slow, who=ATTACKER)
        refused_while_running = not any(future.done() for future in running)
        bystander = await world.ask(HARMLESS, who=BYSTANDER)
        served_while_running = not any(future.done() for future in running)
        return third, bystander, (refused_while_running, served_while_running), await asyncio.gather(*running)

    third, bystander, while_running, running = world.loop.run_until_complete(story())
    assert third.status == 429 and bystander.status == 200
    assert while_running == (True, True), "the 429 or the bystander's answer waited for the attacker's queries"
    assert [reply.status for reply in running] == [400, 400]
