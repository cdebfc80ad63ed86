"""A trickle of events on real NATS: every message the projector fetches is acked at once (issue 16).

The projector used to pull twice per batch (one message, then what else was there); when the
second pull raised, the message in hand was neither acked nor nacked and came back only after
the consumer's ack_wait (60 s), holding every later position of its source that long.
"""

import asyncio

import nats
import neo4j
import pytest
from kn_story import STORY_KEYS, interleaved, publish, story, wait_for

from knowledge.graph.bookkeeping import read_checkpoints
from knowledge.graph.schema import empty_graph, ensure_constraints
from knowledge.pipeline.graph_writer import GraphWriter
from knowledge.pipeline.projector import Projector
from planspor_runtime.stream import stream_config
from planspor_shared.subjects import stream_name

# slow tier (make slow) until the loss it looks for is found: on 2026-12-02 it failed on a quiet machine with the
# one-pull fetch too (a position held past ack_wait/2), and passed in other runs; see the knowledge README
pytestmark = [pytest.mark.integration, pytest.mark.slow]

ACK_WAIT = 60.0
"""The projector's consumer's ack_wait: a message fetched and dropped comes back only after it."""


def test_a_trickle_is_acked_as_it_comes_and_nothing_is_redelivered(nats_url, neo4j_uri, neo4j_auth, subject_prefix):
    async def story_():
        driver = neo4j.AsyncGraphDatabase.driver(neo4j_uri, auth=neo4j_auth)
        await empty_graph(driver)
        await ensure_constraints(driver)
        nc = await nats.connect(nats_url)
        js = nc.jetstream()
        await js.add_stream(stream_config(subject_prefix))
        projector = Projector(
            GraphWriter(driver, keys=STORY_KEYS),
            nats_url,
            subject_prefix,
            "kn-trickle",
            batch_size=50,
            fetch_timeout=0.25,
        )
        task = asyncio.create_task(projector.run())
        try:
            chains = story(6)
            envelopes = interleaved(*chains)
            ends = {"plan-registry": len(chains[0].envelopes), "cocreation": len(chains[1].envelopes)}
            await asyncio.sleep(0.5)  # the consumer idles in its pull
            for envelope in envelopes:  # one at a time: most pulls find one message, many find none
                await publish(js, subject_prefix, [envelope])
                await asyncio.sleep(0.01)

            async def reached() -> bool:
                async with driver.session() as session:
                    current = await session.execute_read(read_checkpoints)
                return all(current.get(s, (0, None))[0] >= p for s, p in ends.items())

            # well within ack_wait: a dropped message would hold its source's later positions until then
            await wait_for(reached, timeout=ACK_WAIT / 2, what="every position applied before any ack_wait ran out")

            async def acked() -> bool:
                info = await js.consumer_info(stream_name(subject_prefix), "kn-trickle")
                return info.num_ack_pending == 0 and info.num_pending == 0

            await wait_for(acked, timeout=10, what="no message fetched and left unacknowledged")
            info = await js.consumer_info(stream_name(subject_prefix), "kn-trickle")
            assert info.num_redelivered == 0, info
            assert info.delivered.consumer_seq == len(envelopes), info  # each message delivered exactly once
            assert info.ack_floor.stream_seq == len(envelopes), info
            assert projector.batches > 1 and projector.failures == 0  # a trickle, in many batches
        finally:
            projector.stop()
            await asyncio.wait_for(task, 10)
            await nc.close()
            await driver.close()

    asyncio.run(story_())
