"""The graph writer: a batch of incoming events -> gaps filled from the feeds -> one Neo4j write transaction.

It is what the live projector, the rebuild and a dead letter's replay share, so all three
apply events the same way (design.md, "Principles" 2 and 3):
- every batch is arranged against the checkpoints read (and write-locked) inside the
  transaction: positions already applied are skipped, positions after a hole are held
  unless the hole is filled from the source's feed;
- each ready envelope passes the checks (``ENVELOPE_CHECKS``) and its source's signature (by the
  key in force at its position: ``KeyChain``) before it becomes facts; one that fails is a dead
  letter with the reason, and its position counts as consumed. A ``key.rotated`` that passes hands
  the source's signing over to the key it announces;
- the witness appends every position to its source's tree and checks the signed heads of the batch
  (and those waiting) at their sizes (``knowledge.pipeline.witness``);
- the facts, the dead letters, the moved checkpoints, the key hand-overs and the witness's state
  are one transaction: a batch is applied entirely or not at all.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import neo4j

from knowledge.graph.batch import EventToWrite, prepare_events, run_statements
from knowledge.graph.bookkeeping import (
    Checkpoints,
    DeadLetter,
    add_key_entries,
    lock_checkpoints,
    positions,
    read_checkpoints,
    read_key_entries,
    read_witness_heads,
    read_witness_logs,
    set_checkpoints,
    set_witness_logs,
    write_dead_letters,
    write_witness_heads,
)
from knowledge.graph.handlers import unmapped_reason
from knowledge.graph.warmup import Shape
from knowledge.pipeline.feed import Feeds, FeedUnavailable
from knowledge.pipeline.ordering import Arrangement, Incoming, arrange, decode_feed_item
from knowledge.pipeline.signatures import KeyChain, KeyEntry, SourceKeys
from knowledge.pipeline.witness import ALARM, REFUSED, HeadRecord, SourceLog, Witness
from planspor_shared.canonical import GENESIS_HASH
from planspor_shared.events import REGISTRY, SOURCES, EventRegistry
from planspor_verify.note import VerifierKey

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
    if envelope is None or item.announcement is not None:
        return None
    return unmapped_reason(envelope.event_type, envelope.schema_version)


ENVELOPE_CHECKS: tuple[EnvelopeCheck, ...] = (decoded, has_graph_mapping)
"""In order; the first reason found is the dead letter's. The signature is checked after them, against the
key chain of the source as it stands at the envelope's position (``GraphWriter.signature_problem``): whatever
is checked here, the live projector, the rebuild and a replay all check."""


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
    heads: int = 0
    alarms: int = 0
    skipped: int = 0
    held: int = 0
    filled: int = 0
    statements: int = 0
    checkpoints: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    """Where the batch's time went, per phase (``PHASES``; the projector adds ``decode`` and ``ack``)."""


PHASES = ("gaps", "read", "ordering", "checks", "build", "neo4j", "checkpoint", "commit")
"""The phases of a batch: the feeds' gaps (and the checkpoints read for them), the locked checkpoints,
keys and witness state read in the transaction, ordering, the checks (signatures, the witness),
statement building, the events' statements in Neo4j, the bookkeeping writes (dead letters, checkpoints,
keys, witness) and the commit."""


class Laps:
    """Seconds per phase, lap by lap."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, phase: str) -> None:
        now = time.perf_counter()
        self.seconds[phase] = self.seconds.get(phase, 0.0) + now - self._last
        self._last = now


class GraphWriter:
    """Applies batches of incoming events to the graph, in one transaction each."""

    def __init__(
        self,
        driver: neo4j.AsyncDriver,
        feeds: Feeds | None = None,
        registry: EventRegistry = REGISTRY,
        database: str | None = None,
        checks: Sequence[EnvelopeCheck] = ENVELOPE_CHECKS,
        *,
        keys: SourceKeys,
    ) -> None:
        self.driver = driver
        self.feeds = feeds
        self.registry = registry
        self.database = database
        self.checks = tuple(checks)
        self.keys = keys
        """The keys trusted per source (settings): every envelope's signature is checked against them."""
        self._chains: dict[str, KeyChain] = {}
        """The key chains the last batch read (``check_ahead``'s guess at the next batch's)."""
        self.lock = asyncio.Lock()
        """Held while a batch is written (and by a rebuild): one writer of the graph at a time in this process."""
        self.warmed: set[Shape] = set()
        """The statement shapes planned: by the warm-up, or by a batch that met one first."""
        self.unwarmed = 0
        """Shapes a batch met that the warm-up had not planned (each planned by that batch, once)."""

    def reason_to_set_aside(self, item: Incoming) -> str | None:
        return reason_to_set_aside(item, self.checks)

    def check_ahead(self, items: Sequence[Incoming]) -> None:
        """Check the signatures of a batch before its transaction, against the key chains the last batch
        read: a verification is memoised (``planspor_verify.note.ed25519_verify``), so the check inside the
        transaction, against the chains read there (which decide), finds it done. Decides nothing."""
        for item in items:
            if item.envelope is None or item.reason is not None:
                continue
            chain = self._chains.get(item.envelope.source)
            if chain is None:
                chain = self._chains[item.envelope.source] = KeyChain(
                    item.envelope.source, self.keys.of(item.envelope.source)
                )
            try:
                chain.signature_problem(item.envelope)
            except Exception as error:  # noqa: BLE001 - a guess only: the transaction's check decides
                log.debug("signature checked ahead failed: %s", error)

    async def key_chains(self, tx: neo4j.AsyncManagedTransaction) -> dict[str, KeyChain]:
        """Each source's keys: the trusted ones and the hand-overs applied so far."""
        chains = {source: KeyChain(source, self.keys.of(source)) for source in SOURCES}
        for row in await read_key_entries(tx):
            chain = chains.setdefault(row["source"], KeyChain(row["source"], self.keys.of(row["source"])))
            chain.entries.append(
                KeyEntry(row["source"], VerifierKey.parse(row["vkey"]), row["from_position"], row["announced_at"])
            )
        return chains

    def problem(self, item: Incoming, chain: KeyChain) -> str | None:
        """The first check it fails, its signature, or (a key announcement) its hand-over; None if none."""
        reason = self.reason_to_set_aside(item)
        if reason is not None or item.envelope is None:
            return reason or "not decoded"
        reason = chain.signature_problem(item.envelope)
        if reason is None and item.announcement is not None:
            reason = chain.announcement_problem(item.envelope, item.announcement)
        return reason

    async def checkpoints(self) -> Checkpoints:
        async with self.driver.session(database=self.database) as session:
            return await session.execute_read(read_checkpoints)

    async def project(self, items: Sequence[Incoming]) -> BatchResult:
        """Fill the gaps the batch shows from the feeds, then apply it in one transaction."""
        async with self.lock:
            started = time.perf_counter()
            filled = await self._fill_gaps(list(items))
            gaps = time.perf_counter() - started
            async with self.driver.session(database=self.database) as session:
                result = await session.execute_write(self._apply, [*items, *filled])
            in_transaction = sum(result.seconds.values())
            result.seconds["gaps"] = gaps
            result.seconds["commit"] = max(0.0, time.perf_counter() - started - gaps - in_transaction)
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
        the events (one statement per run of one shape), the dead letters, the checkpoints, and the
        key hand-overs and the witness's state."""
        laps = Laps()
        checkpoints = await lock_checkpoints(tx)
        laps.lap("read")
        arrangement: Arrangement = arrange(positions(checkpoints), items)
        result = BatchResult(skipped=len(arrangement.stale), held=len(arrangement.held), seconds=laps.seconds)
        laps.lap("ordering")
        letters = [
            DeadLetter(
                item.dead_letter_id, item.source, None, item.subject, item.reason or "no position", item.raw, None
            )
            for item in arrangement.unplaced
        ]
        chains = await self.key_chains(tx)
        self._chains = dict(chains)
        witnesses, unchecked = await self._witnesses(tx, arrangement, checkpoints, chains)
        laps.lap("read")
        events: list[EventToWrite] = []
        handovers: list[KeyEntry] = []
        moved: Checkpoints = {}
        for source, ready in sorted(arrangement.ready.items()):
            position, last_hash = checkpoints[source]
            chain, witness = chains[source], witnesses.get(source)
            for item in ready:
                reason = self.problem(item, chain)
                if reason is None and item.envelope is not None:
                    expected = last_hash if item.envelope.position > 1 else GENESIS_HASH
                    chain_ok = expected is None or item.envelope.prev_hash == expected
                    events.append(EventToWrite(item.envelope, item.payload, chain_ok))
                    if item.announcement is not None:
                        handovers.append(chain.follow(item.envelope, item.announcement))
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
                if witness is not None:
                    witness.append(item.raw)
                position = item.position if item.position is not None else position
                last_hash = item.claimed_hash
            moved[source] = checkpoints[source] = (position, last_hash)
        laps.lap("checks")
        statements = prepare_events(events)
        for shape, _ in statements:
            if shape not in self.warmed:
                self.warmed.add(shape)
                self.unwarmed += 1
        laps.lap("build")
        result.statements = await run_statements(tx, statements)
        laps.lap("neo4j")
        heads = await self._settle_witnesses(tx, witnesses, unchecked, letters)
        await write_dead_letters(tx, letters)
        await set_checkpoints(tx, moved)
        await add_key_entries(
            tx,
            [
                {
                    "source": h.source,
                    "vkey": str(h.key),
                    "from_position": h.from_position,
                    "announced_at": h.announced_at,
                }
                for h in handovers
            ],
        )
        laps.lap("checkpoint")
        result.applied = len(events)
        result.dead_letters = len(letters)
        result.heads = len(heads)
        result.alarms = sum(1 for h in heads if h.status == ALARM)
        result.checkpoints = positions(checkpoints)
        return result

    async def _witnesses(
        self,
        tx: neo4j.AsyncManagedTransaction,
        arrangement: Arrangement,
        checkpoints: Checkpoints,
        chains: dict[str, KeyChain],
    ) -> tuple[dict[str, Witness], list[HeadRecord]]:
        """A witness per source with events or heads in the batch, and the heads no witness can check: of an
        unknown source, or of one whose log does not start at its checkpoint (a graph projected before the
        witness existed: a rebuild starts it)."""
        received: dict[str, list[HeadRecord]] = {}
        for item in arrangement.heads:
            if item.head is not None:
                received.setdefault(item.head.source, []).append(item.head)
        unchecked = [h for source in sorted(set(received) - set(chains)) for h in received.pop(source)]
        for head in unchecked:
            head.status, head.reason = REFUSED, f"foreign head: {head.source!r} is not a source of planspor"
        sources = sorted(set(arrangement.ready) | set(received))
        if not sources:
            return {}, unchecked
        logs = await read_witness_logs(tx)
        sizes = {source: [h.size for h in heads if h.size is not None] for source, heads in received.items()}
        known = await read_witness_heads(tx, sources, sizes)
        witnesses: dict[str, Witness] = {}
        for source in sources:
            row = logs.get(source)
            log = (
                SourceLog(
                    source,
                    row["size"],
                    [bytes.fromhex(h) for h in row["frontier"] or []],
                    row["head_size"],
                    row["head_root"],
                )
                if row
                else SourceLog(source)
            )
            if log.size != checkpoints.get(source, (0, None))[0]:
                for head in received.get(source, []):
                    head.status, head.reason = (
                        REFUSED,
                        (
                            f"unchecked head: the witness's log of {source} has {log.size} events, the graph "
                            f"{checkpoints.get(source, (0, None))[0]}: rebuild the graph to start the witness"
                        ),
                    )
                    unchecked.append(head)
                continue
            waiting = [_record(h) for h in known if h["source"] == source and h["status"] == "pending"]
            seen = {h["size"]: h["root"] for h in known if h["source"] == source and h["status"] == "checked"}
            fresh = [h for h in received.get(source, []) if h.id not in {w.id for w in waiting}]
            witnesses[source] = Witness(log, chains[source], [*waiting, *fresh], seen)
        return witnesses, unchecked

    async def _settle_witnesses(
        self,
        tx: neo4j.AsyncManagedTransaction,
        witnesses: dict[str, Witness],
        unchecked: list[HeadRecord],
        letters: list[DeadLetter],
    ) -> list[HeadRecord]:
        """Keep each witness's log and every head it decided or keeps waiting; a bad head is a dead letter too."""
        logs, heads = [], list(unchecked)
        for witness in witnesses.values():
            state, decided = witness.finish()
            logs.append(
                {
                    "source": state.source,
                    "size": state.size,
                    "frontier": [h.hex() for h in state.frontier],
                    "head_size": state.head_size,
                    "head_root": state.head_root,
                }
            )
            heads.extend(decided)
        for head in heads:
            if head.status == ALARM:
                log.error("witness alarm: %s", head.reason)
            if head.status in (ALARM, REFUSED):
                letters.append(
                    DeadLetter(
                        head.id, head.source, None, head.subject, head.reason or head.status, head.note.encode(), None
                    )
                )
        await set_witness_logs(tx, logs)
        await write_witness_heads(
            tx,
            [
                {
                    "id": h.id,
                    "source": h.source,
                    "size": h.size,
                    "root": h.root,
                    "note": h.note,
                    "status": h.status,
                    "reason": h.reason,
                }
                for h in heads
            ],
        )
        return heads


def _record(row: dict[str, Any]) -> HeadRecord:
    """A head kept in the graph, as the witness holds it."""
    return HeadRecord(row["id"], row["source"], row["size"], row["root"], row["note"], row["status"], row.get("reason"))
