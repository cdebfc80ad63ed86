"""Effective dates in co-creation: last spring's process entered today carries the days it happened, the
rules judge those days, and a day left out is today in Norway (never UTC's date)."""

from datetime import UTC, date, datetime

import pytest
from cc_app_suite import Clock, plan_event
from fastapi.testclient import TestClient

from cocreation.application import in_memory
from cocreation.bootstrap import build
from cocreation.contracts import map_event
from cocreation.settings import Settings
from planspor_runtime.access import DEVELOPMENT_TOKENS, Role

pytestmark = pytest.mark.unit

F = {"Authorization": f"Bearer {DEVELOPMENT_TOKENS[Role.FACILITATOR]}"}
PROCESS = {
    "title": "Planstrategi 2024-2027",
    "purpose": "Prioritise",
    "election_period": "2024-2027",
    "roles_and_limits": "Officials decide",
    "all_officials_invited": True,
    "follow_up_days": 14,
}


def post(client, url, body=None, status=201):
    response = client.post(f"/api/v1{url}", json=body, headers=F)
    assert response.status_code == status, response.text
    return response.json()


def public(app, event_type: str) -> list:
    stored = [app.mapper.to_domain_event(n) for n in app.notification_log.select(start=1, limit=1000)]
    return [o.payload for e in stored for o in map_event(e) if o.payload.event_type == event_type]


def client_for(app):
    return TestClient(build(Settings(cocreation_store="memory"), application=app).api)


def story_of_2024(client, app, *, started_on="2024-01-10", issued_on="2024-04-20", made_on="2024-04-10") -> str:
    pid = post(client, "/processes", {**PROCESS, "started_on": started_on})["process_id"]
    enrolled = {"name": "Kari", "kind": "elected_official", "role": "member", "party": "H", "body": "municipal_council"}
    official = post(client, f"/processes/{pid}/participants", enrolled)["participant_id"]
    post(client, f"/processes/{pid}/phase", {"to": "workshops", "on": "2024-02-01"}, status=200)
    seminar = {"title": "Seminar", "on": "2024-03-01", "format": "in_person", "agenda": ["Plans"]}
    wid = post(client, f"/processes/{pid}/workshops", seminar)["workshop_id"]
    post(client, f"/workshops/{wid}/held", {"held_on": "2024-03-01", "attendee_ids": [official]}, status=200)
    app.on_plan_event(plan_event("plan-a", 1, title="Transport plan"))
    raised = {"author_id": official, "kind": "need", "text": "Fewer plans", "recorded_on": "2024-03-05"}
    iid = post(client, f"/workshops/{wid}/inputs", raised)["input_id"]
    needs = [
        post(client, f"/processes/{pid}/plan-needs", body)["plan_need_id"]
        for body in (
            {
                "input_ids": [iid],
                "kind": "new",
                "title": "Climate plan",
                "plan_type": "temaplan",
                "proposed_on": "2024-03-20",
            },
            {"input_ids": [iid], "kind": "revise", "title": "Revise transport", "plan_id": "plan-a"},
        )
    ]
    post(client, f"/processes/{pid}/phase", {"to": "prioritisation", "on": "2024-04-01"}, status=200)
    vote = {"method": "borda", "candidate_ids": needs, "quorum": 1}
    vid = post(client, f"/processes/{pid}/prioritisations", vote)["prioritisation_id"]
    ballot = {"participant_id": official, "ranking": needs, "cast_on": "2024-04-08"}
    post(client, f"/prioritisations/{vid}/ballots", ballot)
    post(client, f"/prioritisations/{vid}/close", {"made_on": made_on} if made_on else None, status=200)
    post(client, f"/processes/{pid}/phase", {"to": "recommendation", "on": "2024-04-15"}, status=200)
    return post(
        client,
        f"/processes/{pid}/recommendation",
        {
            "prioritisation_id": vid,
            "items": [{"need_id": needs[1], "action": "revise", "start_year": 2025}],
            "council_constituted_on": "2023-10-19",
            **({"issued_on": issued_on} if issued_on else {}),
        },
        status=201 if issued_on not in ("2023-12-01", "2024-04-05") else 422,
    )


def test_last_springs_process_entered_today_carries_its_own_dates():
    app = in_memory()
    with client_for(app) as client:
        story_of_2024(client, app)
    assert [p.period_start for p in public(app, "process.started")] == [date(2024, 1, 10)]
    assert [p.changed_on for p in public(app, "process.phase_changed")] == [
        date(2024, 2, 1),
        date(2024, 4, 1),
        date(2024, 4, 15),
        date(2024, 4, 20),  # handed over: the day the recommendation was issued
    ]
    assert [p.issued_on for p in public(app, "recommendation.issued")] == [date(2024, 4, 20)]
    assert [p.held_on for p in public(app, "workshop.held")] == [date(2024, 3, 1)]
    assert [p.raised_on for p in public(app, "input.recorded")] == [date(2024, 3, 5)]
    assert [p.proposed_on for p in public(app, "plan_need.proposed")] == [date(2024, 3, 20), None]
    assert [p.cast_on for p in public(app, "ballot.cast")] == [date(2024, 4, 8)]
    assert [p.made_on for p in public(app, "prioritisation.made")] == [date(2024, 4, 10)]


def test_a_recommendation_is_not_issued_before_its_process_started():
    app = in_memory()
    with client_for(app) as client:
        refused = story_of_2024(client, app, issued_on="2023-12-01")
    assert refused["rule"] == "recommendation.dates_in_order" and "2024-01-10" in refused["detail"]


def test_a_recommendation_is_not_issued_before_its_prioritisation_was_made():
    app = in_memory()
    with client_for(app) as client:
        refused = story_of_2024(client, app, issued_on="2024-04-05")
    assert refused["rule"] == "recommendation.dates_in_order" and "2024-04-10" in refused["detail"]


def test_a_phase_change_is_not_dated_before_the_process_started():
    app = in_memory()
    with client_for(app) as client:
        pid = post(client, "/processes", {**PROCESS, "started_on": "2024-01-10"})["process_id"]
        enrolled = {
            "name": "Kari",
            "kind": "elected_official",
            "role": "member",
            "party": "H",
            "body": "municipal_council",
        }
        post(client, f"/processes/{pid}/participants", enrolled)
        early = post(client, f"/processes/{pid}/phase", {"to": "workshops", "on": "2024-01-01"}, status=422)
    assert early["rule"] == "process.dates_in_order"


def test_a_day_left_out_is_today_in_norway_not_in_utc():
    app = in_memory(clock=Clock(datetime(2024, 12, 31, 23, 30, tzinfo=UTC)))  # 00:30 on 1 January in Oslo
    with client_for(app) as client:
        story_of_2024(client, app, issued_on=None, made_on=None)
    assert [p.issued_on for p in public(app, "recommendation.issued")] == [date(2025, 1, 1)]


@pytest.mark.parametrize("bad", ["2024-13-01", "1.3.2024", "2999-01-01"])
def test_a_bad_or_future_date_is_422_naming_the_field_and_the_format(bad):
    with client_for(in_memory()) as client:
        refused = post(client, "/processes", {**PROCESS, "started_on": bad}, status=422)
    assert "started_on" in str(refused) and "YYYY-MM-DD" in str(refused)


def test_enrolment_calendar_and_opening_carry_their_days_and_keep_their_order():
    app = in_memory()
    with client_for(app) as client:
        pid = post(client, "/processes", {**PROCESS, "started_on": "2024-01-10"})["process_id"]
        person = {
            "name": "Kari",
            "kind": "elected_official",
            "role": "member",
            "party": "H",
            "body": "municipal_council",
        }
        early = post(client, f"/processes/{pid}/participants", {**person, "enrolled_on": "2024-01-09"}, status=422)
        official = post(client, f"/processes/{pid}/participants", {**person, "enrolled_on": "2024-01-12"})
        post(client, f"/processes/{pid}/phase", {"to": "workshops", "on": "2024-02-01"}, status=200)
        seminar = {"title": "Seminar", "on": "2024-03-01", "format": "in_person", "agenda": ["Plans"]}
        wid = post(client, f"/processes/{pid}/workshops", {**seminar, "planned_on": "2024-02-02"})["workshop_id"]
        attended = {"held_on": "2024-03-01", "attendee_ids": [official["participant_id"]]}
        post(client, f"/workshops/{wid}/held", attended, status=200)
        said = {"author_id": official["participant_id"], "kind": "need", "text": "Fewer plans"}
        iid = post(client, f"/workshops/{wid}/inputs", {**said, "recorded_on": "2024-03-02"})["input_id"]
        needs = [
            post(client, f"/processes/{pid}/plan-needs", {"input_ids": [iid], "kind": "new", "title": t})[
                "plan_need_id"
            ]
            for t in ("Climate plan", "Culture plan")
        ]
        post(client, f"/processes/{pid}/phase", {"to": "prioritisation", "on": "2024-04-01"}, status=200)
        vote = {"method": "borda", "candidate_ids": needs, "quorum": 1, "opened_on": "2024-04-02"}
        vid = post(client, f"/processes/{pid}/prioritisations", vote)["prioritisation_id"]
        ballot = {"participant_id": official["participant_id"], "ranking": needs}
        too_soon = post(client, f"/prioritisations/{vid}/ballots", {**ballot, "cast_on": "2024-04-01"}, status=422)
        post(client, f"/prioritisations/{vid}/ballots", {**ballot, "cast_on": "2024-04-03"})
    assert early["rule"] == "participant.dates_in_order" and too_soon["rule"] == "ballot.dates_in_order"
    assert [p.enrolled_on for p in public(app, "participant.enrolled")] == [date(2024, 1, 12)]
    assert [(p.planned_on, p.scheduled_on) for p in public(app, "workshop.scheduled")] == [
        (date(2024, 2, 2), date(2024, 3, 1))
    ]
    assert [p.opened_on for p in public(app, "prioritisation.opened")] == [date(2024, 4, 2)]


def test_an_undated_enrolment_keeps_the_bytes_of_an_event_sealed_before_the_field_existed():
    app = in_memory()
    with client_for(app) as client:
        pid = post(client, "/processes", PROCESS)["process_id"]
        person = {
            "name": "Kari",
            "kind": "elected_official",
            "role": "member",
            "party": "H",
            "body": "municipal_council",
        }
        post(client, f"/processes/{pid}/participants", person)
    (enrolled,) = public(app, "participant.enrolled")
    assert "enrolled_on" not in enrolled.to_payload()
