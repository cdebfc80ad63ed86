"""The projection's graph is pinned: the checksums of fixed stories, recorded before the projector was rewritten.

Any change to how events are written (fewer round trips, batching, UNWIND runs) must
leave the graph identical; a change of the graph model changes these constants on
purpose, in the same commit as the README. The stories are the test stories of
``kn_story`` and ``kq_story`` (the query tests') with their random ids drawn from a seeded
generator, projected in order, in small batches, and in one batch per event.
"""

from __future__ import annotations

import asyncio
import random
import uuid

import kn_story
import neo4j
import pytest
from kn_story import STORY_KEYS, interleaved
from kq_story import write_story

from knowledge.graph.checksum import graph_checksum
from knowledge.graph.schema import empty_graph, ensure_constraints
from knowledge.pipeline.graph_writer import GraphWriter
from knowledge.pipeline.ordering import decode

pytestmark = pytest.mark.integration

GOLDEN = {
    "story-1": "e6239f85056bc94bb8459f676f0f9a543199b86bba3cde7b7bad7351df50403f",
    "story-3": "93ce0a1dc9c68274e598bf507a33d28d7c5dcaf9d43887bd4499afb0701507bd",
    "queries-story": "a7e0b6d47934195187cc4175a33bf234b5bc746e11236a0da7cf66137145ef5b",
}


class _SeededUuid:
    """Stands in for the ``uuid`` module inside ``kn_story``: the same ids on every run."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def uuid4(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)


def seeded_envelopes(name: str, monkeypatch) -> list:
    monkeypatch.setattr(kn_story, "uuid", _SeededUuid(sum(map(ord, name))))
    if name == "story-1":
        return interleaved(*kn_story.story(1))
    if name == "story-3":
        return interleaved(*kn_story.story(3))
    story = write_story()
    return interleaved(story.registry, story.cocreation)


async def project_and_checksum(neo4j_uri, neo4j_auth, envelopes, batch: int) -> str:
    driver = neo4j.AsyncGraphDatabase.driver(neo4j_uri, auth=neo4j_auth)
    try:
        await empty_graph(driver)
        await ensure_constraints(driver)
        writer = GraphWriter(driver, keys=STORY_KEYS)
        items = [decode(e.to_canonical(), msg_id=e.nats_msg_id) for e in envelopes]
        for start in range(0, len(items), batch):
            await writer.project(items[start : start + batch])
        return (await graph_checksum(driver))["checksum"]
    finally:
        await driver.close()


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_the_graph_of_a_fixed_story_is_the_recorded_one(name, neo4j_uri, neo4j_auth, monkeypatch):
    envelopes = seeded_envelopes(name, monkeypatch)
    checksums = {
        batch: asyncio.run(project_and_checksum(neo4j_uri, neo4j_auth, envelopes, batch))
        for batch in (len(envelopes), 7, 1)
    }
    assert set(checksums.values()) == {GOLDEN[name]}, checksums


async def facts_without_valid_time(neo4j_uri, neo4j_auth, envelopes) -> tuple[list, int]:
    """The facts with a recorded time but no valid time, and how many facts had ended (so the check had some)."""
    driver = neo4j.AsyncGraphDatabase.driver(neo4j_uri, auth=neo4j_auth)
    try:
        await empty_graph(driver)
        await ensure_constraints(driver)
        writer = GraphWriter(driver, keys=STORY_KEYS)
        await writer.project([decode(e.to_canonical(), msg_id=e.nats_msg_id) for e in envelopes])
        async with driver.session() as session:
            result = await session.run(
                "MATCH (n) WHERE (n.since IS NOT NULL AND n.valid_from IS NULL) "
                "OR (n.until IS NOT NULL AND n.valid_to IS NULL) RETURN labels(n) AS what, n.id AS id "
                "UNION ALL MATCH ()-[r]->() WHERE (r.since IS NOT NULL AND r.valid_from IS NULL) "
                "OR (r.until IS NOT NULL AND r.valid_to IS NULL) RETURN [type(r)] AS what, r.created_by AS id"
            )
            missing = [dict(row) async for row in result]
            ended = await session.run(
                "CALL { MATCH (n) WHERE n.until IS NOT NULL RETURN n.id AS id "
                "UNION ALL MATCH ()-[r]->() WHERE r.until IS NOT NULL RETURN r.created_by AS id } RETURN count(*) AS n"
            )
            return missing, (await ended.single())["n"]
    finally:
        await driver.close()


def test_every_fact_with_a_recorded_time_has_its_valid_time(neo4j_uri, neo4j_auth, monkeypatch):
    envelopes = seeded_envelopes("story-3", monkeypatch)
    missing, ended = asyncio.run(facts_without_valid_time(neo4j_uri, neo4j_auth, envelopes))
    assert missing == []
    assert ended > 0, "the story has no ended fact, so valid_to was not checked"
