"""Exactly-once effect under crashes: the projector process is killed with SIGKILL mid-batch, again and again.

The stream carries every event twice (the second copy without a message id, so the
broker cannot deduplicate it) and out of order within each source; the feeds serve
the true order. Whatever was committed before a kill stays, whatever was not is
redelivered, and the final graph has the checksum of a clean rebuild.
"""

import asyncio
import os
import random
import signal
import subprocess
import sys
import time

import nats
import neo4j
import pytest

from kn_story import FeedServer, interleaved, story
from planspor_shared.subjects import stream_config, subject
from knowledge.graph import projection as graph
from knowledge.graph.checksum import graph_checksum
from knowledge.graph.schema import empty_graph, ensure_constraints
from knowledge.projection.feed import Feeds
from knowledge.projection.projector import Projection
from knowledge.rebuild import rebuild

pytestmark = pytest.mark.integration


def _positions(neo4j_uri, auth) -> dict:
    async def read():
        driver = neo4j.AsyncGraphDatabase.driver(neo4j_uri, auth=auth)
        try:
            async with driver.session() as session:
                return {s: p for s, (p, _) in (await session.execute_read(graph.read_checkpoints)).items()}
        finally:
            await driver.close()
    return asyncio.run(read())


def _crash_run(nats_url, neo4j_uri, neo4j_auth, prefix, rounds: int, kills: int) -> None:
    registry_chain, cocreation_chain = story(rounds)
    ends = {"plan-registry": len(registry_chain.envelopes), "cocreation": len(cocreation_chain.envelopes)}
    rng = random.Random(20)

    async def prepare():
        driver = neo4j.AsyncGraphDatabase.driver(neo4j_uri, auth=neo4j_auth)
        await empty_graph(driver)
        await ensure_constraints(driver)
        await driver.close()
        nc = await nats.connect(nats_url)
        js = nc.jetstream()
        await js.add_stream(stream_config(prefix))
        envelopes = interleaved(registry_chain, cocreation_chain)
        # out of order within a source: each event moves up to 6 places
        keyed = sorted(enumerate(envelopes), key=lambda ie: ie[0] + rng.uniform(0, 6))
        for _, e in keyed:
            await js.publish(subject(e.source, e.event_type, prefix=prefix), e.to_canonical(),
                             headers={"Nats-Msg-Id": e.nats_msg_id})
        for e in rng.sample(envelopes, len(envelopes)):  # every event a second time, not deduplicated
            await js.publish(subject(e.source, e.event_type, prefix=prefix), e.to_canonical())
        await nc.close()

    asyncio.run(prepare())
    with FeedServer(registry_chain.envelopes) as registry_feed, FeedServer(cocreation_chain.envelopes) as co_feed:
        env = {**os.environ, "NATS_URL": nats_url, "NEO4J_URI": neo4j_uri, "NEO4J_USER": neo4j_auth[0],
               "NEO4J_PASSWORD": neo4j_auth[1], "PLANSPOR_SUBJECT_PREFIX": prefix, "KNOWLEDGE_DURABLE": "kn-crash",
               "KNOWLEDGE_BATCH_SIZE": "5", "KNOWLEDGE_FETCH_TIMEOUT": "0.2", "KNOWLEDGE_NAK_DELAY": "0.2",
               "PLAN_REGISTRY_URL": registry_feed.url, "COCREATION_URL": co_feed.url,
               "PLANSPOR_FEED_TOKEN": FeedServer.TOKEN, "PLANSPOR_ENV": "development"}
        command = [sys.executable, "-m", "knowledge", "project"]
        killed = 0
        progress_at_kills = []
        while killed < kills:
            process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            before = _positions(neo4j_uri, neo4j_auth)
            # wait until this run has committed at least one batch, then kill it at a random moment
            deadline = time.monotonic() + 30
            while _positions(neo4j_uri, neo4j_auth) == before and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(rng.uniform(0, 0.3))
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
            killed += 1
            progress_at_kills.append(sum(_positions(neo4j_uri, neo4j_auth).values()))
            if all(_positions(neo4j_uri, neo4j_auth).get(s, 0) >= p for s, p in ends.items()):
                break
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 120
            while not all(_positions(neo4j_uri, neo4j_auth).get(s, 0) >= p for s, p in ends.items()):
                assert time.monotonic() < deadline, f"projection stuck at {_positions(neo4j_uri, neo4j_auth)}"
                time.sleep(0.1)
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()

        async def compare():
            driver = neo4j.AsyncGraphDatabase.driver(neo4j_uri, auth=neo4j_auth)
            try:
                live = await graph_checksum(driver)
                feeds = Feeds({"plan-registry": registry_feed.url, "cocreation": co_feed.url}, FeedServer.TOKEN)
                try:
                    rebuilt = await rebuild(Projection(driver, feeds), origin="feeds")
                finally:
                    await feeds.aclose()
                return live, rebuilt
            finally:
                await driver.close()

        live, rebuilt = asyncio.run(compare())
    assert killed >= min(kills, 5), f"only {killed} kills happened before the end"
    assert rebuilt["events_read"] == sum(ends.values())
    assert live["checksum"] == rebuilt["checksum"], (live, rebuilt, progress_at_kills)


def test_killed_twenty_times_mid_batch_the_graph_equals_a_clean_rebuild(nats_url, neo4j_uri, neo4j_auth,
                                                                        subject_prefix):
    _crash_run(nats_url, neo4j_uri, neo4j_auth, subject_prefix, rounds=1, kills=20)


@pytest.mark.slow
def test_killed_many_times_on_a_longer_story(nats_url, neo4j_uri, neo4j_auth, subject_prefix):
    _crash_run(nats_url, neo4j_uri, neo4j_auth, subject_prefix, rounds=6, kills=60)
