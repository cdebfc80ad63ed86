"""The graph as a witness: every signed tree head a source publishes is checked against what was applied.

A source issues signed heads (C2SP checkpoints: origin, size, RFC 6962 root) and publishes each on
the stream after the events it covers (``<prefix>.<source>.checkpoint``). knowledge keeps, per
source, the compact range of the Merkle tree over the envelopes it applied (one leaf per position,
``SHA-256(0x00 || the bytes received)``), in the same transaction as the facts. A head is checked
when the witness has applied exactly its size of events:

- it is signed by the source's key in force at that size (``KeyChain.head_keys``) and names the
  source's log as its origin; otherwise it is not the source's and is set aside (``refused``);
- its root is the root of the events applied up to its size, and so consistent with every earlier
  head that matched. A root that differs (a rewritten history, or an event on the bus that was not
  the source's), or a second head of a size with another root, is an ``alarm``: ``/health`` shows it.

A head of a size not applied yet waits (``pending``, kept in the graph) until its events arrive. A
head of a size the witness passed without seeing it cannot be checked any more (``refused``).

Pure: no I/O. ``knowledge.graph.bookkeeping`` keeps the state (``WitnessLog``, ``WitnessHead``).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from knowledge.pipeline.signatures import KeyChain
from planspor_verify.checkpoint import open_checkpoint, parse_checkpoint
from planspor_verify.merkle import CompactRange, leaf_hash
from planspor_verify.note import NoteError

PENDING, CHECKED, ALARM, REFUSED = "pending", "checked", "alarm", "refused"


def head_id(source: str, note: str) -> str:
    return f"head:{source}:{hashlib.sha256(note.encode('utf-8')).hexdigest()[:16]}"


def b64(value: bytes) -> str:
    return base64.b64encode(value).decode()


@dataclass
class HeadRecord:
    """A head as the witness keeps it: the note as received, what it says, and what the witness found."""

    id: str
    source: str
    size: int | None
    root: str | None
    note: str
    status: str = PENDING
    reason: str | None = None
    subject: str = ""


@dataclass
class SourceLog:
    """The witness's state for one source: the tree over the applied envelopes, and the last head that matched."""

    source: str
    size: int = 0
    frontier: list[bytes] = field(default_factory=list)
    head_size: int | None = None
    head_root: str | None = None

    def compact(self) -> CompactRange:
        return CompactRange(self.size, self.frontier)


def received_head(source: str, raw: bytes, subject: str = "") -> HeadRecord:
    """A head message as it arrived; its size and root if it reads as a checkpoint (``refused`` if not)."""
    note = raw.decode("utf-8", errors="replace")
    record = HeadRecord(head_id(source, note), source, None, None, note, subject=subject)
    try:
        checkpoint = parse_checkpoint(note).checkpoint
    except NoteError as error:
        record.status, record.reason = REFUSED, f"malformed head: {error}"
        return record
    record.size, record.root = checkpoint.size, checkpoint.root_b64
    return record


class Witness:
    """Checks the heads of one source while a batch's envelopes are appended to its tree, in position order."""

    def __init__(self, log: SourceLog, chain: KeyChain, heads: Iterable[HeadRecord], seen: dict[int, str]) -> None:
        """``heads``: those waiting and those just received; ``seen``: size -> root of heads checked before."""
        self.log = log
        self.chain = chain
        self.compact = log.compact()
        self.seen = dict(seen)
        self.decided: list[HeadRecord] = []
        self.waiting: dict[int, list[HeadRecord]] = {}
        for head in sorted(heads, key=lambda h: h.size or 0):  # stable: of one size, the first to arrive first
            if head.status == REFUSED or head.size is None:
                self.decided.append(head)
            elif head.size < self.compact.size:
                self._late(head)
            else:
                self.waiting.setdefault(head.size, []).append(head)
        self._check_at_size()

    def append(self, raw: bytes) -> None:
        """The envelope at the next position, as received (a dead letter's bytes too: it took the position)."""
        self.compact.append(leaf_hash(raw))
        self._check_at_size()

    def finish(self) -> tuple[SourceLog, list[HeadRecord]]:
        """The state to keep and every head decided or still waiting."""
        log = self.log
        log.size, log.frontier = self.compact.size, list(self.compact.hashes)
        pending = [h for heads in self.waiting.values() for h in heads]
        for head in pending:
            head.status = PENDING
        return log, self.decided + pending

    def _late(self, head: HeadRecord) -> None:
        known = self.seen.get(head.size or 0)
        if known is None:
            self._decide(
                head,
                REFUSED,
                f"late head: head {head.size} of {head.source} arrived after the witness applied "
                f"{self.compact.size} events, and no head of that size was seen: it cannot be checked now",
            )
        elif known == head.root:
            self._decide(head, CHECKED, None)
        else:
            self._decide(head, ALARM, self._two_heads(head, known))

    def _check_at_size(self) -> None:
        for head in self.waiting.pop(self.compact.size, []):
            self._check(head)

    def _check(self, head: HeadRecord) -> None:
        size, source = head.size or 0, head.source
        origin = self.chain.origin
        checkpoint = parse_checkpoint(head.note).checkpoint
        if checkpoint.origin != origin:
            self._decide(head, REFUSED, f"foreign head: its origin is {checkpoint.origin!r}, not {origin!r}")
            return
        keys = self.chain.head_keys(size)
        try:
            open_checkpoint(head.note, keys)
        except NoteError as error:
            self._decide(
                head,
                REFUSED,
                f"bad head signature: head {size} of {source} is not signed by the key in force "
                f"({', '.join(k.ident for k in keys) or 'none configured'}): {error}",
            )
            return
        known = self.seen.get(size)
        if known is not None and known != head.root:
            self._decide(head, ALARM, self._two_heads(head, known))
            return
        applied = b64(self.compact.root())
        if head.root != applied:
            reason = (
                f"root mismatch: head {size} of {source} signs root {head.root}, but the {size} events applied "
                f"give {applied}: the record was rewritten, or an event applied was not the source's"
            )
            if self.log.head_size is not None and self.log.head_size < size:
                reason += f"; it is not consistent with head {self.log.head_size}, which matched"
            self._decide(head, ALARM, reason)
            return
        self.seen[size] = applied
        if self.log.head_size is None or size >= self.log.head_size:
            self.log.head_size, self.log.head_root = size, applied
        self._decide(head, CHECKED, None)

    def _two_heads(self, head: HeadRecord, known: str) -> str:
        return (
            f"two heads for one size: head {head.size} of {head.source} signs root {head.root}, "
            f"another head of that size signed {known}"
        )

    def _decide(self, head: HeadRecord, status: str, reason: str | None) -> None:
        head.status, head.reason = status, reason
        if status == CHECKED and head.root is not None and head.size is not None:
            self.seen.setdefault(head.size, head.root)
        self.decided.append(head)
