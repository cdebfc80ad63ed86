"""Corrections, never deletions: a decision recorded by mistake is voided (or corrected by a new one that voids
it), and requests for views (PBL §10-1 second paragraph) are recorded apart from the views received."""

from datetime import date, timedelta
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient

from plan_registry.bootstrap import build
from plan_registry.contracts import map_event
from plan_registry.domain import AlreadyDone, Decision, InvalidValue, NotFound, PlanStrategy, TransitionNotAllowed
from plan_registry.settings import Settings
from planspor_runtime.access import DEVELOPMENT_TOKENS, Role
from planspor_runtime.bodies import municipal_today
from planspor_shared.meta import Meta

pytestmark = pytest.mark.unit

PLANNER = {"Authorization": f"Bearer {DEVELOPMENT_TOKENS[Role.PLANNER]}"}
ANALYST = {"Authorization": f"Bearer {DEVELOPMENT_TOKENS[Role.ANALYST]}"}
META = Meta.of({"id": "token:abc", "name": "planner", "role": "planner"})


@pytest.fixture
def service():
    return build(Settings(plan_registry_store="memory"))


@pytest.fixture
def client(service):
    with TestClient(service.api) as client:
        yield client


def post(client, path, body, status, headers=PLANNER):
    response = client.post(f"/api/v1{path}", json=body, headers=headers)
    assert response.status_code == status, response.text
    return response.json()


def of_type(service, event_type: str) -> list:
    app = service.application
    stored = [app.mapper.to_domain_event(n) for n in app.notification_log.select(start=1, limit=1000)]
    return [o.payload for event in stored for o in map_event(event) if o.payload.event_type == event_type]


DECISION = {
    "body": "municipal_council",
    "case_number": "24/77",
    "meeting_date": "2024-06-12",
    "subject": "Planstrategi",
    "outcome": "adopted",
}


def recorded_decision(**overrides) -> Decision:
    return Decision.record(
        body="municipal_council",
        case_number="24/1",
        meeting_date=date(2024, 6, 12),
        subject="Planstrategi",
        outcome="adopted",
        meta=META,
        **overrides,
    )


# --- the domain ----------------------------------------------------------------------


def test_a_decision_is_voided_once_with_a_reason_on_or_after_its_meeting():
    d = recorded_decision()
    with pytest.raises(InvalidValue) as empty:
        d.void(reason="  ", voided_on=date(2024, 6, 20), meta=META)
    assert empty.value.rule == "decision.void_reason_required" and "reason" in empty.value.message
    with pytest.raises(InvalidValue) as early:
        d.void(reason="wrong meeting", voided_on=date(2024, 6, 1), meta=META)
    assert early.value.rule == "decision.voided_after_meeting"
    d.void(reason="wrong meeting", voided_on=date(2024, 6, 20), meta=META)
    assert d.voided == {"reason": "wrong meeting", "voided_on": date(2024, 6, 20), "replaced_by": None}
    with pytest.raises(AlreadyDone) as twice:
        d.void(reason="again", voided_on=date(2024, 6, 21), meta=META)
    assert twice.value.rule == "decision.voided_once" and twice.value.kind == "conflict"


def test_a_voided_decision_adopts_nothing():
    d = recorded_decision()
    d.void(reason="wrong body", voided_on=date(2024, 6, 20), meta=META)
    with pytest.raises(AlreadyDone) as refused:
        d.check_adopts(uuid4(), "strategy", is_strategy=True)
    assert refused.value.rule == "decision.not_voided" and "wrong body" in refused.value.message


def test_a_voided_decision_neither_adopts_a_strategy_nor_dates_a_plan_step():
    from plan_registry.domain import Plan

    d = recorded_decision()
    d.void(reason="wrong body", voided_on=date(2024, 6, 20), meta=META)
    s = strategy()
    s.assess_kommuneplan(samfunnsdel="continue", arealdel="revise", meta=META)
    s.publish(on=date(2024, 5, 1), meta=META)
    with pytest.raises(AlreadyDone, match="voided"):
        s.adopt(decision=d, meta=META)
    p = Plan.propose(
        name="Kommuneplanens samfunnsdel",
        plan_type="kommuneplan_samfunnsdel",
        legal_basis="PBL §11-1",
        owning_unit="Plan",
        initiated_through_strategy=False,
        proposed_on=date(2024, 1, 2),
        meta=META,
    )
    p.advance(to="notice_of_start", on=date(2024, 1, 10), meta=META)
    with pytest.raises(AlreadyDone) as refused:
        p.adopt_planprogram(on=date(2024, 6, 21), decision=d, meta=META)
    assert refused.value.rule == "decision.not_voided" and p.planprogram_adopted_on is None


def strategy() -> PlanStrategy:
    return PlanStrategy.draft(election_period="2024-2027", council_constituted_on=date(2023, 10, 19), meta=META)


def test_views_are_requested_once_per_request_and_before_adoption_in_effective_time():
    s, request = strategy(), uuid4()
    s.request_views(request_id=request, party_kind="regional", party_name="Viken", sent_on=date(2024, 3, 1), meta=META)
    assert s.view_requests[request] == {"party_kind": "regional", "party_name": "Viken", "sent_on": date(2024, 3, 1)}
    with pytest.raises(AlreadyDone):
        s.request_views(
            request_id=request, party_kind="regional", party_name="Viken", sent_on=date(2024, 3, 1), meta=META
        )
    with pytest.raises(InvalidValue) as unknown_kind:
        s.request_views(request_id=uuid4(), party_kind="king", party_name="X", sent_on=date(2024, 3, 1), meta=META)
    assert "party_kind" in unknown_kind.value.message
    s.adopted_on = date(2024, 6, 12)
    with pytest.raises(TransitionNotAllowed) as late:
        s.request_views(request_id=uuid4(), party_kind="state", party_name="SF", sent_on=date(2024, 7, 1), meta=META)
    assert late.value.rule == "strategy.views_requested_before_adoption" and late.value.paragraph == "PBL §10-1"


def test_an_input_in_reply_names_a_request_of_its_strategy():
    s = strategy()
    with pytest.raises(NotFound) as unknown:
        s.receive_input(
            input_id=uuid4(),
            source="state",
            sender="SF",
            received_on=date(2024, 4, 1),
            summary="s",
            in_reply_to=uuid4(),
            meta=META,
        )
    assert unknown.value.rule == "strategy.view_request_known" and "in_reply_to" in unknown.value.message


# --- through the API -----------------------------------------------------------------


def test_a_decision_is_voided_through_the_api_404_unknown_409_twice_422_without_a_reason(client, service):
    first = post(client, "/decisions", DECISION, 201)["id"]
    unknown = client.post(f"/api/v1/decisions/{uuid4()}/void", json={"reason": "x"}, headers=PLANNER)
    assert unknown.status_code == 404, unknown.text
    no_reason = client.post(f"/api/v1/decisions/{first}/void", json={}, headers=PLANNER)
    assert no_reason.status_code == 422 and "reason" in no_reason.text
    tomorrow = (municipal_today() + timedelta(days=1)).isoformat()
    future = client.post(
        f"/api/v1/decisions/{first}/void", json={"reason": "x", "voided_on": tomorrow}, headers=PLANNER
    )
    assert future.status_code == 422 and "voided_on" in future.text and "YYYY-MM-DD" in future.text
    assert client.post(f"/api/v1/decisions/{first}/void", json={"reason": "x"}, headers=ANALYST).status_code == 403
    voided = post(client, f"/decisions/{first}/void", {"reason": "wrong meeting", "voided_on": "2024-06-20"}, 200)
    assert voided["id"] == first and voided["version"] == 2
    again = client.post(f"/api/v1/decisions/{first}/void", json={"reason": "again"}, headers=PLANNER)
    assert again.status_code == 409 and again.json()["rule"] == "decision.voided_once"
    (event,) = of_type(service, "decision.voided")
    assert (event.decision_id, event.reason, event.voided_on) == (first, "wrong meeting", date(2024, 6, 20))
    shown = client.get(f"/api/v1/decisions/{first}", headers=ANALYST).json()
    assert shown["voided"] == {"reason": "wrong meeting", "voided_on": "2024-06-20", "replaced_by": None}


def test_a_voided_decision_does_not_block_a_new_one_of_the_same_body_case_and_meeting(client, service):
    first = post(client, "/decisions", DECISION, 201)["id"]
    post(client, f"/decisions/{first}/void", {"reason": "recorded twice by mistake"}, 200)
    second = post(client, "/decisions", DECISION, 201)["id"]
    again = client.post("/api/v1/decisions", json=DECISION, headers=PLANNER)
    assert again.status_code == 409 and second in again.json()["detail"] and first not in again.json()["detail"]


def test_a_decision_sent_as_a_correction_records_the_new_one_and_voids_the_old_one(client, service):
    old = post(client, "/decisions", DECISION, 201)["id"]
    without_reason = client.post("/api/v1/decisions", json={**DECISION, "corrects": old}, headers=PLANNER)
    assert without_reason.status_code == 422 and "correction_reason" in without_reason.text
    unknown = client.post(
        "/api/v1/decisions", json={**DECISION, "corrects": str(uuid4()), "correction_reason": "x"}, headers=PLANNER
    )
    assert unknown.status_code == 404, unknown.text
    corrected = {**DECISION, "outcome": "adopted_with_amendments", "corrects": old, "correction_reason": "outcome"}
    new = post(client, "/decisions", {**corrected, "voided_on": "2024-06-14"}, 201)["id"]
    (voided,) = of_type(service, "decision.voided")
    assert (voided.decision_id, voided.replaced_by_decision_id, voided.reason) == (old, new, "outcome")
    assert voided.voided_on == date(2024, 6, 14)
    assert [d.decision_id for d in of_type(service, "decision.recorded")] == [old, new]
    twice = client.post("/api/v1/decisions", json=corrected, headers=PLANNER)
    assert twice.status_code == 409 and twice.json()["rule"] == "decision.recorded_once" and new in twice.text
    elsewhere = client.post("/api/v1/decisions", json={**corrected, "case_number": "24/78"}, headers=PLANNER)
    assert elsewhere.status_code == 409 and elsewhere.json()["rule"] == "decision.voided_once"
    assert len(of_type(service, "decision.recorded")) == 2


def test_views_are_requested_through_the_api_and_an_input_answers_a_request(client, service):
    s = post(client, "/strategies", {"election_period": "2024-2027", "council_constituted_on": "2023-10-19"}, 201)["id"]
    body = {"party_kind": "neighbour_municipality", "party_name": "Asker kommune", "sent_on": "2024-02-01"}
    request = post(client, f"/strategies/{s}/view-requests", body, 201)["id"]
    for bad, field in (({**body, "party_kind": "king"}, "party_kind"), ({**body, "party_name": ""}, "party_name")):
        refused = client.post(f"/api/v1/strategies/{s}/view-requests", json=bad, headers=PLANNER)
        assert refused.status_code == 422 and field in refused.text
    missing = client.post(f"/api/v1/strategies/{uuid4()}/view-requests", json=body, headers=PLANNER)
    assert missing.status_code == 404
    twice = client.post(f"/api/v1/strategies/{s}/view-requests", json={**body, "request_id": request}, headers=PLANNER)
    assert twice.status_code == 409 and twice.json()["rule"] == "strategy.views_requested_once"
    answer = {"source": "neighbour_municipality", "sender": "Asker kommune", "summary": "Samferdsel"}
    stray = client.post(
        f"/api/v1/strategies/{s}/external-inputs", json={**answer, "in_reply_to": str(uuid4())}, headers=PLANNER
    )
    assert stray.status_code == 404 and "in_reply_to" in stray.text
    post(client, f"/strategies/{s}/external-inputs", {**answer, "in_reply_to": request}, 201)
    post(client, f"/strategies/{s}/external-inputs", {**answer, "sender": "Lier kommune"}, 201)
    (requested,) = of_type(service, "views.requested")
    assert (requested.request_id, requested.strategy_id, requested.party_kind.value) == (
        request,
        s,
        "neighbour_municipality",
    )
    assert requested.sent_on == date(2024, 2, 1)
    replies = [i.to_payload().get("in_reply_to") for i in of_type(service, "input.received")]
    assert replies == [request, None]
    assert "in_reply_to" not in of_type(service, "input.received")[1].to_payload()
    shown = client.get(f"/api/v1/strategies/{s}", headers=ANALYST).json()
    assert shown["view_requests"][0]["party_name"] == "Asker kommune"


PLAN = {"name": "Kulturplan", "plan_type": "temaplan", "owning_unit": "Kultur", "initiated_through_strategy": False}


def test_a_plan_registered_twice_is_merged_into_the_one_kept_404_unknown_409_twice_422_naming_the_field(
    client, service
):
    kept, duplicate, third = (post(client, "/plans", PLAN, 201)["id"] for _ in range(3))
    path = f"/api/v1/plans/{duplicate}/duplicate-of"
    no_reason = client.post(path, json={"kept_plan_id": kept}, headers=PLANNER)
    assert no_reason.status_code == 422 and "reason" in no_reason.text
    bad_id = client.post(path, json={"kept_plan_id": "x", "reason": "twice"}, headers=PLANNER)
    assert bad_id.status_code == 422 and "kept_plan_id" in bad_id.text
    unknown = client.post(path, json={"kept_plan_id": str(uuid4()), "reason": "twice"}, headers=PLANNER)
    assert unknown.status_code == 404
    itself = client.post(path, json={"kept_plan_id": duplicate, "reason": "twice"}, headers=PLANNER)
    assert itself.status_code == 409 and itself.json()["rule"] == "plan.duplicate_not_itself"
    body = {"kept_plan_id": kept, "reason": "imported and entered by hand", "merged_on": "2024-05-02"}
    assert post(client, f"/plans/{duplicate}/duplicate-of", body, 200)["version"] == 2
    again = client.post(path, json=body, headers=PLANNER)
    assert again.status_code == 409 and again.json()["rule"] == "plan.duplicate_merged_once"
    of_a_duplicate = client.post(
        f"/api/v1/plans/{third}/duplicate-of", json={**body, "kept_plan_id": duplicate}, headers=PLANNER
    )
    assert of_a_duplicate.status_code == 409 and "kept_plan_id" in of_a_duplicate.text
    (merged,) = of_type(service, "plan.duplicate_merged")
    assert (merged.plan_id, merged.kept_plan_id, merged.merged_on) == (duplicate, kept, date(2024, 5, 2))
    shown = client.get(f"/api/v1/plans/{duplicate}", headers=ANALYST).json()["duplicate_of"]
    assert shown == {"kept_plan_id": kept, "reason": "imported and entered by hand", "merged_on": "2024-05-02"}
