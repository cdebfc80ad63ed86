"""The graph writer: a batch of incoming events -> gaps filled from the feeds -> one Neo4j write transaction.

It is what the live projector, the rebuild and a dead letter's replay share, so all three
apply events the same way (design.md, "Principles" 2 and 3):
- every batch is arranged against the checkpoints read (and write-locked) inside the
  transaction: positions already applied are skipped, positions after a hole are held
  unless the hole is filled from the source's feed;
- each ready envelope passes the checks (``ENVELOPE_CHECKS``) before it becomes facts; one
  that fails a check is a dead letter with the check's reason, and its position counts as
  consumed;
- the facts, the dead letters and the moved checkpoints are one transaction: a batch is
  applied entirely or not at all.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import neo4j

from knowledge.graph.batch import EventToWrite, write_events
from knowledge.graph.bookkeeping import (
    Checkpoints,
    DeadLetter,
    lock_checkpoints,
    positions,
    read_checkpoints,
    set_checkpoints,
    write_dead_letters,
)
from knowledge.graph.handlers import unmapped_reason
from knowledge.pipeline.feed import Feeds, FeedUnavailable
from knowledge.pipeline.ordering import Arrangement, Incoming, arrange, decode_feed_item
from planspor_shared.canonical import GENESIS_HASH
from planspor_shared.events import REGISTRY, EventRegistry

log = logging.getLogger("knowledge.graph_writer")


class EnvelopeCheck(Protocol):
    """A check a decoded envelope must pass before it becomes facts: None, or the reason it is set aside."""

    def __call__(self, item: Incoming) -> str | None: ...


def decoded(item: Incoming) -> str | None:
    """What decoding found: not an envelope, an unknown type or version, an invalid payload, a hash mismatch."""
    return item.reason


def has_graph_mapping(item: Incoming) -> str | None:
    """A valid event the graph has no handler for is kept, to be replayed once a mapping exists."""
    envelope = item.envelope
    return None if envelope is None else unmapped_reason(envelope.event_type, envelope.schema_version)


ENVELOPE_CHECKS: tuple[EnvelopeCheck, ...] = (decoded, has_graph_mapping)
"""In order; the first reason found is the dead letter's. Checks of the record (signatures, tree heads)
belong here too: whatever is checked here, the live projector, the rebuild and a replay all check."""


def reason_to_set_aside(item: Incoming, checks: Sequence[EnvelopeCheck] = ENVELOPE_CHECKS) -> str | None:
    """Why this envelope may not become facts (the first failed check), or None."""
    for check in checks:
        reason = check(item)
        if reason is not None:
            return reason
    return None


@dataclass
class BatchResult:
    applied: int = 0
    dead_letters: int = 0
    skipped: int = 0
    held: int = 0
    filled: int = 0
    statements: int = 0
    checkpoints: dict[str, int] = field(default_factory=dict)


class GraphWriter:
    """Applies batches of incoming events to the graph, in one transaction each."""

    def __init__(
        self,
        driver: neo4j.AsyncDriver,
        feeds: Feeds | None = None,
        registry: EventRegistry = REGISTRY,
        database: str | None = None,
        checks: Sequence[EnvelopeCheck] = ENVELOPE_CHECKS,
    ) -> None:
        self.driver = driver
        self.feeds = feeds
        self.registry = registry
        self.database = database
        self.checks = tuple(checks)
        self.lock = asyncio.Lock()
        """Held while a batch is written (and by a rebuild): one writer of the graph at a time in this process."""

    def reason_to_set_aside(self, item: Incoming) -> str | None:
        return reason_to_set_aside(item, self.checks)

    async def checkpoints(self) -> Checkpoints:
        async with self.driver.session(database=self.database) as session:
            return await session.execute_read(read_checkpoints)

    async def project(self, items: Sequence[Incoming]) -> BatchResult:
        """Fill the gaps the batch shows from the feeds, then apply it in one transaction."""
        async with self.lock:
            filled = await self._fill_gaps(list(items))
            async with self.driver.session(database=self.database) as session:
                result = await session.execute_write(self._apply, [*items, *filled])
            result.filled = len(filled)
            return result

    async def _fill_gaps(self, items: list[Incoming]) -> list[Incoming]:
        """What the feeds hold of the positions missing before the batch's events (nothing if a feed is down)."""
        filled: list[Incoming] = []
        for source, (after, before) in sorted(arrange(positions(await self.checkpoints()), items).gaps.items()):
            if self.feeds is None or not self.feeds.has(source):
                continue
            try:
                envelopes = await self.feeds.between(source, after, before)
            except FeedUnavailable as error:
                log.warning("gap %s %d..%d not filled: %s", source, after + 1, before - 1, error)
                continue
            filled.extend(decode_feed_item(envelope, self.registry) for envelope in envelopes)
        return filled

    async def _apply(self, tx: neo4j.AsyncManagedTransaction, items: list[Incoming]) -> BatchResult:
        """Arrange against the locked checkpoints, then write the whole batch in a few statements:
        the events (one statement per run of one shape), the dead letters, the checkpoints."""
        checkpoints = await lock_checkpoints(tx)
        arrangement: Arrangement = arrange(positions(checkpoints), items)
        result = BatchResult(skipped=len(arrangement.stale), held=len(arrangement.held))
        letters = [
            DeadLetter(
                item.dead_letter_id, item.source, None, item.subject, item.reason or "no position", item.raw, None
            )
            for item in arrangement.unplaced
        ]
        events: list[EventToWrite] = []
        moved: Checkpoints = {}
        for source, ready in sorted(arrangement.ready.items()):
            position, last_hash = checkpoints[source]
            for item in ready:
                reason = self.reason_to_set_aside(item)
                if reason is None and item.envelope is not None and item.payload is not None:
                    expected = last_hash if item.envelope.position > 1 else GENESIS_HASH
                    chain_ok = expected is None or item.envelope.prev_hash == expected
                    events.append(EventToWrite(item.envelope, item.payload, chain_ok))
                else:
                    letters.append(
                        DeadLetter(
                            item.dead_letter_id,
                            source,
                            item.position,
                            item.subject,
                            reason or "not decoded",
                            item.raw,
                            position,
                        )
                    )
                position = item.position if item.position is not None else position
                last_hash = item.claimed_hash
            moved[source] = checkpoints[source] = (position, last_hash)
        result.statements = await write_events(tx, events)
        await write_dead_letters(tx, letters)
        await set_checkpoints(tx, moved)
        result.applied = len(events)
        result.dead_letters = len(letters)
        result.checkpoints = positions(checkpoints)
        return result
