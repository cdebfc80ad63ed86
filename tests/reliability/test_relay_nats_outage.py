"""NATS is stopped while commands go on: 10 s in `make test` (five times the relay's largest backoff here), 30 s
on PostgreSQL in `make slow`.

Commands keep succeeding (the event store is the record, the broker only
transport); the relay retries with backoff; when NATS is back it catches up
and the stream holds every event once, in order, chained.
"""

from __future__ import annotations

import asyncio
import dataclasses
import socket
import time

import pytest
from relay_app import SOURCE, map_event, read_stream

from planspor_runtime.relay import Relay, RelayStore
from planspor_shared.canonical import verify_chain
from planspor_shared.envelope import Envelope, derive_event_id

pytestmark = pytest.mark.integration


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def own_nats(stack, tmp_path):
    """A NATS of this test's own, to stop and start again (same store directory, so JetStream keeps its data)."""
    from planspor_stack.servers import Nats

    settings = dataclasses.replace(stack.settings, nats_url=None, nats_port=free_port(), var=tmp_path / "var")
    server = Nats(settings)
    server.start()
    yield server
    server.stop()


async def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


@pytest.mark.parametrize(("kind", "outage"), [("sqlite", 10), pytest.param("postgres", 30, marks=pytest.mark.slow)])
def test_commands_go_on_while_nats_is_down_and_the_relay_catches_up_without_loss(
    kind, outage, request, own_nats, app_for, writers_for, subject_prefix
):
    app = app_for(request.getfixturevalue(f"{kind}_store_env"))
    url = own_nats.url

    async def scenario():
        relay = Relay(
            application=app,
            source=SOURCE,
            mapper=map_event,
            nats_url=url,
            subject_prefix=subject_prefix,
            store=RelayStore.for_application(app),
            ack_timeout=2.0,
            max_backoff=2.0,
        )
        await relay.start()
        writers = writers_for(app)

        # 1. events flow
        await wait_for(lambda: relay.published > 0, 30, "the first events on the stream")

        # 2. NATS goes away; commands go on and succeed
        await asyncio.to_thread(own_nats.stop)
        commands_before = writers.commands
        stopped_at = time.monotonic()
        await wait_for(lambda: time.monotonic() - stopped_at >= outage, outage + 5, "the outage")
        assert writers.errors == []
        assert writers.commands > commands_before + 100, "commands must go on while NATS is down"
        assert relay.last_error is not None, "the relay noticed the outage"
        published_during_outage = relay.published

        # 3. NATS returns; the relay catches up, with commands still going on
        await asyncio.to_thread(own_nats.start)
        await wait_for(lambda: relay.published > published_during_outage, 30, "publishing to resume")
        goal_ids = writers.stop()
        assert writers.errors == []
        state = await relay.wait_caught_up(timeout=60)
        await relay.stop()

        # 4. nothing lost, nothing twice, in order, chained
        messages = await read_stream(url, subject_prefix, SOURCE)
        assert state.position == len(goal_ids)
        assert [msg_id for msg_id, _ in messages] == [f"{SOURCE}:{p}" for p in range(1, len(goal_ids) + 1)]
        envelopes = [Envelope.from_json(data) for _, data in messages]
        assert verify_chain(envelopes) is None
        assert sorted(str(e.event_id) for e in envelopes) == sorted(str(derive_event_id(g, 1)) for g in goal_ids)

    asyncio.run(scenario())
