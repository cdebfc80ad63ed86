"""Effective dates at the edge: a municipality enters last spring's history today, each fact with the day it
happened; the rules judge those days, and the public events carry them (not the day of entry)."""

from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient

from plan_registry.bootstrap import build
from plan_registry.contracts import map_event
from plan_registry.settings import Settings
from planspor_runtime.access import DEVELOPMENT_TOKENS, Role
from planspor_runtime.bodies import municipal_today

pytestmark = pytest.mark.unit

PLANNER = {"Authorization": f"Bearer {DEVELOPMENT_TOKENS[Role.PLANNER]}"}


@pytest.fixture
def service():
    return build(Settings(plan_registry_store="memory"))


@pytest.fixture
def client(service):
    with TestClient(service.api) as client:
        yield client


def post(client, path, body, status):
    response = client.post(f"/api/v1{path}", json=body, headers=PLANNER)
    assert response.status_code == status, response.text
    return response.json()


def public_events(service) -> list:
    app = service.application
    stored = [app.mapper.to_domain_event(n) for n in app.notification_log.select(start=1, limit=1000)]
    return [outgoing.payload for event in stored for outgoing in map_event(event)]


def of_type(service, event_type: str) -> list:
    return [p for p in public_events(service) if p.event_type == event_type]


PLAN = {"name": "Kulturplan", "plan_type": "temaplan", "owning_unit": "Kultur", "initiated_through_strategy": False}
STRATEGY = {"election_period": "2024-2027", "council_constituted_on": "2023-10-19"}


def assessed(client, strategy: str) -> None:
    body = {"samfunnsdel": "continue", "arealdel": "revise"}
    response = client.put(f"/api/v1/strategies/{strategy}/kommuneplan-assessment", json=body, headers=PLANNER)
    assert response.status_code == 200, response.text


def decision(client, meeting_date: str, case_number: str = "24/100") -> str:
    body = {
        "body": "municipal_council",
        "case_number": case_number,
        "meeting_date": meeting_date,
        "subject": "Planstrategi",
        "outcome": "adopted",
    }
    return post(client, "/decisions", body, 201)["id"]


def test_last_springs_history_entered_today_carries_its_own_dates(client, service):
    # 1. a plan whose work started in 2024, a strategy drafted, published and adopted in 2024
    plan = post(client, "/plans", {**PLAN, "proposed_on": "2024-02-01"}, 201)["id"]
    post(client, f"/plans/{plan}/status-changes", {"action": "step", "to": "in_preparation", "on": "2024-03-01"}, 200)
    goal = post(client, "/goals", {"title": "Gode levekår"}, 201)["id"]
    post(client, f"/plans/{plan}/anchors", {"goal_id": goal, "anchored_on": "2024-03-02"}, 200)
    strategy = post(client, "/strategies", {**STRATEGY, "drafted_on": "2024-03-15"}, 201)["id"]
    assessed(client, strategy)
    post(client, f"/strategies/{strategy}/publication", {"on": "2024-05-02"}, 200)
    post(client, f"/strategies/{strategy}/adoption", {"decision_id": decision(client, "2024-06-12")}, 200)

    # 2. the public events say when each thing happened, not the day it was typed in
    assert [p.proposed_on for p in of_type(service, "plan.proposed")] == [date(2024, 2, 1)]
    assert [p.changed_on for p in of_type(service, "plan.status_changed")] == [date(2024, 3, 1)]
    assert [p.anchored_on for p in of_type(service, "plan.anchored")] == [date(2024, 3, 2)]
    assert [p.drafted_on for p in of_type(service, "strategy.drafted")] == [date(2024, 3, 15)]
    assert [p.published_on for p in of_type(service, "strategy.published")] == [date(2024, 5, 2)]
    assert [p.adopted_on for p in of_type(service, "strategy.adopted")] == [date(2024, 6, 12)]


def test_the_thirty_days_are_counted_between_the_2024_dates_not_the_days_of_entry(client):
    strategy = post(client, "/strategies", {**STRATEGY, "drafted_on": "2024-03-15"}, 201)["id"]
    assessed(client, strategy)
    post(client, f"/strategies/{strategy}/publication", {"on": "2024-05-20"}, 200)
    # entered the same minute, but 23 days apart in the municipality: refused with the paragraph
    refused = client.post(
        f"/api/v1/strategies/{strategy}/adoption",
        json={"decision_id": decision(client, "2024-06-12")},
        headers=PLANNER,
    )
    assert refused.status_code == 409 and refused.json()["paragraph"] == "PBL §10-1"
    assert "2024-05-20" in refused.json()["detail"]


def test_steps_are_judged_in_effective_order(client):
    plan = post(client, "/plans", {**PLAN, "proposed_on": "2024-02-01"}, 201)["id"]
    early = client.post(
        f"/api/v1/plans/{plan}/status-changes",
        json={"action": "step", "to": "in_preparation", "on": "2024-01-15"},
        headers=PLANNER,
    )
    assert early.status_code == 422 and early.json()["rule"] == "plan.dates_in_order"
    strategy = post(client, "/strategies", {**STRATEGY, "drafted_on": "2024-03-15"}, 201)["id"]
    before_draft = client.post(f"/api/v1/strategies/{strategy}/publication", json={"on": "2024-03-01"}, headers=PLANNER)
    assert before_draft.status_code == 422 and before_draft.json()["rule"] == "strategy.published_after_drafting"


def test_a_date_left_out_is_today_in_norway(client, service):
    post(client, "/plans", PLAN, 201)
    post(client, "/strategies", STRATEGY, 201)
    assert [p.proposed_on for p in of_type(service, "plan.proposed")] == [municipal_today()]
    assert [p.drafted_on for p in of_type(service, "strategy.drafted")] == [municipal_today()]


@pytest.mark.parametrize(
    ("path", "field", "body"),
    [
        ("/plans", "proposed_on", PLAN),
        ("/strategies", "drafted_on", STRATEGY),
        (
            "/decisions",
            "meeting_date",
            {"body": "municipal_council", "case_number": "1", "subject": "S", "outcome": "adopted"},
        ),
    ],
)
@pytest.mark.parametrize("bad", ["12.06.2024", "2024-6-12", "20240612", "2024-02-30", 20240612])
def test_a_date_not_written_yyyy_mm_dd_is_422_naming_the_field_and_the_format(client, path, field, body, bad):
    response = client.post(f"/api/v1{path}", json={**body, field: bad}, headers=PLANNER)
    assert response.status_code == 422, response.text
    assert field in response.text and "YYYY-MM-DD" in response.text


@pytest.mark.parametrize(
    ("path", "field", "body"), [("/plans", "proposed_on", PLAN), ("/strategies", "drafted_on", STRATEGY)]
)
def test_a_date_in_the_future_is_422_naming_the_field(client, path, field, body):
    tomorrow = (municipal_today() + timedelta(days=1)).isoformat()
    response = client.post(f"/api/v1{path}", json={**body, field: tomorrow}, headers=PLANNER)
    assert response.status_code == 422, response.text
    assert field in response.text and "future" in response.text and "YYYY-MM-DD" in response.text
    assert (
        client.post(f"/api/v1{path}", json={**body, field: municipal_today().isoformat()}, headers=PLANNER).status_code
        == 201
    )


def test_a_second_identical_decision_is_refused_naming_the_first(client, service):
    first = decision(client, "2024-06-12", case_number="24/77")
    again = client.post(
        "/api/v1/decisions",
        json={
            "body": "municipal_council",
            "case_number": "24/77",
            "meeting_date": "2024-06-12",
            "subject": "Planstrategi",
            "outcome": "adopted",
        },
        headers=PLANNER,
    )
    assert again.status_code == 409, again.text
    assert again.json()["rule"] == "decision.recorded_once" and first in again.json()["detail"]
    assert len(of_type(service, "decision.recorded")) == 1
    # another meeting, another body or another case is another decision
    decision(client, "2024-06-13", case_number="24/77")
    decision(client, "2024-06-12", case_number="24/78")
    other_body = {"body": "executive_committee", "case_number": "24/77", "meeting_date": "2024-06-12"}
    post(client, "/decisions", {"subject": "S", "outcome": "adopted", **other_body}, 201)
    assert len(of_type(service, "decision.recorded")) == 4


def test_a_decision_retried_with_its_idempotency_key_is_the_first_answer_not_a_conflict(client):
    body = {
        "body": "municipal_council",
        "case_number": "24/90",
        "meeting_date": "2024-06-12",
        "subject": "S",
        "outcome": "adopted",
    }
    headers = {**PLANNER, "Idempotency-Key": "decision-24-90"}
    first, again = (client.post("/api/v1/decisions", json=body, headers=headers) for _ in range(2))
    assert (first.status_code, again.status_code) == (201, 201) and first.json() == again.json()


def test_a_strategy_drafted_from_a_recommendation_is_dated_by_the_recommendation(client, service):
    from pr_recommendation import recommendation_envelope

    from plan_registry.domain import strategy_id_for

    envelope = recommendation_envelope()  # issued 2024-04-01
    assert service.application.on_recommendation_issued(envelope) is True
    assert [p.drafted_on for p in of_type(service, "strategy.drafted")] == [date(2024, 4, 1)]
    strategy = strategy_id_for(envelope.payload["recommendation_id"])
    early = client.post(f"/api/v1/strategies/{strategy}/publication", json={"on": "2024-03-20"}, headers=PLANNER)
    assert early.status_code == 422 and early.json()["rule"] == "strategy.published_after_drafting"
    post(client, f"/strategies/{strategy}/publication", {"on": "2024-04-26"}, 200)


def test_six_weeks_of_consultation_are_counted_between_the_2024_dates(client):
    plan = post(client, "/plans", {**PLAN, "plan_type": "kommunedelplan", "proposed_on": "2024-01-05"}, 201)["id"]
    steps = (
        ("notice_of_start", "2024-01-10"),
        ("planprogram_adopted", "2024-02-01"),
        ("in_preparation", "2024-02-05"),
        ("consultation_open", "2024-03-01"),
    )
    for to, on in steps:
        post(client, f"/plans/{plan}/status-changes", {"action": "step", "to": to, "on": on}, 200)
    post(
        client,
        f"/plans/{plan}/status-changes",
        {"action": "step", "to": "consultation_closed", "on": "2024-04-01"},
        200,
    )
    adoption = {"action": "adopt", "decision_id": decision(client, "2024-06-12")}
    refused = client.post(f"/api/v1/plans/{plan}/status-changes", json=adoption, headers=PLANNER)
    assert refused.status_code == 409 and refused.json()["paragraph"] == "PBL §11-14"
    assert "2024-03-01 to 2024-04-01" in refused.json()["detail"]


def test_a_step_a_publication_and_an_input_left_undated_are_dated_today_in_norway(client, service):
    plan = post(client, "/plans", PLAN, 201)["id"]
    post(client, f"/plans/{plan}/status-changes", {"action": "step", "to": "in_preparation"}, 200)
    strategy = post(client, "/strategies", STRATEGY, 201)["id"]
    external = {"source": "state", "sender": "Statsforvalteren", "summary": "Klima"}
    post(client, f"/strategies/{strategy}/external-inputs", external, 201)
    post(client, f"/strategies/{strategy}/publication", {}, 200)
    today = municipal_today()
    assert [p.changed_on for p in of_type(service, "plan.status_changed")] == [today]
    assert [p.received_on for p in of_type(service, "input.received")] == [today]
    assert [p.published_on for p in of_type(service, "strategy.published")] == [today]


def test_goals_indicators_items_assessments_and_revisions_carry_the_day_they_happened(client, service):
    goal = post(client, "/goals", {"title": "Gode levekår", "defined_on": "2020-06-17"}, 201)["id"]
    indicator = {"goal_id": goal, "name": "Utslipp", "unit": "tonn", "source": "SSB", "defined_on": "2020-06-18"}
    post(client, "/indicators", indicator, 201)
    plan = post(client, "/plans", {**PLAN, "proposed_on": "2021-02-01"}, 201)["id"]
    revision = {"due": "2025-12-31", "on": "2021-03-01"}
    assert client.put(f"/api/v1/plans/{plan}/revision-schedule", json=revision, headers=PLANNER).status_code == 200
    strategy = post(client, "/strategies", {**STRATEGY, "drafted_on": "2024-03-15"}, 201)["id"]
    item = {"action": "revise", "plan_id": plan, "timing": "2025", "rationale": "Utdatert", "set_on": "2024-03-16"}
    post(client, f"/strategies/{strategy}/items", item, 201)
    body = {"samfunnsdel": "continue", "arealdel": "revise", "assessed_on": "2024-03-17"}
    response = client.put(f"/api/v1/strategies/{strategy}/kommuneplan-assessment", json=body, headers=PLANNER)
    assert response.status_code == 200, response.text

    dated = {
        kind: [p.effective_on() for p in of_type(service, kind)]
        for kind in (
            "goal.defined",
            "indicator.defined",
            "plan.revision_scheduled",
            "strategy.item_set",
            "strategy.kommuneplan_assessed",
        )
    }
    assert dated == {
        "goal.defined": [date(2020, 6, 17)],
        "indicator.defined": [date(2020, 6, 18)],
        "plan.revision_scheduled": [date(2021, 3, 1)],
        "strategy.item_set": [date(2024, 3, 16)],
        "strategy.kommuneplan_assessed": [date(2024, 3, 17)],
    }


def test_an_undated_goal_keeps_the_bytes_it_had_before_the_field_existed(client, service):
    post(client, "/goals", {"title": "Gode levekår"}, 201)
    (defined,) = of_type(service, "goal.defined")
    assert "defined_on" not in defined.to_payload() and defined.effective_on() is None


def test_a_future_day_for_a_goal_is_422_naming_the_field(client):
    tomorrow = (municipal_today() + timedelta(days=1)).isoformat()
    refused = post(client, "/goals", {"title": "Gode levekår", "defined_on": tomorrow}, 422)
    assert "defined_on" in str(refused)
