"""The graph as a witness of the sources' signed tree heads, against real NATS and Neo4j.

Heads travel on the stream after the events they cover (``<prefix>.<source>.checkpoint``, on the
source's own account). Good heads raise nothing, also one that arrives before its events; a head
whose root is not that of the events applied (a history rewritten after an earlier head), or a
second head of one size, raises an alarm that ``/health`` shows with the source and the size, and
is kept as a dead letter. A rebuild from the stream checks the heads again.
"""

import asyncio
from datetime import timedelta

import httpx
import nats
import neo4j
import pytest
from kn_story import SIGNERS, STORY_KEYS, T0, Chain, publish, rid, story_key_settings, wait_for

from knowledge.api import create_app
from knowledge.bootstrap import bootstrap
from knowledge.graph.checksum import graph_checksum
from knowledge.graph.schema import empty_graph, ensure_constraints
from knowledge.pipeline.graph_writer import GraphWriter
from knowledge.pipeline.projector import Projector
from knowledge.rebuild import rebuild
from knowledge.settings import Settings
from planspor_runtime.bus import connect
from planspor_runtime.stream import stream_config
from planspor_shared.envelope import Envelope
from planspor_shared.events import plan_registry as pr
from planspor_shared.subjects import head_msg_id, head_subject
from planspor_verify.checkpoint import Checkpoint
from planspor_verify.merkle import leaf_hash, root
from planspor_verify.note import Signer

pytestmark = pytest.mark.integration

SOURCE = "plan-registry"
OPERATOR = {"Authorization": "Bearer dev-operator-token"}


def head(envelopes: list[Envelope], size: int, signer: Signer = SIGNERS[SOURCE], minute: int = 0) -> str:
    """The source's signed checkpoint over its first ``size`` envelopes, as the relay issues it."""
    tree = root(leaf_hash(e.to_canonical()) for e in envelopes[:size])
    moment = (T0 + timedelta(hours=1, minutes=minute)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return Checkpoint(signer.name, size, tree, time=moment).sign(signer)


def history(count: int, title: str = "Mål") -> Chain:
    chain = Chain(SOURCE)
    for i in range(count):
        chain.seal(pr.GoalDefined(goal_id=rid("goal"), title=f"{title} {i}"), T0 + timedelta(minutes=i))
    return chain


async def publish_head(js, prefix: str, note: str, size: int) -> None:
    await js.publish(
        head_subject(SOURCE, prefix=prefix), note.encode(), headers={"Nats-Msg-Id": head_msg_id(SOURCE, size, note)}
    )


@pytest.fixture
def env(nats_url, nats_accounts, neo4j_uri, neo4j_auth, subject_prefix):
    return {
        "nats_url": nats_url,
        "publisher": nats_accounts[SOURCE],
        "knowledge": nats_accounts["knowledge"],
        "neo4j_uri": neo4j_uri,
        "auth": neo4j_auth,
        "prefix": subject_prefix,
    }


async def health(env) -> dict:
    settings = Settings(
        neo4j_uri=env["neo4j_uri"],
        neo4j_user=env["auth"][0],
        neo4j_password=env["auth"][1],
        plan_registry_url=None,
        cocreation_url=None,
        **story_key_settings(),
    )
    app = create_app(bootstrap(settings), run_projector=False)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://k", headers=OPERATOR) as http,
    ):
        answer = (await http.get("/health")).json()
        answer["dead_letters"] = (await http.get("/api/v1/dead-letters")).json()["dead_letters"]
        return answer


def test_the_witness_passes_good_heads_and_raises_an_alarm_on_a_rewritten_history_and_on_two_heads_of_one_size(env):
    async def story_():
        driver = neo4j.AsyncGraphDatabase.driver(env["neo4j_uri"], auth=env["auth"])
        await empty_graph(driver)
        await ensure_constraints(driver)
        chain = history(12)
        events = chain.envelopes
        # the source rewrites its history from position 7 on and signs a head over the rewritten one
        rewritten = Chain(SOURCE)
        for e in events[:6]:
            rewritten.envelopes.append(e)
        rewritten.position, rewritten.last_hash = 6, events[5].hash
        for i in range(6, 12):
            rewritten.seal(pr.GoalDefined(goal_id=rid("goal"), title=f"Omskrevet {i}"), T0 + timedelta(minutes=i))
        publisher = await connect(env["publisher"], name="plan-registry-relay")
        operator = await nats.connect(env["nats_url"])
        projector = None
        try:
            await operator.jetstream().add_stream(stream_config(env["prefix"]))
            js = publisher.jetstream()
            # 1. good heads, on the source's own account: one after its events, one before them (it waits)
            await publish(js, env["prefix"], events[:4])
            await publish_head(js, env["prefix"], head(events, 4), 4)
            await publish_head(js, env["prefix"], head(events, 8), 8)
            await publish(js, env["prefix"], events[4:10])
            projector = Projector(
                GraphWriter(driver, keys=STORY_KEYS), env["knowledge"], env["prefix"], "knowledge-projector",
                fetch_timeout=0.2,
            )  # fmt: skip
            task = asyncio.create_task(projector.run())

            async def witnessed(size: int):
                answer = await health(env)
                return answer if answer["witness"].get(SOURCE, {}).get("head_size") == size else None

            good = await wait_for(lambda: witnessed(8), what="head 8 checked", interval=0.5)
            assert good["status"] == "ok" and good["alarms"] == [] and good["witness"][SOURCE]["size"] == 10
            # 2. a head over the rewritten history: signed by the source's key, not the record knowledge holds
            await publish(js, env["prefix"], events[10:12])
            await publish_head(js, env["prefix"], head(rewritten.envelopes, 12), 12)
            # 3. a second head of size 4, with the root of a different first four events
            other = history(4, "Annet")
            await publish_head(js, env["prefix"], head(other.envelopes, 4), 4)

            async def two_alarms():
                answer = await health(env)
                return answer if len(answer["alarms"]) == 2 else None

            alarmed = await wait_for(two_alarms, what="two alarms", interval=0.5)
            projector.stop()
            await asyncio.wait_for(task, 10)
            assert alarmed["status"] == "alarm"
            by_size = {a["size"]: a for a in alarmed["alarms"]}
            assert set(by_size) == {4, 12} and all(a["source"] == SOURCE for a in alarmed["alarms"])
            assert by_size[12]["reason"].startswith("root mismatch: head 12 of plan-registry")
            assert "not consistent with head 8" in by_size[12]["reason"]
            assert by_size[4]["reason"].startswith("two heads for one size: head 4 of plan-registry")
            letters = {d["id"]: d for d in alarmed["dead_letters"]}
            assert {a["dead_letter"] for a in alarmed["alarms"]} <= set(letters), "each alarming head is kept"
            assert alarmed["witness"][SOURCE]["head_size"] == 8, "the last head that matched"
            # 4. a rebuild from the stream checks every head again: the same alarms, the same graph
            live = await graph_checksum(driver)
            rebuilt = await rebuild(
                GraphWriter(driver, keys=STORY_KEYS), origin="stream", nats_url=env["nats_url"], prefix=env["prefix"]
            )
            assert rebuilt["checksum"] == live["checksum"]
            again = await health(env)
            assert {(a["size"], a["reason"]) for a in again["alarms"]} == {
                (a["size"], a["reason"]) for a in alarmed["alarms"]
            }
        finally:
            if projector is not None:
                projector.stop()
            await publisher.close()
            await operator.close()
            await driver.close()

    asyncio.run(story_())


def test_a_head_not_signed_by_the_source_is_set_aside_without_an_alarm(env):
    """Anyone can write a checkpoint; only the source's key makes it the source's. A forged one is refused."""

    async def story_():
        driver = neo4j.AsyncGraphDatabase.driver(env["neo4j_uri"], auth=env["auth"])
        await empty_graph(driver)
        await ensure_constraints(driver)
        from knowledge.pipeline.ordering import decode

        chain = history(3)
        forged = head(chain.envelopes, 3, Signer.generate(f"planspor.test/{SOURCE}"))
        subject = head_subject(SOURCE, prefix=env["prefix"])
        try:
            items = [decode(e.to_canonical(), msg_id=e.nats_msg_id) for e in chain.envelopes]
            result = await GraphWriter(driver, keys=STORY_KEYS).project([*items, decode(forged.encode(), subject)])
            assert (result.applied, result.heads, result.alarms, result.dead_letters) == (3, 1, 0, 1)
            answer = await health(env)
            assert answer["status"] == "ok" and answer["witness"][SOURCE]["head_size"] is None
            (letter,) = answer["dead_letters"]
            assert letter["reason"].startswith("bad head signature: head 3 of plan-registry")
            good = await GraphWriter(driver, keys=STORY_KEYS).project(
                [decode(head(chain.envelopes, 3).encode(), subject)]
            )
            assert (good.heads, good.alarms) == (1, 0)
            assert (await health(env))["witness"][SOURCE]["head_size"] == 3
        finally:
            await driver.close()

    asyncio.run(story_())
