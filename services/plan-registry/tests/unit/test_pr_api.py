"""The HTTP API through FastAPI's TestClient on the in-memory store: every route, bad
input, wrong role, missing token, unknown id, stale version and idempotent retry."""

import json
import re
from pathlib import Path
from typing import get_args
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient

from plan_registry.api.plans import StepIn
from plan_registry.api.strategies import ItemIn
from plan_registry.bootstrap import build
from plan_registry.domain import DATED_STEPS, ItemOrigin
from plan_registry.settings import Settings
from planspor_runtime.access import DEVELOPMENT_TOKENS, Role

pytestmark = pytest.mark.unit


README = Path(__file__).resolve().parents[2] / "README.md"


def readme_problem_example() -> dict:
    """The problem-details body the README shows."""
    return json.loads(re.search(r"```json\n(.*?)```", README.read_text(), re.S).group(1))


def auth(role: Role) -> dict[str, str]:
    return {"Authorization": f"Bearer {DEVELOPMENT_TOKENS[role]}"}


PLANNER, ANALYST, AUDITOR, OPERATOR, FACILITATOR = (
    auth(r) for r in (Role.PLANNER, Role.ANALYST, Role.AUDITOR, Role.OPERATOR, Role.FACILITATOR)
)


@pytest.fixture
def client():
    service = build(Settings(plan_registry_store="memory"))
    with TestClient(service.api) as client:
        yield client


def post(client, path, body, headers=PLANNER, status=None, **kwargs):
    response = client.post(path, json=body, headers=headers, **kwargs)
    if status is not None:
        assert response.status_code == status, response.text
    return response


def plan(client, **overrides):
    body = {
        "name": "Temaplan for idrett",
        "plan_type": "temaplan",
        "owning_unit": "Kultur",
        "initiated_through_strategy": False,
        **overrides,
    }
    return post(client, "/api/v1/plans", body, status=201).json()["id"]


def decision(client, meeting="2024-10-23", **overrides):
    body = {
        "body": "municipal_council",
        "case_number": f"24/{uuid4().hex[:6]}",
        "meeting_date": meeting,
        "subject": "Sak",
        "outcome": "adopted",
        **overrides,
    }
    return post(client, "/api/v1/decisions", body, status=201).json()["id"]


def test_health_and_liveness(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/health", headers=OPERATOR).json()["service"] == "plan-registry"
    assert client.get("/health", headers=PLANNER).status_code == 403


def test_goals_and_indicators_through_the_api(client):
    goal = post(client, "/api/v1/goals", {"title": "Gode liv", "sdg_targets": ["3.4"]}, status=201).json()
    assert goal["version"] == 1
    sub = post(client, "/api/v1/goals", {"title": "Aktive", "parent_goal_id": goal["id"]}, status=201).json()["id"]
    indicator = post(
        client,
        "/api/v1/indicators",
        {
            "goal_id": sub,
            "name": "Fysisk aktive",
            "unit": "%",
            "source": "KOSTRA",
            "baseline_value": "61.5",
            "baseline_period": "2020",
            "target_value": 70,
            "target_year": 2030,
        },
        status=201,
    ).json()["id"]
    post(client, f"/api/v1/indicators/{indicator}/measurements", {"period": "2023", "value": "62.1"}, status=200)
    again = post(client, f"/api/v1/indicators/{indicator}/measurements", {"period": "2023", "value": "63"})
    assert again.status_code == 409 and again.json()["rule"] == "indicator.one_measurement_per_period"
    corrected = post(
        client,
        f"/api/v1/indicators/{indicator}/measurements/2023/corrections",
        {"value": "62.4", "reason": "Revidert"},
        headers={**PLANNER, "If-Match": '"2"'},
        status=200,
    )
    assert corrected.headers["ETag"] == '"3"'
    state = client.get(f"/api/v1/indicators/{indicator}", headers=ANALYST).json()
    assert state["measurements"][0]["value"] == "62.4" and state["baseline"] == {"value": "61.5", "period": "2020"}
    assert len(client.get("/api/v1/goals", headers=AUDITOR).json()["items"]) == 2
    history = client.get(f"/api/v1/indicators/{indicator}/history", headers=AUDITOR).json()
    assert [e["type"] for e in history][-1] == "Indicator.MeasurementCorrected"
    assert history[0]["actor"]["role"] == "planner"
    bad = post(client, "/api/v1/goals", {"title": "x", "sdg_targets": ["18.1"]})
    assert bad.status_code == 422 and bad.json()["rule"] == "goal.sdg_target_format"


def test_bad_input_gets_422_naming_the_field(client):
    response = post(
        client,
        "/api/v1/plans",
        {"name": "", "plan_type": "masterplan", "owning_unit": "U", "initiated_through_strategy": "maybe"},
    )
    assert response.status_code == 422
    problem = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert {e["pointer"] for e in problem["errors"]} == {"#/name", "#/plan_type", "#/initiated_through_strategy"}
    message = problem["detail"]
    assert "name" in message and "plan_type" in message and "initiated_through_strategy" in message
    assert "masterplan" not in response.text and "maybe" not in response.text  # a refusal never echoes values
    response = post(client, "/api/v1/plans", {"name": "P", "plan_type": "temaplan", "owning_unit": "U"})
    assert response.status_code == 422 and "initiated_through_strategy: Field required" in response.json()["detail"]
    response = post(
        client,
        "/api/v1/plans",
        {"name": "P", "plan_type": "temaplan", "owning_unit": "U", "initiated_through_strategy": True},
    )
    assert response.status_code == 422 and response.json()["rule"] == "plan.initiating_strategy_named"
    response = post(
        client,
        "/api/v1/decisions",
        {
            "body": "bystyre",
            "case_number": "1",
            "meeting_date": "2024-13-01",
            "subject": "s",
            "outcome": "adopted",
            "votes_for": -1,
        },
    )
    message = response.json()["detail"]
    assert response.status_code == 422 and "body" in message and "meeting_date" in message and "votes_for" in message
    response = post(
        client,
        "/api/v1/strategies",
        {"election_period": "2024-2027", "council_constituted_on": "2023-10-19", "extra": 1},
    )
    assert response.status_code == 422 and "extra" in response.json()["detail"]


def test_auth_missing_token_401_wrong_role_403_readers_allowed(client):
    assert client.get("/api/v1/plans").status_code == 401
    assert post(client, "/api/v1/plans", {}, headers={}).status_code == 401
    assert post(client, "/api/v1/plans", {}, headers={"Authorization": "Bearer nope"}).status_code == 401
    for headers in (ANALYST, AUDITOR, FACILITATOR, OPERATOR):
        assert post(client, "/api/v1/goals", {"title": "x"}, headers=headers).status_code == 403
    assert client.get("/api/v1/plans", headers=FACILITATOR).status_code == 403
    for headers in (PLANNER, ANALYST, AUDITOR):
        assert client.get("/api/v1/plans", headers=headers).status_code == 200


@pytest.mark.parametrize("path", ["goals", "indicators", "plans", "decisions", "strategies"])
def test_unknown_ids_are_404(client, path):
    response = client.get(f"/api/v1/{path}/{uuid4()}", headers=ANALYST)
    assert response.status_code == 404 and response.json()["rule"].endswith(".exists")
    assert client.get(f"/api/v1/{path}/{uuid4()}/history", headers=AUDITOR).status_code == 404
    assert client.get(f"/api/v1/{path}/not-a-uuid", headers=AUDITOR).status_code == 422


def test_plan_lifecycle_routes(client):
    goal = post(client, "/api/v1/goals", {"title": "Mål"}, status=201).json()["id"]
    parent = plan(client, name="Samfunnsdel", plan_type="kommuneplan_samfunnsdel")
    p = plan(client)
    successor = plan(client, name="Ny temaplan")
    assert client.put(f"/api/v1/plans/{p}/parent", json={"parent_plan_id": parent}, headers=PLANNER).status_code == 200
    cycle = client.put(f"/api/v1/plans/{parent}/parent", json={"parent_plan_id": p}, headers=PLANNER)
    assert cycle.status_code == 409 and cycle.json()["rule"] == "plan.hierarchy_without_cycles"
    post(client, f"/api/v1/plans/{p}/anchors", {"goal_id": goal}, status=200)
    assert post(client, f"/api/v1/plans/{p}/anchors", {"goal_id": str(uuid4())}).status_code == 404
    assert (
        client.put(
            f"/api/v1/plans/{p}/revision-schedule", json={"due": "2028-01-01", "reason": "Ny periode"}, headers=PLANNER
        ).status_code
        == 200
    )
    post(
        client,
        f"/api/v1/plans/{p}/status-changes",
        {"action": "step", "to": "in_preparation", "on": "2024-01-01"},
        status=200,
    )
    post(
        client,
        f"/api/v1/plans/{p}/status-changes",
        {"action": "adopt", "decision_id": decision(client, "2024-02-01")},
        status=200,
    )
    wrong = post(
        client, f"/api/v1/plans/{p}/status-changes", {"action": "step", "to": "under_revision", "on": "2024-02-02"}
    )
    assert wrong.status_code == 409 and wrong.json()["rule"] == "plan.lifecycle_transition"
    post(
        client,
        f"/api/v1/plans/{p}/status-changes",
        {"action": "step", "to": "in_force", "on": "2024-02-02"},
        status=200,
    )
    missing = post(client, f"/api/v1/plans/{p}/status-changes", {"action": "merge", "decision_id": str(uuid4())})
    assert missing.status_code == 422 and "target_id" in missing.json()["detail"]
    itself = post(
        client,
        f"/api/v1/plans/{p}/status-changes",
        {"action": "merge", "decision_id": decision(client, "2024-03-01"), "target_id": p},
    )
    assert itself.status_code == 409 and itself.json()["rule"] == "plan.successor_not_itself"
    post(
        client,
        f"/api/v1/plans/{p}/status-changes",
        {"action": "replace", "decision_id": decision(client, "2024-03-01"), "successor_id": successor},
        status=200,
    )
    state = client.get(f"/api/v1/plans/{p}", headers=ANALYST).json()
    assert state["status"] == "replaced" and state["successor_id"] == successor and state["goal_ids"] == [goal]
    for other, action in ((plan(client, name="x"), "repeal"), (plan(client, name="y"), "merge")):
        post(
            client,
            f"/api/v1/plans/{other}/status-changes",
            {"action": "step", "to": "in_preparation", "on": "2024-01-01"},
            status=200,
        )
        post(
            client,
            f"/api/v1/plans/{other}/status-changes",
            {"action": "adopt", "decision_id": decision(client, "2024-02-01")},
            status=200,
        )
        post(
            client,
            f"/api/v1/plans/{other}/status-changes",
            {"action": "step", "to": "in_force", "on": "2024-02-02"},
            status=200,
        )
        body = {"action": action, "decision_id": decision(client, "2024-04-01")}
        if action == "merge":
            body["target_id"] = successor
        post(client, f"/api/v1/plans/{other}/status-changes", body, status=200)


def test_statutory_adoption_refused_with_the_paragraph(client):
    p = plan(client, name="Kommunedelplan", plan_type="kommunedelplan")
    post(
        client,
        f"/api/v1/plans/{p}/status-changes",
        {"action": "step", "to": "in_preparation", "on": "2024-01-01"},
        status=200,
    )
    response = post(
        client, f"/api/v1/plans/{p}/status-changes", {"action": "adopt", "decision_id": decision(client, "2024-02-01")}
    )
    assert response.status_code == 409 and response.headers["content-type"] == "application/problem+json"
    assert response.json() == {
        "type": "urn:planspor:problem:rule",
        "title": "A rule refused the command",
        "status": 409,
        "rule": "plan.planprogram_before_adoption",
        "paragraph": "PBL §4-1",
        "detail": "PBL §4-1: a kommunedelplan needs an adopted planprogram before adoption",
    }
    assert client.get(f"/api/v1/plans/{p}", headers=ANALYST).json()["version"] == 2


def test_a_stale_if_match_is_409_and_a_malformed_one_422(client):
    p = plan(client)
    step = {"action": "step", "to": "in_preparation", "on": "2024-01-01"}
    etag = client.get(f"/api/v1/plans/{p}", headers=ANALYST).headers["ETag"]
    post(client, f"/api/v1/plans/{p}/status-changes", step, headers={**PLANNER, "If-Match": etag}, status=200)
    stale = client.put(
        f"/api/v1/plans/{p}/revision-schedule", json={"due": "2030-01-01"}, headers={**PLANNER, "If-Match": etag}
    )
    assert stale.status_code == 409 and stale.json()["rule"] == "concurrency.version_conflict"
    bad = client.put(
        f"/api/v1/plans/{p}/revision-schedule", json={"due": "2030-01-01"}, headers={**PLANNER, "If-Match": "yesterday"}
    )
    assert bad.status_code == 422 and bad.json()["rule"] == "request.if_match" and "If-Match" in bad.json()["detail"]
    assert bad.json()["errors"] == [{"pointer": "#", "location": "header.If-Match", "detail": 'a version such as "3"'}]
    any_version = client.put(
        f"/api/v1/plans/{p}/revision-schedule", json={"due": "2030-01-01"}, headers={**PLANNER, "If-Match": "*"}
    )
    assert any_version.status_code == 200 and any_version.headers["ETag"] == '"3"'
    assert client.get(f"/api/v1/plans/{p}", headers=ANALYST).headers["ETag"] == '"3"'


def test_a_retried_post_with_the_same_idempotency_key_acts_once(client):
    key = {"Idempotency-Key": f"k-{uuid4()}"}
    body = {"name": "P", "plan_type": "temaplan", "owning_unit": "U", "initiated_through_strategy": False}
    first = post(client, "/api/v1/plans", body, headers={**PLANNER, **key}, status=201)
    again = post(client, "/api/v1/plans", body, headers={**PLANNER, **key}, status=201)
    assert first.json() == again.json() and len(client.get("/api/v1/plans", headers=ANALYST).json()["items"]) == 1
    assert "Idempotent-Replayed" not in first.headers and again.headers["Idempotent-Replayed"] == "true"
    other = post(client, "/api/v1/plans", {**body, "name": "Q"}, headers={**PLANNER, **key})
    assert other.status_code == 422 and other.json()["rule"] == "idempotency.key_reused"
    assert len(client.get("/api/v1/plans", headers=ANALYST).json()["items"]) == 1


def test_strategy_routes_and_the_thirty_day_rule(client):
    kept, dropped = plan(client, name="Kulturplan"), plan(client, name="Idrettsplan")
    s = post(
        client,
        "/api/v1/strategies",
        {"election_period": "2024-2027", "council_constituted_on": "2023-10-19"},
        status=201,
    ).json()["id"]
    item = post(
        client,
        f"/api/v1/strategies/{s}/items",
        {"action": "repeal", "plan_id": kept, "timing": "2025", "rationale": "Utdatert"},
        status=201,
    ).json()
    assert item["version"] == 2
    other = str(uuid4())
    assert (
        client.put(
            f"/api/v1/strategies/{s}/items/{other}",
            json={"action": "revise", "plan_id": dropped, "timing": "2026", "rationale": "Behov"},
            headers=PLANNER,
        ).status_code
        == 200
    )
    assert client.delete(f"/api/v1/strategies/{s}/items/{uuid4()}", headers=PLANNER).status_code == 404
    removable = post(
        client,
        f"/api/v1/strategies/{s}/items",
        {"action": "new", "plan_name": "X", "timing": "2027", "rationale": "r"},
        status=201,
    ).json()["id"]
    assert client.delete(f"/api/v1/strategies/{s}/items/{removable}", headers=PLANNER).status_code == 200
    no_plan = post(client, f"/api/v1/strategies/{s}/items", {"action": "continue", "timing": "2025", "rationale": "r"})
    assert no_plan.status_code == 422 and no_plan.json()["rule"] == "strategy.item_concerns_plan"
    assert (
        client.put(
            f"/api/v1/strategies/{s}/kommuneplan-assessment",
            json={"samfunnsdel": "continue", "arealdel": "revise"},
            headers=PLANNER,
        ).status_code
        == 200
    )
    post(
        client,
        f"/api/v1/strategies/{s}/external-inputs",
        {"source": "state", "sender": "Statsforvalteren", "received_on": "2024-05-01", "summary": "Klima"},
        status=201,
    )
    post(
        client,
        f"/api/v1/strategies/{s}/evidence",
        {"kind": "public_health_overview", "title": "Folkehelseoversikt", "dated": "2023-06-01"},
        status=201,
    )
    post(client, f"/api/v1/strategies/{s}/publication", {"on": "2024-09-20"}, status=200)
    frozen = post(
        client, f"/api/v1/strategies/{s}/items", {"action": "new", "plan_name": "Y", "timing": "2025", "rationale": "r"}
    )
    assert frozen.status_code == 409 and frozen.json()["paragraph"] == "PBL §10-1"
    too_early = post(client, f"/api/v1/strategies/{s}/adoption", {"decision_id": decision(client, "2024-10-01")})
    assert too_early.status_code == 409
    assert too_early.json() == {
        "type": "urn:planspor:problem:rule",
        "title": "A rule refused the command",
        "status": 409,
        "rule": "strategy.published_30_days_before_meeting",
        "paragraph": "PBL §10-1",
        "detail": "PBL §10-1: published 2024-09-20, meeting 2024-10-01, 30 days required",
    }
    assert too_early.json() == readme_problem_example()
    committee = post(
        client,
        f"/api/v1/strategies/{s}/adoption",
        {"decision_id": decision(client, "2024-10-23", body="executive_committee")},
    )
    assert committee.status_code == 409 and committee.json()["rule"] == "strategy.adopted_by_council"
    amended = decision(
        client,
        "2024-10-23",
        outcome="adopted_with_amendments",
        strategy_id=s,
        amendments=[
            {
                "text": "Kulturplanen videreføres",
                "change": "set_item",
                "item_id": item["id"],
                "action": "continue",
                "plan_id": kept,
            },
            {"text": "Idrettsplanen utgår", "change": "remove_item", "item_id": other},
            {"text": "Ny beredskapsplan", "change": "set_item", "action": "new", "plan_name": "Beredskapsplan"},
        ],
        votes_for=35,
        votes_against=12,
        votes_blank=0,
    )
    post(client, f"/api/v1/strategies/{s}/adoption", {"decision_id": amended}, status=200)
    state = client.get(f"/api/v1/strategies/{s}", headers=AUDITOR).json()
    assert state["status"] == "adopted" and {i["origin"] for i in state["items"]} == {"council_amendment"}
    history = client.get(f"/api/v1/strategies/{s}/history", headers=AUDITOR).json()
    assert {e["causation_id"] for e in history[-4:]} == {amended}
    assert client.get(f"/api/v1/decisions/{amended}", headers=ANALYST).json()["votes"]["for"] == 35


def test_openapi_documents_every_route_with_roles_and_examples(client):
    schema = client.get("/openapi.json").json()
    operations = [op for path in schema["paths"].values() for op in path.values()]
    assert all(op.get("summary") for op in operations)
    assert "/api/v1/strategies/{strategy_id}/adoption" in schema["paths"]
    assert "/events" in schema["paths"]
    assert "examples" in str(schema["components"]["schemas"]["PlanIn"])


def test_openapi_declares_problem_details_for_the_error_statuses_of_every_route(client):
    schema = client.get("/openapi.json").json()
    assert "Problem" in schema["components"]["schemas"]
    checked = 0
    for path, operations in schema["paths"].items():
        if not path.startswith("/api/v1/"):
            continue
        for method, operation in operations.items():
            expected = {"401", "403", "404", "422", "503"} | ({"409"} if method != "get" else set())
            assert expected <= set(operation["responses"]), (method, path)
            for status in expected:
                content = operation["responses"][status]["content"]
                assert content["application/problem+json"]["schema"] == {"$ref": "#/components/schemas/Problem"}
            checked += 1
    assert checked == 37  # 15 reads (5 kinds x list, one, history) and 22 commands


def test_a_command_records_the_conversation_and_its_cause_and_echoes_the_correlation_id(client):
    made = post(client, "/api/v1/goals", {"title": "Mål"}, status=201)
    correlation = made.headers["X-Correlation-Id"]
    assert correlation
    sent = post(
        client,
        "/api/v1/goals",
        {"title": "Delmål", "parent_goal_id": made.json()["id"]},
        status=201,
        headers={**PLANNER, "X-Correlation-Id": "seminar-2022-04-29", "X-Causation-Id": "workshop-7"},
    )
    assert sent.headers["X-Correlation-Id"] == "seminar-2022-04-29"
    first = client.get(f"/api/v1/goals/{made.json()['id']}/history", headers=AUDITOR).json()[0]
    second = client.get(f"/api/v1/goals/{sent.json()['id']}/history", headers=AUDITOR).json()[0]
    assert (first["correlation_id"], first["causation_id"]) == (correlation, None)
    assert (second["correlation_id"], second["causation_id"]) == ("seminar-2022-04-29", "workshop-7")
    refused = post(client, "/api/v1/goals", {"title": ""}, headers={**PLANNER, "X-Correlation-Id": "c-9"})
    assert refused.status_code == 422 and refused.headers["X-Correlation-Id"] == "c-9"


def test_a_retried_item_without_an_id_names_the_same_item(client):
    s = post(
        client,
        "/api/v1/strategies",
        {"election_period": "2024-2027", "council_constituted_on": "2023-10-19"},
        status=201,
    ).json()["id"]
    key = {**PLANNER, "Idempotency-Key": f"k-{uuid4()}"}
    body = {"action": "new", "plan_name": "Plan for klimatilpasning", "timing": "2025", "rationale": "Behov"}
    first = post(client, f"/api/v1/strategies/{s}/items", body, headers=key, status=201)
    again = post(client, f"/api/v1/strategies/{s}/items", body, headers=key, status=201)
    assert first.json() == again.json() and first.headers["ETag"] == again.headers["ETag"] == '"2"'
    assert len(client.get(f"/api/v1/strategies/{s}", headers=ANALYST).json()["items"]) == 1


def test_an_unknown_strategy_is_named_as_a_strategy(client):
    response = post(client, f"/api/v1/strategies/{uuid4()}/publication", {"on": "2024-09-20"})
    assert response.status_code == 404
    assert response.json()["rule"] == "strategy.exists" and response.json()["type"] == "urn:planspor:problem:not-found"


def test_the_api_offers_exactly_the_domains_dated_steps_and_item_origins():
    assert set(get_args(StepIn.model_fields["to"].annotation)) == {s.value for s in DATED_STEPS}
    assert set(get_args(ItemIn.model_fields["origin"].annotation)) == set(ItemOrigin) - {ItemOrigin.COUNCIL_AMENDMENT}
