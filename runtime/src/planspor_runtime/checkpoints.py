"""Each source's Merkle log: leaves, the compact range, signed tree heads (checkpoints) and proofs.

The log is RFC 6962 over the source's envelopes in position order, one leaf per envelope,
``SHA-256(0x00 || canonical envelope)`` (the bytes the feed serves, signature included);
the hashing and the proofs are ``planspor_verify.merkle``, the same code an auditor runs.

The relay store keeps the compact range (the right edge of the tree: one hash per set bit
of the size) with the relay state, so appending and computing the root never re-read
history, and the perfect subtrees from level ``NODE_LEVEL`` up, so any inclusion or
consistency proof is answered from O(log n) stored nodes plus at most ``2**NODE_LEVEL``
envelopes per lower node. A head is a C2SP checkpoint signed by the source's key, issued
at an interval and after the event types of formal decisions (``HeadPolicy``).
"""

from __future__ import annotations

import base64
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from planspor_verify.checkpoint import Checkpoint
from planspor_verify.merkle import (
    CompactRange,
    ProofError,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root,
    subtree_hash,
)
from planspor_verify.note import Signer

if TYPE_CHECKING:
    from planspor_runtime.relay.store import RelayStore, StoredEnvelope

NODE_LEVEL = 4
"""Perfect subtrees from this level up are stored (about one row per eight events); lower ones are
recomputed from at most 2**NODE_LEVEL envelopes when a proof needs them."""

DECISION_EVENT_TYPES = frozenset(
    {"decision.recorded", "strategy.adopted", "prioritisation.made", "recommendation.issued"}
)
"""The formal decisions of each source: after one of these is relayed, a head is issued at once."""


@dataclass(frozen=True)
class LogState:
    """The log's size and compact range, as the store keeps it beside the relay state."""

    size: int = 0
    frontier: tuple[bytes, ...] = ()

    def compact(self) -> CompactRange:
        return CompactRange(self.size, self.frontier)

    def root(self) -> bytes:
        return self.compact().root()

    def encode(self) -> str:
        return ",".join(h.hex() for h in self.frontier)

    @classmethod
    def decode(cls, size: int, text: str) -> LogState:
        return cls(size, tuple(bytes.fromhex(h) for h in text.split(",") if h))


def leaf_of(envelope: StoredEnvelope) -> bytes:
    return leaf_hash(envelope.canonical)


def advance_log(log: LogState, leaves: Iterable[bytes]) -> tuple[LogState, list[tuple[int, int, bytes]]]:
    """The log after appending ``leaves``, and the perfect nodes to store (level >= NODE_LEVEL)."""
    compact = log.compact()
    nodes = [node for node in compact.extend(leaves) if node[0] >= NODE_LEVEL]
    return LogState(compact.size, tuple(compact.hashes)), nodes


@dataclass(frozen=True)
class Head:
    """A signed tree head as stored and served."""

    size: int
    root: bytes
    time: str
    checkpoint: str
    """The signed note (C2SP checkpoint), exactly as issued."""

    def as_json(self) -> dict[str, Any]:
        return {
            "size": self.size,
            "root": base64.b64encode(self.root).decode(),
            "time": self.time,
            "checkpoint": self.checkpoint,
        }


@dataclass(frozen=True)
class KeyRecord:
    """One signing key of a source: the first position it signs, and the ``key.rotated`` event that announced it."""

    vkey: str
    from_position: int | None
    """None while a rotation is staged and not yet announced."""
    announced_at: int | None
    staged_at: str

    def order(self) -> tuple[int, int]:
        return (1, 0) if self.from_position is None else (0, self.from_position)

    def as_json(self) -> dict[str, Any]:
        return {"vkey": self.vkey, "from_position": self.from_position, "announced_at": self.announced_at}


@dataclass(frozen=True)
class KeyChange:
    """A staged key takes over: recorded with the batch that holds its announcement."""

    vkey: str
    from_position: int
    announced_at: int

    def applied_to(self, record: KeyRecord) -> KeyRecord:
        if record.vkey != self.vkey or record.from_position is not None:
            return record
        return replace(record, from_position=self.from_position, announced_at=self.announced_at)


def utc_now() -> datetime:
    return datetime.now(UTC)


def utc_text(moment: datetime) -> str:
    """UTC with microseconds and Z, as every planspor instant is written."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def make_head(signer: Signer, log: LogState, moment: datetime | None = None) -> Head:
    """The signed checkpoint of ``log``; the origin is the key's name."""
    issued = utc_text(moment or utc_now())
    checkpoint = Checkpoint(signer.name, log.size, log.root(), time=issued)
    return Head(log.size, checkpoint.root, issued, checkpoint.sign(signer))


@dataclass
class HeadPolicy:
    """When a source issues a head: ``interval`` seconds after the last one if the log grew, and at once
    after an event of ``after`` (the formal decisions)."""

    interval: float = 60.0
    after: frozenset[str] = DECISION_EVENT_TYPES

    def due(
        self, *, last_size: int, last_at: float | None, size: int, types: Iterable[str] = (), now: float | None = None
    ) -> bool:
        if size <= last_size:
            return False
        if self.after.intersection(types):
            return True
        now = time.monotonic() if now is None else now
        return last_at is None or now - last_at >= self.interval


class MerkleLog:
    """Roots and proofs over a relay store's log, for any tree size up to the log's."""

    def __init__(self, store: RelayStore) -> None:
        self.store = store

    def perfect(self, level: int, index: int) -> bytes:
        if level >= NODE_LEVEL:
            return self.store.node(level, index)
        width = 1 << level
        rows = self.store.read(after=index * width, limit=width)
        if len(rows) != width:
            raise ProofError(f"the log has no subtree at level {level}, index {index}")
        return root(leaf_of(row) for row in rows)

    def size(self) -> int:
        return self.store.log_state().size

    def _check_size(self, size: int) -> None:
        have = self.size()
        if size > have:
            raise LookupError(f"the log has {have} events, not {size}")

    def root(self, size: int) -> bytes:
        log = self.store.log_state()
        if size > log.size:
            raise LookupError(f"the log has {log.size} events, not {size}")
        if size == log.size:
            return log.root()  # from the compact range, no node read
        return subtree_hash(0, size, self.perfect) if size else root([])

    def inclusion(self, position: int, size: int) -> dict[str, Any]:
        """The audit path of the envelope at ``position`` (1-based) in the tree of ``size``."""
        if not 1 <= position <= size:
            raise ProofError(f"position {position} is not in a tree of {size}")
        self._check_size(size)
        (row,) = self.store.read(after=position - 1, limit=1)
        proof = inclusion_proof(position - 1, size, self.perfect)
        return {
            "position": position,
            "size": size,
            "leaf_hash": _b64(leaf_of(row)),
            "root": _b64(self.root(size)),
            "proof": [_b64(h) for h in proof],
        }

    def consistency(self, first: int, second: int) -> dict[str, Any]:
        """The proof that the tree of ``first`` events is a prefix of the tree of ``second``."""
        if not 0 <= first <= second:
            raise ProofError(f"no consistency proof from {first} to {second}")
        self._check_size(second)
        proof = consistency_proof(first, second, self.perfect)
        return {
            "first": first,
            "second": second,
            "first_root": _b64(self.root(first)),
            "second_root": _b64(self.root(second)),
            "proof": [_b64(h) for h in proof],
        }


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode()


def bundle_record(store: RelayStore, source: str, origin: str) -> Any:
    """One source's part of a verifier bundle (``planspor_verify.bundle``), read from its relay store."""
    from planspor_verify.bundle import SourceRecord

    lines: list[bytes] = []
    while True:
        page = store.read(after=len(lines), limit=1000)
        if not page:
            break
        lines.extend(row.canonical for row in page)
    heads: list[str] = []
    after = -1
    while True:
        page_heads = store.heads(after_size=after, limit=1000)
        if not page_heads:
            break
        heads.extend(h.checkpoint for h in page_heads)
        after = page_heads[-1].size
    keys = [k.as_json() for k in store.keys() if k.from_position is not None]
    return SourceRecord(source=source, origin=origin, lines=lines, checkpoints=heads, keys=keys)


def export_bundle(path: Any, records: Sequence[Any]) -> Any:
    """Write the bundle of ``records`` (from ``bundle_record``) for ``planspor-verify``."""
    from planspor_verify.bundle import Bundle, write_bundle

    return write_bundle(path, Bundle(list(records), created_at=utc_text(utc_now())))
