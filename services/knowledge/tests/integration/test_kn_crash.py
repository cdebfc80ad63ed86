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
from kn_story import STORY_KEYS, FeedServer, interleaved, story, story_key_settings

from knowledge.graph.checksum import graph_checksum
from knowledge.graph.schema import empty_graph, ensure_constraints
from knowledge.pipeline.feed import Feeds
from knowledge.pipeline.graph_writer import GraphWriter
from knowledge.rebuild import rebuild
from planspor_runtime.stream import stream_config
from planspor_shared.subjects import subject

pytestmark = pytest.mark.integration


def _reader(neo4j_uri, auth):
    """The checkpoints, read often while the projector runs: one open (sync) driver, no event loop per read."""
    driver = neo4j.GraphDatabase.driver(neo4j_uri, auth=auth)

    def positions() -> dict:
        records, _, _ = driver.execute_query("MATCH (c:Checkpoint) RETURN c.source AS source, c.position AS position")
        return {r["source"]: r["position"] for r in records}

    return driver, positions


def _crash_run(nats_url, neo4j_uri, neo4j_auth, prefix, rounds: int, kills: int, kill_within: float) -> None:
    """Kill the projector ``kills`` times, each time at a random moment within ``kill_within`` seconds after
    its first commit (the projector writes a batch of 5 in a few ms, so most kills land mid-batch or
    between commit and ack), then let one run finish and compare with a clean rebuild."""
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
            await js.publish(
                subject(e.source, e.event_type, prefix=prefix), e.to_canonical(), headers={"Nats-Msg-Id": e.nats_msg_id}
            )
        for e in rng.sample(envelopes, len(envelopes)):  # every event a second time, not deduplicated
            await js.publish(subject(e.source, e.event_type, prefix=prefix), e.to_canonical())
        await nc.close()

    asyncio.run(prepare())
    with FeedServer(registry_chain.envelopes) as registry_feed, FeedServer(cocreation_chain.envelopes) as co_feed:
        env = {
            **os.environ,
            "NATS_URL": nats_url,
            "NEO4J_URI": neo4j_uri,
            "NEO4J_USER": neo4j_auth[0],
            "NEO4J_PASSWORD": neo4j_auth[1],
            "PLANSPOR_SUBJECT_PREFIX": prefix,
            "KNOWLEDGE_DURABLE": "kn-crash",
            **{name.upper(): value for name, value in story_key_settings().items()},
            "KNOWLEDGE_BATCH_SIZE": "5",
            "KNOWLEDGE_FETCH_TIMEOUT": "0.2",
            "KNOWLEDGE_NAK_DELAY": "0.2",
            "PLAN_REGISTRY_URL": registry_feed.url,
            "COCREATION_URL": co_feed.url,
            "PLANSPOR_FEED_TOKEN": FeedServer.TOKEN,
            "PLANSPOR_ENV": "development",
        }
        command = [sys.executable, "-m", "knowledge", "project"]
        killed = 0
        progress_at_kills = []
        reader, positions = _reader(neo4j_uri, neo4j_auth)

        def done() -> bool:
            return all(positions().get(s, 0) >= p for s, p in ends.items())

        while killed < kills and not done():
            process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            before = positions()
            # wait until this run has committed at least one batch, then kill it at a random moment
            deadline = time.monotonic() + 30
            while positions() == before and time.monotonic() < deadline:
                time.sleep(0.005)
            time.sleep(rng.uniform(0, kill_within))
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
            killed += 1
            progress_at_kills.append(sum(positions().values()))
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 120
            while not done():
                assert time.monotonic() < deadline, f"projection stuck at {positions()}"
                time.sleep(0.05)
        finally:
            reader.close()
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
                    rebuilt = await rebuild(GraphWriter(driver, feeds, keys=STORY_KEYS), origin="feeds")
                finally:
                    await feeds.aclose()
                return live, rebuilt
            finally:
                await driver.close()

        live, rebuilt = asyncio.run(compare())
    assert killed == kills, f"only {killed} kills happened before the end (progress {progress_at_kills})"
    assert rebuilt["events_read"] == sum(ends.values())
    assert live["checksum"] == rebuilt["checksum"], (live, rebuilt, progress_at_kills)


def test_killed_four_times_mid_batch_the_graph_equals_a_clean_rebuild(nats_url, neo4j_uri, neo4j_auth, subject_prefix):
    _crash_run(nats_url, neo4j_uri, neo4j_auth, subject_prefix, rounds=5, kills=4, kill_within=0.02)


@pytest.mark.slow
def test_killed_many_times_on_a_longer_story(nats_url, neo4j_uri, neo4j_auth, subject_prefix):
    _crash_run(nats_url, neo4j_uri, neo4j_auth, subject_prefix, rounds=25, kills=60, kill_within=0.05)
