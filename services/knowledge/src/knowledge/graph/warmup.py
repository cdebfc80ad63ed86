"""The statement plans warmed before the first batch: Neo4j plans each event shape's statement once.

Planning one of the batch writer's statements (``knowledge.graph.batch.statement``) and compiling
it for its runtime takes Neo4j about a second on this kind of machine, two to three for the
largest, and each event shape has its own: on a fresh Neo4j the first batches of a story spent
most of their time there (the first ``make run``'s scenario, 424 events, came into the graph 44 s
after it was loaded). An ``EXPLAIN`` is not enough (it plans but does not compile), nor is a run in a
transaction that has not written (a batch's statements run after a write, and Neo4j makes another
plan for those): the warm-up runs each statement on one sample event of its shape, after a write, in
a transaction it rolls back, so nothing is written and the batches then find their plans made
(whatever their number of events: the rows come in a map, ``knowledge.graph.batch``).

``shapes.json`` holds the shapes, with a sample event each, of the events the knowledge tests'
story writes (every event type the handlers map) and of the Bærum scenario (read from a ``make
run``'s stream: they take paths the story does not): ``python services/knowledge/tests/kn_shapes.py
[--stream NATS_URL]`` adds to it after a handler changed, and a unit test says when it is behind
the story. A shape met that
is not there is planned by its batch, as before, and counted
(``planspor_projector_unwarmed_shapes_total``).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import neo4j

from knowledge.graph.batch import statement

Shape = tuple[str, ...]
SHAPES_FILE = Path(__file__).with_name("shapes.json")


WARM_UP_SOURCE = "planspor-warm-up"
"""The source of the sample events: no source's (source, position) is ever theirs, so no constraint meets them."""


IN_A_WRITING_TRANSACTION = "CREATE (:Event {id: $id})"
"""Run first in each warm-up transaction: a batch's statements run after its checkpoints are locked (a
write: ``knowledge.graph.bookkeeping.lock_checkpoints`` sets and removes a property so that it is one), and
Neo4j plans a statement again for a transaction that has written (0.6 to 1 s each) where a plan made in one
that had not is no help."""


@dataclass(frozen=True)
class Sample:
    """A shape, and one event's statement row of that shape (JSON values: the plan is made for them)."""

    shape: Shape
    row: dict[str, Any]


def samples_document(samples: Iterable[Sample]) -> dict[str, list]:
    """The samples as the file holds them (the first of each shape): each fragment once, a shape as the
    indexes of its fragments."""
    first: dict[Shape, Sample] = {}
    for sample in samples:
        first.setdefault(sample.shape, sample)
    ordered = sorted(first.values(), key=lambda s: s.shape)
    fragments = sorted({fragment for s in ordered for fragment in s.shape})
    index = {fragment: i for i, fragment in enumerate(fragments)}
    rows = [json.loads(json.dumps(s.row, default=str)) for s in ordered]
    return {
        "fragments": fragments,
        "shapes": [
            {"fragments": [index[f] for f in s.shape], "row": row} for s, row in zip(ordered, rows, strict=True)
        ],
    }


def read_samples(document: dict[str, list]) -> list[Sample]:
    fragments = document["fragments"]
    return [Sample(tuple(fragments[i] for i in s["fragments"]), s["row"]) for s in document["shapes"]]


@lru_cache(maxsize=1)
def known_samples() -> tuple[Sample, ...]:
    return tuple(read_samples(json.loads(SHAPES_FILE.read_text(encoding="utf-8"))))


def _anonymous(row: dict[str, Any], n: int) -> dict[str, Any]:
    place = {"source": WARM_UP_SOURCE, "position": 2_000_000_000 + n}
    return {**row, **place, "eid": f"{WARM_UP_SOURCE}-{n}", "event": {**row.get("event", {}), **place}}


async def warm_up(
    driver: neo4j.AsyncDriver,
    samples: Sequence[Sample],
    database: str | None = None,
    at_once: int = 2,
    done: Callable[[Shape], None] = lambda shape: None,
) -> None:
    """Run each sample's statement and roll it back, ``at_once`` in parallel sessions: planned, nothing written."""
    waiting = list(enumerate(samples))

    async def run() -> None:
        async with driver.session(database=database) as session:
            while waiting:
                n, sample = waiting.pop()
                for attempt in range(1, 6):
                    tx = await session.begin_transaction()
                    try:
                        await (await tx.run(IN_A_WRITING_TRANSACTION, id=f"{WARM_UP_SOURCE}-write-{n}")).consume()
                        await (
                            await tx.run(statement(sample.shape), batch={"events": [_anonymous(sample.row, n)]})
                        ).consume()
                        break
                    except neo4j.exceptions.TransientError:  # two samples MERGE one node: a deadlock, try again
                        if attempt == 5:
                            raise
                    finally:
                        await tx.rollback()
                done(sample.shape)

    await asyncio.gather(*(run() for _ in range(max(1, at_once))))
