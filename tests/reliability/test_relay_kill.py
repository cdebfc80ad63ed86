"""The relay, as a process of its own, is SIGKILLed at random moments while commands go on.

Afterwards the stream holds every committed event once, positions 1..N without
gaps and in order, and the hash chain verifies: a kill between publish and
record only leads to a re-publish of the same bytes, which the broker drops.
"""

from __future__ import annotations

import asyncio
import random
import signal
import time

import nats
import pytest
from relay_app import SOURCE, map_event, read_stream

from planspor_runtime.relay import Relay, RelayStore
from planspor_shared.canonical import verify_chain
from planspor_shared.envelope import Envelope, derive_event_id
from planspor_shared.subjects import source_subjects, stream_name

pytestmark = pytest.mark.integration

KILLS = 20


async def stream_count(js, prefix: str) -> int:
    try:
        info = await js.stream_info(stream_name(prefix), subjects_filter=source_subjects(SOURCE, prefix=prefix))
    except nats.js.errors.NotFoundError:
        return 0
    return info.state.messages


async def kill_relay_repeatedly(env, app, nats_url, prefix, relay_process, writers_for, kills, seed):
    rng = random.Random(seed)
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    writers = writers_for(app)
    try:
        # 1. while writers go on, a relay process starts, publishes a little, and is killed at a random moment
        for kill in range(kills):
            before = await stream_count(js, prefix)
            process = relay_process(env, nats_url, prefix)
            deadline = time.monotonic() + 30
            while await stream_count(js, prefix) <= before:  # the relay is publishing
                assert process.poll() is None, f"relay {kill} exited: see its log"
                assert time.monotonic() < deadline, f"relay {kill} published nothing in 30 s"
                await asyncio.sleep(0.02)
            await asyncio.sleep(rng.uniform(0, 0.25))  # the random moment: mid-batch, between publish and record, idle
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
        assert writers.errors == []
    finally:
        goal_ids = writers.stop()
        await nc.close()
    assert writers.errors == []
    return goal_ids


async def finish_and_check(app, nats_url, prefix, goal_ids):
    # 2. a last relay (here in-process) resumes from what the killed ones recorded and catches up
    relay = Relay(
        application=app,
        source=SOURCE,
        mapper=map_event,
        nats_url=nats_url,
        subject_prefix=prefix,
        store=RelayStore.for_application(app),
    )
    await relay.start()
    state = await relay.wait_caught_up(timeout=60)
    await relay.stop()

    # 3. every event once, in position order, no gaps, chain intact
    messages = await read_stream(nats_url, prefix, SOURCE)
    assert len(goal_ids) == state.position
    assert [msg_id for msg_id, _ in messages] == [f"{SOURCE}:{p}" for p in range(1, state.position + 1)]
    envelopes = [Envelope.from_json(data) for _, data in messages]
    assert verify_chain(envelopes) is None
    assert sorted(str(e.event_id) for e in envelopes) == sorted(str(derive_event_id(g, 1)) for g in goal_ids)


def test_relay_process_killed_twenty_times_while_commands_go_on_loses_and_duplicates_nothing_sqlite(
    sqlite_store_env, app_for, nats_url, subject_prefix, relay_process, writers_for
):
    app = app_for(sqlite_store_env)

    async def scenario():
        goal_ids = await kill_relay_repeatedly(
            sqlite_store_env, app, nats_url, subject_prefix, relay_process, writers_for, KILLS, seed=subject_prefix
        )
        await finish_and_check(app, nats_url, subject_prefix, goal_ids)

    asyncio.run(scenario())


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_relay_process_killed_a_hundred_times_under_heavier_load(
    kind, request, app_for, nats_url, subject_prefix, relay_process, writers_for
):
    env = request.getfixturevalue(f"{kind}_store_env")
    app = app_for(env)

    async def scenario():
        goal_ids = await kill_relay_repeatedly(
            env, app, nats_url, subject_prefix, relay_process, writers_for, 100, seed=subject_prefix
        )
        await finish_and_check(app, nats_url, subject_prefix, goal_ids)

    asyncio.run(scenario())


@pytest.mark.slow
def test_relay_process_killed_twenty_times_on_postgres(
    postgres_store_env, app_for, nats_url, subject_prefix, relay_process, writers_for
):
    app = app_for(postgres_store_env)

    async def scenario():
        goal_ids = await kill_relay_repeatedly(
            postgres_store_env, app, nats_url, subject_prefix, relay_process, writers_for, KILLS, seed=subject_prefix
        )
        await finish_and_check(app, nats_url, subject_prefix, goal_ids)

    asyncio.run(scenario())
