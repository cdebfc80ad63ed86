"""The projector: a durable JetStream pull consumer, one Neo4j write transaction per batch.

Exactly-once effect (design.md, "Principles" 2 and 3):
- the checkpoint of each source is written in the same transaction as the facts,
  and messages are acknowledged only after that transaction committed;
- every batch is arranged against the checkpoints read (and write-locked) inside
  the transaction: positions already applied are skipped, positions after a hole
  are held (nacked, redelivered later) unless the hole is filled from the feed;
- a failed transaction acks nothing: every message of the batch is nacked and comes
  back. Nothing is ever terminated.
Events that cannot be used (bad JSON, unknown type, invalid payload, hash mismatch,
no mapping) become ``DeadLetter`` nodes; their position counts as consumed.

This uses nats-py directly (not faststream): the whole contract is fetch, one
transaction, then ack or nak per message, and nats-py states that without a
framework default to override.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import neo4j
import nats
from nats.errors import TimeoutError as NatsTimeout
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError

from planspor_shared.canonical import GENESIS_HASH
from planspor_shared.events import REGISTRY, EventRegistry
from planspor_shared.subjects import all_subjects, stream_name
from planspor_runtime.bus import NatsAccess, NatsTarget
from planspor_runtime.stream import stream_config

from knowledge.graph import projection as graph
from knowledge.projection.feed import FeedUnavailable, Feeds
from knowledge.projection.ordering import Arrangement, Incoming, arrange, decode, decode_feed_item

log = logging.getLogger("knowledge.projector")


@dataclass
class BatchResult:
    applied: int = 0
    dead_letters: int = 0
    skipped: int = 0
    held: int = 0
    filled: int = 0
    statements: int = 0
    checkpoints: dict[str, int] = field(default_factory=dict)


class Projection:
    """Applies batches of incoming events to the graph; the part shared by the live projector and rebuild."""

    def __init__(self, driver: neo4j.AsyncDriver, feeds: Feeds | None = None, registry: EventRegistry = REGISTRY,
                 database: str | None = None) -> None:
        self.driver = driver
        self.feeds = feeds
        self.registry = registry
        self.database = database
        self.lock = asyncio.Lock()

    async def checkpoints(self) -> dict[str, tuple[int, str | None]]:
        async with self.driver.session(database=self.database) as session:
            return await session.execute_read(graph.read_checkpoints)

    async def project(self, items: Sequence[Incoming]) -> BatchResult:
        """Fill the gaps the batch shows from the feeds, then apply it in one transaction."""
        async with self.lock:
            items = list(items)
            filled: list[Incoming] = []
            positions = {source: position for source, (position, _) in (await self.checkpoints()).items()}
            first = arrange(positions, items)
            for source, (after, before) in sorted(first.gaps.items()):
                if self.feeds is None or not self.feeds.has(source):
                    continue
                try:
                    envelopes = await self.feeds.between(source, after, before)
                except FeedUnavailable as error:
                    log.warning("gap %s %d..%d not filled: %s", source, after + 1, before - 1, error)
                    continue
                filled.extend(decode_feed_item(envelope, self.registry) for envelope in envelopes)
            async with self.driver.session(database=self.database) as session:
                result = await session.execute_write(self._apply, items + filled)
            result.filled = len(filled)
            return result

    async def _apply(self, tx: neo4j.AsyncManagedTransaction, items: list[Incoming]) -> BatchResult:
        """Arrange against the locked checkpoints, then write the whole batch in a few statements:
        the events (one statement per run of one shape), the dead letters, the checkpoints."""
        checkpoints = await graph.lock_checkpoints(tx)
        arrangement: Arrangement = arrange({s: p for s, (p, _) in checkpoints.items()}, items)
        result = BatchResult(skipped=len(arrangement.stale), held=len(arrangement.held))
        letters = [graph.DeadLetter(item.dead_letter_id, item.source, None, item.subject, item.reason or "no position",
                                    item.raw, None) for item in arrangement.unplaced]
        events: list[tuple] = []
        moved: dict[str, tuple[int, str | None]] = {}
        for source, ready in sorted(arrangement.ready.items()):
            position, last_hash = checkpoints[source]
            for item in ready:
                reason = item.reason
                if reason is None and item.envelope.event_type not in graph.HANDLERS:
                    reason = f"no graph mapping for event type {item.envelope.event_type!r}"
                if reason is not None:
                    letters.append(graph.DeadLetter(item.dead_letter_id, source, item.position, item.subject, reason,
                                                    item.raw, position))
                else:
                    expected = last_hash if item.position > 1 else GENESIS_HASH
                    chain_ok = expected is None or item.envelope.prev_hash == expected
                    events.append((item.envelope, item.payload, chain_ok))
                position, last_hash = item.position, item.claimed_hash
            moved[source] = checkpoints[source] = (position, last_hash)
        result.statements = await graph.apply_events(tx, events)
        await graph.write_dead_letters(tx, letters)
        await graph.set_checkpoints(tx, moved)
        result.applied = len(events)
        result.dead_letters = len(letters)
        result.checkpoints = {s: p for s, (p, _) in checkpoints.items()}
        return result


class Projector:
    """The live consumer: fetch a batch, project it, ack what the graph now holds, nak the rest."""

    def __init__(self, projection: Projection, nats_url: NatsTarget, prefix: str, durable: str, batch_size: int = 200,
                 fetch_timeout: float = 1.0, nak_delay: float = 1.0) -> None:
        self.projection = projection
        self.nats_url = nats_url
        self.prefix = prefix
        self.durable = durable
        self.batch_size = batch_size
        self.fetch_timeout = fetch_timeout
        self.nak_delay = nak_delay
        self.batches = 0
        self.last_result: BatchResult | None = None
        self.last_error: str | None = None
        self._stopping = asyncio.Event()
        self._nc: nats.NATS | None = None
        self._subscription = None

    async def _subscribe(self):
        access = NatsAccess.of(self.nats_url)
        self._nc = await nats.connect(**access.connect_options(name=f"planspor-{self.durable}"), max_reconnect_attempts=-1)
        js = self._nc.jetstream()
        try:
            await js.stream_info(stream_name(self.prefix))
        except NotFoundError:
            await js.add_stream(stream_config(self.prefix, access.stream_replicas))
        self._subscription = await js.pull_subscribe(
            all_subjects(self.prefix), durable=self.durable, stream=stream_name(self.prefix),
            config=ConsumerConfig(ack_policy=AckPolicy.EXPLICIT, deliver_policy=DeliverPolicy.ALL,
                                  ack_wait=60, max_deliver=-1, max_ack_pending=-1),
        )
        return self._subscription

    async def pending(self) -> int | None:
        """Messages the durable consumer has not had acknowledged yet: the projection's lag."""
        if self._subscription is None:
            return None
        try:
            info = await self._subscription.consumer_info()
        except Exception:  # noqa: BLE001
            return None
        return info.num_pending + info.num_ack_pending

    async def run(self) -> None:
        subscription = await self._subscribe()
        try:
            while not self._stopping.is_set():
                try:
                    messages = await self._fetch(subscription)
                except NatsTimeout:
                    continue
                except Exception as error:  # noqa: BLE001  connection trouble: keep trying
                    self.last_error = f"fetch: {error}"
                    await asyncio.sleep(0.5)
                    continue
                await self.handle(messages)
        finally:
            if self._nc is not None:
                await self._nc.close()

    async def _fetch(self, subscription) -> list:
        """Up to a batch of what is there, as soon as one message is there.

        A pull for the whole batch would wait until the batch is full or the fetch timeout
        ends, so at a trickle every event would wait the timeout (freshness). So: wait for
        one message, then take what else is available without waiting.
        """
        messages = await subscription.fetch(1, timeout=self.fetch_timeout)
        if self.batch_size > 1:
            try:
                messages += await subscription.fetch(self.batch_size - 1, timeout=0.005)
            except NatsTimeout:
                pass
        return messages

    async def handle(self, messages: Iterable[nats.aio.msg.Msg]) -> BatchResult | None:
        messages = list(messages)
        items = [decode(m.data, m.subject, (m.headers or {}).get("Nats-Msg-Id"), self.projection.registry)
                 for m in messages]
        try:
            result = await self.projection.project(items)
        except Exception as error:  # noqa: BLE001  any failure: nothing committed, everything comes back
            self.last_error = f"{type(error).__name__}: {error}"
            log.warning("batch of %d failed, nacked for redelivery: %s", len(messages), self.last_error)
            for message in messages:
                await _quietly(message.nak(delay=self.nak_delay))
            return None
        for message, item in zip(messages, items):
            key = item.key
            if key is None or key[1] <= result.checkpoints.get(key[0], 0):
                await _quietly(message.ack())
            else:
                await _quietly(message.nak(delay=self.nak_delay))
        self.batches += 1
        self.last_result = result
        self.last_error = None
        return result

    def stop(self) -> None:
        self._stopping.set()


async def _quietly(awaitable) -> None:
    """An ack lost with the connection is not an error: the message comes back and is skipped by position."""
    try:
        await awaitable
    except Exception as error:  # noqa: BLE001
        log.info("ack/nak not delivered: %s", error)


class ReplayRefused(ValueError):
    """The dead letter still cannot be used; the reason says why."""


async def replay_dead_letter(projection: Projection, dead_letter_id: str) -> dict:
    """Apply a dead letter again after a fix (a new contract version, a new mapping).

    Its position was consumed when it was dead-lettered, so it is applied on its own,
    outside the order: its Event node joins the chain where it belongs (FOLLOWS both
    ways) and the checkpoint does not move.
    """
    async with projection.driver.session(database=projection.database) as session:
        letter = await session.execute_read(graph.get_dead_letter, dead_letter_id)
    if letter is None:
        raise KeyError(dead_letter_id)
    if letter.get("status") == "replayed":
        return {"id": dead_letter_id, "status": "replayed", "event_id": letter.get("replayed_event_id")}
    item = decode(letter["raw"].encode("utf-8"), letter.get("subject") or "", None, projection.registry, via="replay")
    if item.reason is None and item.envelope.event_type not in graph.HANDLERS:
        raise ReplayRefused(f"no graph mapping for event type {item.envelope.event_type!r}")
    if item.reason is not None:
        raise ReplayRefused(item.reason)
    positions = {s: p for s, (p, _) in (await projection.checkpoints()).items()}
    if item.position > positions.get(item.source, 0):
        await projection.project([item])
    else:
        async def apply(tx: neo4j.AsyncManagedTransaction) -> None:
            records = await (await tx.run("MATCH (e:Event {source: $s, position: $p}) RETURN e.hash AS hash",
                                          s=item.source, p=item.position - 1)).data()
            expected = records[0]["hash"] if records else (GENESIS_HASH if item.position == 1 else None)
            chain_ok = expected is None or expected == item.envelope.prev_hash
            await graph.apply_event(tx, item.envelope, item.payload, chain_ok)

        async with projection.lock:
            async with projection.driver.session(database=projection.database) as session:
                await session.execute_write(apply)
    event_id = str(item.envelope.event_id)
    async with projection.driver.session(database=projection.database) as session:
        await session.execute_write(graph.mark_dead_letter_replayed, dead_letter_id, event_id)
    return {"id": dead_letter_id, "status": "replayed", "event_id": event_id}
