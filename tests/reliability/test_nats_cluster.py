"""A NATS cluster of three loses its stream leader (SIGKILL) while a relay publishes.

The stack's cluster (``PLANSPOR_NATS_CLUSTER=3``): three servers on loopback, JetStream
with an fsync on every write on each, the stream replicated three times. The relay and the
projector connect with the list of servers, on their own accounts. When the leader dies the
other two elect a new one; what the dead leader had not acknowledged is published again
under the same message ids and the new leader drops what it already holds. In the end the
stream holds every event once, in order, chained, and so does the graph.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
import threading
import time

import pytest
from relay_app import SOURCE, map_event, read_stream

from planspor_runtime.relay import Relay, RelayStore
from planspor_runtime.stream import stream_config
from planspor_shared.canonical import verify_chain
from planspor_shared.envelope import Envelope, derive_event_id
from planspor_shared.subjects import stream_name

pytestmark = pytest.mark.integration

PER_COMMAND = 10


@pytest.fixture
def nats_cluster(stack, tmp_path):
    """Three NATS servers of this test's own (the stack's cluster code, its own var and ports)."""
    from planspor_stack.bus import Nats
    from planspor_stack.processes import free_port

    settings = dataclasses.replace(
        stack.settings, nats_url=None, nats_cluster=3, nats_port=free_port(), var=tmp_path / "var"
    )
    cluster = Nats(settings)
    cluster.start()
    yield cluster
    cluster.stop()
    assert [node.name for node in cluster.nodes if node.process.pid() is not None] == [], "a server outlived stop()"


class Commands:
    """Goals defined in a thread, ``PER_COMMAND`` per command, until ``total`` events are in the store."""

    def __init__(self, app, total: int) -> None:
        self.app, self.total, self.goal_ids, self.errors = app, total, [], []
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            while len(self.goal_ids) < self.total:
                self.goal_ids += self.app.define_goals([f"mål {len(self.goal_ids) + k}" for k in range(PER_COMMAND)])
        except BaseException as error:
            self.errors.append(error)

    def start(self) -> Commands:
        self.thread.start()
        return self

    def join(self) -> list:
        self.thread.join(timeout=120)
        assert self.errors == [] and not self.thread.is_alive()
        return self.goal_ids


async def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not await condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


async def stream_leader(cluster, prefix: str) -> str:
    from planspor_runtime.bus import connect

    nc = await connect(cluster.access())
    try:
        return (await nc.jetstream().stream_info(stream_name(prefix))).cluster.leader
    finally:
        await nc.close()


async def kill_the_stream_leader(cluster, prefix: str) -> str:
    leader = await stream_leader(cluster, prefix)
    [node] = [n for n in cluster.nodes if n.name == leader]
    os.kill(node.process.pid(), signal.SIGKILL)
    return leader


async def publish_through_a_leader_kill(cluster, app, prefix: str, total: int) -> tuple[list, str, float]:
    """Commands go on; once a third of them are on the stream the leader is killed; the relay catches up."""
    from planspor_runtime.bus import connect

    operator = await connect(cluster.access())
    await operator.jetstream().add_stream(stream_config(prefix, replicas=3))
    await operator.close()
    relay = Relay(
        application=app,
        source=SOURCE,
        mapper=map_event,
        nats_url=cluster.access("plan-registry"),
        subject_prefix=prefix,
        store=RelayStore.for_application(app),
        ack_timeout=2.0,
        max_backoff=1.0,
        batch_size=200,
    )
    await relay.start()
    started = time.monotonic()
    commands = Commands(app, total).start()

    async def a_third_published() -> bool:
        return relay.published >= total // 3

    await wait_for(a_third_published, 60, "a third of the events on the stream")
    killed = await kill_the_stream_leader(cluster, prefix)
    goal_ids = await asyncio.to_thread(commands.join)
    state = await relay.wait_caught_up(timeout=120)
    seconds = time.monotonic() - started
    await relay.stop()
    assert state.position == total == len(goal_ids)
    new_leader = await stream_leader(cluster, prefix)
    assert new_leader != killed, "the stream has a new leader"
    return goal_ids, killed, seconds


async def assert_the_stream_holds_every_event_once_in_order(cluster, prefix: str, goal_ids: list) -> None:
    messages = await read_stream(cluster.url.split(","), prefix, SOURCE)
    assert [msg_id for msg_id, _ in messages] == [f"{SOURCE}:{p}" for p in range(1, len(goal_ids) + 1)]
    envelopes = [Envelope.from_json(data) for _, data in messages]
    assert verify_chain(envelopes) is None
    assert [str(e.event_id) for e in envelopes] == [str(derive_event_id(g, 1)) for g in goal_ids]


def test_the_stream_leader_killed_while_a_relay_publishes_loses_nothing_and_repeats_nothing(
    nats_cluster, app_for, sqlite_store_env, subject_prefix
):
    total = 5_000
    app = app_for(sqlite_store_env)

    async def story():
        goal_ids, killed, seconds = await publish_through_a_leader_kill(nats_cluster, app, subject_prefix, total)
        print(f"{total} events through the loss of leader {killed} in {seconds:.1f} s")
        await assert_the_stream_holds_every_event_once_in_order(nats_cluster, subject_prefix, goal_ids)

    asyncio.run(story())


@pytest.mark.parametrize(
    "total",
    [
        pytest.param(1_000, id="1000"),  # ~25 s; 5,000 take ~50 s: `make slow`
        pytest.param(5_000, id="5000", marks=pytest.mark.slow),
    ],
)
def test_the_stream_leader_killed_while_the_projector_consumes_puts_every_event_in_the_graph_once(
    total, nats_cluster, app_for, sqlite_store_env, subject_prefix, neo4j_uri, neo4j_auth
):
    import neo4j

    from knowledge.graph.schema import empty_graph, ensure_constraints
    from knowledge.pipeline.graph_writer import GraphWriter
    from knowledge.pipeline.projector import Projector

    app = app_for(sqlite_store_env)

    async def story():
        driver = neo4j.AsyncGraphDatabase.driver(neo4j_uri, auth=neo4j_auth)
        await empty_graph(driver)
        await ensure_constraints(driver)
        projector = Projector(
            GraphWriter(driver),
            nats_cluster.access("knowledge"),
            subject_prefix,
            "knowledge-projector",
            batch_size=200,
            fetch_timeout=0.5,
            nak_delay=0.2,
        )
        consuming = None
        try:

            async def stream_exists() -> bool:
                try:
                    await stream_leader(nats_cluster, subject_prefix)
                    return True
                except Exception:
                    return False

            relaying = asyncio.ensure_future(publish_through_a_leader_kill(nats_cluster, app, subject_prefix, total))
            await wait_for(stream_exists, 30, "the stream")
            consuming = asyncio.create_task(projector.run())
            goal_ids, killed, seconds = await relaying

            async def all_in_the_graph() -> bool:
                return await graph_counts(driver, goal_ids) == (total, total)

            await wait_for(all_in_the_graph, 120, f"{total} events in the graph")
            print(f"{total} events through the loss of leader {killed}: relayed in {seconds:.1f} s")
            assert (await projection_checkpoint(driver)) == total
            await assert_the_stream_holds_every_event_once_in_order(nats_cluster, subject_prefix, goal_ids)
        finally:
            projector.stop()
            if consuming is not None:
                await asyncio.wait_for(consuming, 30)
            await driver.close()

    asyncio.run(story())


async def graph_counts(driver, goal_ids) -> tuple[int, int]:
    """(Event nodes of this source, goals of this story): equal to the events published means each once."""
    ids = [str(g) for g in goal_ids]
    records, _, _ = await driver.execute_query(
        "MATCH (e:Event {source: $source}) WITH count(e) AS events "
        "OPTIONAL MATCH (g:Goal) WHERE g.id IN $ids RETURN events, count(g) AS goals",
        source=SOURCE,
        ids=ids,
    )
    return records[0]["events"], records[0]["goals"]


async def projection_checkpoint(driver) -> int:
    from knowledge.graph.bookkeeping import read_checkpoints

    async with driver.session() as session:
        return (await session.execute_read(read_checkpoints))[SOURCE][0]
