"""The strategy follow-up through the period, on a real Neo4j: a history of 2020-2025 entered today is
answered by when things happened (``as_of``) and as the register knew it (``known_at``).

1. Planstrategi 2020-2023 (S0) adopted 2020-06-17.
2. Planstrategi 2024-2027 (S) drafted 2024-01-15 with three items: a new mobility plan (2025), the climate
   plan of 2015 revised (2024), the samfunnsdel continued (2028); adopted 2024-06-12 by decision D,
   whose adopted amendment 1 adds a new sports plan (2026); amendment 2 fell.
3. After: the mobility plan proposed 2024-08-01 through its item, in preparation 2024-10-01, adopted
   2025-03-01; the climate plan's notice of start 2024-11-01; a culture plan proposed 2024-09-01 outside
   the strategy.
"""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import httpx
import neo4j
import pytest
from fastapi import FastAPI
from kq_history import Step, enter, entry_start, project

from knowledge.api import query_router
from knowledge.api.problems import install_problems
from planspor_runtime.access import DEVELOPMENT_TOKENS, Access, Role, parse_tokens
from planspor_shared.events import plan_registry as pr
from planspor_shared.events.base import Body, PlanType, StrategyAction, municipal_day

pytestmark = pytest.mark.integration

IDS = {
    name: f"fu-{name.lower().replace('_', '-')}"
    for name in ("S0", "D0", "S", "D", "IT_NEW", "IT_REV", "IT_CONT", "IT_AM", "P_OLD", "P_SAM", "P_NEW", "P_OUT")
}
STATUS = pr.PlanStatus


def history() -> list[Step]:
    i = IDS
    out: list[Step] = []

    def r(name: str, chain: str, payload) -> None:
        out.append(Step(f"follow-up/{name}", "plan-registry", chain, payload))

    for key, title, plan_type, proposed in (
        ("P_OLD", "Klimaplan", PlanType.TEMAPLAN, date(2015, 3, 1)),
        ("P_SAM", "Kommuneplanens samfunnsdel", PlanType.KOMMUNEPLAN_SAMFUNNSDEL, date(2019, 1, 10)),
    ):
        chain = key.lower()
        r(
            chain,
            chain,
            pr.PlanProposed(
                plan_id=i[key],
                title=title,
                plan_type=plan_type,
                owning_unit="Strategi og plan",
                initiated_through_strategy=False,
                proposed_on=proposed,
            ),
        )
        r(
            f"{chain}_in_force",
            chain,
            pr.PlanStatusChanged(
                plan_id=i[key],
                from_status=STATUS.PROPOSED,
                to_status=STATUS.IN_FORCE,
                changed_on=proposed.replace(month=6),
            ),
        )
    for key, decision, title, period, drafted, adopted, amendments in (
        ("S0", "D0", "Planstrategi 2020-2023", "2020-2023", date(2020, 1, 10), date(2020, 6, 17), ()),
        (
            "S",
            "D",
            "Planstrategi 2024-2027",
            "2024-2027",
            date(2024, 1, 15),
            date(2024, 6, 12),
            (
                pr.Amendment(number=1, text="Ny idrettsplan", proposed_by="Ap", adopted=True),
                pr.Amendment(number=2, text="Ingen ny plan", proposed_by="FrP", adopted=False),
            ),
        ),
    ):
        chain = key.lower()
        r(
            f"{chain}_drafted",
            chain,
            pr.StrategyDrafted(
                strategy_id=i[key],
                title=title,
                election_period=period,
                council_constituted_on=drafted.replace(year=drafted.year - 1, month=10, day=19),
                drafted_on=drafted,
            ),
        )
        if key == "S":
            for item, action, plan, timing in (
                ("IT_NEW", StrategyAction.NEW, None, "2025"),
                ("IT_REV", StrategyAction.REVISE, "P_OLD", "2024"),
                ("IT_CONT", StrategyAction.CONTINUE, "P_SAM", "2028"),
            ):
                r(
                    item.lower(),
                    chain,
                    pr.StrategyItemSet(
                        strategy_id=i[key],
                        item_id=i[item],
                        action=action,
                        plan_id=i[plan] if plan else None,
                        plan_title="Mobilitetsplan" if plan is None else None,
                        timing=timing,
                        rationale="Fra administrasjonen",
                        origin=pr.ItemOrigin.ADMINISTRATION,
                        set_on=drafted,
                    ),
                )
        r(
            decision.lower(),
            chain,
            pr.DecisionRecorded(
                decision_id=i[decision],
                body=Body.MUNICIPAL_COUNCIL,
                case_number=f"{adopted.year % 100}/100",
                meeting_date=adopted,
                subject=title,
                outcome=pr.DecisionOutcome.ADOPTED_WITH_AMENDMENTS if amendments else pr.DecisionOutcome.ADOPTED,
                amendments=amendments,
                strategy_id=i[key],
            ),
        )
        if key == "S":
            r(
                "it_am",
                chain,
                pr.StrategyItemSet(
                    strategy_id=i[key],
                    item_id=i["IT_AM"],
                    action=StrategyAction.NEW,
                    plan_title="Idrettsplan",
                    timing="2026",
                    rationale="Kommunestyrets endringsforslag 1",
                    origin=pr.ItemOrigin.COUNCIL_AMENDMENT,
                    decision_id=i[decision],
                    amendment_number=1,
                    set_on=adopted,
                ),
            )
        r(
            f"{chain}_adopted",
            chain,
            pr.StrategyAdopted(strategy_id=i[key], decision_id=i[decision], adopted_on=adopted),
        )
    r(
        "p_new",
        "p_new",
        pr.PlanProposed(
            plan_id=i["P_NEW"],
            title="Mobilitetsplan",
            plan_type=PlanType.TEMAPLAN,
            owning_unit="Samferdsel",
            initiated_through_strategy=True,
            strategy_id=i["S"],
            strategy_item_id=i["IT_NEW"],
            proposed_on=date(2024, 8, 1),
        ),
    )
    r(
        "p_out",
        "p_out",
        pr.PlanProposed(
            plan_id=i["P_OUT"],
            title="Kulturplan",
            plan_type=PlanType.TEMAPLAN,
            owning_unit="Kultur",
            initiated_through_strategy=False,
            proposed_on=date(2024, 9, 1),
        ),
    )
    for name, plan, before, after, day in (
        ("p_new_preparing", "P_NEW", STATUS.PROPOSED, STATUS.IN_PREPARATION, date(2024, 10, 1)),
        ("p_old_notice", "P_OLD", STATUS.IN_FORCE, STATUS.NOTICE_OF_START, date(2024, 11, 1)),
        ("p_new_adopted", "P_NEW", STATUS.IN_PREPARATION, STATUS.ADOPTED, date(2025, 3, 1)),
    ):
        r(
            name,
            plan.lower(),
            pr.PlanStatusChanged(plan_id=i[plan], from_status=before, to_status=after, changed_on=day),
        )
    return out


@pytest.fixture(scope="module")
def loop():
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


@pytest.fixture(scope="module")
def world(loop, neo4j_uri, neo4j_auth):
    driver = neo4j.AsyncGraphDatabase.driver(neo4j_uri, auth=neo4j_auth)
    entered = enter(history(), entry_start())
    loop.run_until_complete(project(driver, entered.envelopes))
    app = FastAPI()
    install_problems(app)
    app.include_router(query_router(lambda: driver, Access(parse_tokens(None))))
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://knowledge")
    yield entered, client
    loop.run_until_complete(client.aclose())
    loop.run_until_complete(driver.close())


def get(loop, client, path, role=Role.PLANNER, **params):
    headers = {"Authorization": f"Bearer {DEVELOPMENT_TOKENS[role]}"}
    response = loop.run_until_complete(client.get(path, params=params, headers=headers))
    return response.status_code, response.json()


def follow_up(loop, client, **params):
    status, body = get(loop, client, f"/api/v1/strategies/{IDS['S']}/follow-up", **params)
    assert status == 200, body
    return body


def statuses(body) -> dict[str, str]:
    names = {value: key for key, value in IDS.items()}
    return {names[row["item_id"]]: row["status"] for row in body["items"]}


def test_the_strategy_in_force_is_the_one_adopted_last_on_or_before_the_day(loop, world):
    _, client = world
    _, june_11 = get(loop, client, "/api/v1/follow-up", as_of="2024-06-11")
    assert june_11["strategy"]["id"] == IDS["S0"] and june_11["since"] == "2020-06-17"
    _, june_12 = get(loop, client, "/api/v1/follow-up", as_of="2024-06-12")
    assert june_12["strategy"]["id"] == IDS["S"] and june_12["strategy"]["decision_id"] == IDS["D"]
    _, before_any = get(loop, client, "/api/v1/follow-up", as_of="2020-06-16")
    assert before_any["strategy"] is None and before_any["items"] == [] and before_any["as_of"] == "2020-06-16"


def test_each_item_is_not_started_then_under_way_then_adopted_or_late_by_the_day_asked_about(loop, world):
    _, client = world
    first = follow_up(loop, client, as_of="2024-07-01")
    assert statuses(first) == {
        "IT_NEW": "not_started",
        "IT_REV": "not_started",
        "IT_CONT": "continued",
        "IT_AM": "not_started",
    }
    assert first["counts"]["not_started"] == 3 and first["counts"]["continued"] == 1
    assert statuses(follow_up(loop, client, as_of="2024-08-15"))["IT_NEW"] == "work_started", "proposed 1 August"
    december = follow_up(loop, client, as_of="2024-12-01")
    assert statuses(december)["IT_REV"] == "planprogram", "the climate plan's notice of start, 1 November"
    new = next(row for row in december["items"] if row["item_id"] == IDS["IT_NEW"])
    assert [p["id"] for p in new["plans"]] == [IDS["P_NEW"]], "the plan started through the item"
    assert [(s["status"], s["on"]) for s in new["steps"]] == [
        ("proposed", "2024-08-01"),
        ("in_preparation", "2024-10-01"),
    ]
    assert all(s["event"] for s in new["steps"])
    revised = next(row for row in december["items"] if row["item_id"] == IDS["IT_REV"])
    assert [(s["status"], s["on"]) for s in revised["steps"]] == [("notice_of_start", "2024-11-01")], (
        "the plan's steps before the adoption (proposed 2015, in force 2015) are not the strategy's follow-up"
    )
    january = follow_up(loop, client, as_of="2025-01-15")
    assert statuses(january)["IT_REV"] == "late", "its timing (2024) is over and it is not adopted"
    assert statuses(january)["IT_NEW"] == "work_started", "2025 is not over"
    assert statuses(follow_up(loop, client, as_of="2025-06-01"))["IT_NEW"] == "adopted", "adopted 1 March 2025"
    assert [row["due"] for row in january["items"]] == [2024, 2025, 2026, 2028], "ordered by the intended year"


def test_a_fact_known_only_after_known_at_is_not_shown(loop, world):
    entered, client = world
    recorded = entered.occurred_at["follow-up/p_new_adopted"]
    before = (recorded - timedelta(seconds=1)).isoformat()
    assert statuses(follow_up(loop, client, as_of="2025-06-01", known_at=before))["IT_NEW"] == "work_started"
    assert statuses(follow_up(loop, client, as_of="2025-06-01", known_at=recorded.isoformat()))["IT_NEW"] == "adopted"
    out_recorded = entered.occurred_at["follow-up/p_out"]
    unknown = follow_up(loop, client, as_of="2025-06-01", known_at=(out_recorded - timedelta(seconds=1)).isoformat())
    assert unknown["outside"] == []
    known = follow_up(loop, client, as_of="2025-06-01", known_at=out_recorded.isoformat())
    assert [(p["id"], p["started_on"]) for p in known["outside"]] == [(IDS["P_OUT"], "2024-09-01")]


def test_plans_started_outside_the_strategy_since_its_adoption_and_the_council_s_amendments(loop, world):
    _, client = world
    august = follow_up(loop, client, as_of="2024-08-31")
    assert august["outside"] == [], "the culture plan was proposed on 1 September; the mobility plan is inside"
    body = follow_up(loop, client, as_of="2024-12-31")
    assert [p["id"] for p in body["outside"]] == [IDS["P_OUT"]], "the plans of 2015 and 2019 came before"
    assert [(a["decision_id"], a["number"], a["text"], a["items_set"]) for a in body["amendments"]] == [
        (IDS["D"], 1, "Ny idrettsplan", [IDS["IT_AM"]])
    ], "amendment 2 fell"
    amended = next(row for row in body["items"] if row["item_id"] == IDS["IT_AM"])
    assert (amended["origin"], amended["amendment_number"], amended["plan_title"]) == (
        "council_amendment",
        1,
        "Idrettsplan",
    )


def test_a_strategy_not_adopted_by_the_day_is_a_400_and_an_unknown_one_a_404(loop, world):
    _, client = world
    status, body = get(loop, client, f"/api/v1/strategies/{IDS['S']}/follow-up", as_of="2024-06-11")
    assert status == 400 and body["rule"] == "strategy.adopted" and "2024-06-11" in body["detail"]
    status, body = get(loop, client, "/api/v1/strategies/fu-nowhere/follow-up")
    assert status == 404 and body["rule"] == "strategy.exists"


@pytest.mark.parametrize("as_of", ["2024-02-30", "next week", "FUTURE"])
def test_a_malformed_or_future_as_of_is_a_422_naming_the_parameter(loop, world, as_of):
    _, client = world
    if as_of == "FUTURE":
        as_of = (municipal_day(entry_start()) + timedelta(days=2)).isoformat()
    for path in ("/api/v1/follow-up", f"/api/v1/strategies/{IDS['S']}/follow-up"):
        status, body = get(loop, client, path, as_of=as_of)
        assert status == 422, (path, body)
        assert body["rule"] == "request.as_of" and "YYYY-MM-DD" in body["detail"]


def test_planners_analysts_and_auditors_may_ask_and_a_facilitator_may_not(loop, world):
    _, client = world
    for role in (Role.PLANNER, Role.ANALYST, Role.AUDITOR):
        assert get(loop, client, "/api/v1/follow-up", role=role)[0] == 200
    assert get(loop, client, "/api/v1/follow-up", role=Role.FACILITATOR)[0] == 403
