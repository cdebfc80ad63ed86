"""Signed events and the Merkle log against real NATS and real stores (SQLite and PostgreSQL):
what comes off the stream and the feed verifies with planspor-verify, across a key rotation;
the served heads and proofs verify; and an older store's log is rebuilt from its envelopes."""

from __future__ import annotations

import asyncio
import base64
import random

import httpx
import pytest
from fastapi import FastAPI
from relay_app import SOURCE, map_event, read_stream

from planspor_runtime.access import DEVELOPMENT_TOKENS, Access, Role, parse_tokens
from planspor_runtime.checkpoints import HeadPolicy
from planspor_runtime.feed import feed_router, log_router
from planspor_runtime.relay import Relay, RelayStore
from planspor_runtime.signing import ensure_development_key
from planspor_verify.bundle import Bundle, SourceRecord
from planspor_verify.checkpoint import open_checkpoint
from planspor_verify.merkle import verify_consistency, verify_inclusion
from planspor_verify.verifier import verify_bundle

pytestmark = pytest.mark.integration

ORIGIN = "planspor.test/plan-registry"
AUDITOR = {"Authorization": f"Bearer {DEVELOPMENT_TOKENS[Role.AUDITOR]}"}


def b64(text: str) -> bytes:
    return base64.b64decode(text)


async def caught_up_with_a_head(relay: Relay, store: RelayStore) -> None:
    """Everything committed is published, and a head covers all of it (the hook a service would call)."""
    state = await relay.wait_caught_up(timeout=60)
    await relay.issue_head()
    latest = await asyncio.to_thread(store.latest_head)
    assert latest is not None and latest.size == state.position


async def head_of_size(store: RelayStore, size: int, timeout: float = 30) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while (latest := await asyncio.to_thread(store.latest_head)) is None or latest.size < size:
        assert loop.time() < deadline, f"no head of size {size} within {timeout} s"
        await asyncio.sleep(0.05)


def test_signed_events_heads_and_proofs_verify_offline_across_a_key_rotation(goals, nats_url, subject_prefix, tmp_path):
    first_key = ensure_development_key(tmp_path / "first.key", ORIGIN)
    second_key = ensure_development_key(tmp_path / "second.key", ORIGIN)
    store = RelayStore.for_application(goals)
    policy = HeadPolicy(interval=3600, after=frozenset({"goal.retired"}))

    async def scenario():
        # 1. 120 goals and a retirement (the "formal decision" of this test: a head follows it at once)
        ids = [goals.define_goal(f"mål {i}", notes=i % 2) for i in range(120)]
        relay = Relay(
            application=goals,
            source=SOURCE,
            mapper=map_event,
            nats_url=nats_url,
            subject_prefix=subject_prefix,
            store=store,
            batch_size=40,
            signer=first_key,
            head_policy=policy,
        )
        await relay.start()
        await relay.wait_caught_up(timeout=60)
        goals.retire_goal(ids[3], "erstattet av ny samfunnsdel")
        state = await relay.wait_caught_up(timeout=60)
        await head_of_size(store, state.position)  # a head follows the decision without waiting for the interval
        assert state.position == 121
        await relay.stop()

        # 2. a new key: the relay is started with it and the previous one, and announces it
        relay = Relay(
            application=goals,
            source=SOURCE,
            mapper=map_event,
            nats_url=nats_url,
            subject_prefix=subject_prefix,
            store=store,
            batch_size=40,
            signer=second_key,
            previous_signer=first_key,
            head_policy=policy,
        )
        await relay.start()
        goals.define_goals([f"mål etter rotasjonen {i}" for i in range(30)])
        await caught_up_with_a_head(relay, store)
        await relay.stop()
        assert [(k.from_position, k.announced_at) for k in store.keys()] == [(1, None), (123, 122)]

        # 3. what is on the stream, and what the feed and the log serve
        streamed = [data for _, data in await read_stream(nats_url, subject_prefix)]
        with_heads = await read_stream(nats_url, subject_prefix, heads=True)
        api = FastAPI()
        access = Access(parse_tokens(None))
        api.include_router(feed_router(store, access))
        api.include_router(log_router(store, access, source=SOURCE, configured_key=second_key.verifier_key))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url="http://log") as client:
            fed, after = [], 0
            while page := (await client.get("/events", params={"after": after, "limit": 50}, headers=AUDITOR)).json()[
                "events"
            ]:
                fed.extend(page)
                after = page[-1]["position"]
            heads = (await client.get("/checkpoints", headers=AUDITOR)).json()["checkpoints"]
            keys = (await client.get("/keys", headers=AUDITOR)).json()
            latest = (await client.get("/checkpoints/latest", headers=AUDITOR)).text
            size = open_checkpoint(latest, [second_key.verifier_key]).checkpoint.size
            rng = random.Random(5)
            inclusions = [
                (await client.get("/proofs/inclusion", params={"position": p}, headers=AUDITOR)).json()
                for p in sorted(rng.sample(range(1, size + 1), 12)) + [122, size]
            ]
            consistencies = [
                (
                    await client.get(
                        "/proofs/consistency", params={"first": a["size"], "second": b["size"]}, headers=AUDITOR
                    )
                ).json()
                for a, b in zip(heads, heads[1:])
            ]
        return streamed, with_heads, fed, heads, keys, latest, inclusions, consistencies

    streamed, with_heads, fed, heads, keys, latest, inclusions, consistencies = asyncio.run(scenario())
    # every head issued is on the stream too, for the witness, after the events it covers
    events_before, on_stream = 0, []
    for message_id, data in with_heads:
        if ":head:" not in message_id:
            events_before += 1
            continue
        note = data.decode()
        size = int(note.split("\n")[1])
        assert message_id.startswith(f"{SOURCE}:head:{size}:") and size <= events_before
        on_stream.append(note)
    assert sorted(set(on_stream), key=on_stream.index) == [h["checkpoint"] for h in heads]
    assert len(streamed) == len(fed) == 152
    assert [e["signature"]["key"] for e in fed[:122]] == [first_key.verifier_key.ident] * 122
    assert {e["signature"]["key"] for e in fed[122:]} == {second_key.verifier_key.ident}
    assert fed[121]["event_type"] == "key.rotated"

    # 4. the stream's bytes, with the heads and keys served, verify offline: with the first key, or the second alone
    record = SourceRecord(SOURCE, ORIGIN, streamed, [h["checkpoint"] for h in heads], keys["keys"])
    for trusted in ([first_key.verifier_key], [second_key.verifier_key]):
        report = verify_bundle(Bundle([record]), trusted, [latest])
        assert report.ok, report
    assert str(report).startswith("verified: 152 events of plan-registry up to head 152/")

    # 5. the proofs verify against the heads they name
    root_of = {h["size"]: b64(h["root"]) for h in heads}
    for proof in inclusions:
        verify_inclusion(
            proof["position"] - 1,
            proof["size"],
            b64(proof["leaf_hash"]),
            [b64(p) for p in proof["proof"]],
            root_of[proof["size"]],
        )
    for proof in consistencies:
        verify_consistency(
            proof["first"],
            proof["second"],
            root_of[proof["first"]],
            root_of[proof["second"]],
            [b64(p) for p in proof["proof"]],
        )


def test_the_log_of_a_store_recorded_before_it_existed_is_rebuilt_from_the_envelopes(
    goals, nats_url, subject_prefix, tmp_path
):
    key = ensure_development_key(tmp_path / "key", ORIGIN)
    store = RelayStore.for_application(goals)

    async def scenario():
        goals.define_goals([f"mål {i}" for i in range(70)])
        relay = Relay(
            application=goals,
            source=SOURCE,
            mapper=map_event,
            nats_url=nats_url,
            subject_prefix=subject_prefix,
            store=store,
            signer=key,
        )
        await relay.start()
        await caught_up_with_a_head(relay, store)
        await relay.stop()

    asyncio.run(scenario())
    head = store.latest_head()
    with store.datastore.transaction(commit=True) as c:  # as a store of before the log: envelopes, no leaves
        c.execute(f"UPDATE {store.tables['log']} SET size = 0, frontier = ''")
        c.execute(f"DELETE FROM {store.tables['nodes']}")
    log = store.log_state()
    assert (log.size, log.root()) == (70, head.root)
