"""The projector: a durable JetStream pull consumer, one Neo4j write transaction per batch.

One pull request per batch (``Projector._fetch``); the next batch is fetched and decoded while the
current one is written, and written only after it (one write at a time: ``GraphWriter.lock``).

Exactly-once effect (design.md, "Principles" 2 and 3):
- the checkpoint of each source is written in the same transaction as the facts
  (``GraphWriter``), and messages are acknowledged only after that transaction committed;
- positions already applied are acked without effect, positions after a hole are held
  (nacked, redelivered later) unless the hole is filled from the feed;
- a failed transaction acks nothing: every message of the batch is nacked and comes
  back. Nothing is ever terminated;
- every message fetched is acked or nacked: none is left to come back only after ack_wait
  (the batch fetched ahead when the projector stops is nacked).
Events that cannot be used (bad JSON, unknown type, invalid payload, hash mismatch,
no mapping) become ``DeadLetter`` nodes; their position counts as consumed.

This uses nats-py directly (not faststream): the whole contract is fetch, one
transaction, then ack or nak per message, and nats-py states that without a
framework default to override.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass

import nats
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError

from knowledge.graph.warmup import Sample, Shape, known_samples, warm_up
from knowledge.pipeline.graph_writer import BatchResult, GraphWriter
from knowledge.pipeline.ordering import Incoming, decode
from planspor_runtime.bus import NatsAccess, NatsTarget
from planspor_runtime.stream import stream_config
from planspor_shared.subjects import all_subjects, stream_name

log = logging.getLogger("knowledge.projector")
BatchObserver = Callable[[BatchResult | None, int, float], None]
"""Told of every batch: its result (None when it failed), how many messages it had, how long it took (s)."""


@dataclass
class Received:
    """A fetched batch: the messages, what they decode to, and the seconds decoding took."""

    messages: list[Msg]
    items: list[Incoming]
    decode_seconds: float


class Projector:
    """The live consumer: fetch a batch, project it, ack what the graph now holds, nak the rest."""

    def __init__(
        self,
        writer: GraphWriter,
        nats_url: NatsTarget,
        prefix: str,
        durable: str,
        batch_size: int = 200,
        fetch_timeout: float = 0.1,
        nak_delay: float = 1.0,
        samples: Sequence[Sample] | None = None,
    ) -> None:
        self.writer = writer
        self.nats_url = nats_url
        self.prefix = prefix
        self.durable = durable
        self.batch_size = batch_size
        self.fetch_timeout = fetch_timeout
        self.nak_delay = nak_delay
        self.samples = known_samples() if samples is None else tuple(samples)
        """The statement shapes planned before the first batch (``knowledge.graph.warmup``; none: no warm-up)."""
        self.warming: tuple[int, int] | None = None
        """(planned, of) while the warm-up runs."""
        self.batches = 0
        self.last_result: BatchResult | None = None
        self.last_error: str | None = None
        self.failures = 0
        """Batches that failed (nothing committed, every message nacked) since the start."""
        self.running = False
        self.last_batch_at = time.monotonic()
        """When a batch was last applied, or a fetch found the stream drained: the projector keeps up."""
        self.positions: dict[str, int] = {}
        """The applied position of each source after the last batch."""
        self.observers: list[BatchObserver] = []
        self._stopping = asyncio.Event()
        self._nc: NatsClient | None = None
        self._subscription: JetStreamContext.PullSubscription | None = None

    async def _subscribe(self) -> JetStreamContext.PullSubscription:
        access = NatsAccess.of(self.nats_url)
        self._nc = await nats.connect(
            **access.connect_options(name=f"planspor-{self.durable}"), max_reconnect_attempts=-1
        )
        js = self._nc.jetstream()
        try:
            await js.stream_info(stream_name(self.prefix))
        except NotFoundError:
            await js.add_stream(stream_config(self.prefix, access.stream_replicas))
        self._subscription = await js.pull_subscribe(
            all_subjects(self.prefix),
            durable=self.durable,
            stream=stream_name(self.prefix),
            config=ConsumerConfig(
                ack_policy=AckPolicy.EXPLICIT,
                deliver_policy=DeliverPolicy.ALL,
                ack_wait=60,
                max_deliver=-1,
                max_ack_pending=-1,
            ),
        )
        return self._subscription

    @property
    def connected(self) -> bool:
        return self._nc is not None and bool(self._nc.is_connected)

    async def pending(self) -> int | None:
        """Messages the durable consumer has not had acknowledged yet: the projection's lag."""
        if self._subscription is None:
            return None
        try:
            info = await self._subscription.consumer_info()
        except Exception:  # noqa: BLE001 - whatever the connection's state: the lag is unknown now
            return None
        return (info.num_pending or 0) + (info.num_ack_pending or 0)

    def start(self) -> asyncio.Task[None]:
        """Run in a task of its own, counted as running from now: the readiness asks for NATS at once,
        not only once the task has had its first turn (until then ``/readyz`` would answer 200 unconnected)."""
        self.running = True
        return asyncio.create_task(self.run())

    async def run(self) -> None:
        """Fetch and decode the next batch while the current one is written (one write at a time)."""
        self.running = True
        upcoming: asyncio.Task[Received] | None = None
        try:
            await self._warm_up()
            subscription = await self._subscribed()
            if subscription is None:
                return
            upcoming = asyncio.create_task(self._receive(subscription))
            while not self._stopping.is_set():
                received = await upcoming
                upcoming = asyncio.create_task(self._receive(subscription))
                if received.messages:
                    await self.handle_received(received)
        finally:
            self.running = False
            if upcoming is not None:
                await self._release(upcoming)
            if self._nc is not None:
                # bounded: a connection whose server is gone (a cluster's node killed) may not close at once
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(self._nc.close(), 5)

    async def _warm_up(self) -> None:
        """Plan the known statement shapes before subscribing (stopped: at once). Neo4j out of reach, or a
        sample refused, is a warning: the batches plan what the warm-up did not."""
        if not self.samples:
            return
        started = time.monotonic()
        self.warming = (0, len(self.samples))

        def planned(shape: Shape) -> None:
            self.writer.warmed.add(shape)
            self.warming = (self.warming[0] + 1, len(self.samples)) if self.warming else None

        warming = asyncio.ensure_future(warm_up(self.writer.driver, self.samples, self.writer.database, done=planned))
        stopping = asyncio.ensure_future(self._stopping.wait())
        try:
            await asyncio.wait({warming, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if warming.done() and warming.exception() is None:
                log.info(
                    "projector %s: %d statement plans warmed in %.1f s",
                    self.durable,
                    len(self.samples),
                    time.monotonic() - started,
                )
            elif warming.done():
                log.warning(
                    "projector %s: the statement plans were not all warmed (%s): the first batches plan the rest",
                    self.durable,
                    warming.exception(),
                )
        finally:
            for task in (warming, stopping):
                task.cancel()
            await asyncio.gather(warming, stopping, return_exceptions=True)
            self.warming = None

    async def _subscribed(
        self, first_wait: float = 0.2, longest_wait: float = 5.0
    ) -> JetStreamContext.PullSubscription | None:
        """The subscription, asked again until it is there (None once stopped): NATS down at the start, or
        a cluster electing the stream's leader (the consumer's creation times out), is a wait, not the end."""
        wait = first_wait
        while not self._stopping.is_set():
            try:
                subscription = await self._subscribe()
                self.last_error = None
                return subscription
            except Exception as error:  # noqa: BLE001 - whatever NATS answered: try again
                self.last_error = f"subscribe: {type(error).__name__}: {error}"
                log.warning("projector %s: %s; trying again in %.1f s", self.durable, self.last_error, wait)
                if self._nc is not None:
                    await _quietly(self._nc.close())
                    self._nc = None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), wait)
            wait = min(wait * 2, longest_wait)
        return None

    async def _receive(self, subscription: JetStreamContext.PullSubscription) -> Received:
        """The next batch, decoded; empty when the stream is drained or the connection is in trouble."""
        try:
            messages = await self._fetch(subscription)
        except TimeoutError:  # nats' own and asyncio's (nats-py raises both): nothing there, drained, not stuck
            self.last_batch_at = time.monotonic()
            if self.last_error is not None and self.last_error.startswith("fetch:"):
                self.last_error = None
            return Received([], [], 0.0)
        except Exception as error:  # noqa: BLE001 - connection trouble: keep trying
            self.last_error = f"fetch: {error}"
            await asyncio.sleep(0.5)
            return Received([], [], 0.0)
        try:
            return await self._prepared(messages)
        except Exception as error:  # noqa: BLE001 - never with messages in hand: they come back at once
            self.last_error = f"decode: {type(error).__name__}: {error}"
            for message in messages:
                await _quietly(message.nak(delay=self.nak_delay))
            return Received([], [], 0.0)

    async def _prepared(self, messages: Sequence[Msg], slice_size: int = 25) -> Received:
        """Decoded, and the signatures checked ahead (``GraphWriter.check_ahead``), a slice at a time: the
        write of the current batch waits on Neo4j meanwhile, and gets the event loop between slices."""
        started = time.perf_counter()
        items: list[Incoming] = []
        for offset in range(0, len(messages), slice_size):
            if offset:
                await asyncio.sleep(0)
            chunk = [self._decode(m) for m in messages[offset : offset + slice_size]]
            self.writer.check_ahead(chunk)
            items.extend(chunk)
        return Received(list(messages), items, time.perf_counter() - started)

    def _decode(self, message: Msg) -> Incoming:
        return decode(message.data, message.subject, (message.headers or {}).get("Nats-Msg-Id"), self.writer.registry)

    def decoded(self, messages: Sequence[Msg]) -> Received:
        started = time.perf_counter()
        items = [self._decode(m) for m in messages]
        return Received(list(messages), items, time.perf_counter() - started)

    async def _release(self, upcoming: asyncio.Task[Received]) -> None:
        """At the end: what the last fetch brought is nacked, so it comes back at once, not after ack_wait."""
        try:
            received = await upcoming
        except BaseException:  # noqa: BLE001 - cancelled or failed: nothing in hand
            return
        for message in received.messages:
            await _quietly(message.nak())

    async def _fetch(self, subscription: JetStreamContext.PullSubscription) -> list[Msg]:
        """Up to a batch of what is there, as soon as one message is there: ONE pull request.

        nats-py's ``fetch(n, timeout)`` asks for a no-wait pull with an expiry: the server waits
        (up to the timeout) for a first message, then delivers what the stream holds (up to ``n``)
        and ends the request, so a trickle is not held for the timeout and a backlog fills the
        batch. Never two pulls with messages in hand between them: a pull can raise (nats-py
        2.16 raises a plain ``TimeoutError`` where no message came), and a message in hand was
        then neither acked nor nacked and came back only after ack_wait (60 s; issue 16).
        """
        return await subscription.fetch(self.batch_size, timeout=self.fetch_timeout)

    async def handle(self, messages: Iterable[Msg]) -> BatchResult | None:
        return await self.handle_received(self.decoded(list(messages)))

    async def handle_received(self, received: Received) -> BatchResult | None:
        """Project a decoded batch; ack what the graph now holds, nak the rest (all of it if the write failed)."""
        messages, items = received.messages, received.items
        started = time.perf_counter()
        try:
            result = await self.writer.project(items)
        except Exception as error:  # noqa: BLE001 - any failure: nothing committed, everything comes back
            self.last_error = f"{type(error).__name__}: {error}"
            self.failures += 1
            log.warning(
                "batch of %d failed, nacked for redelivery: %s",
                len(messages),
                self.last_error,
                extra={"event": "projector.batch_failed", "count": len(messages)},
            )
            for message in messages:
                await _quietly(message.nak(delay=self.nak_delay))
            self._observe(None, len(messages), time.perf_counter() - started)
            return None
        written = time.perf_counter()
        for message, item in zip(messages, items):
            key = item.key
            if key is None or key[1] <= result.checkpoints.get(key[0], 0):
                await _quietly(message.ack())
            else:
                await _quietly(message.nak(delay=self.nak_delay))
        result.seconds["decode"] = received.decode_seconds
        result.seconds["ack"] = time.perf_counter() - written
        self.batches += 1
        self.last_result = result
        self.last_error = None
        self.last_batch_at = time.monotonic()
        self.positions.update(result.checkpoints)
        seconds = time.perf_counter() - started
        self._observe(result, len(messages), seconds)
        log.info(
            "batch of %d: %d applied, %d dead letters, %d skipped, %d held in %.0f ms",
            len(messages),
            result.applied,
            result.dead_letters,
            result.skipped,
            result.held,
            seconds * 1000,
            extra={
                "event": "projector.batch",
                "count": len(messages),
                "applied": result.applied,
                "dead_letters": result.dead_letters,
                "positions": dict(result.checkpoints),
                "duration_ms": round(seconds * 1000, 1),
            },
        )
        return result

    def _observe(self, result: BatchResult | None, size: int, seconds: float) -> None:
        for observer in self.observers:
            try:
                observer(result, size, seconds)
            except Exception as error:  # noqa: BLE001 - a metric must never stop the projection
                log.debug("batch observer failed: %s", error)

    def stop(self) -> None:
        self._stopping.set()


async def _quietly(reply: Awaitable[None]) -> None:
    """An ack lost with the connection is not an error: the message comes back and is skipped by position."""
    try:
        await reply
    except Exception as error:  # noqa: BLE001 - a lost connection: the message comes back
        log.info("ack/nak not delivered: %s", error)
