"""What the pages compute from the services' answers: the timeline's order, the trace as a graph, the plan
hierarchy and the counts by year, the journey of an input, and how the client reads answers and errors."""

from __future__ import annotations

import asyncio
from datetime import date

import httpx
import pytest
from portal_fakes import (
    DECISION,
    DECISIONS,
    FAKE_PAGE,
    FORWARD,
    KDP,
    NEW,
    PLANS,
    SAMFUNNSDEL,
    TRACE,
    WORKSHOP,
    FakePlatform,
)

from planspor_runtime.access import DEVELOPMENT_TOKENS, Role
from portal.client import Call, Page, ServiceError, Services, TimeFrame, cypher_rows_as_table, wall_seconds
from portal.views.forward import journeys
from portal.views.plan_system import bars, counts_by_year, hierarchy
from portal.views.timeline import graph_elements, timeline

pytestmark = pytest.mark.unit


def test_the_timeline_goes_from_the_seminar_to_the_vote_whatever_order_the_trace_came_in():
    shuffled = {**TRACE, "steps": list(reversed(TRACE["steps"]))}
    stages = timeline(shuffled, DECISIONS[0])
    assert [s.key for s in stages] == [
        "workshops",
        "inputs",
        "plan_needs",
        "prioritisation",
        "recommendation",
        "draft",
        "publication",
        "meeting",
        "amendments",
        "votes",
    ]
    workshop = stages[0].entries[0]
    assert (workshop.id, workshop.effective, workshop.link) == (WORKSHOP, "2022-04-29", f"/workshops/{WORKSHOP}")
    assert workshop.recorded == "2026-12-01T10:00:00+00:00"


def test_an_input_has_the_day_of_the_workshop_it_was_raised_at_and_a_plan_need_has_no_day_it_lacks():
    stages = {s.key: s for s in timeline(TRACE)}
    assert stages["inputs"].entries[0].effective == "2022-04-29"
    assert stages["plan_needs"].entries[0].effective is None


def test_ballots_are_listed_under_their_prioritisation_by_who_cast_them():
    prioritisation = next(s for s in timeline(TRACE) if s.key == "prioritisation").entries[0]
    assert [b.title for b in prioritisation.children] == ["Folkevalgt 1 (H)"]


def test_within_a_stage_the_day_it_happened_orders_the_entries():
    steps = [
        {
            "label": "ExternalInput",
            "id": f"x{day}",
            "properties": {"received_on": f"2024-03-{day:02d}"},
            "events": [{"occurred_at": f"2026-01-{40 - day:02d}"}],
        }
        for day in (20, 5, 12)
    ]
    stage = timeline({"start": {"label": "Strategy", "id": "s"}, "steps": steps})[0]
    assert [e.id for e in stage.entries] == ["x5", "x12", "x20"]


def test_the_trace_as_a_graph_points_every_relationship_its_own_way():
    elements = graph_elements(TRACE)
    edges = {e["data"]["label"]: (e["data"]["source"], e["data"]["target"]) for e in elements if "source" in e["data"]}
    assert edges["ADOPTED"] == (DECISION, TRACE["steps"][0]["id"])
    assert edges["CAST"] == ("p-1", "ballot-1")
    assert edges["RAISED_AT"] == ("in-1", WORKSHOP)
    nodes = [e for e in elements if "source" not in e["data"]]
    assert len(nodes) == len({n["data"]["id"] for n in nodes}) == len(TRACE["steps"])


def test_the_hierarchy_hangs_every_plan_under_its_parent_and_keeps_the_unplaced_apart():
    placed, unplaced = hierarchy(PLANS)
    assert [n.plan["id"] for n in placed] == [SAMFUNNSDEL]
    assert [c.plan["id"] for c in placed[0].children] == [KDP]
    assert [n.plan["id"] for n in unplaced] == [NEW]
    assert sum(n.count() for n in placed + unplaced) == len(PLANS)


def test_plans_are_counted_by_the_year_they_began_and_ended_not_the_day_they_were_entered():
    ended = {
        **PLANS[1],
        "id": "old",
        "ended_on": "2021-05-01",
        "status_history": [{"status": "in_force", "on": "2015-01-01"}, {"status": "repealed", "on": "2021-05-01"}],
    }
    years = {y.year: y for y in counts_by_year([*PLANS, ended], today=date(2024, 12, 31))}
    assert min(years) == 2015 and max(years) == 2024
    assert (years[2015].plans, years[2018].plans, years[2019].plans) == (1, 2, 3)
    assert years[2021].plans == 2 and years[2021].ended == 1
    assert years[2024].plans == 3 and years[2024].started == 1 and years[2024].in_force == 2


def test_the_tallest_bar_leaves_room_for_its_number():
    drawn = bars([("2023", 10), ("2024", 5)], height=200)
    assert drawn[0].y == 16 and drawn[1].height == pytest.approx(92)


def test_an_adopted_input_passes_every_milestone_and_a_dropped_one_stops_where_it_stopped():
    adopted = journeys(FORWARD)[0]
    assert [m.state for m in adopted.milestones] == ["done"] * 5 and adopted.decision_id == DECISION
    need = {
        **FORWARD["plan_needs"][0],
        "prioritisations": [{"id": "p", "made": True, "rank": None}],
        "recommendations": [],
        "items": [],
        "judgement": {"stage": "prioritisation", "outcome": "dropped", "where": {}},
    }
    dropped = journeys({"plan_needs": [need]})[0]
    assert [(m.key, m.state) for m in dropped.milestones] == [("need", "done"), ("prioritisation", "stopped")]
    waiting = {
        **need,
        "prioritisations": [],
        "process_prioritisation_made": False,
        "judgement": {"stage": "proposed", "outcome": "pending"},
    }
    assert [m.state for m in journeys({"plan_needs": [waiting]})[0].milestones] == ["done", "waiting"]


def test_problem_details_and_older_error_bodies_are_read_alike():
    problem = httpx.Response(
        422,
        json={
            "type": "https://planspor.no/problems/rule",
            "title": "Rule broken",
            "status": 422,
            "detail": "published 2024-09-20, 30 days required",
            "rule": "strategy.published_30_days_before_meeting",
            "errors": [{"x": 1}],
        },
        headers={"content-type": "application/problem+json"},
    )
    error = ServiceError.of("plan-registry", problem)
    assert (error.status, error.title, error.rule, error.errors) == (
        422,
        "Rule broken",
        "strategy.published_30_days_before_meeting",
        [{"x": 1}],
    )
    legacy = ServiceError.of(
        "plan-registry", httpx.Response(409, json={"error": "plan.anchored_once", "message": "already anchored"})
    )
    assert (legacy.rule, legacy.detail) == ("plan.anchored_once", "already anchored")
    validation = ServiceError.of("knowledge", httpx.Response(422, json={"detail": [{"msg": "not a date"}]}))
    assert validation.detail == "not a date" and validation.errors == [{"msg": "not a date"}]
    assert ServiceError.of("knowledge", httpx.Response(502, text="Bad Gateway")).detail == "Bad Gateway"


def test_a_list_route_answers_a_page_with_the_cursor_of_the_next():
    assert Page.of({"items": [{"id": 2}], "next": "c2"}) == Page([{"id": 2}], "c2")
    assert Page.of({"items": [{"id": 3}], "next": None}) == Page([{"id": 3}], None)
    assert Page.of([{"id": 1}]) == Page([{"id": 1}], None)


def test_the_time_frame_sends_only_what_it_was_given():
    assert TimeFrame().params() == {}
    assert TimeFrame(as_of=date(2024, 6, 30)).params() == {"as_of": "2024-06-30"}


def test_calls_made_side_by_side_count_once_in_the_time_waited():
    calls = [
        Call("a", "GET", "/", 200, 0.0, 1.0),
        Call("b", "GET", "/", 200, 0.5, 1.0),
        Call("c", "GET", "/", 200, 3.0, 0.5),
    ]
    assert wall_seconds(calls) == pytest.approx(2.0)


def test_cypher_cells_are_text_and_nodes_stay_readable():
    columns, rows = cypher_rows_as_table(
        {
            "columns": ["n", "ok", "none"],
            "rows": [{"n": {"labels": ["Plan"], "properties": {"title": "Klima"}}, "ok": True, "none": None}],
        }
    )
    assert columns == ["n", "ok", "none"]
    assert rows == [['{"labels": ["Plan"], "properties": {"title": "Klima"}}', "true", ""]]


def test_the_portal_follows_next_until_the_last_page_so_it_never_shows_only_the_first():
    fake = FakePlatform()
    urls = {name: f"http://localhost:{port}" for name, port in (("plan-registry", 8001), ("cocreation", 8002))}
    services = Services(urls, transport=fake.transport())
    api = services.as_user(DEVELOPMENT_TOKENS[Role.ANALYST]).plan_registry

    async def ask() -> tuple[Page, Page]:
        try:
            return await api.plans(), await api.plans(limit=2)
        finally:
            await services.aclose()

    every, first = asyncio.run(ask())
    assert [p["id"] for p in every.items] == [p["id"] for p in PLANS] and every.next_cursor is None
    assert len(PLANS) > FAKE_PAGE and first.items == PLANS[:FAKE_PAGE] and first.next_cursor is not None
    cursors = [params.get("cursor") for path, params in fake.params if path == "/api/v1/plans"]
    assert cursors == [None, str(FAKE_PAGE), None], "every page of the whole list, then the first page alone"
