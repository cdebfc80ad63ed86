"""The query API on a story written for it (``kq_story``): each answer checked exactly, as of several dates.

The story is written through the projector's own code (``GraphWriter.project``), so the
queries read the graph the projector really writes.
"""

from __future__ import annotations

import asyncio
import socket

import httpx
import neo4j
import pytest
from fastapi import FastAPI
from kn_story import STORY_KEYS
from kq_story import utc, write_story

from knowledge.api import query_router
from knowledge.api.problems import install_problems
from knowledge.graph import queries
from knowledge.graph.schema import empty_graph, ensure_constraints
from knowledge.pipeline.graph_writer import GraphWriter
from knowledge.pipeline.ordering import decode
from planspor_runtime.access import DEVELOPMENT_TOKENS, Access, Role, parse_tokens
from planspor_runtime.problems import MEDIA_TYPE

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def loop():
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


@pytest.fixture(scope="module")
def world(loop, neo4j_uri, neo4j_auth):
    """The story projected into an emptied graph, the driver, and an HTTP client on the query router."""
    driver = neo4j.AsyncGraphDatabase.driver(neo4j_uri, auth=neo4j_auth)
    story = write_story()

    async def setup():
        await empty_graph(driver)
        await ensure_constraints(driver)
        writer = GraphWriter(driver, keys=STORY_KEYS)
        envelopes = story.registry.envelopes + story.cocreation.envelopes
        for start in range(0, len(envelopes), 25):  # a few batches, as the live consumer takes them
            batch = [decode(e.to_canonical(), msg_id=e.nats_msg_id) for e in envelopes[start : start + 25]]
            await writer.project(batch)
        checkpoints = await writer.checkpoints()
        assert checkpoints["plan-registry"][0] == len(story.registry.envelopes)
        assert checkpoints["cocreation"][0] == len(story.cocreation.envelopes)

    loop.run_until_complete(setup())
    app = FastAPI()
    install_problems(app)
    app.include_router(query_router(lambda: driver, Access(parse_tokens(None))))
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://knowledge")
    yield story, driver, client
    loop.run_until_complete(client.aclose())
    loop.run_until_complete(driver.close())


def get(loop, client, path, role=Role.AUDITOR, **params):
    headers = {"Authorization": f"Bearer {DEVELOPMENT_TOKENS[role]}"}
    response = loop.run_until_complete(client.get(path, params=params, headers=headers))
    return response.status_code, response.json()


def steps(body):
    return [(step["label"], step["id"]) for step in body["steps"]]


# --- trace back -------------------------------------------------------------------------------------------


def test_trace_back_from_a_strategy_item_goes_to_the_workshop_in_time_order(loop, world):
    story, _, client = world
    i, ev = story.ids, story.event
    status, body = get(loop, client, f"/api/v1/trace/back/strategy-item/{i['IT1']}")
    assert status == 200, body
    assert steps(body) == [
        ("Process", i["PROC"]),
        ("Participant", i["PA"]),
        ("Participant", i["PB"]),
        ("Participant", i["PC"]),
        ("Workshop", i["W1"]),
        ("Input", i["IN1"]),
        ("PlanNeed", i["N1"]),
        ("Prioritisation", i["PR"]),
        ("Ballot", i["B1"]),
        ("Ballot", i["B2"]),
        ("Ballot", i["B3"]),
        ("Recommendation", i["REC"]),
        ("StrategyItem", i["IT1"]),
        ("StrategyItemVersion", ev["it1"]),
    ]
    by_id = {step["id"]: step for step in body["steps"]}
    assert [e["id"] for e in by_id[i["W1"]]["events"]] == [ev["w1"], ev["w1_held"]]
    assert [e["id"] for e in by_id[i["PR"]]["events"]] == [ev["pr"], ev["pr_made"]]
    assert [e["id"] for e in by_id[i["B2"]]["events"]] == [ev["b2"], ev["b3"]]  # replaced by B3
    assert by_id[i["B2"]]["properties"]["ended_by"] == ev["b3"]
    ranked = next(v for v in by_id[i["PR"]]["via"] if v["relationship"] == "RANKED")
    assert ranked["properties"] == {"rank": 1, "score": "4"} and ranked["created_by"] == ev["pr_made"]
    assert ranked["valid_from"] == "2023-12-05" and ranked["since"] is not None  # both times, beside each other
    assert {(v["from"]["id"], v["relationship"]) for v in by_id[i["PA"]]["via"]} == {
        (i["B1"], "CAST"),
        (i["IN1"], "RAISED_BY"),
        (i["W1"], "ATTENDED"),
    }
    assert i["IN3"] not in by_id and i["N3"] not in by_id and i["C"] not in by_id


def test_trace_back_from_the_decision_reaches_the_removed_item_and_the_whole_strategy(loop, world):
    story, _, client = world
    i, ev = story.ids, story.event
    status, body = get(loop, client, f"/api/v1/trace/back/decision/{i['D']}")
    assert status == 200, body
    found = steps(body)
    for expected in (
        ("Strategy", i["S"]),
        ("StrategyItem", i["IT1"]),
        ("StrategyItem", i["IT2"]),
        ("PlanNeed", i["N2"]),
        ("Input", i["IN2"]),
        ("Plan", i["B"]),
        ("Evidence", i["E_PHO"]),
        ("ExternalInput", i["X3"]),
        ("KommuneplanAssessment", ev["s_assessed"]),
        ("Body", "municipal_council"),
        ("Recommendation", i["REC"]),
        ("Workshop", i["W1"]),
        ("Decision", i["D"]),
    ):
        assert expected in found, expected
    for absent in (i["IN3"], i["N3"], i["IN4"], i["S2"], i["C"]):
        assert absent not in {node_id for _, node_id in found}
    firsts = [step["events"][0]["occurred_at"] for step in body["steps"] if step["events"]]
    assert firsts == sorted(firsts)
    item2 = next(step for step in body["steps"] if step["id"] == i["IT2"])
    assert item2["properties"]["until"] == "2024-06-12T18:05:00+00:00"
    assert {(v["from"]["id"], v["relationship"]) for v in item2["via"]} >= {(i["D"], "REMOVED"), (i["S"], "HAS_ITEM")}
    has_item = next(v for v in item2["via"] if v["relationship"] == "HAS_ITEM")
    assert has_item["ended_by"] == ev["it2_removed"]


def test_trace_back_as_of_a_date_sees_only_what_existed_then(loop, world):
    story, _, client = world
    i = story.ids
    status, body = get(loop, client, f"/api/v1/trace/back/strategy/{i['S']}", as_of="2024-03-01")
    assert status == 200, body
    found = {node_id for _, node_id in steps(body)}
    assert {i["IT1"], i["IT2"], i["X1"], i["X2"], i["N2"]} <= found
    assert i["X3"] not in found and i["D"] not in found
    item2 = next(step for step in body["steps"] if step["id"] == i["IT2"])
    assert "until" not in item2["properties"]  # removed later: not yet as of March
    assert all(e["valid_on"] <= "2024-03-01" for step in body["steps"] for e in step["events"])
    # a datetime as_of (as callers sent before there were two times) is its day in Norway: 22:59 UTC is 23:59 there
    status, body = get(loop, client, f"/api/v1/trace/back/strategy-item/{i['IT1']}", as_of="2024-01-15T22:59:59Z")
    assert status == 404 and "as of 2024-01-15" in body["detail"]
    status, body = get(loop, client, f"/api/v1/trace/back/strategy-item/{i['IT1']}", as_of="2024-01-15T23:00:00Z")
    assert status == 200 and body["as_of"] == "2024-01-16"


def test_trace_back_of_an_unknown_node_or_kind_is_a_clear_4xx(loop, world):
    _, _, client = world
    status, body = get(loop, client, "/api/v1/trace/back/decision/no-such-decision")
    assert status == 404 and "no-such-decision" in body["detail"]
    status, body = get(loop, client, "/api/v1/trace/back/plan/x")
    assert status == 422
    status, body = get(loop, client, "/api/v1/trace/back/decision/x", as_of="last tuesday")
    assert status == 422 and "as_of" in body["detail"]


# --- trace forward ------------------------------------------------------------------------------------------


def forward(loop, client, input_id, **params):
    status, body = get(loop, client, f"/api/v1/trace/forward/input/{input_id}", **params)
    assert status == 200, body
    return body


def test_trace_forward_an_adopted_input(loop, world):
    story, _, client = world
    i, ev = story.ids, story.event
    body = forward(loop, client, i["IN1"])
    assert (body["outcome"], body["stage"]) == ("adopted", "adopted")
    [need] = body["plan_needs"]
    assert need["plan_need"]["id"] == i["N1"] and [e["id"] for e in need["events"]] == [ev["n1"]]
    assert need["judgement"]["where"] == {"strategy_id": i["S"], "item_id": i["IT1"], "decision_id": i["D"]}
    assert need["prioritisations"] == [{"id": i["PR"], "rank": 1, "score": "4", "made": True}]
    assert [(r["id"], r["recommended"], r["action"]) for r in need["recommendations"]] == [(i["REC"], True, "new")]
    assert need["items"][0]["plans"] == [i["C"]]


def test_trace_forward_as_of_earlier_dates_is_pending_at_the_stage_then(loop, world):
    story, _, client = world
    i = story.ids
    assert (forward(loop, client, i["IN1"], as_of="2024-03-01")["stage"]) == "in_strategy"
    assert (forward(loop, client, i["IN1"], as_of="2024-01-12")["stage"]) == "recommended"
    assert (forward(loop, client, i["IN1"], as_of="2023-12-03")["stage"]) == "in_prioritisation"
    assert (forward(loop, client, i["IN1"], as_of="2023-11-25")["stage"]) == "proposed"
    early = forward(loop, client, i["IN1"], as_of="2023-11-15T13:30:00Z")
    assert (early["outcome"], early["stage"], early["plan_needs"]) == ("pending", "input", [])
    assert all(
        forward(loop, client, i["IN1"], as_of=d)["outcome"] == "pending"
        for d in ("2024-03-01", "2024-01-12", "2023-12-03", "2023-11-25")
    )


def test_trace_forward_says_where_an_input_was_dropped(loop, world):
    story, _, client = world
    i = story.ids
    removed = forward(loop, client, i["IN2"])
    assert (removed["outcome"], removed["stage"]) == ("dropped", "strategy")
    assert removed["plan_needs"][0]["judgement"]["where"]["decision_id"] == i["D"]
    assert forward(loop, client, i["IN2"], as_of="2024-06-01")["stage"] == "in_strategy"
    feedback = forward(loop, client, i["IN3"])
    assert (feedback["outcome"], feedback["stage"]) == ("dropped", "workshop")
    assert i["N1"] in feedback["explanation"]
    not_recommended = forward(loop, client, i["IN4"])
    assert (not_recommended["outcome"], not_recommended["stage"]) == ("dropped", "recommendation")
    assert "ranked 3" in not_recommended["explanation"]
    assert forward(loop, client, i["IN4"], as_of="2023-12-10")["stage"] == "prioritised"
    status, body = get(loop, client, f"/api/v1/trace/forward/input/{i['IN1']}", as_of="2023-11-01")
    assert status == 404


# --- plan lists ---------------------------------------------------------------------------------------------


def plan_ids(body):
    return [p["id"] for p in body["plans"]]


def test_plans_started_outside_the_adopted_strategy(loop, world):
    story, _, client = world
    i = story.ids
    _, now = get(loop, client, "/api/v1/plans/outside-strategy", role=Role.ANALYST)
    assert plan_ids(now) == [i["A"], i["B"]]  # D repealed; C came through IT1 of adopted S
    assert now["plans"][0]["reason"] == "not initiated through a strategy"
    _, then = get(loop, client, "/api/v1/plans/outside-strategy", as_of="2024-12-01")
    assert plan_ids(then) == [i["A"], i["B"], i["D_PLAN"]]
    _, since_s = get(loop, client, "/api/v1/plans/outside-strategy", as_of="2024-12-01", strategy_id=i["S"])
    assert plan_ids(since_s) == [i["D_PLAN"]]
    status, body = get(loop, client, "/api/v1/plans/outside-strategy", as_of="2024-03-01", strategy_id=i["S"])
    assert status == 400 and "not adopted as of" in body["detail"]


def test_plans_not_anchored_in_a_samfunnsdel_goal(loop, world):
    story, _, client = world
    i = story.ids
    assert plan_ids(get(loop, client, "/api/v1/plans/not-anchored", as_of="2024-08-15")[1]) == [i["C"]]
    assert plan_ids(get(loop, client, "/api/v1/plans/not-anchored", as_of="2024-12-01")[1]) == [i["B"], i["D_PLAN"]]
    assert plan_ids(get(loop, client, "/api/v1/plans/not-anchored")[1]) == [i["A"], i["B"]]


def test_plans_overdue_for_revision(loop, world):
    story, _, client = world
    i, ev = story.ids, story.event
    _, mid_2024 = get(loop, client, "/api/v1/plans/overdue-revision", as_of="2024-06-30")
    assert [(p["id"], p["revision_due"], p["days_overdue"], p["scheduled_by"]) for p in mid_2024["plans"]] == [
        (i["A"], "2024-01-01", 181, ev["a_due"])
    ]
    _, mid_2025 = get(loop, client, "/api/v1/plans/overdue-revision", as_of="2025-07-01")
    assert [(p["id"], p["days_overdue"]) for p in mid_2025["plans"]] == [(i["B"], 30)]  # A is under revision


def test_goals_with_no_plan_or_no_indicator(loop, world):
    story, _, client = world
    i = story.ids
    _, early = get(loop, client, "/api/v1/goals/without-plan-or-indicator", as_of="2024-01-01")
    assert [(g["id"], g["no_plan"], g["no_indicator"]) for g in early["goals"]] == [
        (i["G1"], True, False),
        (i["G2"], False, True),
        (i["G3"], False, True),
    ]
    _, now = get(loop, client, "/api/v1/goals/without-plan-or-indicator")
    assert [(g["id"], g["plans"], g["indicators"]) for g in now["goals"]] == [(i["G2"], 0, 0)]  # G3 retired


def test_number_of_plans_over_time(loop, world):
    _, _, client = world
    status, body = get(loop, client, "/api/v1/plans/count-over-time", interval="year", as_of="2025-06-30")
    assert status == 200, body
    assert body["from"] == "2023-01-15"
    assert [(p["period"], p["plans"], p["in_force"], p["proposed"], p["ended"]) for p in body["periods"]] == [
        ("2023", 2, 1, 2, 0),
        ("2024", 4, 1, 2, 0),
        ("2025", 3, 1, 0, 1),
    ]
    _, months = get(
        loop, client, "/api/v1/plans/count-over-time", interval="month", **{"from": "2024-07-01", "to": "2024-09-30"}
    )
    assert [(p["period"], p["plans"], p["proposed"]) for p in months["periods"]] == [
        ("2024-07", 2, 0),
        ("2024-08", 3, 1),
        ("2024-09", 4, 1),
    ]
    status, body = get(loop, client, "/api/v1/plans/count-over-time", interval="month", **{"from": "1900-01-01"})
    assert status == 400 and "at most" in body["detail"]


# --- compliance ---------------------------------------------------------------------------------------------


def checks(body):
    return {c["id"]: c for c in body["checks"]}


def test_compliance_of_the_adopted_strategy_passes_with_its_evidence(loop, world):
    story, _, client = world
    i, ev = story.ids, story.event
    status, body = get(loop, client, f"/api/v1/strategies/{i['S']}/compliance")
    assert status == 200, body
    c = checks(body)
    assert {k: v["status"] for k, v in c.items()} == {
        "adopted_within_a_year": "pass",
        "published_30_days_before_treatment": "pass",
        "kommuneplan_assessed": "pass",
        "external_inputs_on_record": "pass",
        "public_health_overview": "pass",
    }
    assert {v["paragraph"] for v in c.values()} == {"PBL §10-1", "folkehelseloven §5, §6"}
    assert c["adopted_within_a_year"]["evidence"] == sorted([ev["s_drafted"], ev["s_adopted"], ev["d"]])
    assert c["published_30_days_before_treatment"]["evidence"] == sorted([ev["s_published"], ev["s_adopted"], ev["d"]])
    assert "72 days" in c["published_30_days_before_treatment"]["detail"]
    assert c["kommuneplan_assessed"]["evidence"] == [ev["s_assessed"]]
    assert c["external_inputs_on_record"]["evidence"] == sorted([ev["x1"], ev["x2"], ev["x3"]])
    assert c["public_health_overview"]["evidence"] == sorted([ev["e_pho"], ev["s_cites"], ev["proc"]])
    assert body["summary"] == {"pass": 5, "fail": 0, "unknown": 0}


def test_compliance_as_of_before_adoption_is_unknown_where_the_deadline_has_not_passed(loop, world):
    story, _, client = world
    i = story.ids
    _, body = get(loop, client, f"/api/v1/strategies/{i['S']}/compliance", as_of="2024-03-01")
    assert {k: v["status"] for k, v in checks(body).items()} == {
        "adopted_within_a_year": "unknown",
        "published_30_days_before_treatment": "unknown",
        "kommuneplan_assessed": "pass",
        "external_inputs_on_record": "unknown",
        "public_health_overview": "pass",
    }
    assert "neighbour_municipality" in checks(body)["external_inputs_on_record"]["detail"]


def test_compliance_of_the_late_strategy_fails_where_the_law_was_not_followed(loop, world):
    story, _, client = world
    i, ev = story.ids, story.event
    _, body = get(loop, client, f"/api/v1/strategies/{i['S2']}/compliance")
    c = checks(body)
    assert {k: v["status"] for k, v in c.items()} == {
        "adopted_within_a_year": "fail",
        "published_30_days_before_treatment": "pass",
        "kommuneplan_assessed": "fail",
        "external_inputs_on_record": "fail",
        "public_health_overview": "fail",
    }
    assert "deadline 2020-10-15" in c["adopted_within_a_year"]["detail"]
    assert c["public_health_overview"]["evidence"] == sorted([ev["e_old"], ev["s2_cites"], ev["s2_drafted"]])
    assert c["external_inputs_on_record"]["evidence"] == [ev["x0"]]
    status, _ = get(loop, client, f"/api/v1/strategies/{i['S2']}/compliance", as_of="2019-01-01")
    assert status == 404


def test_queries_are_for_analysts_and_auditors_only(loop, world):
    _, _, client = world
    for role, expected in ((Role.ANALYST, 200), (Role.AUDITOR, 200), (Role.PLANNER, 403), (Role.OPERATOR, 403)):
        status, _ = get(loop, client, "/api/v1/plans/not-anchored", role=role)
        assert status == expected, role
    response = loop.run_until_complete(client.get("/api/v1/plans/not-anchored"))
    assert response.status_code == 401


def test_the_query_functions_answer_without_http_too(loop, world):
    story, driver, _ = world
    body = loop.run_until_complete(queries.plans_not_anchored(driver, utc(2024, 8, 15)))
    assert plan_ids(body) == [story.ids["C"]]


def test_refusals_of_the_queries_are_problem_details_that_name_their_rule(loop, world):
    story, _, client = world

    def problem(path, **params):
        headers = {"Authorization": f"Bearer {DEVELOPMENT_TOKENS[Role.AUDITOR]}"}
        response = loop.run_until_complete(client.get(path, params=params, headers=headers))
        assert response.headers["content-type"] == MEDIA_TYPE, response.text
        body = response.json()
        assert body["status"] == response.status_code and body["type"].startswith("urn:planspor:problem:")
        return response.status_code, body

    status, body = problem("/api/v1/trace/back/strategy-item/no-such-item")
    assert (status, body["rule"], body["type"]) == (404, "strategy_item.exists", "urn:planspor:problem:not-found")
    status, body = problem("/api/v1/strategies/no-such-strategy/compliance")
    assert (status, body["rule"]) == (404, "strategy.exists")
    status, body = problem("/api/v1/plans/count-over-time", interval="month", **{"from": "1900-01-01"})
    assert (status, body["rule"], body["type"]) == (400, "query.periods", "urn:planspor:problem:bad-request")
    status, body = problem("/api/v1/plans/outside-strategy", as_of="2024-03-01", strategy_id=story.ids["S"])
    assert (status, body["rule"]) == (400, "strategy.adopted")


def test_a_graph_that_cannot_be_reached_is_a_503_problem_with_retry_after():
    async def ask() -> httpx.Response:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        driver = neo4j.AsyncGraphDatabase.driver(
            f"bolt://127.0.0.1:{port}", auth=("neo4j", "x"), max_transaction_retry_time=0.2, connection_timeout=1
        )
        app = FastAPI()
        install_problems(app)
        app.include_router(query_router(lambda: driver, Access(parse_tokens(None))))
        try:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://knowledge") as http:
                return await http.get(
                    "/api/v1/plans/not-anchored",
                    headers={"Authorization": f"Bearer {DEVELOPMENT_TOKENS[Role.ANALYST]}"},
                )
        finally:
            await driver.close()

    response = asyncio.run(ask())
    assert response.status_code == 503 and response.headers["retry-after"]
    assert response.json()["rule"] == "graph.unavailable" and str(response.json()["detail"]).startswith("the graph")
