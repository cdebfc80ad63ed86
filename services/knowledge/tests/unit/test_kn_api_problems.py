"""The knowledge API answers every refusal with one body, RFC 9457 problem details, and declares it.

These refusals happen before the graph is asked (tokens, roles, malformed parameters and
bodies), so no server is needed; the refusals that need the graph (an unknown node, a
question refused as asked, Neo4j down, a stale If-Match, a reused key) are in
tests/integration/test_kq_queries.py and test_kn_dead_letter_replay.py.
"""

import asyncio

import httpx
import pytest

from knowledge.api import create_app
from knowledge.bootstrap import bootstrap
from knowledge.settings import Settings
from planspor_runtime.access import DEVELOPMENT_TOKENS, Role
from planspor_runtime.problems import MEDIA_TYPE

pytestmark = pytest.mark.unit

SECRET = "kontrollutvalget-s3cr3t"


def app():
    return create_app(
        bootstrap(
            Settings(
                neo4j_password="a-password-for-a-graph-nobody-connects-to", plan_registry_url=None, cocreation_url=None
            )
        ),
        run_projector=False,
    )


def ask(method: str, path: str, role: Role | None = None, **kwargs) -> httpx.Response:
    headers = {"Authorization": f"Bearer {DEVELOPMENT_TOKENS[role]}"} if role else {}
    headers.update(kwargs.pop("headers", {}))

    async def send() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app()), base_url="http://knowledge") as http:
            return await http.request(method, path, headers=headers, **kwargs)

    return asyncio.run(send())


def problem(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == MEDIA_TYPE
    body = response.json()
    assert body["status"] == status and body["type"].startswith("urn:planspor:problem:") and body["title"]
    assert body["detail"]
    return body


def test_no_token_is_401_and_the_wrong_role_403_as_problems():
    assert problem(ask("GET", "/api/v1/plans/not-anchored"), 401)["type"] == "urn:planspor:problem:unauthorized"
    assert ask("GET", "/health").headers["www-authenticate"] == "Bearer"
    forbidden = problem(ask("GET", "/api/v1/dead-letters", Role.ANALYST), 403)
    assert "operator" in forbidden["detail"]
    problem(ask("POST", "/api/v1/cypher", Role.AUDITOR, json={"query": "RETURN 1"}), 403)


def test_a_malformed_parameter_is_422_on_the_parameter_and_is_not_echoed():
    body = problem(ask("GET", "/api/v1/plans/not-anchored", Role.ANALYST, params={"as_of": SECRET}), 422)
    assert body["rule"] == "request.as_of" and body["errors"][0]["location"] == "query.as_of"
    body = problem(ask("GET", "/api/v1/plans/count-over-time", Role.ANALYST, params={"interval": SECRET}), 422)
    assert body["errors"][0]["location"] == "query.interval"
    unknown_kind = problem(ask("GET", f"/api/v1/trace/back/{SECRET}/x", Role.AUDITOR), 422)
    assert unknown_kind["errors"][0]["location"] == "path.kind"
    for response in (
        ask("GET", "/api/v1/plans/not-anchored", Role.ANALYST, params={"as_of": SECRET}),
        ask("GET", f"/api/v1/trace/back/{SECRET}/x", Role.AUDITOR),
    ):
        assert SECRET not in response.text


def test_a_malformed_body_is_422_per_field_and_never_echoes_the_body():
    body = problem(ask("POST", "/api/v1/rebuild", Role.OPERATOR, json={"origin": SECRET}), 422)
    assert [e["pointer"] for e in body["errors"]] == ["#/origin"]
    cypher = ask("POST", "/api/v1/cypher", Role.ANALYST, json={"query": "RETURN 1", "params": {}, "note": SECRET})
    assert problem(cypher, 422)["errors"][0]["pointer"] == "#/note"
    not_json = ask(
        "POST", "/api/v1/cypher", Role.ANALYST, content=f"{{{SECRET}", headers={"content-type": "application/json"}
    )
    problem(not_json, 422)
    assert all(SECRET not in r.text for r in (cypher, not_json))


def test_a_malformed_if_match_on_a_replay_is_422_on_the_header():
    body = problem(
        ask("POST", "/api/v1/dead-letters/plan-registry:2/replay", Role.OPERATOR, headers={"If-Match": "three"}), 422
    )
    assert body["rule"] == "request.if_match" and body["errors"][0]["location"] == "header.If-Match"


def test_an_unknown_route_is_a_404_problem_and_every_answer_carries_a_correlation_id():
    response = ask("GET", "/api/v1/nothing-here", Role.ANALYST, headers={"X-Correlation-Id": "c-7"})
    assert problem(response, 404)["type"] == "urn:planspor:problem:not-found"
    assert response.headers["x-correlation-id"] == "c-7"


def test_the_openapi_document_declares_problem_details_for_every_error_of_every_route():
    document = app().openapi()
    assert "Problem" in document["components"]["schemas"]
    assert "HTTPValidationError" not in document["components"]["schemas"]
    declared = {}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            errors = {status: answer for status, answer in operation["responses"].items() if int(status) >= 400}
            declared[(method.upper(), path)] = set(errors)
            for status, answer in errors.items():
                schema = answer["content"][MEDIA_TYPE]["schema"]
                assert schema == {"$ref": "#/components/schemas/Problem"}, (method, path, status)
    unguarded = {key for key, statuses in declared.items() if not {"401", "403"} <= statuses}
    assert unguarded <= {
        ("GET", "/healthz"),
        ("GET", "/readyz"),
        ("GET", "/asyncapi.json"),
        ("GET", "/asyncapi.yaml"),
    }, unguarded
    assert declared[("GET", "/api/v1/trace/back/{kind}/{node_id}")] >= {"404", "422", "503"}
    assert declared[("GET", "/api/v1/plans/count-over-time")] >= {"400", "422", "503"}
    assert declared[("POST", "/api/v1/cypher")] >= {"400", "422", "503"}
    assert declared[("POST", "/api/v1/dead-letters/{dead_letter_id}/replay")] == {
        "401",
        "403",
        "404",
        "409",
        "422",
        "503",
    }
    assert ("GET", "/api/v1/dead-letters/{dead_letter_id}") in declared
