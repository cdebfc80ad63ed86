"""Two times: a 2024 history entered today is answered by when things happened (``as_of``), and read
back as the register stood at an instant (``known_at``); a retracted fact is gone once its retraction
is known.
"""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import httpx
import neo4j
import pytest
from fastapi import FastAPI
from kq_history import IDS, enter, entry_start, project, steps

from knowledge.api import query_router
from knowledge.api.problems import install_problems
from knowledge.graph.queries.plans_over_time import IN_FORCE_STATUSES, plans_over_time
from knowledge.graph.queries.reads import fact, known, live, valid_from, valid_to
from knowledge.graph.queries.rules import periods
from planspor_runtime.access import DEVELOPMENT_TOKENS, Access, Role, parse_tokens
from planspor_shared.events.base import municipal_day

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def loop():
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


@pytest.fixture(scope="module")
def world(loop, neo4j_uri, neo4j_auth):
    driver = neo4j.AsyncGraphDatabase.driver(neo4j_uri, auth=neo4j_auth)
    entered = enter(steps(), entry_start())
    loop.run_until_complete(project(driver, entered.envelopes))
    app = FastAPI()
    install_problems(app)
    app.include_router(query_router(lambda: driver, Access(parse_tokens(None))))
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://knowledge")
    yield entered, driver, client
    loop.run_until_complete(client.aclose())
    loop.run_until_complete(driver.close())


def get(loop, client, path, **params):
    headers = {"Authorization": f"Bearer {DEVELOPMENT_TOKENS[Role.AUDITOR]}"}
    response = loop.run_until_complete(client.get(path, params=params, headers=headers))
    return response.status_code, response.json()


def statuses(body):
    return {c["id"]: c["status"] for c in body["checks"]}


def strategy_statuses(loop, client, **params):
    status, body = get(loop, client, f"/api/v1/trace/back/strategy/{IDS['S']}", **params)
    assert status == 200, body
    return [s["properties"]["status"] for s in body["steps"] if s["label"] == "StrategyStatus"]


def test_a_strategy_adopted_in_june_but_entered_today_is_published_on_june_1_and_adopted_on_june_20(loop, world):
    _, _, client = world
    assert strategy_statuses(loop, client, as_of="2024-06-01") == ["drafted", "published"]
    assert strategy_statuses(loop, client, as_of="2024-06-20") == ["drafted", "published", "adopted"]
    _, june_1 = get(loop, client, f"/api/v1/strategies/{IDS['S']}/compliance", as_of="2024-06-01")
    assert statuses(june_1)["adopted_within_a_year"] == "unknown"
    assert "not treated yet" in next(c for c in june_1["checks"] if c["id"].startswith("published"))["detail"]
    _, june_20 = get(loop, client, f"/api/v1/strategies/{IDS['S']}/compliance", as_of="2024-06-20")
    assert statuses(june_20) == {
        "adopted_within_a_year": "pass",
        "published_30_days_before_treatment": "pass",
        # assessed and the overview cited, but those events carry no date of their own: they count from the day
        # they were entered (today), not by June 2024
        "kommuneplan_assessed": "fail",
        "external_inputs_on_record": "pass",
        "public_health_overview": "fail",
    }
    assert "53 days" in next(c for c in june_20["checks"] if c["id"].startswith("published"))["detail"]
    assert june_20["as_of"] == "2024-06-20" and june_20["known_at"]
    status, refused = get(loop, client, "/api/v1/plans/outside-strategy", as_of="2024-06-01", strategy_id=IDS["S"])
    assert status == 400 and "not adopted as of 2024-06-01" in refused["detail"]


def test_outside_the_strategy_compares_the_proposed_date_with_the_adoption_date_not_the_order_of_entry(loop, world):
    _, _, client = world
    _, body = get(loop, client, "/api/v1/plans/outside-strategy", as_of="2024-12-31", strategy_id=IDS["S"])
    assert [p["id"] for p in body["plans"]] == [IDS["P_OUT"]]  # P_OLD (2015) came before; P_NEW came through IT
    _, all_outside = get(loop, client, "/api/v1/plans/outside-strategy", as_of="2024-12-31")
    assert [p["id"] for p in all_outside["plans"]] == [IDS["P_OLD"], IDS["P_OUT"]]
    assert all_outside["plans"][0]["valid_from"] == "2015-03-01"


def test_overdue_as_of_new_year_2024_lists_the_plan_due_on_new_years_eve_though_it_was_entered_today(loop, world):
    _, _, client = world
    _, body = get(loop, client, "/api/v1/plans/overdue-revision", as_of="2024-01-01")
    assert [(p["id"], p["revision_due"], p["days_overdue"]) for p in body["plans"]] == [(IDS["P_OLD"], "2023-12-31", 1)]
    _, before = get(loop, client, "/api/v1/plans/overdue-revision", as_of="2023-12-31")
    assert before["plans"] == []


def test_plans_over_time_count_by_the_days_they_were_proposed_and_repealed_not_the_day_of_entry(loop, world):
    _, _, client = world
    status, body = get(loop, client, "/api/v1/plans/count-over-time", interval="year", **{"from": "2015-01-01"})
    assert status == 200, body
    periods = {p["period"]: (p["plans"], p["in_force"], p["proposed"], p["ended"]) for p in body["periods"]}
    assert periods["2015"] == (1, 1, 1, 0)
    assert periods["2023"] == (1, 1, 0, 0)
    assert periods["2024"] == (3, 1, 2, 0)
    assert periods["2025"] == (2, 1, 0, 1)


PER_PERIOD = f"""
UNWIND $points AS pt
CALL (pt) {{
  OPTIONAL MATCH (p:Plan) WHERE {fact("p")} AND {live("p", "pt.last")}
  OPTIONAL MATCH (p)-[r:HAD_STATUS]->(s:PlanStatus) WHERE {live("r", "pt.last")}
  RETURN count(DISTINCT p) AS plans, count(DISTINCT CASE WHEN s.status IN $in_force THEN p END) AS in_force
}}
CALL (pt) {{
  OPTIONAL MATCH (p:Plan) WHERE {fact("p")} AND {known("p")} AND {valid_from("p")} >= pt.start
    AND {valid_from("p")} <= pt.last
  RETURN count(p) AS proposed
}}
CALL (pt) {{
  OPTIONAL MATCH (p:Plan) WHERE {fact("p")} AND {known("p")} AND p.until <= $known_at
    AND {valid_to("p")} >= pt.start AND {valid_to("p")} <= pt.last
  RETURN count(p) AS ended
}}
RETURN pt.label AS period, plans, in_force, proposed, ended ORDER BY pt.start
"""
"""The definition of each period's figures, read per period (what ``plans_over_time`` did before it read every
plan once and summed the days on which a count changes): the two must agree."""


def test_plans_over_time_agree_with_the_figures_asked_period_by_period_at_every_time(loop, world):
    entered, driver, _ = world
    instants = sorted(entered.occurred_at.values())
    frames = [
        (as_of, known_at)
        for as_of in (date(2023, 12, 31), date(2024, 6, 20), date(2025, 3, 1), municipal_day(instants[-1]))
        for known_at in (instants[len(instants) // 3], instants[2 * len(instants) // 3], instants[-1])
    ]
    compared = 0
    for as_of, known_at in frames:
        for interval, first in (("year", date(2014, 1, 1)), ("month", date(2023, 9, 1))):
            answer = loop.run_until_complete(plans_over_time(driver, interval, first, as_of=as_of, known_at=known_at))
            points = [
                {"label": label, "start": max(start, first), "last": min(end - timedelta(days=1), as_of)}
                for label, start, end in periods(interval, first, as_of)
            ]
            expected = loop.run_until_complete(
                _rows(
                    driver, PER_PERIOD, points=points, in_force=list(IN_FORCE_STATUSES), as_of=as_of, known_at=known_at
                )
            )
            assert answer["periods"] == expected, (as_of, known_at, interval)
            compared += sum(p["plans"] + p["proposed"] + p["ended"] for p in expected)
    assert compared > 0, "the history has plans in these frames"


async def _rows(driver, query, **params):
    async with driver.session() as session:
        result = await session.run(query, params)
        return [record.data() async for record in result]


def test_a_trace_lists_its_steps_in_effective_order_with_both_dates(loop, world):
    entered, _, client = world
    status, body = get(loop, client, f"/api/v1/trace/back/decision/{IDS['D']}")
    assert status == 200, body
    firsts = [s["events"][0] for s in body["steps"] if s["events"]]
    assert [e["valid_on"] for e in firsts] == sorted(e["valid_on"] for e in firsts)
    assert all(
        (s["valid_on"], s["occurred_at"]) == (s["events"][0]["valid_on"], s["events"][0]["occurred_at"])
        for s in body["steps"]
        if s["events"]
    )
    order = [s["id"] for s in body["steps"]]
    assert order.index(IDS["IN1"]) < order.index(IDS["N1"]) < order.index(IDS["REC"]) < order.index(IDS["S"])
    # entered in the order it happened here, but what counts is the effective day: the workshop (held
    # 2023-11-15) comes before the strategy drafted 2024-01-15, though both were recorded today
    workshop = next(s for s in body["steps"] if s["id"] == IDS["W1"])
    held = next(e for e in workshop["events"] if e["type"] == "workshop.held")
    assert held["valid_on"] == "2023-11-15" and held["occurred_at"].startswith(
        str(entered.occurred_at["w1_held"].date())
    )
    assert workshop["events"][0]["id"] == entered.event["w1_held"]  # held in 2023, scheduled (undated) today


def test_known_at_before_an_event_was_recorded_does_not_see_it(loop, world):
    entered, _, client = world
    adopted_at = entered.occurred_at["s_adopted"]
    just_before = (adopted_at - timedelta(seconds=1)).isoformat()
    assert strategy_statuses(loop, client, as_of="2024-06-20", known_at=just_before) == ["drafted", "published"]
    assert strategy_statuses(loop, client, as_of="2024-06-20", known_at=adopted_at.isoformat()) == [
        "drafted",
        "published",
        "adopted",
    ]
    _, body = get(loop, client, f"/api/v1/strategies/{IDS['S']}/compliance", as_of="2024-06-20", known_at=just_before)
    assert statuses(body)["adopted_within_a_year"] == "unknown" and body["known_at"].startswith(just_before[:19])
    before_all = (entered.occurred_at["g"] - timedelta(days=1)).date().isoformat()
    status, _ = get(loop, client, f"/api/v1/trace/back/strategy/{IDS['S']}", known_at=before_all)
    assert status == 404


def test_a_fact_retracted_by_a_correction_is_gone_for_known_at_after_it_and_there_before(loop, world):
    entered, driver, client = world
    retracted_at = entered.occurred_at["p_out_repealed"] + timedelta(minutes=5)

    async def retract(value):
        async with driver.session() as session:
            await session.run(
                "MATCH (d:Decision {id: $d})-[a:ADOPTED]->(:Strategy) SET d.retracted_at = $t, a.retracted_at = $t "
                "WITH 1 AS one MATCH (:Strategy {id: $s})-[h:HAD_STATUS]->(st:StrategyStatus {status: 'adopted'}) "
                "SET st.retracted_at = $t, h.retracted_at = $t",
                d=IDS["D"],
                s=IDS["S"],
                t=value,
            )

    loop.run_until_complete(retract(retracted_at))
    try:
        after = (retracted_at + timedelta(seconds=1)).isoformat()
        before = (retracted_at - timedelta(seconds=1)).isoformat()
        # the trace keeps the record: the withdrawn adoption is there, marked retracted, once that is known
        _, body = get(loop, client, f"/api/v1/trace/back/strategy/{IDS['S']}", as_of="2024-06-20", known_at=after)
        standing = [s["properties"]["status"] for s in body["steps"] if s["label"] == "StrategyStatus"]
        marked = [
            s["properties"].get("retracted_at") is not None for s in body["steps"] if s["label"] == "StrategyStatus"
        ]
        assert standing == ["drafted", "published", "adopted"] and marked == [False, False, True]
        assert strategy_statuses(loop, client, as_of="2024-06-20", known_at=before)[-1] == "adopted"
        _, earlier = get(loop, client, f"/api/v1/trace/back/strategy/{IDS['S']}", as_of="2024-06-20", known_at=before)
        assert all("retracted_at" not in s["properties"] for s in earlier["steps"])
        status, voided = get(loop, client, f"/api/v1/trace/back/decision/{IDS['D']}", known_at=after)
        assert status == 200
        assert next(s for s in voided["steps"] if s["id"] == IDS["D"])["properties"].get("retracted_at")
        _, body = get(loop, client, f"/api/v1/strategies/{IDS['S']}/compliance", known_at=after)
        assert statuses(body)["adopted_within_a_year"] == "fail"  # not adopted, and the deadline has passed
    finally:
        loop.run_until_complete(retract(None))


def test_a_fact_written_before_valid_time_existed_counts_from_the_day_it_was_recorded(loop, world):
    entered, driver, client = world
    entry_day = municipal_day(entered.occurred_at["p_new"])

    async def set_valid_from(value):
        async with driver.session() as session:
            await session.run("MATCH (p:Plan {id: $p}) SET p.valid_from = $v", p=IDS["P_NEW"], v=value)

    def proposed_in_month_of(day: date) -> int:
        first = day.replace(day=1)
        _, body = get(loop, client, "/api/v1/plans/count-over-time", interval="month", **{"from": first.isoformat()})
        return body["periods"][0]["proposed"]

    def not_anchored(day):
        _, body = get(loop, client, "/api/v1/plans/not-anchored", as_of=day)
        return [p["id"] for p in body["plans"]]

    in_august, in_entry_month = proposed_in_month_of(date(2024, 8, 1)), proposed_in_month_of(entry_day)
    assert IDS["P_NEW"] in not_anchored("2024-12-31")  # proposed 2024-08-01
    loop.run_until_complete(set_valid_from(None))
    try:
        # no valid time: it counts from since, the day it was entered
        assert proposed_in_month_of(date(2024, 8, 1)) == in_august - 1
        assert proposed_in_month_of(entry_day) == in_entry_month + 1
        # the lists read their pages from the index on valid_from: such a plan is listed once the graph is rebuilt
        assert IDS["P_NEW"] not in not_anchored(entry_day.isoformat())
    finally:
        loop.run_until_complete(set_valid_from(date(2024, 8, 1)))
    assert IDS["P_NEW"] in not_anchored("2024-12-31")


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"as_of": "2024-02-30"}, "as_of"),
        ({"as_of": "next week"}, "as_of"),
        ({"as_of": "FUTURE"}, "as_of"),
        ({"known_at": "2024-03-01 noon"}, "known_at"),
    ],
)
def test_a_malformed_or_future_time_is_a_422_that_names_the_parameter_and_its_format(loop, world, params, name):
    _, _, client = world
    if params.get("as_of") == "FUTURE":
        params = {"as_of": (municipal_day(entry_start()) + timedelta(days=2)).isoformat()}
    for path in (
        f"/api/v1/trace/back/strategy/{IDS['S']}",
        f"/api/v1/trace/forward/input/{IDS['IN1']}",
        "/api/v1/plans/overdue-revision",
        "/api/v1/plans/count-over-time",
        f"/api/v1/strategies/{IDS['S']}/compliance",
    ):
        status, body = get(loop, client, path, **params)
        assert status == 422, (path, body)
        assert body["rule"] == f"request.{name}" and name in body["detail"] and "YYYY-MM-DD" in body["detail"]
