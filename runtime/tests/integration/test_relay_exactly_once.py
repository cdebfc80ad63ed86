"""The relay's promise, against real NATS and a real event store (SQLite and PostgreSQL):
every committed event reaches the stream exactly once, in position order, hash-chained;
and the feed's table holds the very same bytes."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
from relay_app import SOURCE, map_event, read_stream

from planspor_runtime.relay import Relay, RelayStore
from planspor_shared.canonical import verify_chain
from planspor_shared.envelope import Envelope, derive_event_id

pytestmark = pytest.mark.integration

EVENTS = 10_000
PER_COMMAND = 4
WRITERS = 8


def test_ten_thousand_events_from_concurrent_commands_reach_the_stream_once_each_in_order(
    goals, nats_url, subject_prefix
):
    async def scenario():
        store = RelayStore.for_application(goals)
        relay = Relay(
            application=goals,
            source=SOURCE,
            mapper=map_event,
            nats_url=nats_url,
            subject_prefix=subject_prefix,
            store=store,
        )
        await relay.start()

        # 1. eight writers issue 2,500 commands of four events each while the relay runs; each commit wakes it
        def command(i: int):
            if i % 10 == 0:
                ids = [goals.define_goal(f"goal {i}", notes=PER_COMMAND - 1)]  # 1 published, 3 private events
                ids += goals.define_goals([f"goal {i}.{n}" for n in range(PER_COMMAND - 1)])
            else:
                ids = goals.define_goals([f"goal {i}.{n}" for n in range(PER_COMMAND)])
            relay.wake()
            return ids

        loop = asyncio.get_running_loop()
        with ThreadPoolExecutor(WRITERS) as pool:
            batches = await asyncio.gather(
                *(loop.run_in_executor(pool, command, i) for i in range(EVENTS // PER_COMMAND))
            )
        goal_ids = [goal_id for batch in batches for goal_id in batch]

        # 2. the relay catches up with everything committed
        state = await relay.wait_caught_up(timeout=60)
        await relay.stop()
        assert state.position == EVENTS

        # 3. the stream holds each event once, positions 1..N in stream order, and the chain verifies
        messages = await read_stream(nats_url, subject_prefix)
        assert [msg_id for msg_id, _ in messages] == [f"{SOURCE}:{p}" for p in range(1, EVENTS + 1)]
        envelopes = [Envelope.from_json(data) for _, data in messages]
        assert verify_chain(envelopes) is None
        assert {e.event_id for e in envelopes} == {derive_event_id(g, 1) for g in goal_ids}

        # 4. the feed's table holds the same bytes as the stream
        fed = []
        while len(fed) < EVENTS:
            fed.extend(store.read(after=len(fed), limit=1000))
        assert [row.canonical for row in fed] == [data for _, data in messages]

    asyncio.run(scenario())
