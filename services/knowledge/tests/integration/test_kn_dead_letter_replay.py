"""A dead letter's replay is a command like every service's: If-Match on its version, Idempotency-Key, problem bodies.

1. A story is projected by a projector that lacks two contract models (indicator.defined,
   evidence.recorded) and knows one event type the graph has no mapping for
   (plan.celebrated): three dead letters, each with its reason, and the rest projected.
2. The operator reads one dead letter (its ETag is its version), replays it with a stale
   If-Match (409, nothing changes), then with the right one and an Idempotency-Key; a
   retry returns the first answer, the same key for another request is 422.
3. Two replays with one key at the same moment give one answer and one record; the
   unmapped event is still refused (409, its reason); the graph equals a clean projection
   of the same events (idempotency records and dead letters are not in the checksum).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import ClassVar

import httpx
import neo4j
import pytest
from kn_story import STORY_KEYS, interleaved, rid, story, story_key_settings

from knowledge.api import create_app
from knowledge.bootstrap import bootstrap
from knowledge.graph.checksum import graph_checksum
from knowledge.graph.schema import empty_graph, ensure_constraints
from knowledge.pipeline.graph_writer import GraphWriter
from knowledge.pipeline.ordering import decode
from knowledge.settings import Settings
from planspor_shared.events import REGISTRY
from planspor_shared.events import plan_registry as pr

pytestmark = pytest.mark.integration

OPERATOR = {"Authorization": "Bearer dev-operator-token"}


class PlanCelebrated(pr.PlanRegistryEvent):
    """An event type of a newer contract, which this graph has no mapping for."""

    event_type: ClassVar[str] = "plan.celebrated"
    plan_id: str


def test_replaying_a_dead_letter_takes_if_match_and_an_idempotency_key(neo4j_uri, neo4j_auth):
    asyncio.run(_story(neo4j_uri, neo4j_auth))


async def _story(neo4j_uri: str, neo4j_auth: tuple[str, str]) -> None:
    registry_chain, cocreation_chain = story(1)
    last = registry_chain.envelopes[-1].occurred_at
    registry_chain.seal(PlanCelebrated(plan_id=rid("plan")), last + timedelta(minutes=1))
    registry_chain.seal(pr.GoalDefined(goal_id=rid("goal"), title="Etter feiringen"), last + timedelta(minutes=2))
    envelopes = interleaved(registry_chain, cocreation_chain)
    position_of = {e.event_type: e.position for e in registry_chain.envelopes}
    indicator, evidence, celebrated = (
        f"plan-registry:{position_of[t]}" for t in ("indicator.defined", "evidence.recorded", "plan.celebrated")
    )
    lacking = REGISTRY.copy()
    del lacking._models[("indicator.defined", 1)]
    del lacking._models[("evidence.recorded", 1)]
    lacking.register(PlanCelebrated)

    driver = neo4j.AsyncGraphDatabase.driver(neo4j_uri, auth=neo4j_auth)
    try:
        await empty_graph(driver)
        await ensure_constraints(driver)
        # 1. three dead letters, the rest projected
        result = await GraphWriter(driver, registry=lacking, keys=STORY_KEYS).project(
            [decode(e.to_canonical(), msg_id=e.nats_msg_id, registry=lacking) for e in envelopes]
        )
        assert result.dead_letters == 3 and result.checkpoints["plan-registry"] == len(registry_chain.envelopes)

        settings = Settings(
            neo4j_uri=neo4j_uri,
            neo4j_user=neo4j_auth[0],
            neo4j_password=neo4j_auth[1],
            plan_registry_url=None,
            cocreation_url=None,
            **story_key_settings(),
        )
        app = create_app(bootstrap(settings), run_projector=False)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://knowledge", headers=OPERATOR
            ) as http,
        ):
            letters = {d["id"]: d for d in (await http.get("/api/v1/dead-letters")).json()["dead_letters"]}
            assert set(letters) == {indicator, evidence, celebrated}
            assert (
                letters[celebrated]["reason"] == "no graph mapping for event type 'plan.celebrated' (schema version 1)"
            )
            assert {d["version"] for d in letters.values()} == {1}

            # 2. read it: the ETag is its version; an unknown one is a 404 problem
            read = await http.get(f"/api/v1/dead-letters/{indicator}")
            assert read.status_code == 200 and read.headers["etag"] == '"1"'
            assert read.json()["status"] == "open" and "indicator.defined" in read.json()["reason"]
            unknown = await http.get("/api/v1/dead-letters/plan-registry:999")
            assert unknown.status_code == 404 and unknown.json()["rule"] == "dead_letter.exists"
            assert (await http.post("/api/v1/dead-letters/nope/replay")).json()["rule"] == "dead_letter.exists"

            # a stale If-Match changes nothing
            stale = await http.post(f"/api/v1/dead-letters/{indicator}/replay", headers={"If-Match": '"7"'})
            assert stale.status_code == 409 and stale.json()["rule"] == "concurrency.version_conflict"
            assert (await http.get(f"/api/v1/dead-letters/{indicator}")).json()["status"] == "open"

            # the right version and a key: replayed, the new version as ETag
            first = await http.post(
                f"/api/v1/dead-letters/{indicator}/replay",
                headers={"If-Match": '"1"', "Idempotency-Key": "replay-indicator"},
            )
            assert first.status_code == 200, first.text
            assert first.headers["etag"] == '"2"' and first.json()["status"] == "replayed"
            again = await http.post(
                f"/api/v1/dead-letters/{indicator}/replay",
                headers={"If-Match": '"1"', "Idempotency-Key": "replay-indicator"},
            )
            assert (again.status_code, again.json(), again.headers["etag"]) == (200, first.json(), '"2"')
            for other in (
                {"If-Match": "*", "Idempotency-Key": "replay-indicator"},
                {"Idempotency-Key": "replay-indicator"},
            ):
                reused = await http.post(f"/api/v1/dead-letters/{evidence}/replay", headers=other)
                assert reused.status_code == 422 and reused.json()["rule"] == "idempotency.key_reused"
            assert (await http.get(f"/api/v1/dead-letters/{evidence}")).json()["status"] == "open"
            later = await http.get(f"/api/v1/dead-letters/{indicator}")
            assert later.headers["etag"] == '"2"' and later.json()["replayed_event_id"] == first.json()["event_id"]
            plain = await http.post(f"/api/v1/dead-letters/{indicator}/replay")
            assert plain.status_code == 200 and plain.json() == first.json() and plain.headers["etag"] == '"2"'

            # 3. one key at the same moment: one answer, one record, one event
            racing = await asyncio.gather(
                *(
                    http.post(f"/api/v1/dead-letters/{evidence}/replay", headers={"Idempotency-Key": "replay-evidence"})
                    for _ in range(2)
                )
            )
            assert [r.status_code for r in racing] == [200, 200] and racing[0].json() == racing[1].json()
            refused = await http.post(f"/api/v1/dead-letters/{celebrated}/replay")
            assert refused.status_code == 409 and "plan.celebrated" in refused.json()["detail"]
            live = (await http.get("/api/v1/checksum")).json()

        records, _, _ = await driver.execute_query("MATCH (r:IdempotencyRecord) RETURN r.key AS key ORDER BY key")
        assert [r["key"] for r in records] == ["replay-evidence", "replay-indicator"]
        events, _, _ = await driver.execute_query(
            "MATCH (e:Event {source: 'plan-registry'}) WHERE e.position IN $positions RETURN count(e) AS n",
            positions=[position_of["indicator.defined"], position_of["evidence.recorded"]],
        )
        assert events[0]["n"] == 2

        await empty_graph(driver)
        await GraphWriter(driver, keys=STORY_KEYS).project(
            [decode(e.to_canonical(), msg_id=e.nats_msg_id) for e in envelopes]
        )
        assert (await graph_checksum(driver))["checksum"] == live["checksum"]
    finally:
        await driver.close()
