"""The projector against real NATS and Neo4j: order, duplicates, gaps, dead letters, replay.

Each test empties the graph first and publishes to its own stream (subject_prefix).
"""

import asyncio
import random

import httpx
import nats
import neo4j
import pytest
from kn_story import STORY_KEYS, FeedServer, interleaved, publish, story, story_key_settings, wait_for

from knowledge.api import create_app
from knowledge.bootstrap import bootstrap
from knowledge.graph.bookkeeping import read_checkpoints
from knowledge.graph.checksum import graph_checksum, graph_counts
from knowledge.graph.schema import empty_graph, ensure_constraints
from knowledge.graph.warmup import WARM_UP_SOURCE, known_samples, warm_up
from knowledge.pipeline.feed import Feeds
from knowledge.pipeline.graph_writer import GraphWriter
from knowledge.pipeline.ordering import decode
from knowledge.pipeline.projector import Projector
from knowledge.rebuild import rebuild
from knowledge.settings import Settings
from planspor_runtime.stream import stream_config
from planspor_shared.events import REGISTRY

pytestmark = pytest.mark.integration


@pytest.fixture
def env(nats_url, neo4j_uri, neo4j_auth, subject_prefix):
    return {"nats_url": nats_url, "neo4j_uri": neo4j_uri, "auth": neo4j_auth, "prefix": subject_prefix}


async def fresh_driver(env) -> neo4j.AsyncDriver:
    driver = neo4j.AsyncGraphDatabase.driver(env["neo4j_uri"], auth=env["auth"])
    await empty_graph(driver)
    await ensure_constraints(driver)
    return driver


async def checkpoints(driver) -> dict:
    async with driver.session() as session:
        return {s: p for s, (p, _) in (await session.execute_read(read_checkpoints)).items()}


async def clean_checksum(driver, chains) -> str:
    """The graph of a clean, in-order projection of the same events."""
    await empty_graph(driver)
    writer = GraphWriter(driver, keys=STORY_KEYS)
    await writer.project([decode(e.to_canonical(), msg_id=e.nats_msg_id) for e in interleaved(*chains)])
    return (await graph_checksum(driver))["checksum"]


def test_shuffled_duplicated_batches_give_the_graph_of_a_clean_projection(env):
    async def story_():
        driver = await fresh_driver(env)
        try:
            chains = story(1)
            envelopes = interleaved(*chains)
            writer = GraphWriter(driver, keys=STORY_KEYS)
            rng = random.Random(7)
            pending = [decode(e.to_canonical(), msg_id=e.nats_msg_id) for e in envelopes]
            pending += rng.sample(pending, 20)  # delivered twice
            rng.shuffle(pending)
            # 1. batches in random order; what is held comes back later, as the broker redelivers
            while pending:
                batch, pending = pending[:9], pending[9:]
                result = await writer.project(batch)
                pending += [i for i in batch if i.position > result.checkpoints[i.source]]
            live = await graph_checksum(driver)
            assert await checkpoints(driver) == {
                "plan-registry": len(chains[0].envelopes),
                "cocreation": len(chains[1].envelopes),
            }
            # 2. the same events once more change nothing
            await writer.project([decode(e.to_canonical()) for e in envelopes])
            assert (await graph_checksum(driver))["checksum"] == live["checksum"]
            # 3. equal to a clean projection, and the graph is not trivially small
            assert await clean_checksum(driver, chains) == live["checksum"]
            assert live["nodes"] > 80 and live["relationships"] > 150, live
            counted = await graph_counts(driver)  # what the scale benchmark prints, counted in Neo4j
            assert counted == {"nodes": live["nodes"], "relationships": live["relationships"]}
        finally:
            await driver.close()

    asyncio.run(story_())


def test_the_projector_consumes_the_stream_and_equals_a_rebuild_from_it(env):
    async def story_():
        driver = await fresh_driver(env)
        nc = await nats.connect(env["nats_url"])
        try:
            js = nc.jetstream()
            await js.add_stream(stream_config(env["prefix"]))
            chains = story(1)
            await publish(js, env["prefix"], interleaved(*chains))
            projector = Projector(
                GraphWriter(driver, keys=STORY_KEYS),
                env["nats_url"],
                env["prefix"],
                "kn-test",
                batch_size=7,
                fetch_timeout=0.2,
            )
            task = asyncio.create_task(projector.run())
            ends = {"plan-registry": len(chains[0].envelopes), "cocreation": len(chains[1].envelopes)}
            await wait_for(lambda: _reached(driver, ends), what="checkpoints at the end")
            await wait_for(lambda: _pending_is(projector, 0), what="no pending messages")
            live = await graph_checksum(driver)
            assert projector.writer.unwarmed == 0, "a shape of the story was planned by its batch, not by the warm-up"
            projector.stop()
            await asyncio.wait_for(task, 10)
            rebuilt = await rebuild(
                GraphWriter(driver, keys=STORY_KEYS), origin="stream", nats_url=env["nats_url"], prefix=env["prefix"]
            )
            assert rebuilt["checksum"] == live["checksum"] and rebuilt["events_read"] == sum(ends.values())
        finally:
            await nc.close()
            await driver.close()

    asyncio.run(story_())


def test_the_warm_up_plans_every_known_shape_and_writes_nothing(env):
    async def story_():
        driver = await fresh_driver(env)
        try:
            writer = GraphWriter(driver, keys=STORY_KEYS)
            await writer.project([decode(e.to_canonical(), msg_id=e.nats_msg_id) for e in interleaved(*story(1))])
            before = await graph_checksum(driver)
            planned = []
            await warm_up(driver, known_samples(), done=planned.append)
            assert sorted(planned) == sorted(s.shape for s in known_samples())
            after = await graph_checksum(driver)
            assert after == before
            async with driver.session() as session:
                left = await (
                    await session.run("MATCH (n) WHERE n.source = $s RETURN count(n) AS n", s=WARM_UP_SOURCE)
                ).single()
            assert left["n"] == 0
        finally:
            await driver.close()

    asyncio.run(story_())


async def _pending_is(projector, n) -> bool:
    return await projector.pending() == n


async def _reached(driver, ends) -> bool:
    current = await checkpoints(driver)
    return all(current.get(s, 0) >= p for s, p in ends.items())


def test_a_gap_in_the_stream_is_filled_from_the_feed(env):
    async def story_():
        driver = await fresh_driver(env)
        nc = await nats.connect(env["nats_url"])
        registry_chain, cocreation_chain = story(1)
        with FeedServer(registry_chain.envelopes) as feed:
            feeds = Feeds({"plan-registry": feed.url}, FeedServer.TOKEN)
            try:
                js = nc.jetstream()
                await js.add_stream(stream_config(env["prefix"]))
                missing = {5, 6, 7, 8}
                await publish(
                    js,
                    env["prefix"],
                    [
                        e
                        for e in interleaved(registry_chain, cocreation_chain)
                        if not (e.source == "plan-registry" and e.position in missing)
                    ],
                )
                projector = Projector(
                    GraphWriter(driver, feeds, keys=STORY_KEYS),
                    env["nats_url"],
                    env["prefix"],
                    "kn-gap",
                    batch_size=10,
                    fetch_timeout=0.2,
                )
                task = asyncio.create_task(projector.run())
                ends = {"plan-registry": len(registry_chain.envelopes), "cocreation": len(cocreation_chain.envelopes)}
                await wait_for(lambda: _reached(driver, ends), what="checkpoints at the end")
                projector.stop()
                await asyncio.wait_for(task, 10)
                assert feed.requests >= 1
                async with driver.session() as session:
                    filled = await (
                        await session.run(
                            "MATCH (e:Event {source: 'plan-registry'}) WHERE e.position IN [5, 6, 7, 8] "
                            "RETURN count(e) AS n, all(x IN collect(e.chain_ok) WHERE x) AS ok"
                        )
                    ).single()
                assert filled["n"] == 4 and filled["ok"]
                live = await graph_checksum(driver)
                assert await clean_checksum(driver, (registry_chain, cocreation_chain)) == live["checksum"]
            finally:
                await feeds.aclose()
                await nc.close()
                await driver.close()

    asyncio.run(story_())


def test_a_malformed_event_becomes_a_dead_letter_and_the_rest_is_projected_then_replayed_after_a_fix(env):
    async def story_():
        driver = await fresh_driver(env)
        nc = await nats.connect(env["nats_url"])
        registry_chain, cocreation_chain = story(1)
        envelopes = interleaved(registry_chain, cocreation_chain)
        # position 2 of plan-registry arrives as broken bytes; indicator.defined is unknown to this projector
        raw = {("plan-registry", 2): b'{"event_id": "broken'}
        unfixed = REGISTRY.copy()
        del unfixed._models[("indicator.defined", 1)]
        try:
            js = nc.jetstream()
            await js.add_stream(stream_config(env["prefix"]))
            await publish(js, env["prefix"], envelopes, raw=raw)
            projector = Projector(
                GraphWriter(driver, registry=unfixed, keys=STORY_KEYS),
                env["nats_url"],
                env["prefix"],
                "kn-dl",
                batch_size=10,
                fetch_timeout=0.2,
            )
            task = asyncio.create_task(projector.run())
            ends = {"plan-registry": len(registry_chain.envelopes), "cocreation": len(cocreation_chain.envelopes)}
            await wait_for(lambda: _reached(driver, ends), what="checkpoints at the end")
            projector.stop()
            await asyncio.wait_for(task, 10)

            settings = Settings(
                neo4j_uri=env["neo4j_uri"],
                neo4j_user=env["auth"][0],
                neo4j_password=env["auth"][1],
                nats_url=env["nats_url"],
                planspor_subject_prefix=env["prefix"],
                **story_key_settings(),
            )
            container = bootstrap(settings)  # the fixed service: the full contracts
            app = create_app(container, run_projector=False)
            operator = {"Authorization": "Bearer dev-operator-token"}
            async with app.router.lifespan_context(app):
                async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://k") as http:
                    letters = (await http.get("/api/v1/dead-letters", headers=operator)).json()["dead_letters"]
                    by_id = {d["id"]: d for d in letters}
                    indicator_position = next(
                        e.position for e in registry_chain.envelopes if e.event_type == "indicator.defined"
                    )
                    assert set(by_id) == {"plan-registry:2", f"plan-registry:{indicator_position}"}
                    assert "invalid envelope" in by_id["plan-registry:2"]["reason"]
                    assert "indicator.defined" in by_id[f"plan-registry:{indicator_position}"]["reason"]
                    # the events after them were projected
                    async with driver.session() as session:
                        count = await (
                            await session.run("MATCH (e:Event {source: 'plan-registry'}) RETURN count(e) AS n")
                        ).single()
                    assert count["n"] == len(registry_chain.envelopes) - 2
                    health = (await http.get("/health", headers=operator)).json()
                    assert health["dead_letters_open"] == 2
                    assert (await http.get("/health")).status_code == 401
                    # broken bytes stay broken: 409 with the reason
                    refused = await http.post("/api/v1/dead-letters/plan-registry:2/replay", headers=operator)
                    assert refused.status_code == 409 and "invalid envelope" in refused.json()["detail"]
                    assert (await http.post("/api/v1/dead-letters/nope/replay", headers=operator)).status_code == 404
                    replayed = await http.post(
                        f"/api/v1/dead-letters/plan-registry:{indicator_position}/replay", headers=operator
                    )
                    assert replayed.status_code == 200, replayed.text
                    async with driver.session() as session:
                        linked = await (
                            await session.run(
                                "MATCH (g:Goal)-[:MEASURED_BY]->(i:Indicator)<-[:CREATED]-(e:Event) "
                                "WHERE i.stub IS NULL RETURN e.position AS p, "
                                "EXISTS { (:Event {source: 'plan-registry', position: $next})-[:FOLLOWS]->(e) } AS chained",
                                next=indicator_position + 1,
                            )
                        ).single()
                    assert linked["p"] == indicator_position and linked["chained"]
                    still_open = (await http.get("/api/v1/dead-letters?status=open", headers=operator)).json()
                    assert [d["id"] for d in still_open["dead_letters"]] == ["plan-registry:2"]
                    checksum = await http.get("/api/v1/checksum", headers=operator)
                    assert checksum.status_code == 200 and len(checksum.json()["checksum"]) == 64
                    prov = await http.get("/api/v1/export/prov", headers={"Authorization": "Bearer dev-auditor-token"})
                    assert prov.status_code == 200 and any(
                        n.get("@type", [None])[0] == "prov:Activity" for n in prov.json()["@graph"]
                    )
        finally:
            await nc.close()
            await driver.close()

    asyncio.run(story_())
