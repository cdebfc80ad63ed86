"""The rules behind the query answers, without a database: legal checks, the fate of an input, periods, as_of."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from knowledge.api.params import time_frame
from knowledge.errors import QueryRefused
from knowledge.graph.queries.rules import (
    add_years,
    assess_compliance,
    judge_input,
    judge_need,
    periods,
)
from knowledge.graph.queries.times import TimeFrame, parse_as_of, parse_known_at, resolve_frame
from planspor_runtime.problems import ProblemError
from planspor_shared.events.base import municipal_day

pytestmark = pytest.mark.unit


# --- compliance ---------------------------------------------------------------------------------------


def facts(**changes):
    base = {
        "council_constituted_on": date(2023, 10, 19),
        "drafted": {"on": date(2024, 1, 15), "event": "e-drafted"},
        "published": {"on": date(2024, 4, 1), "planned_meeting_on": date(2024, 6, 12), "event": "e-published"},
        "adopted": {
            "on": date(2024, 6, 12),
            "event": "e-adopted",
            "decision_id": "d",
            "decision_event": "e-decision",
            "meeting_date": date(2024, 6, 12),
        },
        "assessment": {"samfunnsdel": "continue", "arealdel": "revise", "event": "e-assessed"},
        "external_inputs": [
            {"party_kind": "state", "from_party": "Statsforvalteren", "received_on": date(2024, 2, 1), "event": "e-x1"},
            {"party_kind": "regional", "from_party": "Fylket", "received_on": date(2024, 2, 2), "event": "e-x2"},
            {
                "party_kind": "neighbour_municipality",
                "from_party": "Asker",
                "received_on": date(2024, 2, 3),
                "event": "e-x3",
            },
            {"party_kind": "other", "from_party": "Idrettsrådet", "received_on": date(2024, 2, 4), "event": "e-x4"},
        ],
        "evidence": [
            {"kind": "public_health_overview", "dated": date(2023, 8, 15), "title": "FHO", "events": ["e-ev", "e-cite"]}
        ],
        "work_started_on": date(2023, 11, 1),
        "work_started_event": "e-process",
    }
    base.update(changes)
    return base


def statuses(checks):
    return {c["id"]: c["status"] for c in checks}


def test_a_strategy_that_followed_the_law_passes_every_check_with_its_evidence():
    checks = assess_compliance(facts(), date(2025, 1, 1))
    assert set(statuses(checks).values()) == {"pass"}
    by_id = {c["id"]: c for c in checks}
    assert by_id["external_inputs_on_record"]["evidence"] == ["e-x1", "e-x2", "e-x3"]  # "other" is not evidence here
    assert by_id["public_health_overview"]["evidence"] == ["e-cite", "e-ev", "e-process"]
    assert [c["paragraph"] for c in checks] == ["PBL §10-1"] * 4 + ["folkehelseloven §5, §6"]


def test_adopted_one_day_after_the_anniversary_fails_on_the_day_passes():
    on_time = facts(adopted={**facts()["adopted"], "on": date(2024, 10, 19), "meeting_date": date(2024, 10, 19)})
    late = facts(adopted={**facts()["adopted"], "on": date(2024, 10, 20), "meeting_date": date(2024, 10, 20)})
    assert statuses(assess_compliance(on_time, date(2025, 1, 1)))["adopted_within_a_year"] == "pass"
    assert statuses(assess_compliance(late, date(2025, 1, 1)))["adopted_within_a_year"] == "fail"


def test_not_adopted_is_unknown_before_the_deadline_and_fails_after_it():
    pending = facts(adopted=None)
    assert statuses(assess_compliance(pending, date(2024, 10, 19)))["adopted_within_a_year"] == "unknown"
    assert statuses(assess_compliance(pending, date(2024, 10, 20)))["adopted_within_a_year"] == "fail"


@pytest.mark.parametrize(("published_on", "expected"), [(date(2024, 5, 13), "pass"), (date(2024, 5, 14), "fail")])
def test_publication_needs_thirty_days_before_the_meeting(published_on, expected):
    checks = assess_compliance(
        facts(published={"on": published_on, "planned_meeting_on": None, "event": "p"}), date(2025, 1, 1)
    )
    assert statuses(checks)["published_30_days_before_treatment"] == expected


def test_adopted_without_publication_fails_and_published_but_untreated_is_unknown():
    assert (
        statuses(assess_compliance(facts(published=None), date(2025, 1, 1)))["published_30_days_before_treatment"]
        == "fail"
    )
    checks = assess_compliance(facts(adopted=None), date(2024, 5, 1))
    check = next(c for c in checks if c["id"] == "published_30_days_before_treatment")
    assert check["status"] == "unknown" and "72 days after" in check["detail"]


def test_missing_steps_fail_once_adopted_and_are_unknown_before():
    missing = facts(assessment=None, external_inputs=[], evidence=[])
    after = statuses(assess_compliance(missing, date(2025, 1, 1)))
    assert [after[k] for k in ("kommuneplan_assessed", "external_inputs_on_record", "public_health_overview")] == [
        "fail"
    ] * 3
    before = statuses(assess_compliance({**missing, "adopted": None}, date(2024, 3, 1)))
    assert [before[k] for k in ("kommuneplan_assessed", "external_inputs_on_record", "public_health_overview")] == [
        "unknown"
    ] * 3


def test_a_public_health_overview_more_than_four_years_old_at_the_start_fails():
    old = [{"kind": "public_health_overview", "dated": date(2019, 10, 31), "title": "old", "events": ["e-old"]}]
    exactly = [{"kind": "public_health_overview", "dated": date(2019, 11, 1), "title": "ok", "events": ["e-ok"]}]
    assert statuses(assess_compliance(facts(evidence=old), date(2025, 1, 1)))["public_health_overview"] == "fail"
    assert statuses(assess_compliance(facts(evidence=exactly), date(2025, 1, 1)))["public_health_overview"] == "pass"
    other_kind = [{"kind": "knowledge_base", "dated": date(2023, 1, 1), "title": "kb", "events": ["e-kb"]}]
    assert statuses(assess_compliance(facts(evidence=other_kind), date(2025, 1, 1)))["public_health_overview"] == "fail"


def test_add_years_keeps_the_calendar_day_and_moves_29_february():
    assert add_years(date(2023, 10, 19), 1) == date(2024, 10, 19)
    assert add_years(date(2024, 2, 29), 1) == date(2025, 2, 28)
    assert add_years(date(2024, 2, 29), -4) == date(2020, 2, 29)


# --- what became of an input --------------------------------------------------------------------------------


def item(**changes):
    base = {
        "id": "it",
        "strategy_id": "s",
        "live": True,
        "from_need_live": True,
        "removed_by": None,
        "strategy_adopted": False,
        "adopted_by": None,
        "action": "new",
        "plans": [],
    }
    base.update(changes)
    return base


CASES = [
    ({}, "proposed", "pending"),
    ({"prioritisations": [{"id": "p", "made": False, "rank": None, "score": None}]}, "in_prioritisation", "pending"),
    ({"prioritisations": [{"id": "p", "made": True, "rank": None, "score": None}]}, "prioritisation", "dropped"),
    ({"process_prioritisation_made": True, "process_prioritisation_made_id": "p"}, "prioritisation", "dropped"),
    ({"prioritisations": [{"id": "p", "made": True, "rank": 2, "score": "3"}]}, "prioritised", "pending"),
    (
        {
            "prioritisations": [{"id": "p", "made": True, "rank": 3, "score": "0"}],
            "recommendations": [
                {"id": "r", "prioritisation_id": "p", "recommended": False, "action": None, "rank": None}
            ],
        },
        "recommendation",
        "dropped",
    ),
    (
        {"recommendations": [{"id": "r", "prioritisation_id": "p", "recommended": True, "action": "new", "rank": 1}]},
        "recommended",
        "pending",
    ),
    (
        {
            "recommendations": [{"id": "r", "prioritisation_id": "p", "recommended": True, "action": "new", "rank": 1}],
            "strategies_from_recommendations": ["s"],
        },
        "strategy",
        "dropped",
    ),
    ({"items": [item()]}, "in_strategy", "pending"),
    ({"items": [item(strategy_adopted=True, adopted_by="d")]}, "adopted", "adopted"),
    ({"items": [item(live=False, from_need_live=False, removed_by="d")]}, "strategy", "dropped"),
    ({"items": [item(from_need_live=False)]}, "strategy", "dropped"),
]


@pytest.mark.parametrize(("need_facts", "stage", "outcome"), CASES)
def test_each_stage_of_a_plan_need(need_facts, stage, outcome):
    judgement = judge_need(need_facts)
    assert (judgement["stage"], judgement["outcome"]) == (stage, outcome)
    assert judgement["explanation"]


def test_an_input_takes_the_best_fate_of_its_needs_and_with_none_stops_at_the_workshop():
    dropped = {"plan_need": {"id": "n1"}, "judgement": judge_need({"items": [item(live=False, removed_by="d")]})}
    adopted = {"plan_need": {"id": "n2"}, "judgement": judge_need({"items": [item(strategy_adopted=True)]})}
    assert judge_input([dropped, adopted], None)["outcome"] == "adopted"
    assert judge_input([dropped], None)["outcome"] == "dropped"
    assert judge_input([], "need-x") == {
        "outcome": "dropped",
        "stage": "workshop",
        "explanation": "no plan need was derived from it; the process went on (need-x)",
    }
    assert judge_input([], None)["outcome"] == "pending"


# --- periods and as_of --------------------------------------------------------------------------------


def test_periods_by_year_and_month():
    assert periods("year", date(2023, 5, 1), date(2025, 1, 1)) == [
        ("2023", date(2023, 1, 1), date(2024, 1, 1)),
        ("2024", date(2024, 1, 1), date(2025, 1, 1)),
        ("2025", date(2025, 1, 1), date(2026, 1, 1)),
    ]
    months = periods("month", date(2024, 11, 15), date(2025, 2, 1))
    assert [label for label, _, _ in months] == ["2024-11", "2024-12", "2025-01", "2025-02"]
    assert months[1][2] == date(2025, 1, 1)


def test_periods_refuse_nonsense():
    with pytest.raises(QueryRefused, match="interval"):
        periods("week", date(2024, 1, 1), date(2024, 2, 1))
    with pytest.raises(QueryRefused, match="before"):
        periods("year", date(2024, 1, 1), date(2023, 1, 1))
    with pytest.raises(QueryRefused, match="at most"):
        periods("month", date(1900, 1, 1), date(2024, 1, 1))


def test_as_of_is_a_day_and_a_datetime_as_of_is_its_day_in_norway():
    assert parse_as_of("2024-06-30") == date(2024, 6, 30)
    assert parse_as_of("2024-06-30T12:00:00Z") == date(2024, 6, 30)
    assert parse_as_of("2024-06-30T22:30:00Z") == date(2024, 7, 1)  # 00:30 in Oslo (summer time)
    assert parse_as_of("2024-12-31T23:30:00") == date(2025, 1, 1)  # no zone = UTC; 00:30 in Oslo
    assert parse_as_of(None) is None and parse_as_of("  ") is None
    with pytest.raises(ValueError):
        parse_as_of("yesterday")
    with pytest.raises(ValueError, match="future"):
        parse_as_of("2024-07-01", today=date(2024, 6, 30))
    assert parse_as_of("2024-06-30", today=date(2024, 6, 30)) == date(2024, 6, 30)


def test_known_at_is_an_instant_and_a_day_is_its_midnight_utc():
    assert parse_known_at("2024-03-01") == datetime(2024, 3, 1, tzinfo=UTC)
    assert parse_known_at("2024-03-01T14:00:00+02:00") == datetime(2024, 3, 1, 12, tzinfo=UTC)
    assert parse_known_at("2024-03-01T12:00:00") == datetime(2024, 3, 1, 12, tzinfo=UTC)
    assert parse_known_at("") is None
    with pytest.raises(ValueError):
        parse_known_at("1 March")


def test_the_frame_defaults_to_today_in_norway_and_now():
    frame = resolve_frame()
    assert frame.known_at.tzinfo is not None and frame.as_of == municipal_day(frame.known_at)
    given = resolve_frame(datetime(2024, 6, 30, 22, 30, tzinfo=UTC), date(2024, 8, 1))
    assert given == TimeFrame(as_of=date(2024, 7, 1), known_at=datetime(2024, 8, 1, tzinfo=UTC))
    assert resolve_frame(given) is given
    assert given.echo() == {"as_of": "2024-07-01", "known_at": "2024-08-01T00:00:00+00:00"}


@pytest.mark.parametrize(
    ("params", "name", "value"),
    [
        ({"as_of": "yesterday"}, "as_of", "yesterday"),
        ({"as_of": "2999-01-01"}, "as_of", "2999-01-01"),
        ({"as_of": "2024-13-01"}, "as_of", "2024-13-01"),
        ({"known_at": "soon"}, "known_at", "soon"),
    ],
)
def test_a_malformed_or_future_time_is_a_422_on_the_parameter_that_says_the_format(params, name, value):
    with pytest.raises(ProblemError) as refused:
        time_frame(**{"as_of": None, "known_at": None, **params})
    problem = refused.value
    assert (problem.status, problem.rule) == (422, f"request.{name}")
    assert name in problem.detail and "YYYY-MM-DD" in problem.detail and value not in problem.detail
    assert [(e.location, e.pointer) for e in problem.errors or []] == [(f"query.{name}", "#")]


def test_a_well_formed_frame_is_parsed_at_the_edge():
    frame = time_frame(as_of="2024-01-01", known_at="2024-03-01")
    assert frame == TimeFrame(as_of=date(2024, 1, 1), known_at=datetime(2024, 3, 1, tzinfo=UTC))


# --- requests for views (PBL §10-1 second paragraph: the municipality asks; the check judges the asking) ---


def request(kind: str, name: str, event: str, *answers: dict) -> dict:
    return {
        "party_kind": kind,
        "party_name": name,
        "sent_on": date(2024, 2, 1),
        "event": event,
        "answers": list(answers),
    }


def views_check(**changes) -> dict:
    checks = assess_compliance(facts(**changes), date(2024, 12, 1))
    return next(c for c in checks if c["id"] == "external_inputs_on_record")


ANSWER = {"from_party": "Statsforvalteren", "received_on": date(2024, 3, 1), "event": "e-x1"}


def test_requests_to_every_kind_of_body_pass_though_only_one_answered():
    check = views_check(
        external_inputs=[],
        view_requests=[
            request("state", "Statsforvalteren", "e-r1", ANSWER),
            request("regional", "Fylket", "e-r2"),
            request("neighbour_municipality", "Asker", "e-r3"),
        ],
    )
    assert check["status"] == "pass"
    assert [(r["party_name"], r["answered"]) for r in check["requests"]] == [
        ("Statsforvalteren", True),
        ("Fylket", False),
        ("Asker", False),
    ]
    assert check["requests"][0]["answers"][0]["received_on"] == "2024-03-01"
    assert "answered: Statsforvalteren (state)" in check["detail"]
    assert "no answer: Fylket (regional), Asker (neighbour_municipality)" in check["detail"]
    assert check["evidence"] == ["e-r1", "e-r2", "e-r3", "e-x1"]


def test_an_adopted_strategy_with_no_request_to_a_neighbour_and_no_input_from_one_fails():
    check = views_check(
        external_inputs=[],
        view_requests=[request("state", "Statsforvalteren", "e-r1"), request("regional", "Fylket", "e-r2")],
    )
    assert check["status"] == "fail" and "neighbour_municipality" in check["detail"]


def test_an_input_on_record_counts_as_asked_beside_the_requests():
    inputs = [{"party_kind": "neighbour_municipality", "from_party": "Asker", "received_on": None, "event": "e-x3"}]
    check = views_check(
        external_inputs=inputs,
        view_requests=[request("state", "Statsforvalteren", "e-r1"), request("regional", "Fylket", "e-r2")],
    )
    assert check["status"] == "pass" and "e-x3" in check["evidence"]


def test_without_requests_the_check_reads_the_inputs_as_before():
    check = views_check()
    assert check["status"] == "pass" and "requests" not in check
    assert check["detail"].startswith("inputs on record from")
