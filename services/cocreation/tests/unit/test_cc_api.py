"""Every route through HTTP: success, bad input (422 naming the field), wrong role (403),
missing token (401), unknown id (404), concurrent change (409) and idempotent retry; every
refusal an RFC 9457 problem, every read of one aggregate and every command with its ETag."""

import json
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import pytest
from cc_app_suite import Clock, plan_event
from fastapi.testclient import TestClient

from cocreation.application import in_memory
from cocreation.bootstrap import build
from cocreation.settings import Settings
from planspor_runtime.access import DEVELOPMENT_TOKENS, Role

pytestmark = pytest.mark.unit


def auth(role: Role) -> dict[str, str]:
    return {"Authorization": f"Bearer {DEVELOPMENT_TOKENS[role]}"}


F, A, AU, P, OP = (auth(r) for r in (Role.FACILITATOR, Role.ANALYST, Role.AUDITOR, Role.PLANNER, Role.OPERATOR))


@pytest.fixture
def app():
    return in_memory(clock=Clock(datetime(2024, 3, 1, 9, tzinfo=UTC)))


@pytest.fixture
def client(app):
    service = build(Settings(cocreation_store="memory"), application=app)
    with TestClient(service.api) as client:
        yield client


@pytest.fixture(scope="module")
def story():
    """One finished process shared by the tests that change nothing (reads, refusals)."""
    app = in_memory(clock=Clock(datetime(2024, 3, 1, 9, tzinfo=UTC)))
    service = build(Settings(cocreation_store="memory"), application=app)
    with TestClient(service.api) as client:
        yield client, full_story(client, app)


PROCESS = {
    "title": "Strategy 2024-2027",
    "purpose": "Prioritise",
    "election_period": "2024-2027",
    "roles_and_limits": "Officials decide",
    "all_officials_invited": True,
    "follow_up_days": 14,
}


def post(client, url, body=None, headers=F, status=201, **extra):
    response = client.post(url, json=body, headers={**headers, **extra})
    assert response.status_code == status, response.text
    return response.json()


def new_process(client) -> str:
    return post(client, "/api/v1/processes", PROCESS)["process_id"]


def official(client, pid, party="H") -> str:
    return post(
        client,
        f"/api/v1/processes/{pid}/participants",
        {
            "name": f"Official {uuid4().hex[:5]}",
            "kind": "elected_official",
            "role": "member",
            "party": party,
            "body": "municipal_council",
        },
    )["participant_id"]


def full_story(client, app):
    """Start to hand-over through HTTP; returns the ids."""
    pid = new_process(client)
    officials = [official(client, pid, p) for p in ("H", "Ap")]
    post(client, f"/api/v1/processes/{pid}/phase", {"to": "workshops"}, status=200)
    wid = post(
        client,
        f"/api/v1/processes/{pid}/workshops",
        {"title": "Seminar", "on": "2024-03-01", "format": "in_person", "agenda": ["Plans"]},
    )["workshop_id"]
    post(client, f"/api/v1/workshops/{wid}/held", {"held_on": "2024-03-01", "attendee_ids": officials}, status=200)
    app.on_plan_event(plan_event("plan-a", 1, title="Transport plan"))
    iid = post(
        client,
        f"/api/v1/workshops/{wid}/inputs",
        {"author_id": officials[0], "kind": "need", "text": "Fewer plans", "plan_ids": ["plan-a"]},
    )["input_id"]
    needs = [
        post(client, f"/api/v1/processes/{pid}/plan-needs", body)["plan_need_id"]
        for body in (
            {"input_ids": [iid], "kind": "new", "title": "Climate plan", "plan_type": "temaplan"},
            {"input_ids": [iid], "kind": "revise", "title": "Revise transport", "plan_id": "plan-a"},
        )
    ]
    post(client, f"/api/v1/processes/{pid}/phase", {"to": "prioritisation"}, status=200)
    vid = post(
        client, f"/api/v1/processes/{pid}/prioritisations", {"method": "borda", "candidate_ids": needs, "quorum": 2}
    )["prioritisation_id"]
    for o in officials:
        post(client, f"/api/v1/prioritisations/{vid}/ballots", {"participant_id": o, "ranking": needs[::-1]})
    post(client, f"/api/v1/prioritisations/{vid}/close", status=200)
    post(client, f"/api/v1/processes/{pid}/phase", {"to": "recommendation"}, status=200)
    rid = post(
        client,
        f"/api/v1/processes/{pid}/recommendation",
        {"prioritisation_id": vid, "items": [{"need_id": needs[1], "action": "revise", "start_year": 2025}]},
    )["recommendation_id"]
    return dict(pid=pid, officials=officials, wid=wid, iid=iid, needs=needs, vid=vid, rid=rid)


def test_the_whole_process_through_http(client, app):
    ids = full_story(client, app)
    for reader in (F, A, AU):
        process = client.get(f"/api/v1/processes/{ids['pid']}", headers=reader).json()
        assert process["phase"] == "handed_over" and process["recommendation_id"] == ids["rid"]
    recommendation = client.get(f"/api/v1/recommendations/{ids['rid']}", headers=A).json()
    assert recommendation["items"][0]["plan_title"] == "Transport plan"
    vote = client.get(f"/api/v1/prioritisations/{ids['vid']}", headers=AU).json()
    assert vote["status"] == "made" and vote["result"][0]["need_id"] == ids["needs"][1]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/processes",
        "/api/v1/processes/{pid}",
        "/api/v1/processes/{pid}/workshops",
        "/api/v1/processes/{pid}/inputs",
        "/api/v1/processes/{pid}/plan-needs",
        "/api/v1/processes/{pid}/prioritisations",
        "/api/v1/processes/{pid}/participation",
        "/api/v1/workshops/{wid}",
        "/api/v1/inputs/{iid}",
        "/api/v1/plan-needs/{need}",
        "/api/v1/prioritisations/{vid}",
        "/api/v1/recommendations/{rid}",
        "/api/v1/history/{pid}",
        "/api/v1/plans",
        "/api/v1/plans/plan-a",
    ],
)
def test_every_read_route_for_readers_and_refused_otherwise(story, path):
    client, ids = story
    url = path.format(need=ids["needs"][0], **ids)
    for reader in (F, A, AU):
        assert client.get(url, headers=reader).status_code == 200
    assert client.get(url, headers=P).status_code == 403
    assert client.get(url, headers=OP).status_code == 403
    assert client.get(url).status_code == 401
    assert client.get(url, headers={"Authorization": "Bearer nope"}).status_code == 401


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/processes/{x}",
        "/api/v1/processes/{x}/workshops",
        "/api/v1/processes/{x}/participation",
        "/api/v1/workshops/{x}",
        "/api/v1/inputs/{x}",
        "/api/v1/plan-needs/{x}",
        "/api/v1/prioritisations/{x}",
        "/api/v1/recommendations/{x}",
        "/api/v1/history/{x}",
        "/api/v1/plans/{x}",
        "/api/v1/history/not-a-uuid",
    ],
)
def test_unknown_ids_are_404(client, path):
    response = client.get(path.format(x=uuid4()), headers=A)
    assert response.status_code == 404
    problem = response.json()
    assert problem["type"] == "urn:planspor:problem:not-found" and problem["rule"].endswith(".exists"), problem


COMMANDS = [
    ("/api/v1/processes", PROCESS),
    ("/api/v1/processes/{pid}/participants", {"name": "X", "kind": "administration", "role": "planner"}),
    ("/api/v1/processes/{pid}/phase", {"to": "workshops"}),
    ("/api/v1/processes/{pid}/workshops", {"title": "S", "on": "2024-03-01", "format": "digital", "agenda": ["a"]}),
    ("/api/v1/workshops/{wid}/held", {"held_on": "2024-03-01", "attendee_ids": ["x"]}),
    ("/api/v1/workshops/{wid}/inputs", {"author_id": "x", "kind": "idea", "text": "t"}),
    ("/api/v1/processes/{pid}/plan-needs", {"input_ids": ["x"], "kind": "new", "title": "t"}),
    ("/api/v1/processes/{pid}/prioritisations", {"method": "approval", "candidate_ids": ["a", "b"], "quorum": 1}),
    ("/api/v1/prioritisations/{vid}/ballots", {"participant_id": "x", "approvals": ["a"]}),
    ("/api/v1/prioritisations/{vid}/close", None),
    (
        "/api/v1/processes/{pid}/recommendation",
        {"prioritisation_id": "x", "items": [{"need_id": "a", "action": "new", "start_year": 2025}]},
    ),
]


@pytest.mark.parametrize("path, body", COMMANDS)
def test_commands_need_the_facilitator(story, path, body):
    client, ids = story
    url = path.format(**ids)
    for other in (A, AU, P, OP):
        assert client.post(url, json=body, headers=other).status_code == 403
    assert client.post(url, json=body).status_code == 401


@pytest.mark.parametrize(
    "path, body, field",
    [
        ("/api/v1/processes", {**PROCESS, "title": ""}, "title"),
        ("/api/v1/processes", {k: v for k, v in PROCESS.items() if k != "purpose"}, "purpose"),
        ("/api/v1/processes", {**PROCESS, "election_period": "2024"}, "election_period"),
        ("/api/v1/processes", {**PROCESS, "follow_up_days": -1}, "follow_up_days"),
        ("/api/v1/processes", {**PROCESS, "surprise": 1}, "surprise"),
        ("/api/v1/processes/{pid}/participants", {"name": "X", "kind": "mayor", "role": "r"}, "kind"),
        (
            "/api/v1/processes/{pid}/participants",
            {"name": "X", "kind": "elected_official", "role": "r", "body": "parliament"},
            "body",
        ),
        ("/api/v1/processes/{pid}/phase", {"to": "somewhere"}, "to"),
        (
            "/api/v1/processes/{pid}/workshops",
            {"title": "S", "on": "yesterday", "format": "digital", "agenda": ["a"]},
            "on",
        ),
        (
            "/api/v1/processes/{pid}/workshops",
            {"title": "S", "on": "2024-03-01", "format": "digital", "agenda": []},
            "agenda",
        ),
        ("/api/v1/workshops/{wid}/held", {"held_on": "2024-03-01", "attendee_ids": []}, "attendee_ids"),
        ("/api/v1/workshops/{wid}/inputs", {"author_id": "x", "kind": "rant", "text": "t"}, "kind"),
        ("/api/v1/workshops/{wid}/inputs", {"author_id": "x", "kind": "idea", "text": "   "}, "text"),
        ("/api/v1/processes/{pid}/plan-needs", {"input_ids": [], "kind": "new", "title": "t"}, "input_ids"),
        (
            "/api/v1/processes/{pid}/prioritisations",
            {"method": "poll", "candidate_ids": ["a", "b"], "quorum": 1},
            "method",
        ),
        (
            "/api/v1/processes/{pid}/prioritisations",
            {"method": "borda", "candidate_ids": ["a", "b"], "quorum": 0},
            "quorum",
        ),
        ("/api/v1/prioritisations/{vid}/ballots", {"participant_id": "x"}, "(body)"),
        ("/api/v1/prioritisations/{vid}/ballots", {"participant_id": "x", "dots": {"a": -1}}, "dots.a"),
        ("/api/v1/processes/{pid}/recommendation", {"prioritisation_id": "x", "items": []}, "items"),
        (
            "/api/v1/processes/{pid}/recommendation",
            {"prioritisation_id": "x", "items": [{"need_id": "a", "action": "drop", "start_year": 2025}]},
            "items.0.action",
        ),
    ],
)
def test_bad_input_is_422_naming_the_field(story, path, body, field):
    client, ids = story
    response = client.post(path.format(**ids), json=body, headers=F)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    location = "body" if field == "(body)" else f"body.{field}"
    assert location in [e["location"] for e in response.json()["errors"]], response.json()


def test_domain_rules_map_to_409_or_422_with_the_rule(client, app):
    pid = new_process(client)
    # a state conflict: advancing without an elected official
    response = client.post(f"/api/v1/processes/{pid}/phase", json={"to": "workshops"}, headers=F)
    assert response.status_code == 409
    assert response.json()["rule"] == "process.phase_ready"
    # an invalid value: a prerequisite missing
    response = client.post("/api/v1/processes", json={**PROCESS, "all_officials_invited": False}, headers=F)
    assert response.status_code == 422 and response.json()["rule"] == "process.prerequisites"
    # an official without a party
    response = client.post(
        f"/api/v1/processes/{pid}/participants",
        headers=F,
        json={"name": "K", "kind": "elected_official", "role": "m", "body": "municipal_council"},
    )
    assert response.status_code == 422 and response.json()["rule"] == "participant.details"


def test_an_input_about_an_unknown_plan_is_422_naming_the_plan(client, app):
    pid = new_process(client)
    o = official(client, pid)
    post(client, f"/api/v1/processes/{pid}/phase", {"to": "workshops"}, status=200)
    wid = post(
        client,
        f"/api/v1/processes/{pid}/workshops",
        {"title": "S", "on": "2024-03-01", "format": "digital", "agenda": ["a"]},
    )["workshop_id"]
    post(client, f"/api/v1/workshops/{wid}/held", {"held_on": "2024-03-01", "attendee_ids": [o]}, status=200)
    response = client.post(
        f"/api/v1/workshops/{wid}/inputs",
        headers=F,
        json={"author_id": o, "kind": "idea", "text": "t", "plan_ids": ["plan-ghost"]},
    )
    assert response.status_code == 422
    assert response.json()["rule"] == "input.plan_known" and "plan-ghost" in response.json()["detail"]


def test_commands_on_unknown_ids_are_404(client):
    x = uuid4()
    assert client.post(f"/api/v1/processes/{x}/phase", json={"to": "workshops"}, headers=F).status_code == 404
    assert client.post(f"/api/v1/prioritisations/{x}/close", headers=F).status_code == 404
    assert (
        client.post(
            f"/api/v1/workshops/{x}/held", headers=F, json={"held_on": "2024-03-01", "attendee_ids": ["a"]}
        ).status_code
        == 404
    )


def test_a_stale_if_match_is_409_and_a_bad_one_422(client):
    pid = new_process(client)
    official(client, pid)
    body = {"name": "K", "kind": "administration", "role": "planner"}
    stale = client.post(f"/api/v1/processes/{pid}/participants", json=body, headers={**F, "If-Match": "1"})
    assert stale.status_code == 409 and stale.json()["rule"] == "concurrency.version_conflict"
    bad = client.post(f"/api/v1/processes/{pid}/participants", json=body, headers={**F, "If-Match": "latest"})
    assert bad.status_code == 422 and bad.json()["rule"] == "request.if_match"
    fresh = client.post(f"/api/v1/processes/{pid}/participants", json=body, headers={**F, "If-Match": '"2"'})
    assert fresh.status_code == 201 and fresh.json()["version"] == 3


def test_if_match_star_means_any_version(client):
    pid = new_process(client)
    official(client, pid)
    body = {"name": "K", "kind": "administration", "role": "planner"}
    anyway = client.post(f"/api/v1/processes/{pid}/participants", json=body, headers={**F, "If-Match": "*"})
    assert anyway.status_code == 201 and anyway.json()["version"] == 3


def test_a_read_carries_the_version_as_etag_and_a_command_sent_with_it_succeeds_once(client):
    # 1. the read's ETag is the version of the process
    pid = new_process(client)
    read = client.get(f"/api/v1/processes/{pid}", headers=F)
    assert read.headers["ETag"] == '"1"' and read.json()["version"] == 1
    # 2. a command sent with it answers with the version it recorded
    body = {"name": "K", "kind": "administration", "role": "planner"}
    enrolled = client.post(
        f"/api/v1/processes/{pid}/participants", json=body, headers={**F, "If-Match": read.headers["ETag"]}
    )
    assert enrolled.status_code == 201 and enrolled.headers["ETag"] == '"2"' and enrolled.json()["version"] == 2
    # 3. the same ETag again is stale
    again = client.post(
        f"/api/v1/processes/{pid}/participants",
        json={**body, "name": "L"},
        headers={**F, "If-Match": read.headers["ETag"]},
    )
    assert again.status_code == 409 and again.json()["rule"] == "concurrency.version_conflict"


def test_every_read_of_one_aggregate_carries_its_etag(story):
    client, ids = story
    for path in (
        "/api/v1/processes/{pid}",
        "/api/v1/workshops/{wid}",
        "/api/v1/inputs/{iid}",
        "/api/v1/plan-needs/{need}",
        "/api/v1/prioritisations/{vid}",
        "/api/v1/recommendations/{rid}",
    ):
        response = client.get(path.format(need=ids["needs"][0], **ids), headers=A)
        assert response.headers["ETag"] == f'"{response.json()["version"]}"', path


def test_a_retried_post_with_the_same_idempotency_key_returns_the_first_result(client):
    key = {"Idempotency-Key": f"k-{uuid4()}"}
    first = post(client, "/api/v1/processes", PROCESS, **key)
    again = post(client, "/api/v1/processes", PROCESS, **key)
    assert first == again
    listed = client.get("/api/v1/processes", headers=A).json()["items"]
    assert [p["process_id"] for p in listed].count(first["process_id"]) == 1
    reused = client.post("/api/v1/processes", json={**PROCESS, "title": "Other"}, headers={**F, **key})
    assert reused.status_code == 422 and reused.json()["rule"] == "idempotency.key_reused"


def test_the_actor_is_the_caller(client):
    pid = new_process(client)
    history = client.get(f"/api/v1/history/{pid}", headers=AU).json()
    assert history[0]["actor"]["role"] == "facilitator"
    assert history[0]["correlation_id"]


def test_the_correlation_id_sent_is_recorded_and_echoed_and_one_is_made_when_none_is_sent(client):
    sent = client.post(
        "/api/v1/processes",
        json=PROCESS,
        headers={**F, "X-Correlation-Id": "corr-seminar", "X-Causation-Id": "cause-1"},
    )
    assert sent.headers["X-Correlation-Id"] == "corr-seminar"
    recorded = client.get(f"/api/v1/history/{sent.json()['process_id']}", headers=AU).json()[0]
    assert (recorded["correlation_id"], recorded["causation_id"]) == ("corr-seminar", "cause-1")
    unsent = client.post("/api/v1/processes", json=PROCESS, headers=F)
    made = unsent.headers["X-Correlation-Id"]
    assert (
        made
        and client.get(f"/api/v1/history/{unsent.json()['process_id']}", headers=AU).json()[0]["correlation_id"] == made
    )


def test_health(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/health", headers=OP).json()["status"] == "ok"
    assert client.get("/health", headers=F).status_code == 403
    assert client.get("/health").status_code == 401


def test_openapi_documents_every_route(client):
    spec = client.get("/openapi.json").json()
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            assert operation.get("summary"), f"{method} {path} has no summary"


def test_openapi_declares_problem_details_for_every_error_status_of_the_api(client):
    spec = client.get("/openapi.json").json()
    operations = [
        (method, path, operation)
        for path, methods in spec["paths"].items()
        if path.startswith("/api/v1")
        for method, operation in methods.items()
    ]
    assert operations
    for method, path, operation in operations:
        expected = {"401", "403", "404", "409", "422", "503"} if method == "post" else {"401", "403", "404", "422"}
        declared = {
            status
            for status, response in operation["responses"].items()
            if "application/problem+json" in response.get("content", {})
        }
        assert expected <= declared, f"{method} {path} declares problem details for {sorted(declared)} only"
    assert {"type", "title", "status", "detail"} <= set(spec["components"]["schemas"]["Problem"]["properties"])


def test_placeholder_tokens_refused_outside_development():
    with pytest.raises(ValueError, match="development tokens"):
        build(Settings(planspor_env="production", cocreation_store="memory"))


def test_the_problem_shown_in_the_readme_is_what_the_api_answers(client, app):
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    shown = json.loads(readme.split("### Errors", 1)[1].split("```json", 1)[1].split("```", 1)[0])
    # 1. three officials may vote, the quorum is two, one has voted
    pid = new_process(client)
    officials = [official(client, pid, p) for p in ("H", "Ap", "V")]
    post(client, f"/api/v1/processes/{pid}/phase", {"to": "workshops"}, status=200)
    wid = post(
        client,
        f"/api/v1/processes/{pid}/workshops",
        {"title": "S", "on": "2024-03-01", "format": "digital", "agenda": ["a"]},
    )["workshop_id"]
    post(client, f"/api/v1/workshops/{wid}/held", {"held_on": "2024-03-01", "attendee_ids": officials}, status=200)
    iid = post(
        client, f"/api/v1/workshops/{wid}/inputs", {"author_id": officials[0], "kind": "need", "text": "Fewer plans"}
    )["input_id"]
    needs = [
        post(client, f"/api/v1/processes/{pid}/plan-needs", {"input_ids": [iid], "kind": "new", "title": t})[
            "plan_need_id"
        ]
        for t in ("A", "B")
    ]
    post(client, f"/api/v1/processes/{pid}/phase", {"to": "prioritisation"}, status=200)
    vid = post(
        client, f"/api/v1/processes/{pid}/prioritisations", {"method": "approval", "candidate_ids": needs, "quorum": 2}
    )["prioritisation_id"]
    post(client, f"/api/v1/prioritisations/{vid}/ballots", {"participant_id": officials[0], "approvals": [needs[0]]})
    # 2. closing now is refused with the README's problem
    refused = client.post(f"/api/v1/prioritisations/{vid}/close", headers=F)
    assert refused.status_code == shown["status"]
    assert refused.json() == shown
