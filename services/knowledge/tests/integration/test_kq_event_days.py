"""The queries read an event's effective day from its Event node (``reads.EVENT_DAY``): for every event type
of the catalogue (``kn_story``) and the history entered today (``kq_history``), it is the day the projector
wrote as the valid time of what the event began (``effective_date``)."""

from __future__ import annotations

import asyncio
import json

import kn_story
import neo4j
import pytest
from kn_story import interleaved
from kq_history import enter, entry_start, project, steps

from knowledge.graph.queries.reads import EVENT_DAY
from planspor_shared.events import REGISTRY
from planspor_shared.events.base import effective_date, municipal_day

pytestmark = pytest.mark.integration


async def event_days(driver) -> list[dict]:
    async with driver.session() as session:
        result = await session.run(
            f"MATCH (e:Event) RETURN e.type AS type, e.schema_version AS version, e.payload AS payload, "
            f"e.occurred_at AS occurred_at, {EVENT_DAY} AS day"
        )
        return [record.data() async for record in result]


def test_the_effective_day_of_every_event_is_read_back_as_the_projector_computed_it(neo4j_uri, neo4j_auth):
    async def check() -> tuple[int, int, set[str]]:
        driver = neo4j.AsyncGraphDatabase.driver(neo4j_uri, auth=neo4j_auth)
        try:
            compared = dated = 0
            types: set[str] = set()
            for envelopes in (interleaved(*kn_story.story(1)), enter(steps(), entry_start()).envelopes):
                await project(driver, envelopes)
                found = await event_days(driver)
                assert len(found) == len(envelopes)
                for row in found:
                    model = REGISTRY.model_for(row["type"], row["version"])
                    payload = model.model_validate(json.loads(row["payload"]))
                    occurred_at = row["occurred_at"].to_native()
                    expected = effective_date(payload, occurred_at)
                    assert row["day"].to_native() == expected, row["type"]
                    compared += 1
                    dated += expected != municipal_day(occurred_at)
                    types.add(row["type"])
            return compared, dated, types
        finally:
            await driver.close()

    compared, dated, types = asyncio.run(check())
    assert dated >= 15 and len(types) >= 25, (compared, dated, sorted(types))
