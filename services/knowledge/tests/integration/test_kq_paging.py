"""The lists page (``limit``, ``cursor``, ``next``, ``Link``) and the traces stop at a depth, on a real graph.

The graph: 23 plans proposed on a few days, several on one day and recorded in one instant (so the
order's tie-breaks, the recorded time and the id, are what separates them), none anchored in a goal
nor started through a strategy, so every one is both "outside the strategy" and "not anchored"; and
seven dead letters. Then the graph grows while a page sequence is under way.
"""

from __future__ import annotations

import asyncio
import re
import time
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import Any, cast

import httpx
import neo4j
import pytest
from fastapi import FastAPI
from kn_story import STORY_KEYS, Chain, rid
from kq_story import write_story

from knowledge.api import query_router
from knowledge.api.dead_letters import dead_letters_router
from knowledge.api.problems import install_problems
from knowledge.bootstrap import Container
from knowledge.graph.bookkeeping import DeadLetter, write_dead_letters
from knowledge.graph.schema import empty_graph, ensure_constraints
from knowledge.pipeline.graph_writer import GraphWriter
from knowledge.pipeline.ordering import decode
from planspor_runtime.access import DEVELOPMENT_TOKENS, Access, Role, parse_tokens
from planspor_runtime.paging import DEFAULT_LIMIT, MAX_LIMIT, encode_cursor
from planspor_shared.events import plan_registry as pr
from planspor_shared.events.base import PlanType

pytestmark = pytest.mark.integration

PLANS = 23
LETTERS = 7
LISTS = ("/api/v1/plans/outside-strategy", "/api/v1/plans/not-anchored")


def proposed(chain: Chain, plan_id: str, on: date, at: datetime) -> None:
    payload = pr.PlanProposed(
        plan_id=plan_id,
        title=f"Plan {plan_id}",
        plan_type=PlanType.TEMAPLAN,
        owning_unit="Miljø",
        initiated_through_strategy=False,
        proposed_on=on,
    )
    chain.seal(payload, at)


async def project(writer: GraphWriter, chain: Chain, start: int) -> None:
    batch = [decode(e.to_canonical(), msg_id=e.nats_msg_id) for e in chain.envelopes[start:]]
    await writer.project(batch)


@pytest.fixture(scope="module")
def loop():
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


@pytest.fixture(scope="module")
def world(loop, neo4j_uri, neo4j_auth):
    driver = neo4j.AsyncGraphDatabase.driver(neo4j_uri, auth=neo4j_auth)
    chain = Chain("plan-registry")
    writer = GraphWriter(driver, keys=STORY_KEYS)
    recorded = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
    for n in range(PLANS):
        day = date(2024, 1, 1) + timedelta(days=n // 5)  # five a day: ties on the day
        proposed(chain, rid(f"plan{n:02d}"), day, recorded + timedelta(seconds=n // 10))  # and on the instant
    letters = [
        DeadLetter(f"cocreation:{n}", "cocreation", n, "planspor.cocreation.x", f"reason {n}", b"{}", n)
        for n in range(1, LETTERS + 1)
    ]

    async def setup() -> None:
        await empty_graph(driver)
        await ensure_constraints(driver)
        await project(writer, chain, 0)
        async with driver.session() as session:
            await session.execute_write(write_dead_letters, letters)

    loop.run_until_complete(setup())
    access = Access(parse_tokens(None))
    app = FastAPI()
    install_problems(app)
    app.include_router(query_router(lambda: driver, access))
    wiring = SimpleNamespace(access=access, driver=driver, settings=SimpleNamespace(neo4j_database=None), writer=writer)
    app.include_router(dead_letters_router(cast(Container, wiring)))
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://knowledge")
    yield SimpleNamespace(loop=loop, client=client, chain=chain, writer=writer, driver=driver)
    loop.run_until_complete(client.aclose())
    loop.run_until_complete(driver.close())


def ask(world: Any, path: str, role: Role = Role.ANALYST, **params: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {DEVELOPMENT_TOKENS[role]}"}
    return world.loop.run_until_complete(world.client.get(path, params=params, headers=headers))


def follow(world: Any, path: str, key: str, role: Role = Role.ANALYST, **params: Any) -> list[dict[str, Any]]:
    """Every page, by the ``Link`` header of each (and checked against its ``next``)."""
    pages = []
    response = ask(world, path, role, **params)
    while True:
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append(body)
        link = response.headers.get("Link")
        if body["next"] is None:
            assert link is None
            return pages
        target = re.fullmatch(r'<([^>]+)>; rel="next"', link or "")
        assert target is not None and f"cursor={body['next']}" in target.group(1)
        headers = {"Authorization": f"Bearer {DEVELOPMENT_TOKENS[role]}"}
        response = world.loop.run_until_complete(world.client.get(target.group(1), headers=headers))


@pytest.mark.parametrize("path", LISTS)
def test_a_list_paged_four_at_a_time_gives_every_plan_exactly_once_in_order(world, path):
    whole = ask(world, path, limit=MAX_LIMIT).json()
    assert len(whole["plans"]) == PLANS and whole["next"] is None
    pages = follow(world, path, "plans", limit=4)
    assert [len(p["plans"]) for p in pages] == [4, 4, 4, 4, 4, 3]
    paged = [plan["id"] for page in pages for plan in page["plans"]]
    assert paged == [plan["id"] for plan in whole["plans"]] and len(set(paged)) == PLANS
    assert {(p["as_of"], p["known_at"]) for p in pages} == {(pages[0]["as_of"], pages[0]["known_at"])}


def test_a_page_sequence_is_one_question_while_the_graph_grows(world):
    path = LISTS[0]
    first = ask(world, path, limit=5).json()
    start = len(world.chain.envelopes)
    now = datetime.now(UTC) + timedelta(seconds=1)  # recorded after the first page's known_at
    for n, day in enumerate((date(2023, 6, 1), date(2024, 1, 2), date(2024, 2, 1))):  # before, inside, after
        proposed(world.chain, rid(f"late{n}"), day, now)
    world.loop.run_until_complete(project(world.writer, world.chain, start))
    rest = follow(world, path, "plans", limit=5, cursor=first["next"])
    ids = [p["id"] for p in first["plans"]] + [p["id"] for page in rest for p in page["plans"]]
    assert len(ids) == PLANS == len(set(ids)), "the cursor keeps the first page's known_at: none of the new plans"
    time.sleep(max(0.0, (now - datetime.now(UTC)).total_seconds()) + 0.05)  # a fresh question knows them
    grown = ask(world, path, limit=MAX_LIMIT).json()["plans"]
    assert len(grown) == PLANS + 3 and grown[0]["valid_from"] == "2023-06-01"


def test_the_default_page_is_documented_and_the_limit_and_cursor_are_checked(world):
    body = ask(world, LISTS[1]).json()
    assert len(body["plans"]) <= DEFAULT_LIMIT
    for limit in (0, -1, MAX_LIMIT + 1, "many"):
        response = ask(world, LISTS[1], limit=limit)
        assert response.status_code == 422, limit
        assert response.headers["content-type"].startswith("application/problem+json")
        assert "query.limit" in response.text
    for cursor in ("not a cursor", "eyJ4IjoxfQ", encode_cursor("plans/not-anchored", ["2024-01-01"], {})):
        response = ask(world, LISTS[1], cursor=cursor)
        assert response.status_code == 422 and response.json()["rule"] == "request.cursor", cursor


def test_a_cursor_altered_to_a_key_the_graph_cannot_read_is_422_not_a_graph_error(world):
    real = ask(world, LISTS[1], limit=2).json()
    asked = {"as_of": real["as_of"], "known_at": real["known_at"]}
    for key in (["2024-13-01", "2024-03-01T09:00:00Z", "p"], ["2024-01-01", "yesterday", "p"], ["2024-01-01", 5, "p"]):
        response = ask(world, LISTS[1], cursor=encode_cursor("plans/not-anchored", key, asked))
        assert response.status_code == 422 and response.json()["rule"] == "request.cursor", key
    letters = encode_cursor("dead-letters", ["cocreation", "three", "x"], {"status": None})
    response = ask(world, "/api/v1/dead-letters", Role.OPERATOR, cursor=letters)
    assert response.status_code == 422 and response.json()["rule"] == "request.cursor"


def test_a_cursor_of_one_list_or_question_is_refused_by_another(world):
    outside = ask(world, LISTS[0], limit=2).json()
    other_list = ask(world, LISTS[1], cursor=outside["next"])
    assert other_list.status_code == 422 and "another list" in other_list.json()["detail"]
    other_time = ask(world, LISTS[0], cursor=outside["next"], known_at="2024-05-01")
    assert other_time.status_code == 422 and "known_at" in other_time.json()["detail"]
    other_filter = ask(world, LISTS[0], cursor=outside["next"], strategy_id="s-x")
    assert other_filter.status_code == 422 and "strategy_id" in other_filter.json()["detail"]
    same_time = ask(world, LISTS[0], cursor=outside["next"], known_at=outside["known_at"], as_of=outside["as_of"])
    assert same_time.status_code == 200 and same_time.json()["plans"][0]["id"] not in {
        p["id"] for p in outside["plans"]
    }


def test_dead_letters_page_in_order_with_their_status(world):
    pages = follow(world, "/api/v1/dead-letters", "dead_letters", role=Role.OPERATOR, limit=3, status="open")
    assert [p["count"] for p in pages] == [3, 3, 1]
    assert [d["position"] for page in pages for d in page["dead_letters"]] == list(range(1, LETTERS + 1))
    first = pages[0]
    other = ask(world, "/api/v1/dead-letters", Role.OPERATOR, cursor=first["next"], status="replayed")
    assert other.status_code == 422 and "status" in other.json()["detail"]


# --- trace depth ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def story_world(loop, neo4j_uri, neo4j_auth, world):
    """The query story (``kq_story``) in the graph instead (after the paging tests, which share the module)."""
    driver = neo4j.AsyncGraphDatabase.driver(neo4j_uri, auth=neo4j_auth)
    story = write_story()

    async def setup() -> None:
        await empty_graph(driver)
        await ensure_constraints(driver)
        writer = GraphWriter(driver, keys=STORY_KEYS)
        envelopes = story.registry.envelopes + story.cocreation.envelopes
        await writer.project([decode(e.to_canonical(), msg_id=e.nats_msg_id) for e in envelopes])

    loop.run_until_complete(setup())
    app = FastAPI()
    install_problems(app)
    app.include_router(query_router(lambda: driver, Access(parse_tokens(None))))
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://knowledge")
    yield SimpleNamespace(loop=loop, client=client, ids=story.ids)
    loop.run_until_complete(client.aclose())
    loop.run_until_complete(driver.close())


def test_a_trace_back_to_a_depth_stops_that_many_hops_from_the_start(story_world):
    path = f"/api/v1/trace/back/strategy/{story_world.ids['S']}"
    whole = ask(story_world, path, Role.AUDITOR).json()
    assert "depth" not in whole and max(s["depth"] for s in whole["steps"]) >= 3
    for depth in (0, 1, 2):
        body = ask(story_world, path, Role.AUDITOR, depth=depth).json()
        assert body["depth"] == depth and body["truncated"] is True
        shown = {(s["label"], s["id"]) for s in body["steps"]}
        assert shown == {(s["label"], s["id"]) for s in whole["steps"] if s["depth"] <= depth}
    deepest = max(s["depth"] for s in whole["steps"])
    assert ask(story_world, path, Role.AUDITOR, depth=12).json()["steps"] == whole["steps"]
    assert ask(story_world, path, Role.AUDITOR, depth=deepest + 1).json()["truncated"] is False
    for depth in (-1, 13, "deep"):
        response = ask(story_world, path, Role.AUDITOR, depth=depth)
        assert response.status_code == 422 and "query.depth" in response.text, depth


def test_a_trace_forward_to_a_depth_shows_fewer_stages_with_the_same_judgement(story_world):
    path = f"/api/v1/trace/forward/input/{story_world.ids['IN1']}"
    whole = ask(story_world, path, Role.AUDITOR).json()
    shallow = ask(story_world, path, Role.AUDITOR, depth=1).json()
    assert shallow["depth"] == 1 and shallow["outcome"] == whole["outcome"]
    need, whole_need = shallow["plan_needs"][0], whole["plan_needs"][0]
    assert "prioritisations" not in need and "items" not in need and whole_need["items"]
    assert need["judgement"] == whole_need["judgement"]
    assert ask(story_world, path, Role.AUDITOR, depth=4).json()["plan_needs"] == whole["plan_needs"]
    for depth in (0, 5):
        assert ask(story_world, path, Role.AUDITOR, depth=depth).status_code == 422
