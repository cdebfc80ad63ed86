"""The three services refuse the same way: the same mistake gets the same status and the same problem body.

To a route of each service: the same malformed JSON body, an unknown id, a stale If-Match and
an Idempotency-Key reused for another request. plan-registry and cocreation run on their
in-memory stores; knowledge on the test stack's Neo4j, with two dead letters to replay (the
only commands it has that take If-Match and an Idempotency-Key).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from uuid import uuid4

import httpx
import neo4j
import pytest

from cocreation.bootstrap import build as cocreation
from cocreation.settings import Settings as CocreationSettings
from knowledge.api import create_app as knowledge_app
from knowledge.bootstrap import bootstrap as knowledge_bootstrap
from knowledge.graph.schema import empty_graph, ensure_constraints
from knowledge.pipeline.graph_writer import GraphWriter
from knowledge.pipeline.ordering import decode
from knowledge.pipeline.signatures import SourceKeys
from knowledge.settings import Settings as KnowledgeSettings
from plan_registry.bootstrap import build as plan_registry
from plan_registry.settings import Settings as PlanRegistrySettings
from planspor_runtime.signing import sign_envelope
from planspor_shared.canonical import GENESIS_HASH
from planspor_shared.envelope import Envelope, derive_event_id
from planspor_shared.events import REGISTRY
from planspor_shared.events.plan_registry import GoalDefined
from planspor_verify.note import Signer

pytestmark = pytest.mark.integration

MALFORMED = b'{"title": "Temaplan for idrett", '
PROBLEM = "application/problem+json"


def token(role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer dev-{role}-token"}


async def plan_registry_answers(http: httpx.AsyncClient) -> dict[str, httpx.Response]:
    h = token("planner")
    goal = (await http.post("/api/v1/goals", json={"title": "Gode liv"}, headers=h)).json()["id"]
    plan = (
        await http.post(
            "/api/v1/plans",
            headers=h,
            json={
                "name": "Temaplan for idrett",
                "plan_type": "temaplan",
                "owning_unit": "Kultur",
                "initiated_through_strategy": False,
            },
        )
    ).json()["id"]
    await http.post("/api/v1/goals", json={"title": "Trygt"}, headers={**h, "Idempotency-Key": "k-pr"})
    return {
        "malformed": await http.post(
            "/api/v1/plans", content=MALFORMED, headers={**h, "Content-Type": "application/json"}
        ),
        "unknown": await http.get(f"/api/v1/plans/{uuid4()}", headers=h),
        "stale": await http.post(
            f"/api/v1/plans/{plan}/anchors", json={"goal_id": goal}, headers={**h, "If-Match": '"99"'}
        ),
        "reused": await http.post(
            "/api/v1/goals", json={"title": "Noe annet"}, headers={**h, "Idempotency-Key": "k-pr"}
        ),
    }


async def cocreation_answers(http: httpx.AsyncClient) -> dict[str, httpx.Response]:
    h = token("facilitator")
    start = {
        "title": "Samskaping",
        "purpose": "Prioritere planarbeidet",
        "election_period": "2024-2027",
        "roles_and_limits": "Politikerne prioriterer",
        "all_officials_invited": True,
    }
    process = (await http.post("/api/v1/processes", json=start, headers={**h, "Idempotency-Key": "k-cc"})).json()
    return {
        "malformed": await http.post(
            "/api/v1/processes", content=MALFORMED, headers={**h, "Content-Type": "application/json"}
        ),
        "unknown": await http.get(f"/api/v1/processes/{uuid4()}", headers=h),
        "stale": await http.post(
            f"/api/v1/processes/{process['process_id']}/participants",
            headers={**h, "If-Match": '"99"'},
            json={"name": "Kari", "kind": "administration", "role": "planner"},
        ),
        "reused": await http.post(
            "/api/v1/processes", json={**start, "title": "En annen"}, headers={**h, "Idempotency-Key": "k-cc"}
        ),
    }


async def knowledge_answers(http: httpx.AsyncClient, letters: list[str]) -> dict[str, httpx.Response]:
    first, second = letters
    await http.post(f"/api/v1/dead-letters/{first}/replay", headers={**token("operator"), "Idempotency-Key": "k-kn"})
    return {
        "malformed": await http.post(
            "/api/v1/cypher", content=MALFORMED, headers={**token("analyst"), "Content-Type": "application/json"}
        ),
        "unknown": await http.get("/api/v1/dead-letters/plan-registry:999999", headers=token("operator")),
        "stale": await http.post(
            f"/api/v1/dead-letters/{second}/replay", headers={**token("operator"), "If-Match": '"99"'}
        ),
        "reused": await http.post(
            f"/api/v1/dead-letters/{second}/replay", headers={**token("operator"), "Idempotency-Key": "k-kn"}
        ),
    }


SIGNER = Signer.generate("planspor.test/plan-registry")
"""plan-registry's key in this test: its events are signed, and knowledge trusts it."""


async def two_dead_letters(driver: neo4j.AsyncDriver) -> list[str]:
    """Two goals projected by a graph that does not know goal.defined: two open dead letters."""
    lacking = REGISTRY.copy()
    del lacking._models[("goal.defined", 1)]
    envelopes, prev = [], GENESIS_HASH
    for position in (1, 2):
        goal = f"goal-{uuid4().hex[:8]}"
        envelope = Envelope.seal(
            prev,
            event_id=derive_event_id(goal, 1),
            position=position,
            aggregate_id=goal,
            aggregate_version=1,
            occurred_at=datetime.now(UTC),
            actor={"id": "u", "name": "Kari", "role": "planner"},
            payload=GoalDefined(goal_id=goal, title=f"Mål {position}"),
        )
        envelope = sign_envelope(envelope, SIGNER)
        envelopes.append(envelope)
        prev = envelope.hash
    await empty_graph(driver)
    await ensure_constraints(driver)
    await GraphWriter(
        driver, registry=lacking, keys=SourceKeys.of_keys({"plan-registry": [SIGNER.verifier_key]})
    ).project([decode(e.to_canonical(), msg_id=e.nats_msg_id, registry=lacking) for e in envelopes])
    return [e.nats_msg_id for e in envelopes]


def client(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://service")


def test_the_same_mistakes_get_the_same_problems_from_all_three_services(neo4j_uri, neo4j_auth):
    answers = asyncio.run(_ask_all_three(neo4j_uri, neo4j_auth))
    expected = {"malformed": 422, "unknown": 404, "stale": 409, "reused": 422}
    for service, by_case in answers.items():
        assert {case: r.status_code for case, r in by_case.items()} == expected, (
            service,
            {case: r.text for case, r in by_case.items()},
        )
        for case, response in by_case.items():
            body = response.json()
            assert response.headers["content-type"] == PROBLEM, (service, case)
            assert {"type", "title", "status", "detail"} <= set(body), (service, case, body)
            assert body["status"] == response.status_code and body["type"].startswith("urn:planspor:problem:")
            assert "Temaplan for idrett" not in response.text, (service, case, "echoed the body")
    for case in expected:
        shapes = {
            service: (by_case[case].json()["type"], tuple(sorted(by_case[case].json())))
            for service, by_case in answers.items()
        }
        assert len(set(shapes.values())) == 1, (case, shapes)
    rules = {case: {by_case[case].json().get("rule") for by_case in answers.values()} for case in expected}
    assert rules["stale"] == {"concurrency.version_conflict"} and rules["reused"] == {"idempotency.key_reused"}
    assert {service: by_case["unknown"].json()["rule"] for service, by_case in answers.items()} == {
        "plan-registry": "plan.exists",
        "cocreation": "process.exists",
        "knowledge": "dead_letter.exists",
    }
    for by_case in answers.values():
        assert [e["location"] for e in by_case["malformed"].json()["errors"]] == ["body"]


async def _ask_all_three(neo4j_uri: str, neo4j_auth: tuple[str, str]) -> dict[str, dict[str, httpx.Response]]:
    answers: dict[str, dict[str, httpx.Response]] = {}
    registry = plan_registry(PlanRegistrySettings(plan_registry_store="memory")).api
    async with registry.router.lifespan_context(registry), client(registry) as http:
        answers["plan-registry"] = await plan_registry_answers(http)
    co = cocreation(CocreationSettings(cocreation_store="memory")).api
    async with co.router.lifespan_context(co), client(co) as http:
        answers["cocreation"] = await cocreation_answers(http)
    driver = neo4j.AsyncGraphDatabase.driver(neo4j_uri, auth=neo4j_auth)
    try:
        letters = await two_dead_letters(driver)
    finally:
        await driver.close()
    settings = KnowledgeSettings(
        neo4j_uri=neo4j_uri,
        neo4j_user=neo4j_auth[0],
        neo4j_password=neo4j_auth[1],
        plan_registry_url=None,
        cocreation_url=None,
        knowledge_plan_registry_keys=str(SIGNER.verifier_key),
    )
    knowledge = knowledge_app(knowledge_bootstrap(settings), run_projector=False)
    async with knowledge.router.lifespan_context(knowledge), client(knowledge) as http:
        answers["knowledge"] = await knowledge_answers(http, letters)
    return answers
