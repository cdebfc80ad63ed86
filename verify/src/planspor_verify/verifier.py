"""Checking a bundle: every signature, the chain, every root, the heads and the auditor's saved head.

The only things trusted are the verifier keys the auditor gives. For each source:

1. Every envelope, in position order: readable, at its position, linked to the one before
   (``prev_hash``), its ``hash`` that of its content, and signed by the key in force there.
   The first key is the one that signs position 1; a ``key.rotated`` event, signed by the
   key in force, hands over to the key it announces from the next position on.
2. The keys are anchored: the first key is one the auditor trusts, or a key the auditor
   trusts is announced later and signs a head that covers everything before it.
3. Every signed head is signed by the key in force at its size, and its root is the root
   recomputed from the envelopes (RFC 6962 leaves over the canonical envelopes, signature
   included), so consecutive heads are consistent exactly when both check out.
4. A saved head (a checkpoint the auditor kept from earlier) is signed by a key of this
   record, and the record's first ``size`` events give its root.

The report names the first bad position and what is wrong with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from planspor_verify.bundle import Bundle, SourceRecord
from planspor_verify.canonical import GENESIS_HASH, NotCanonical, canonical_of_loaded, envelope_hash, loads
from planspor_verify.checkpoint import Checkpoint, SignedCheckpoint, open_checkpoint, parse_checkpoint
from planspor_verify.merkle import CompactRange, leaf_hash
from planspor_verify.note import NoteError, VerifierKey
from planspor_verify.signature import signature_problem

KEY_ROTATED = "key.rotated"

EDITED = "edited"
MISSING = "missing"
REORDERED = "reordered"
INSERTED = "inserted"
UNKNOWN_KEY = "signed by an unknown key"
UNSIGNED = "not signed"
UNREADABLE = "unreadable"
BAD_HEAD = "bad head"
SAVED_HEAD = "inconsistent with the saved head"


class SavedHeadError(ValueError):
    """The auditor's saved head cannot be read or is not validly signed (usage: exit code 2)."""


@dataclass(frozen=True)
class Failure:
    source: str
    position: int | None
    """The first bad position, when the problem is at one; None for a head that is bad in itself."""
    kind: str
    detail: str

    def __str__(self) -> str:
        where = f"position {self.position}" if self.position is not None else "its heads"
        return f"{self.source} {where}: {self.kind}: {self.detail}"


@dataclass(frozen=True)
class SourceResult:
    source: str
    events: int
    head: Checkpoint | None
    """The latest signed head, checked."""

    def summary(self, first: bool) -> str:
        count = f"{self.events} events of {self.source}" if first else f"{self.events} of {self.source}"
        if self.head is None:
            return f"{count} (no signed head)"
        text = f"{count} up to head {self.head.size}/{self.head.root_b64}"
        if self.events > self.head.size:
            text += f" (+{self.events - self.head.size} signed after it)"
        return text


@dataclass
class Report:
    results: list[SourceResult] = field(default_factory=list)
    failure: Failure | None = None

    @property
    def ok(self) -> bool:
        return self.failure is None

    def __str__(self) -> str:
        if self.failure is not None:
            return f"failed: {self.failure}"
        return "verified: " + ", ".join(r.summary(i == 0) for i, r in enumerate(self.results))


@dataclass(frozen=True)
class _Examined:
    """What one line of a bundle is, computed once per distinct line (the envelope is read-only)."""

    envelope: dict[str, Any] | None
    problem: str | None
    hash_matches: bool = False
    leaf: bytes = b""


@lru_cache(maxsize=65536)
def _examine(line: bytes) -> _Examined:
    try:
        envelope = loads(line)
        if not isinstance(envelope, dict):
            return _Examined(None, "it is not a JSON object")
        for name, kind in (("position", int), ("source", str), ("prev_hash", str), ("hash", str), ("event_type", str)):
            value = envelope.get(name)
            if not isinstance(value, kind) or isinstance(value, bool):
                return _Examined(None, f"it has no valid {name}")
        matches = envelope_hash(envelope, loaded=True) == envelope["hash"]
        return _Examined(envelope, None, matches, leaf_hash(canonical_of_loaded(envelope)))
    except NotCanonical as error:
        return _Examined(None, f"it is not canonical JSON: {error}")


@dataclass
class _Chain:
    """The source's keys in order: (first position it signs, key)."""

    entries: list[tuple[int, VerifierKey]] = field(default_factory=list)

    def in_force_at_size(self, size: int) -> VerifierKey | None:
        """The key that signs heads of ``size``: the one that signs position ``size + 1``."""
        key = None
        for first, candidate in self.entries:
            if first <= size + 1:
                key = candidate
        return key

    def keys(self) -> list[VerifierKey]:
        return [key for _, key in self.entries]


class _SourceCheck:
    def __init__(self, record: SourceRecord, trusted: list[VerifierKey]) -> None:
        self.record = record
        self.origin = record.origin
        self.trusted = {k.ident: k for k in trusted if k.name == record.origin}
        self.hinted: dict[str, VerifierKey] = {}
        for entry in record.keys:
            try:
                key = VerifierKey.parse(str(entry.get("vkey", "")))
            except NoteError:
                continue
            if key.name == self.origin:
                self.hinted[key.ident] = key
        self.chain = _Chain()
        self.leaves: list[bytes] = []
        self.failures: list[Failure] = []
        self.heads: list[SignedCheckpoint] = []
        self.walked = False

    def fail(self, position: int | None, kind: str, detail: str) -> None:
        self.failures.append(Failure(self.record.source, position, kind, detail))

    # ------------------------------------------------------------------ 1. the envelopes

    def walk(self) -> None:
        examined = [_examine(line) for line in self.record.lines]
        positions = [e.envelope["position"] if e.envelope is not None else None for e in examined]
        prev_hash, current = GENESIS_HASH, None
        for index, item in enumerate(examined):
            p = index + 1
            problem = self._problem_at(p, item, positions, prev_hash, current)
            if problem is not None:
                kind, detail = problem
                self.fail(p, kind, detail)
                return
            envelope = item.envelope
            assert envelope is not None
            if current is None:
                current = self.chain.entries[0][1]
            if envelope["event_type"] == KEY_ROTATED:
                announced = self._announced(envelope, current, p)
                if isinstance(announced, str):
                    self.fail(p, EDITED, announced)
                    return
                self.chain.entries.append((p + 1, announced))
                current = announced
            self.leaves.append(item.leaf)
            prev_hash = envelope["hash"]
        self.walked = True

    def _problem_at(
        self, p: int, item: _Examined, positions: list[int | None], prev_hash: str, current: VerifierKey | None
    ) -> tuple[str, str] | None:
        envelope = item.envelope
        if envelope is None:
            return UNREADABLE, f"line {p} of the events {item.problem}"
        found = envelope["position"]
        if envelope["source"] != self.record.source:
            return INSERTED, f"the envelope there belongs to {envelope['source']!r}"
        if found != p:
            if found > p:
                if p in positions[p:]:
                    return REORDERED, f"position {found} stands where position {p} should, which comes later"
                return MISSING, f"the next envelope is position {found}; position {p} is not in the record"
            if found in positions[: p - 1]:
                return INSERTED, f"a second envelope claims position {found}"
            return REORDERED, f"position {found} stands where position {p} should"
        if envelope["prev_hash"] != prev_hash:
            return EDITED, f"its prev_hash does not link it to position {p - 1}"
        if not item.hash_matches:
            return EDITED, "its content does not match its hash"
        key, problem, kind = current, None, EDITED
        if key is None:
            key, problem, kind = self._first_key(envelope)
            if key is not None:
                self.chain.entries.append((p, key))
        if problem is None:
            assert key is not None
            problem = signature_problem(envelope, key)
            if problem is None:
                return None
            if envelope.get("signature") is None:
                kind = UNSIGNED
            elif isinstance(envelope["signature"], dict) and envelope["signature"].get("key") != key.ident:
                kind = UNKNOWN_KEY
        if p < len(positions) and positions[p] == p:
            return INSERTED, f"{problem}, and the envelope after it claims position {p} too"
        return kind, problem

    def _first_key(self, envelope: dict[str, Any]) -> tuple[VerifierKey | None, str | None, str]:
        """The key that signs position 1: one the auditor trusts, or one the bundle lists (anchored later)."""
        field_ = envelope.get("signature")
        named = str(field_.get("key")) if isinstance(field_, dict) else None
        if named is None:
            return None, "it is not signed", UNSIGNED
        key = self.trusted.get(named) or self.hinted.get(named)
        if key is None:
            return None, f"its key {named} is neither a key you trust nor in the bundle's key list", UNKNOWN_KEY
        if key.ident not in self.trusted and not any(ident in self.trusted for ident in self.hinted):
            return None, f"it is signed by {named}, and no key of this record is one you trust", UNKNOWN_KEY
        return key, None, EDITED

    def _announced(self, envelope: dict[str, Any], current: VerifierKey, p: int) -> VerifierKey | str:
        payload = envelope.get("payload")
        if not isinstance(payload, dict):
            return "its key announcement has no payload"
        if payload.get("previous_key") != str(current):
            return "its key announcement does not name the key in force as the previous key"
        if payload.get("from_position") != p + 1:
            return f"its key announcement does not hand over at position {p + 1}"
        try:
            announced = VerifierKey.parse(str(payload.get("key")))
        except NoteError as error:
            return f"it announces a malformed key: {error}"
        if announced.name != self.origin:
            return f"it announces a key of {announced.name!r}, not of this log {self.origin!r}"
        return announced

    # ------------------------------------------------------------------ 2. + 3. anchoring and heads

    def check_heads(self) -> None:
        signed: dict[int, SignedCheckpoint] = {}
        for note in self.record.checkpoints:
            try:
                parsed = parse_checkpoint(note)
            except NoteError as error:
                self.fail(None, BAD_HEAD, f"a checkpoint is malformed: {error}")
                return
            cp = parsed.checkpoint
            if not self.walked and cp.size > len(self.leaves):
                continue  # beyond a failed walk: its key and root cannot be known
            if cp.origin != self.origin:
                self.fail(None, BAD_HEAD, f"head {cp.size} is of origin {cp.origin!r}, not {self.origin!r}")
                return
            key = self.chain.in_force_at_size(cp.size)
            keys = [key] if key else []
            if cp.size > len(self.leaves):  # beyond the record's end: a later key may have signed it
                keys = list({k.ident: k for k in [*keys, *self.hinted.values(), *self.trusted.values()]}.values())
            try:
                opened = open_checkpoint(note, keys)
            except NoteError as error:
                self.fail(
                    None,
                    BAD_HEAD,
                    f"head {cp.size} is not signed by the key in force {key.ident if key else '(none)'}: {error}",
                )
                return
            if cp.size in signed and signed[cp.size].checkpoint.root != cp.root:
                self.fail(None, BAD_HEAD, f"two signed heads of size {cp.size} with different roots")
                return
            signed[cp.size] = opened
        self.heads = [signed[size] for size in sorted(signed)]
        roots = self._roots({h.checkpoint.size for h in self.heads})
        previous = 0
        for head in self.heads:
            cp = head.checkpoint
            if cp.size > len(self.leaves):
                if self.walked:
                    self.fail(
                        len(self.leaves) + 1,
                        MISSING,
                        f"the record ends at {len(self.leaves)}, but head {cp.size} covers {cp.size} events",
                    )
                return
            if roots[cp.size] != cp.root:
                self.fail(
                    previous + 1,
                    EDITED,
                    f"positions {previous + 1}..{cp.size} do not hash to the root "
                    f"of head {cp.size} (the first altered one is among them)",
                )
                return
            previous = cp.size

    def check_anchor(self) -> None:
        """The keys of the chain are the auditor's, or vouched for by a head of a key the auditor trusts."""
        entries = self.chain.entries
        if not entries:
            return
        trusted_from = next((i for i, (_, key) in enumerate(entries) if key.ident in self.trusted), None)
        if trusted_from == 0:
            return
        first_key = entries[0][1]
        if trusted_from is not None:
            announced_at = entries[trusted_from][0] - 1
            trusted_keys = {key.ident for _, key in entries[trusted_from:]}
            if any(
                h.checkpoint.size >= announced_at and any(k.ident in trusted_keys for k in h.signed_by)
                for h in self.heads
            ):
                return
        self.fail(
            1,
            UNKNOWN_KEY,
            f"it is signed by {first_key.ident}, which is not a key you trust"
            + ("" if trusted_from is None else ", and no head of a key you trust covers it"),
        )

    # ------------------------------------------------------------------ 4. the saved head

    def check_saved(self, note: str, checkpoint: Checkpoint) -> None:
        parsed = parse_checkpoint(note)
        named = [f"{s.name}+{s.key_id:08x}" for s in parsed.note.signatures if s.name == self.origin]
        chain = {key.ident: key for key in self.chain.keys()}
        known = {**self.hinted, **self.trusted, **chain}
        keys = [known[ident] for ident in named if ident in known]
        never_used = (
            f"the saved head {checkpoint.size}/{checkpoint.root_b64} is signed by "
            f"{', '.join(named) or 'no key of this log'}, a key this record never used: it was rewritten"
        )
        if not keys:
            self.fail(1, SAVED_HEAD, never_used)
            return
        try:
            open_checkpoint(note, keys)
        except NoteError as error:
            raise SavedHeadError(f"the saved head does not verify: {error}") from None
        if checkpoint.size > len(self.leaves):
            if self.walked:
                self.fail(
                    len(self.leaves) + 1,
                    MISSING,
                    f"the record ends at {len(self.leaves)}, but the saved head covers {checkpoint.size} events",
                )
            return
        if self.chain.in_force_at_size(checkpoint.size) not in keys:
            self.fail(
                1,
                SAVED_HEAD,
                never_used
                if not any(k.ident in chain for k in keys)
                else f"the saved head is signed by a key not in force at size {checkpoint.size}",
            )
            return
        root = self._roots({checkpoint.size})[checkpoint.size]
        if root != checkpoint.root:
            self.fail(
                None,
                SAVED_HEAD,
                f"the first {checkpoint.size} events do not hash to the saved head "
                f"{checkpoint.size}/{checkpoint.root_b64}: an event at or before position "
                f"{checkpoint.size} was changed",
            )

    def _roots(self, sizes: set[int]) -> dict[int, bytes]:
        compact, roots = CompactRange(), {}
        wanted = sorted(s for s in sizes if s <= len(self.leaves))
        for size in wanted:
            compact.extend(self.leaves[compact.size : size])
            roots[size] = compact.root()
        return roots

    def first_failure(self) -> Failure | None:
        if not self.failures:
            return None
        return min(self.failures, key=lambda f: (f.position is None, f.position or 0))

    def result(self) -> SourceResult:
        head = self.heads[-1].checkpoint if self.heads else None
        return SourceResult(self.record.source, len(self.leaves), head)


def verify_bundle(bundle: Bundle, trusted: list[VerifierKey], saved_heads: Sequence[str] = ()) -> Report:
    """Check every source of ``bundle``; ``SavedHeadError`` if a saved head is unusable."""
    saved: list[tuple[str, Checkpoint]] = []
    origins = {record.origin for record in bundle.sources}
    for note in saved_heads:
        try:
            checkpoint = parse_checkpoint(note).checkpoint
        except NoteError as error:
            raise SavedHeadError(f"the saved head is not a checkpoint: {error}") from None
        if checkpoint.origin not in origins:
            raise SavedHeadError(f"the saved head is of {checkpoint.origin!r}, which this bundle does not hold")
        saved.append((note, checkpoint))
    report = Report()
    for record in bundle.sources:
        check = _SourceCheck(record, trusted)
        check.walk()
        check.check_heads()
        check.check_anchor()
        for note, checkpoint in saved:
            if checkpoint.origin == record.origin:
                check.check_saved(note, checkpoint)
        failure = check.first_failure()
        if failure is not None:
            report.failure = failure
            return report
        report.results.append(check.result())
    return report
