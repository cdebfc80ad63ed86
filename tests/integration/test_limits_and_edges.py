"""No input can stall a pipeline, and every edge says who may call it (issue 12).

The services' real apps on SQLite (plan-registry's relay on the test stack's NATS, with its own
account): a 5 MB description is refused with 422 naming the field and its limit, nothing is
stored and the next goal still reaches the feed; a body over the body limit gets 413; an event
whose envelope would be over 256 KiB is refused by the application base; booleans and numbers
are strict; every route of every service's OpenAPI declares the bearer scheme and its roles; the
real 401, 409, 413 and 422 bodies match the problem schema the document declares for them.
"""

from __future__ import annotations

import asyncio
import json
from contextlib import asynccontextmanager
from typing import Any

import httpx
import jsonschema
import nats
import pytest
from fastapi import FastAPI
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from cocreation.bootstrap import build as cocreation
from cocreation.settings import Settings as CocreationSettings
from knowledge.api import create_app as knowledge_app
from knowledge.bootstrap import bootstrap as knowledge_bootstrap
from knowledge.settings import Settings as KnowledgeSettings
from plan_registry.bootstrap import build as plan_registry
from plan_registry.settings import Settings as PlanRegistrySettings
from planspor_runtime.access import OPEN_PATHS
from planspor_runtime.http import MAX_BODY_BYTES
from planspor_runtime.relay import Relay
from planspor_shared.limits import MAX_ENVELOPE_BYTES, TEXT_MAX
from planspor_shared.subjects import stream_name

pytestmark = pytest.mark.integration

PROBLEM = "application/problem+json"
PLANNER = {"Authorization": "Bearer dev-planner-token"}
FACILITATOR = {"Authorization": "Bearer dev-facilitator-token"}
AUDITOR = {"Authorization": "Bearer dev-auditor-token"}
DECISION = {
    "body": "municipal_council",
    "case_number": "24/00123",
    "meeting_date": "2024-10-16",
    "subject": "Kommunal planstrategi 2024-2027",
    "outcome": "adopted",
}


def plan_registry_settings(tmp_path, **more: Any) -> PlanRegistrySettings:
    return PlanRegistrySettings(
        plan_registry_store="sqlite",
        plan_registry_sqlite_path=str(tmp_path / "plan-registry.sqlite"),
        plan_registry_signing_key_file=str(tmp_path / "plan-registry.key"),
        **more,
    )


def cocreation_settings(tmp_path) -> CocreationSettings:
    return CocreationSettings(
        cocreation_store="sqlite",
        cocreation_sqlite_path=str(tmp_path / "cocreation.sqlite"),
        cocreation_signing_key_file=str(tmp_path / "cocreation.key"),
    )


def knowledge() -> FastAPI:
    """The knowledge app with a Neo4j it never reaches: its edge answers before any route runs."""
    settings = KnowledgeSettings(
        neo4j_uri="bolt://127.0.0.1:9", neo4j_user="neo4j", neo4j_password="unused", plan_registry_url=None
    )
    return knowledge_app(knowledge_bootstrap(settings), run_projector=False)


@asynccontextmanager
async def running(app: FastAPI):
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://svc") as http:
            yield http


def stored_events(application) -> int:
    return len(application.notification_log.select(start=1, limit=1000))


def goal(title: str, description: str = "") -> dict[str, str]:
    return {"title": title, "description": description}


# --------------------------------------------------------------------------- no input can stall a pipeline


def test_a_5_mb_description_is_refused_naming_the_field_and_the_limit_and_nothing_is_stored(
    tmp_path, nats_url, nats_accounts, subject_prefix
):
    account = nats_accounts["plan-registry"]
    service = plan_registry(
        plan_registry_settings(
            tmp_path,
            plan_registry_relay=True,
            nats_url=account.url,
            nats_user=account.user,
            nats_password=account.password,
            planspor_subject_prefix=subject_prefix,
        )
    )

    async def story() -> None:
        async with running(service.api) as http:
            (relay,) = [part for part in service.background if isinstance(part, Relay)]
            assert (await http.post("/api/v1/goals", json=goal("Gode liv"), headers=PLANNER)).status_code == 201
            await relay.wait_caught_up(timeout=30)
            before = stored_events(service.application)

            refused = await http.post(
                "/api/v1/goals", json=goal("Trygt", "x" * 5_000_000), headers={**PLANNER, "Idempotency-Key": "5mb"}
            )
            assert refused.status_code == 422, refused.text
            assert refused.headers["content-type"] == PROBLEM
            problem = refused.json()
            assert problem["errors"] == [
                {
                    "pointer": "#/description",
                    "location": "body.description",
                    "detail": f"String should have at most {TEXT_MAX} characters",
                }
            ]
            assert "body.description" in problem["detail"] and str(TEXT_MAX) in problem["detail"]
            assert "xxxx" not in refused.text, "a refusal never echoes the value"
            assert stored_events(service.application) == before

            # the pipeline goes on: the next goal is stored, published and in the feed
            assert (await http.post("/api/v1/goals", json=goal("Grønt"), headers=PLANNER)).status_code == 201
            state = await relay.wait_caught_up(timeout=30)
            assert state.position == 2
            feed = (await http.get("/events", params={"after": 0}, headers=AUDITOR)).json()
            assert [(e["position"], e["payload"]["title"]) for e in feed["events"]] == [(1, "Gode liv"), (2, "Grønt")]
            assert stored_events(service.application) == before + 1

    try:
        asyncio.run(story())
    finally:
        asyncio.run(delete_stream(nats_url, subject_prefix))


async def delete_stream(nats_url: str, prefix: str) -> None:
    client = await nats.connect(nats_url)
    try:
        await client.jetstream().delete_stream(stream_name(prefix))
    except nats.js.errors.NotFoundError:
        pass
    finally:
        await client.close()


def test_an_event_over_the_envelope_limit_is_refused_by_the_application_base(tmp_path):
    service = plan_registry(plan_registry_settings(tmp_path))
    amendments = [{"text": "Endring " + "x" * (TEXT_MAX - 8)} for _ in range(16)]

    async def story() -> None:
        async with running(service.api) as http:
            small = await http.post(
                "/api/v1/decisions", json={**DECISION, "amendments": amendments[:2]}, headers=PLANNER
            )
            assert small.status_code == 201, small.text
            before = stored_events(service.application)
            # every field within its maximum, and the body far under the body limit: only the event is too large
            body = json.dumps({**DECISION, "case_number": "24/00124", "amendments": amendments})
            assert len(body) < MAX_BODY_BYTES
            refused = await http.post(
                "/api/v1/decisions", content=body, headers={**PLANNER, "Content-Type": "application/json"}
            )
            assert refused.status_code == 422, refused.text
            problem = refused.json()
            assert problem["rule"] == "event.too_large"
            assert "decision.recorded" in problem["detail"] and str(MAX_ENVELOPE_BYTES) in problem["detail"]
            assert stored_events(service.application) == before

    asyncio.run(story())


@pytest.mark.parametrize("which", ["plan-registry", "cocreation", "knowledge"])
def test_a_body_over_the_limit_is_413_before_it_is_read(tmp_path, which):
    async def story() -> None:
        if which == "knowledge":
            app, path, headers = knowledge(), "/api/v1/cypher", {"Authorization": "Bearer dev-analyst-token"}
        elif which == "cocreation":
            app, path, headers = cocreation(cocreation_settings(tmp_path)).api, "/api/v1/processes", FACILITATOR
        else:
            app, path, headers = plan_registry(plan_registry_settings(tmp_path)).api, "/api/v1/goals", PLANNER
        body = json.dumps(goal("Gode liv", "x" * MAX_BODY_BYTES))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://svc") as http:
            answer = await http.post(path, content=body, headers={**headers, "Content-Type": "application/json"})
            assert answer.status_code == 413, answer.text
            assert answer.headers["content-type"] == PROBLEM
            problem = answer.json()
            assert problem["rule"] == "request.body_too_large"
            assert str(len(body)) in problem["detail"] and str(MAX_BODY_BYTES) in problem["detail"]
            # a stranger's big body is refused for the token first
            stranger = await http.post(path, content=body, headers={"Content-Type": "application/json"})
            assert stranger.status_code == 401

    asyncio.run(story())


# --------------------------------------------------------------------------- strict numbers and booleans

PROCESS = {
    "title": "Samskaping",
    "purpose": "Prioritere planarbeidet",
    "election_period": "2024-2027",
    "roles_and_limits": "Politikerne prioriterer",
    "all_officials_invited": True,
}
PLAN = {"name": "Temaplan for idrett", "plan_type": "temaplan", "owning_unit": "Kultur"}


@pytest.mark.parametrize(
    ("which", "path", "body", "field"),
    [
        ("cocreation", "/api/v1/processes", {**PROCESS, "follow_up_days": False}, "follow_up_days"),
        ("cocreation", "/api/v1/processes", {**PROCESS, "follow_up_days": "14"}, "follow_up_days"),
        ("cocreation", "/api/v1/processes", {**PROCESS, "all_officials_invited": 1}, "all_officials_invited"),
        ("plan-registry", "/api/v1/plans", {**PLAN, "initiated_through_strategy": 0}, "initiated_through_strategy"),
        (
            "plan-registry",
            "/api/v1/plans",
            {**PLAN, "initiated_through_strategy": "false"},
            "initiated_through_strategy",
        ),
        ("plan-registry", "/api/v1/decisions", {**DECISION, "votes_for": True}, "votes_for"),
        ("plan-registry", "/api/v1/decisions", {**DECISION, "unanimous": 1}, "unanimous"),
    ],
)
def test_a_boolean_is_no_number_and_a_number_no_boolean(tmp_path, which, path, body, field):
    if which == "cocreation":
        service, headers = cocreation(cocreation_settings(tmp_path)), FACILITATOR
    else:
        service, headers = plan_registry(plan_registry_settings(tmp_path)), PLANNER

    async def story() -> None:
        async with running(service.api) as http:
            answer = await http.post(path, json=body, headers=headers)
            assert answer.status_code == 422, answer.text
            assert [e["location"] for e in answer.json()["errors"]] == [f"body.{field}"]
            assert stored_events(service.application) == 0

    asyncio.run(story())


# --------------------------------------------------------------------------- what the OpenAPI documents declare


def documents(tmp_path) -> dict[str, FastAPI]:
    return {
        "plan-registry": plan_registry(plan_registry_settings(tmp_path)).api,
        "cocreation": cocreation(cocreation_settings(tmp_path)).api,
        "knowledge": knowledge(),
    }


def test_every_route_of_every_service_declares_its_security_and_roles(tmp_path):
    for name, app in documents(tmp_path).items():
        document = app.openapi()
        scheme = document["components"]["securitySchemes"]["bearer"]
        assert (scheme["type"], scheme["scheme"]) == ("http", "bearer"), name
        assert "HTTPValidationError" not in json.dumps(document), name
        secured = 0
        for path, operations in document["paths"].items():
            for method, operation in operations.items():
                where = f"{name} {method.upper()} {path}"
                if path in OPEN_PATHS:
                    assert operation["security"] == [], where
                    continue
                secured += 1
                assert operation.get("security") == [{"bearer": []}], where
                roles = operation["x-roles"]
                assert roles, where
                assert operation["description"].endswith("Roles: " + ", ".join(roles) + "."), where
                assert {"401", "403"} <= set(operation["responses"]), where
                for status, response in operation["responses"].items():
                    if status[0] in "45":
                        assert response["content"] == {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}
                if "requestBody" in operation:
                    assert "413" in operation["responses"], where
        assert secured > 10, name


BOUNDED_FORMATS = {"date", "date-time", "uuid"}


def unbounded(schema: dict[str, Any], document: dict[str, Any], where: str, seen: set[str]) -> list[str]:
    """Every string of a request body without a maximum (or a closed form), every list without a maximum length."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        if name in seen:
            return []
        seen.add(name)
        return unbounded(document["components"]["schemas"][name], document, f"{where}->{name}", seen)
    found = []
    kind = schema.get("type")
    closed = "enum" in schema or "const" in schema or schema.get("format") in BOUNDED_FORMATS
    pattern = schema.get("pattern", "")
    fixed = pattern.startswith("^") and pattern.endswith("$") and "+" not in pattern and "*" not in pattern
    if kind == "string" and not (closed or fixed or "maxLength" in schema):
        found.append(where)
    if kind == "array" and "maxItems" not in schema:
        found.append(where)
    if kind == "object" and schema.get("additionalProperties", False) and "maxProperties" not in schema:
        found.append(where)
    for name, sub in schema.get("properties", {}).items():
        found += unbounded(sub, document, f"{where}.{name}", seen)
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, []):
            found += unbounded(sub, document, where, seen)
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            found += unbounded(schema[key], document, f"{where}[]", seen)
    return found


def test_every_text_and_list_of_every_request_body_has_a_maximum(tmp_path):
    for name, app in documents(tmp_path).items():
        document = app.openapi()
        bodies = 0
        for path, operations in document["paths"].items():
            for method, operation in operations.items():
                for content in operation.get("requestBody", {}).get("content", {}).values():
                    bodies += 1
                    where = f"{name} {method.upper()} {path}"
                    assert unbounded(content["schema"], document, where, set()) == []
        assert bodies >= 2, name


def test_the_declared_roles_are_the_ones_the_route_checks(tmp_path):
    app = plan_registry(plan_registry_settings(tmp_path)).api
    document = app.openapi()
    assert document["paths"]["/api/v1/goals"]["post"]["x-roles"] == ["planner"]
    assert document["paths"]["/api/v1/goals"]["get"]["x-roles"] == ["planner", "analyst", "auditor"]
    assert document["paths"]["/health"]["get"]["x-roles"] == ["operator"]

    async def story() -> None:
        async with running(app) as http:
            for role, status in (("planner", 201), ("analyst", 403), ("auditor", 403), ("operator", 403)):
                answer = await http.post(
                    "/api/v1/goals", json=goal("Gode liv"), headers={"Authorization": f"Bearer dev-{role}-token"}
                )
                assert answer.status_code == status, role

    asyncio.run(story())


def declared_schema(document: dict[str, Any], path: str, method: str, status: int) -> jsonschema.Validator:
    """A validator for the body the document declares for that answer, its references resolved in the document."""
    content = document["paths"][path][method]["responses"][str(status)]["content"]
    assert list(content) == [PROBLEM]
    registry = Registry().with_resource("urn:openapi", DRAFT202012.create_resource(document))
    schema = {"$ref": "urn:openapi" + content[PROBLEM]["schema"]["$ref"]}
    return jsonschema.Draft202012Validator(schema, registry=registry)


def test_real_refusals_match_the_problem_schema_their_document_declares(tmp_path):
    service = plan_registry(plan_registry_settings(tmp_path))
    document = service.api.openapi()

    async def story() -> dict[tuple[str, str, int], httpx.Response]:
        async with running(service.api) as http:
            made = (await http.post("/api/v1/goals", json=goal("Gode liv"), headers=PLANNER)).json()
            plan = {**PLAN, "initiated_through_strategy": False}
            plan_id = (await http.post("/api/v1/plans", json=plan, headers=PLANNER)).json()["id"]
            anchors = f"/api/v1/plans/{plan_id}/anchors"
            return {
                ("/api/v1/goals", "post", 422): await http.post(
                    "/api/v1/goals", json=goal("Trygt", "x" * 5_000_000), headers=PLANNER
                ),
                ("/api/v1/goals", "post", 413): await http.post(
                    "/api/v1/goals", json=goal("Trygt", "x" * MAX_BODY_BYTES), headers=PLANNER
                ),
                ("/api/v1/goals", "post", 401): await http.post("/api/v1/goals", json=goal("Trygt")),
                ("/api/v1/plans/{plan_id}/anchors", "post", 409): await http.post(
                    anchors, json={"goal_id": made["id"]}, headers={**PLANNER, "If-Match": '"99"'}
                ),
                ("/api/v1/decisions", "post", 422): await http.post(
                    "/api/v1/decisions",
                    json={**DECISION, "amendments": [{"text": "x" * TEXT_MAX}] * 16},
                    headers=PLANNER,
                ),
            }

    for (path, method, status), answer in asyncio.run(story()).items():
        assert answer.status_code == status, (path, status, answer.text)
        assert answer.headers["content-type"] == PROBLEM
        errors = [e.message for e in declared_schema(document, path, method, status).iter_errors(answer.json())]
        assert errors == [], (path, status, answer.json())


def test_the_problem_schema_refuses_what_is_not_a_problem(tmp_path):
    document = plan_registry(plan_registry_settings(tmp_path)).api.openapi()
    validator = declared_schema(document, "/api/v1/goals", "post", 422)
    assert not validator.is_valid({"detail": [{"loc": ["body", "title"], "msg": "Field required", "type": "missing"}]})
    problem = {"type": "urn:planspor:problem:validation", "title": "t", "status": 422, "detail": "d"}
    assert validator.is_valid(problem)
    assert not validator.is_valid({**problem, "status": "422"})
    where = {"pointer": "#/title", "location": "body.title", "detail": "too long"}
    assert validator.is_valid({**problem, "errors": [where]})
    assert not validator.is_valid({**problem, "errors": [{**where, "input": "the value"}]}), (
        "a field error has no value"
    )
