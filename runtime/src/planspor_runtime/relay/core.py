"""The relay: from a service's notification log to the JetStream stream, exactly once, in order.

The event store is the record (design.md, "Principles" 1-3 and 6). The relay
reads what was committed, after the last notification id it recorded; the
service's mapper turns each domain event into 0..n ``Outgoing`` events; each
gets the next gap-free position of the source and is sealed into the hash
chain; the batch is published with ``Nats-Msg-Id: <source>:<position>`` and,
once the broker has acknowledged all of it, the envelopes and the new state are
recorded in one transaction. Everything an envelope holds is derived from the
stored events and the recorded state, so after a crash between publish and
record the relay publishes the same bytes under the same message ids again and
the broker drops them as duplicates.

Each envelope is signed by the source's key before it is published (Ed25519 signatures
are deterministic, so a re-publish is still the same bytes); the store appends its leaf
to the source's Merkle log in the same transaction, and the relay issues a signed tree
head at an interval and after every formal decision (``HeadPolicy``). A new key is
announced by a ``key.rotated`` event signed with the old one, sealed from the staged
rotation the store keeps, so that it too is the same bytes on every attempt.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from planspor_runtime.bus import NatsAccess, NatsTarget
from planspor_runtime.checkpoints import Head, HeadPolicy, KeyChange, KeyRecord, make_head, utc_now, utc_text
from planspor_runtime.relay.sealing import Batch, Keys, Mapper, Outgoing, Rotation, seal_batch, stored
from planspor_runtime.relay.store import RelayConflict, RelayState, RelayStore, StoredEnvelope
from planspor_runtime.signing import SigningKeyError
from planspor_runtime.stream import stream_config
from planspor_shared.subjects import DEFAULT_PREFIX, head_msg_id, head_subject, msg_id, subject
from planspor_verify.note import Signer

if TYPE_CHECKING:
    from planspor_runtime.application import ServiceApplication

__all__ = [
    "Backoff",
    "Batch",
    "HeadListener",
    "Keys",
    "Mapper",
    "Outgoing",
    "Relay",
    "Rotation",
    "seal_batch",
    "stored",
]

log = logging.getLogger("planspor.relay")


HeadListener = Callable[[Head], Any]
"""Called with every head the relay issued, stored and published."""


class Backoff:
    """Exponential, jittered, capped: a broker outage must not become a busy loop or a thundering herd."""

    def __init__(self, first: float = 0.1, cap: float = 5.0) -> None:
        self.first, self.cap, self.attempt = first, cap, 0

    def next(self) -> float:
        delay = min(self.cap, self.first * (2**self.attempt))
        self.attempt += 1
        return delay * random.uniform(0.5, 1.0)

    def reset(self) -> None:
        self.attempt = 0


class Relay:
    """Publishes one source's events from its event store to JetStream; one writer per store.

    ``start()`` returns at once; the relay then waits for the writer lock (a second
    relay on the same store stands by), connects, and publishes what was committed.
    ``wake()`` may be called from any thread after a local commit; without it the
    relay still finds new events by polling every ``poll_interval`` seconds. Woken, it first waits
    ``gather`` seconds (10 ms), so the commits of a busy moment go out as one batch: under load a wake
    per command made a batch per command, and the per-batch work (a read, a transaction, a log line,
    the hand-offs to threads) competed with the commands for the process's one interpreter.
    While NATS is unreachable it retries with backoff; commands are unaffected.
    """

    def __init__(
        self,
        application: ServiceApplication,
        source: str,
        mapper: Mapper,
        nats_url: NatsTarget,
        subject_prefix: str = DEFAULT_PREFIX,
        store: RelayStore | None = None,
        *,
        batch_size: int = 500,
        poll_interval: float = 0.25,
        gather: float = 0.01,
        ack_timeout: float = 10.0,
        max_backoff: float = 5.0,
        wake_on_save: bool = True,
        signer: Signer | None = None,
        previous_signer: Signer | None = None,
        head_policy: HeadPolicy | None = None,
    ) -> None:
        self.application = application
        self.source = source
        self.mapper = mapper
        self.nats_url = nats_url
        self.prefix = subject_prefix
        self.store = store or RelayStore.for_application(application)
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.gather = gather
        self.ack_timeout = ack_timeout
        self.max_backoff = max_backoff
        self.wake_on_save = wake_on_save
        self._unwatch: Callable[[], None] | None = None
        self.state: RelayState | None = None
        self.published = 0
        """Envelopes this relay recorded since it started (for tests and the benchmark)."""
        self.last_error: str | None = None
        """Why the last attempt to connect or publish failed; None once a batch went through."""
        self.failures = 0
        """Failed attempts (connect, publish, record, refused by NATS) since the relay started."""
        self.failing_since: float | None = None
        """``time.monotonic()`` of the first failure of the current run of failures; None while it publishes."""
        self.last_progress_at = time.monotonic()
        """When the relay last recorded a batch (or started): a relay with events waiting and none recorded for
        long is stuck even without an error."""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake = asyncio.Event()
        self._stopping = False
        self._writer = False
        self._task: asyncio.Task[None] | None = None
        self._nc: Any = None
        self._js: Any = None
        self._progress = asyncio.Condition()
        self.signer = signer
        """The source's key; None publishes unsigned envelopes and issues no heads (the benchmark's baseline)."""
        self.previous_signer = previous_signer
        """The key in force before ``signer``, given only to announce ``signer`` (a rotation)."""
        self.head_policy = head_policy or HeadPolicy()
        self.head_listeners: list[HeadListener] = []
        self._keys = Keys(signer)
        self._last_head_size = 0
        self._last_head_at: float | None = None
        self._head_lock = asyncio.Lock()
        """One head at a time: ``issue_head`` from a service and the loop's own must not sign two of one size."""
        subject(source, "x.y", prefix=subject_prefix)  # fail fast on a bad source or prefix

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        if self._task is not None:
            return
        self._loop = asyncio.get_running_loop()
        self._stopping = False
        if self.wake_on_save:
            self._watch_saves()
        self._task = asyncio.create_task(self._run(), name=f"relay:{self.source}")

    def _watch_saves(self) -> None:
        """Wake after each local commit, so an event is on the stream at once, not at the next poll.

        An application of the runtime's base (``ServiceApplication``) announces its commits
        (``subscribe_commits``); any other application is found by polling alone.
        """
        subscribe = getattr(self.application, "subscribe_commits", None)
        if subscribe is not None and self._unwatch is None:
            self._unwatch = subscribe(self.wake)

    def wake(self) -> None:
        """Thread-safe nudge: something was committed, look now instead of at the next poll."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            loop.call_soon_threadsafe(self._wake.set)
        except RuntimeError:  # the loop closed meanwhile: nothing to wake
            pass

    async def stop(self) -> None:
        self._stopping = True
        if self._unwatch is not None:
            self._unwatch()
            self._unwatch = None
        self._wake.set()
        if self._task is not None and not self.connected:
            self._task.cancel()  # still connecting (nats-py retries a first connection for ever): nothing in flight
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        if self._task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._task), timeout=self.ack_timeout + 5)
            except TimeoutError:
                self._task.cancel()
                await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        await self._disconnect()
        await asyncio.to_thread(self.store.release_writer_lock)
        self._writer = False

    async def run_forever(self) -> None:
        await self.start()
        assert self._task is not None
        await self._task

    async def wait_for_notification(self, notification_id: int, timeout: float = 60.0) -> RelayState:
        """Wait until everything up to ``notification_id`` is published and recorded."""

        async def reached() -> RelayState:
            async with self._progress:
                await self._progress.wait_for(
                    lambda: self.state is not None and self.state.notification_id >= notification_id
                )
                assert self.state is not None
                return self.state

        return await asyncio.wait_for(reached(), timeout)

    async def wait_caught_up(self, timeout: float = 60.0) -> RelayState:
        """Wait until everything committed so far is published and recorded."""
        head = await asyncio.to_thread(self.application.recorder.max_notification_id) or 0
        return await self.wait_for_notification(head, timeout)

    # ------------------------------------------------------------------ the loop

    async def _run(self) -> None:
        backoff = Backoff(cap=self.max_backoff)
        while not self._stopping:
            try:
                await self._become_writer(backoff)
                if self._stopping:
                    break
                await self._connect()
                await self._load()
                while not self._stopping:
                    if await self._relay_once():
                        backoff.reset()
                        self._recovered()
                    else:
                        self.last_progress_at = time.monotonic()  # caught up: not stuck
                        if self.last_error is not None and self.connected:
                            self._recovered()  # connected, nothing left to publish: whatever failed is over
                        await self._maybe_issue_head()
                        await self._idle()
            except RelayConflict as conflict:
                log.warning("relay %s: %s; reloading the state", self.source, conflict)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - the relay outlives any outage; it logs and retries
                self._failed(f"{type(error).__name__}: {error}")
                delay = backoff.next()
                log.warning(
                    "relay %s: %s; retrying in %.1f s",
                    self.source,
                    self.last_error,
                    delay,
                    extra={"event": "relay.failed", "source": self.source, "position": self.position},
                )
                await self._disconnect()
                await self._sleep(delay)

    def _failed(self, error: str) -> None:
        refused = self.last_error is not None and "violation" in self.last_error.lower()
        if not refused or "violation" in error.lower():  # a refusal explains the resets that follow it: keep it
            self.last_error = error
        self.failures += 1
        if self.failing_since is None:
            self.failing_since = time.monotonic()

    def _recovered(self) -> None:
        if self.last_error is not None:
            log.info(
                "relay %s: publishing again after: %s",
                self.source,
                self.last_error,
                extra={"event": "relay.recovered", "source": self.source, "position": self.position},
            )
        self.last_error = None
        self.failing_since = None

    @property
    def position(self) -> int:
        """The last position published and recorded (0 before the first, or before the state is loaded)."""
        return self.state.position if self.state is not None else 0

    @property
    def connected(self) -> bool:
        return self._nc is not None and bool(self._nc.is_connected)

    @property
    def writing(self) -> bool:
        """Holds the store's writer lock (False while another relay does and this one stands by)."""
        return self._writer

    async def _become_writer(self, backoff: Backoff) -> None:
        waiting_logged = False
        while not self._stopping:
            if await asyncio.to_thread(self.store.acquire_writer_lock):
                self._writer = True
                return
            if not waiting_logged:
                log.info("relay %s: another relay holds the store; standing by", self.source)
                waiting_logged = True
            await self._sleep(min(1.0, self.max_backoff))

    async def _load(self) -> None:
        """The recorded state, the keys in force (staging a rotation) and the last head, before publishing."""
        state = await asyncio.to_thread(self.store.load_state)
        self._keys = await asyncio.to_thread(self._load_keys, state)
        await asyncio.to_thread(self.store.log_state)  # an older store's log catches up here, once
        latest = await asyncio.to_thread(self.store.latest_head)
        self._last_head_size = latest.size if latest else 0
        await self._set_state(state)
        if latest is not None:  # its publishing may have been cut short: the broker drops it if it was not
            await self._publish_head(latest)

    def _load_keys(self, state: RelayState) -> Keys:
        """Which key signs next. A configured key that is not the one in force is announced, signed by the
        previous key, which must be given; without it the relay refuses to publish (``SigningKeyError``)."""
        if self.signer is None:
            return Keys(None)
        configured = str(self.signer.verifier_key)
        records = self.store.keys()
        in_force = [r for r in records if r.from_position is not None]
        if not in_force:
            self.store.add_key(KeyRecord(configured, state.position + 1, None, utc_text(utc_now())))
            return Keys(self.signer)
        if in_force[-1].vkey == configured:
            return Keys(self.signer)
        previous = self.previous_signer
        if previous is None or str(previous.verifier_key) != in_force[-1].vkey:
            raise SigningKeyError(
                f"the record of {self.source} is signed by {in_force[-1].vkey}, but the configured key is "
                f"{configured}: restore that key, or give it as the previous key to announce the new one"
            )
        if previous.name != self.signer.name:
            raise SigningKeyError(f"a new key keeps the log's name {previous.name!r}, not {self.signer.name!r}")
        if not any(r.vkey == configured for r in records):
            self.store.add_key(KeyRecord(configured, None, None, utc_text(utc_now())))
        staged = next(r for r in self.store.keys() if r.vkey == configured)
        staged_at = datetime.strptime(staged.staged_at, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
        return Keys(previous, Rotation(self.signer, staged_at, ordinal=len(in_force) + 1))

    def _prepare(self, state: RelayState, keys: Keys) -> Batch | None:
        """Read, map, seal and sign the next batch after ``state`` (blocking; runs in a worker thread)."""
        notifications = self.application.recorder.select_notifications(
            start=state.notification_id + 1, limit=self.batch_size
        )
        if not notifications and keys.pending is None:
            return None
        to_domain_event = self.application.mapper.to_domain_event
        mapped = [(n.id, list(self.mapper(to_domain_event(n)))) for n in notifications]
        envelopes, new_state = seal_batch(self.source, state, mapped, keys.current, keys.pending)
        if keys.pending is None:
            return Batch([stored(e) for e in envelopes], new_state, keys)
        announced_at = state.position + 1
        change = KeyChange(str(keys.pending.new.verifier_key), announced_at + 1, announced_at)
        return Batch([stored(e) for e in envelopes], new_state, Keys(keys.pending.new), change)

    async def issue_head(self, *, force: bool = True) -> Head | None:
        """Sign and keep a head of the log as it is now (when it grew since the last one); the hook a
        service calls when it wants one at once. Heads are issued only by the relay that holds the store."""
        return await self._maybe_issue_head(force=force)

    async def _maybe_issue_head(self, types: Iterable[str] = (), *, force: bool = False) -> Head | None:
        async with self._head_lock:
            return await self._issue_head_if_due(types, force=force)

    async def _issue_head_if_due(self, types: Iterable[str], *, force: bool) -> Head | None:
        signer = self._keys.current
        if signer is None or self._task is None or self.state is None:
            return None
        size = self.state.position  # the store's log covers exactly the recorded envelopes
        if force:
            due = size > self._last_head_size
        else:
            due = self.head_policy.due(
                last_size=self._last_head_size, last_at=self._last_head_at, size=size, types=types
            )
        if not due:
            return None
        log = await asyncio.to_thread(self.store.log_state)
        head = make_head(signer, log)
        await asyncio.to_thread(self.store.add_head, head)
        self._last_head_size, self._last_head_at = head.size, time.monotonic()
        await self._publish_head(head)
        for listener in self.head_listeners:
            result = listener(head)
            if asyncio.iscoroutine(result):
                await result
        return head

    async def _relay_once(self) -> bool:
        """Publish and record batches until nothing new is left; False when there was nothing new.

        While the broker acknowledges one batch the next is read and sealed, but a
        batch is recorded only after all its acks, and batches are recorded in order.
        """
        assert self.state is not None
        prepared = await asyncio.to_thread(self._prepare, self.state, self._keys)
        if prepared is None:
            return False
        while prepared is not None and not self._stopping:
            state = self.state
            assert state is not None
            acks = await self._put_in_flight(prepared.rows)
            upcoming = asyncio.ensure_future(asyncio.to_thread(self._prepare, prepared.state, prepared.keys))
            try:
                await self._await_acks(acks)
                await asyncio.to_thread(self.store.record, state, prepared.state, prepared.rows, prepared.key_change)
            except BaseException:
                await asyncio.gather(upcoming, return_exceptions=True)
                raise
            self.published += len(prepared.rows)
            self.last_progress_at = time.monotonic()
            self._keys = prepared.keys
            await self._set_state(prepared.state)
            if prepared.rows:
                log.info(
                    "relay %s: published %d events, positions %d-%d",
                    self.source,
                    len(prepared.rows),
                    prepared.rows[0].position,
                    prepared.rows[-1].position,
                    extra={
                        "event": "relay.published",
                        "source": self.source,
                        "position": prepared.rows[-1].position,
                        "count": len(prepared.rows),
                    },
                )
            await self._maybe_issue_head({row.event_type for row in prepared.rows})
            prepared = await upcoming
        return True

    async def _publish_head(self, head: Head) -> None:
        """Put the head on the stream (``<prefix>.<source>.checkpoint``), after the events it covers, for the
        witness (knowledge). It is stored first: a head lost with the connection is sent again at the next
        start (``_load``), and a second copy is dropped by the broker (its message id is the head's digest)."""
        if self._js is None:
            return
        try:
            await self._js.publish(
                head_subject(self.source, prefix=self.prefix),
                head.checkpoint.encode("utf-8"),
                headers={"Nats-Msg-Id": head_msg_id(self.source, head.size, head.checkpoint)},
                timeout=self.ack_timeout,
            )
        except Exception as error:  # noqa: BLE001 - the head is stored and served; the stream gets it next start
            log.warning("relay %s: head %d not published: %s", self.source, head.size, error)

    async def _put_in_flight(self, rows: Sequence[StoredEnvelope]) -> list[asyncio.Future[Any]]:
        """Send the whole batch in position order without waiting; the futures resolve with the acks.

        The bytes published are the bytes recorded for the feed.
        """
        futures: list[asyncio.Future[Any]] = []
        try:
            for row in rows:
                futures.append(
                    await self._js.publish_async(
                        subject(self.source, row.event_type, prefix=self.prefix),
                        row.canonical,
                        headers={"Nats-Msg-Id": msg_id(self.source, row.position)},
                        wait_stall=self.ack_timeout,
                    )
                )
        except BaseException:
            self._cancel(futures)
            raise
        return futures

    async def _await_acks(self, futures: list[asyncio.Future[Any]]) -> None:
        try:
            if futures:
                await asyncio.wait_for(asyncio.gather(*futures), timeout=self.ack_timeout)
        finally:
            self._cancel(futures)

    @staticmethod
    def _cancel(futures: list[asyncio.Future[Any]]) -> None:
        for future in futures:
            if not future.done():
                future.cancel()

    async def _connect(self) -> None:
        import nats
        from nats.js.errors import NotFoundError

        if self._nc is not None and self._nc.is_connected:
            return
        await self._disconnect()
        access = NatsAccess.of(self.nats_url)
        self._nc = await nats.connect(
            **access.connect_options(name=f"planspor-relay-{self.source}"),
            connect_timeout=2,
            allow_reconnect=True,
            max_reconnect_attempts=-1,
            reconnect_time_wait=0.5,
            error_cb=self._on_nats_error,
            disconnected_cb=self._on_disconnected,
        )
        self._js = self._nc.jetstream(
            timeout=self.ack_timeout, publish_async_max_pending=max(4000, self.batch_size * 2)
        )
        config = stream_config(self.prefix, access.stream_replicas)
        try:
            await self._js.stream_info(config.name)
        except NotFoundError:
            await self._js.add_stream(config)
        server = self._nc.connected_url
        log.info(
            "relay %s: connected to %s:%s as %s, stream %s",
            self.source,
            server.hostname,
            server.port,
            access.identity or "anonymous",
            config.name,
        )

    async def _disconnect(self) -> None:
        nc, self._nc, self._js = self._nc, None, None
        if nc is not None:
            try:
                await asyncio.wait_for(nc.close(), timeout=2)
            except Exception:  # noqa: BLE001 - a dead connection is closed either way
                pass

    async def _on_nats_error(self, error: Exception) -> None:
        if not self.connected and not self._stopping:
            # nats-py retries a first connection for ever (no exception reaches the loop): say why it fails
            before = self.last_error
            self._failed(f"NATS unreachable: {type(error).__name__}: {error}")
            if self.last_error != before:  # once per kind of failure, not at every retry
                log.warning(
                    "relay %s: %s; retrying",
                    self.source,
                    self.last_error,
                    extra={"event": "relay.failed", "source": self.source, "position": self.position},
                )
            return
        if "violation" in str(error).lower():  # refused by the server's permissions: the operator must see it
            self._failed(f"NATS refused: {error}")
            log.error(
                "relay %s: %s",
                self.source,
                self.last_error,
                extra={"event": "relay.refused", "source": self.source, "position": self.position},
            )
            return
        log.debug("relay %s: NATS: %s", self.source, error)

    async def _on_disconnected(self) -> None:
        if self._stopping:
            return
        log.warning("relay %s: disconnected from NATS; publishing waits for it", self.source)

    async def _set_state(self, state: RelayState) -> None:
        async with self._progress:
            self.state = state
            self._progress.notify_all()

    async def _idle(self) -> None:
        await self._sleep(self.poll_interval)
        if self.gather > 0 and not self._stopping:
            await asyncio.sleep(self.gather)  # the commits right behind the one that woke it join its batch

    async def _sleep(self, seconds: float) -> None:
        """Sleep, but wake at once on ``wake()`` or ``stop()``."""
        try:
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)
        except TimeoutError:
            pass
        self._wake.clear()
