"""Signatures on every path into the graph, against real NATS and Neo4j.

A publisher holding the source's NATS credentials (a compromised one) can put an envelope with a
correct chain hash on the stream, since anyone can compute the hash; only the source's key makes
its signature. So whatever is unsigned, signed by a key knowledge does not trust, or signed badly
becomes a dead letter and never a fact, and the events after it are projected. A key rotation is
followed from its announcement, across a restart and a rebuild.
"""

import asyncio
import uuid

import httpx
import nats
import neo4j
import pytest
from kn_story import SIGNERS, STORY_KEYS, T0, Chain, publish, rid, story_key_settings, wait_for

from knowledge.api import create_app
from knowledge.bootstrap import bootstrap
from knowledge.graph.bookkeeping import read_checkpoints
from knowledge.graph.checksum import graph_checksum
from knowledge.graph.schema import empty_graph, ensure_constraints
from knowledge.pipeline.graph_writer import GraphWriter
from knowledge.pipeline.ordering import decode
from knowledge.pipeline.projector import Projector
from knowledge.rebuild import rebuild
from knowledge.settings import Settings
from planspor_runtime.bus import connect
from planspor_runtime.stream import stream_config
from planspor_shared.events import plan_registry as pr
from planspor_shared.events.log import KeyRotated
from planspor_verify.note import Signer

pytestmark = pytest.mark.integration

SOURCE = "plan-registry"


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


async def fresh_driver(env) -> neo4j.AsyncDriver:
    driver = neo4j.AsyncGraphDatabase.driver(env["neo4j_uri"], auth=env["auth"])
    await empty_graph(driver)
    await ensure_constraints(driver)
    return driver


def goal(chain: Chain, goal_id: str, minute: int):
    from datetime import timedelta

    return chain.seal(pr.GoalDefined(goal_id=goal_id, title=f"Mål {goal_id}"), T0 + timedelta(minutes=minute))


async def goals(driver, ids) -> set[str]:
    records, _, _ = await driver.execute_query("MATCH (g:Goal) WHERE g.id IN $ids RETURN g.id AS id", ids=list(ids))
    return {r["id"] for r in records}


async def position(driver) -> int:
    async with driver.session() as session:
        return (await session.execute_read(read_checkpoints)).get(SOURCE, (0, None))[0]


def knowledge_app(env):
    settings = Settings(
        neo4j_uri=env["neo4j_uri"],
        neo4j_user=env["auth"][0],
        neo4j_password=env["auth"][1],
        plan_registry_url=None,
        cocreation_url=None,
        **story_key_settings(),
    )
    return create_app(bootstrap(settings), run_projector=False)


OPERATOR = {"Authorization": "Bearer dev-operator-token"}


def test_a_forged_event_on_the_bus_with_the_sources_credentials_never_becomes_a_fact(env):
    async def story_():
        driver = await fresh_driver(env)
        chain = Chain(SOURCE)
        ids = [rid("goal") for _ in range(6)]
        goal(chain, ids[0], 1)
        goal(chain, ids[1], 2)
        # 3: a correct chain hash, no signature (whoever holds the account can compute the hash)
        chain.signer = None
        goal(chain, ids[2], 3)
        # 4: re-signed with a key of the same name that knowledge does not trust
        chain.signer = Signer.generate(f"planspor.test/{SOURCE}")
        goal(chain, ids[3], 4)
        # 5: the trusted key's name, a signature that is not its signature of this event
        chain.signer = SIGNERS[SOURCE]
        forged = goal(chain, ids[4], 5)
        other = chain.envelopes[0].signature
        assert other is not None and forged.signature is not None
        chain.envelopes[-1] = forged.model_copy(
            update={"signature": forged.signature.model_copy(update={"sig": other.sig})}
        )
        goal(chain, ids[5], 6)  # the source's own again: the pipeline goes on
        publisher = await connect(env["publisher"], name="compromised-publisher")
        operator = await nats.connect(env["nats_url"])
        try:
            await operator.jetstream().add_stream(stream_config(env["prefix"]))
            await publish(publisher.jetstream(), env["prefix"], chain.envelopes)
            projector = Projector(
                GraphWriter(driver, keys=STORY_KEYS),
                env["knowledge"],
                env["prefix"],
                "knowledge-projector",
                fetch_timeout=0.2,
            )
            task = asyncio.create_task(projector.run())
            await wait_for(lambda: _at(driver, 6), what="every position consumed")
            projector.stop()
            await asyncio.wait_for(task, 10)
            assert await goals(driver, ids) == {ids[0], ids[1], ids[5]}
            app = knowledge_app(env)
            async with (
                app.router.lifespan_context(app),
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app), base_url="http://k", headers=OPERATOR
                ) as http,
            ):
                letters = {
                    d["id"]: d["reason"] for d in (await http.get("/api/v1/dead-letters")).json()["dead_letters"]
                }
                assert set(letters) == {f"{SOURCE}:3", f"{SOURCE}:4", f"{SOURCE}:5"}
                assert letters[f"{SOURCE}:3"].startswith("unsigned: ")
                assert (
                    letters[f"{SOURCE}:4"].startswith("unknown key: ") and "knowledge trusts" in letters[f"{SOURCE}:4"]
                )
                assert letters[f"{SOURCE}:5"].startswith("bad signature: ")
                # a replay checks the signature again: a forgery stays set aside
                refused = await http.post(f"/api/v1/dead-letters/{SOURCE}:3/replay")
                assert refused.status_code == 409 and "unsigned" in refused.json()["detail"]
            assert await goals(driver, ids) == {ids[0], ids[1], ids[5]}
        finally:
            await publisher.close()
            await operator.close()
            await driver.close()

    asyncio.run(story_())


async def _at(driver, expected: int) -> bool:
    return await position(driver) >= expected


def rotation(chain: Chain, new: Signer, minute: int):
    from datetime import timedelta

    old = chain.signer
    assert old is not None
    announced = KeyRotated(
        key=str(new.verifier_key), previous_key=str(old.verifier_key), from_position=chain.position + 2
    )
    envelope = chain.seal(
        announced.model_dump(),
        T0 + timedelta(minutes=minute),
        event_type=KeyRotated.event_type,
        schema_version=KeyRotated.schema_version,
        aggregate_id=f"{SOURCE}:signing-key",
        aggregate_version=2,
    )
    chain.signer = new
    return envelope


def test_a_key_rotation_is_followed_across_a_restart_and_a_rebuild_and_the_old_key_is_retired(env):
    async def story_():
        driver = await fresh_driver(env)
        chain = Chain(SOURCE)
        ids = [rid("goal") for _ in range(5)]
        old, new = SIGNERS[SOURCE], Signer.generate(f"planspor.test/{SOURCE}")
        goal(chain, ids[0], 1)
        goal(chain, ids[1], 2)
        rotation(chain, new, 3)  # position 3, signed by the old key: from 4 on the new key signs
        goal(chain, ids[2], 4)
        goal(chain, ids[3], 5)
        chain.signer = old
        goal(chain, ids[4], 6)  # the retired key signs after the hand-over: not the source's any more
        items = [decode(e.to_canonical(), msg_id=e.nats_msg_id) for e in chain.envelopes]
        try:
            # 1. up to the announcement, then a new writer (a restart) reads the hand-over from the graph
            first = await GraphWriter(driver, keys=STORY_KEYS).project(items[:3])
            assert first.applied == 3 and first.dead_letters == 0
            second = await GraphWriter(driver, keys=STORY_KEYS).project(items[3:])
            assert second.applied == 2 and second.dead_letters == 1
            assert await goals(driver, ids) == set(ids[:4])
            records, _, _ = await driver.execute_query(
                "MATCH (d:DeadLetter {id: $id}) RETURN d.reason AS reason", id=f"{SOURCE}:6"
            )
            assert "not by the key in force there" in records[0]["reason"]
            records, _, _ = await driver.execute_query(
                "MATCH (e:Event {source: $source, position: 3}) RETURN e.type AS type", source=SOURCE
            )
            assert records[0]["type"] == "key.rotated", "the announcement is an event of the record"
            live = await graph_checksum(driver)
            # 2. a rebuild from the stream follows the announcement again, from the configured key alone
            operator = await nats.connect(env["nats_url"])
            try:
                js = operator.jetstream()
                await js.add_stream(stream_config(env["prefix"]))
                await publish(js, env["prefix"], chain.envelopes)
            finally:
                await operator.close()
            rebuilt = await rebuild(
                GraphWriter(driver, keys=STORY_KEYS), origin="stream", nats_url=env["nats_url"], prefix=env["prefix"]
            )
            assert rebuilt["checksum"] == live["checksum"]
            assert await goals(driver, ids) == set(ids[:4])
            # 3. an announcement by a key knowledge does not trust hands over nothing: trust is not taken
            #    from the event's own word
            await empty_graph(driver)
            usurper, chain2 = Signer.generate(f"planspor.test/{SOURCE}"), Chain(SOURCE)
            others = [rid("goal") for _ in range(3)]
            goal(chain2, others[0], 1)
            chain2.signer = usurper
            rotation(chain2, Signer.generate(f"planspor.test/{SOURCE}"), 2)
            goal(chain2, others[1], 3)
            goal(chain2, others[2], 4)
            refused = await GraphWriter(driver, keys=STORY_KEYS).project(
                [decode(e.to_canonical(), msg_id=e.nats_msg_id) for e in chain2.envelopes]
            )
            assert (refused.applied, refused.dead_letters) == (1, 3)
            assert await goals(driver, others) == {others[0]}
        finally:
            await driver.close()

    asyncio.run(story_())


def test_the_signature_of_a_feed_item_is_checked_as_the_streams(env):
    """The feed path (gap filling, rebuild from the feeds) decodes the same envelopes: a forged one is set aside."""

    async def story_():
        driver = await fresh_driver(env)
        chain = Chain(SOURCE)
        ids = [rid("goal") for _ in range(2)]
        goal(chain, ids[0], 1)
        chain.signer = Signer.generate(f"planspor.test/{SOURCE}")
        goal(chain, ids[1], 2)
        from knowledge.pipeline.ordering import decode_feed_item

        try:
            result = await GraphWriter(driver, keys=STORY_KEYS).project(
                [decode_feed_item(e.model_dump(mode="json")) for e in chain.envelopes]
            )
            assert (result.applied, result.dead_letters) == (1, 1)
            assert await goals(driver, ids) == {ids[0]}
        finally:
            await driver.close()

    asyncio.run(story_())


def test_knowledge_refuses_to_start_in_production_without_the_sources_keys():
    tokens = '[{"sha256": "' + "ab" * 32 + '", "role": "operator", "name": "it"}]'
    production = dict(
        planspor_env="production",
        planspor_tokens=tokens,
        neo4j_password="a-real-one-" + uuid.uuid4().hex,
        nats_user="knowledge",
        nats_password="random-enough",
        planspor_feed_token="t",
    )
    with pytest.raises(ValueError, match="KNOWLEDGE_PLAN_REGISTRY_KEYS, KNOWLEDGE_COCREATION_KEYS"):
        Settings(**production)
    with pytest.raises(ValueError, match="KNOWLEDGE_COCREATION_KEYS"):
        Settings(**production, knowledge_plan_registry_keys=str(SIGNERS[SOURCE].verifier_key))
    with pytest.raises(ValueError, match="not a verifier key"):
        Settings(**production, **{**story_key_settings(), "knowledge_cocreation_keys": "not-a-key"})
    settings = Settings(**production, **story_key_settings())
    assert [k.ident for k in settings.source_keys().of(SOURCE)] == [SIGNERS[SOURCE].verifier_key.ident]
