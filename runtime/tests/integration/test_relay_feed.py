"""The feed serves the same envelopes as the stream, equal after canonical encoding, and refuses bad paging."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import FastAPI
from relay_app import SOURCE, map_event, read_stream

from planspor_runtime.access import DEVELOPMENT_TOKENS, Access, Role, parse_tokens
from planspor_runtime.feed import feed_router
from planspor_runtime.relay import Relay, RelayStore
from planspor_shared.canonical import canonical_json, verify_chain
from planspor_shared.envelope import Envelope

pytestmark = pytest.mark.integration


def bearer(role: Role) -> dict[str, str]:
    return {"Authorization": f"Bearer {DEVELOPMENT_TOKENS[role]}"}


def test_the_feed_and_the_stream_hold_the_same_envelopes(goals, nats_url, subject_prefix):
    async def scenario():
        # 1. commands, some with private events that publish nothing, some retirements
        ids = [goals.define_goal(f"goal {i}", notes=i % 3) for i in range(120)]
        for goal_id in ids[::7]:
            goals.retire_goal(goal_id, "replaced in the new samfunnsdel")

        # 2. the relay publishes them
        store = RelayStore.for_application(goals)
        relay = Relay(
            application=goals,
            source=SOURCE,
            mapper=map_event,
            nats_url=nats_url,
            subject_prefix=subject_prefix,
            store=store,
            batch_size=50,
        )
        await relay.start()
        state = await relay.wait_caught_up(timeout=30)
        await relay.stop()
        assert state.position == 120 + len(ids[::7])

        # 3. a consumer pages through the feed, 37 at a time
        api = FastAPI()
        api.include_router(feed_router(store, Access(parse_tokens(None))))
        fed = []
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url="http://feed") as client:
            after = 0
            while True:
                response = await client.get(
                    "/events", params={"after": after, "limit": 37}, headers=bearer(Role.AUDITOR)
                )
                assert response.status_code == 200, response.text
                page = response.json()
                if not page["events"]:
                    assert page["next_after"] == after
                    break
                fed.extend(page["events"])
                after = page["next_after"]

        # 4. ... and finds what is on the stream, equal after canonical encoding
        streamed = [data for _, data in await read_stream(nats_url, subject_prefix)]
        assert [canonical_json(e) for e in fed] == streamed
        assert [e["position"] for e in fed] == list(range(1, state.position + 1))
        assert verify_chain([Envelope.model_validate(e) for e in fed]) is None

    asyncio.run(scenario())


@pytest.mark.parametrize(
    ("query", "field"),
    [({"limit": 0}, "limit"), ({"limit": 1001}, "limit"), ({"after": -1}, "after"), ({"limit": "ten"}, "limit")],
)
def test_the_feed_refuses_bad_paging_with_422_naming_the_field(goals, query, field):
    api = FastAPI()
    api.include_router(feed_router(RelayStore.for_application(goals), Access(parse_tokens(None))))

    async def call():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url="http://feed") as client:
            return await client.get("/events", params=query, headers=bearer(Role.OPERATOR))

    response = asyncio.run(call())
    assert response.status_code == 422
    assert field in response.text


def test_the_feed_is_for_operators_analysts_and_auditors_only(goals):
    api = FastAPI()
    api.include_router(feed_router(RelayStore.for_application(goals), Access(parse_tokens(None))))

    async def call(headers):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url="http://feed") as client:
            return await client.get("/events", headers=headers)

    assert asyncio.run(call({})).status_code == 401
    assert asyncio.run(call(bearer(Role.PLANNER))).status_code == 403
    empty = asyncio.run(call(bearer(Role.ANALYST)))
    assert empty.status_code == 200 and empty.json() == {"events": [], "next_after": 0}
