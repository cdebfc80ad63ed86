"""Signed records built from the specs alone, for the verifier's own tests.

What a source does, in a few lines of planspor_verify: seal each envelope into the hash
chain, sign it (event signature v1), append its leaf to the Merkle tree, issue signed heads,
and hand over to a new key with a ``key.rotated`` event signed by the old one. The
runtime's relay does the same; the integration tests check the two agree.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from planspor_verify.bundle import Bundle, SourceRecord
from planspor_verify.canonical import GENESIS_HASH, canonical, envelope_hash
from planspor_verify.checkpoint import Checkpoint
from planspor_verify.merkle import CompactRange, leaf_hash
from planspor_verify.note import Signer
from planspor_verify.signature import sign_event

START = datetime(2024, 4, 29, 8, 0, tzinfo=UTC)
WORDS = ["plan", "mål", "Bærum", "strategi", "høring", "vedtak", "Fornebu", "kunnskap", "ønske", "\u00e6\u00f8\u00e5"]


def origin_of(source: str) -> str:
    return f"planspor.test/{source}"


def signer_for(origin: str, label: str) -> Signer:
    """A deterministic key, so a failing case reproduces with the same bytes."""
    return Signer.from_seed(origin, hashlib.sha256(f"{origin}:{label}".encode()).digest())


def utc(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def seal(envelope: dict[str, Any], prev_hash: str, signer: Signer | None) -> dict[str, Any]:
    """The envelope chained to ``prev_hash``, hashed, and signed by ``signer`` (unsigned if None)."""
    body = {k: v for k, v in envelope.items() if k not in ("hash", "signature")}
    body["prev_hash"] = prev_hash
    body["hash"] = envelope_hash(body)
    if signer is not None:
        body["signature"] = sign_event(signer, body["source"], body["position"], body["hash"])
    return body


def goal_envelope(source: str, position: int, rng: random.Random) -> dict[str, Any]:
    title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 6)))
    return {
        "event_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "event_type": "goal.defined",
        "schema_version": 1,
        "source": source,
        "position": position,
        "aggregate_id": f"goal-{position}",
        "aggregate_version": 1,
        "occurred_at": utc(START + timedelta(minutes=position)),
        "actor": {"id": "u-1", "name": "Ola Planlegger", "role": "planner"},
        "correlation_id": None,
        "causation_id": None,
        "payload": {"goal_id": f"goal-{position}", "title": title, "sdg_targets": ["11.a"]},
    }


def rotation_envelope(source: str, position: int, old: Signer, new: Signer) -> dict[str, Any]:
    return {
        "event_id": str(uuid.UUID(int=position, version=4)),
        "event_type": "key.rotated",
        "schema_version": 1,
        "source": source,
        "position": position,
        "aggregate_id": f"{source}:signing-key",
        "aggregate_version": 2,
        "occurred_at": utc(START + timedelta(minutes=position)),
        "actor": {"id": f"{source}-relay", "name": f"{source} relay", "role": "system"},
        "correlation_id": None,
        "causation_id": None,
        "payload": {"key": str(new.verifier_key), "previous_key": str(old.verifier_key), "from_position": position + 1},
    }


@dataclass
class History:
    """One source's signed record."""

    source: str
    origin: str
    envelopes: list[dict[str, Any]]
    heads: list[str]
    keys: list[dict[str, Any]]
    signers: list[Signer] = field(default_factory=list)
    _lines: list[bytes] | None = field(default=None, repr=False)

    def lines(self) -> list[bytes]:
        """The canonical lines (computed once: a History is not changed after it is built; copies are)."""
        if self._lines is None or len(self._lines) != len(self.envelopes):
            self._lines = [canonical(e) for e in self.envelopes]
        return list(self._lines)

    def record(self) -> SourceRecord:
        return SourceRecord(self.source, self.origin, self.lines(), list(self.heads), copy.deepcopy(self.keys))

    def copy(self) -> History:
        return History(
            self.source,
            self.origin,
            copy.deepcopy(self.envelopes),
            list(self.heads),
            copy.deepcopy(self.keys),
            list(self.signers),
        )


def issue_heads(envelopes: list[dict[str, Any]], origin: str, sizes: list[int], signer_at_size) -> list[str]:
    """Signed checkpoints of the tree over ``envelopes`` at each size; ``signer_at_size(size)`` signs."""
    compact, heads = CompactRange(), []
    for size in sorted(sizes):
        compact.extend(leaf_hash(canonical(e)) for e in envelopes[compact.size : size])
        checkpoint = Checkpoint(origin, size, compact.root(), time=utc(START + timedelta(days=1, minutes=size)))
        heads.append(checkpoint.sign(signer_at_size(size)))
    return heads


def build_history(
    count: int,
    *,
    source: str = "plan-registry",
    rotate_at: int | None = None,
    head_every: int = 100,
    seed: int = 1,
    label: str = "k1",
) -> History:
    """``count`` signed events with heads every ``head_every`` and at the end; a key rotation at ``rotate_at``."""
    rng = random.Random(seed)
    origin = origin_of(source)
    first = signer_for(origin, label)
    second = signer_for(origin, label + "-next")
    signers = [first]
    keys = [{"vkey": str(first.verifier_key), "from_position": 1, "announced_at": None}]
    envelopes, prev, current = [], GENESIS_HASH, first
    for position in range(1, count + 1):
        if position == rotate_at:
            envelope = seal(rotation_envelope(source, position, current, second), prev, current)
            current = second
            signers.append(second)
            keys.append({"vkey": str(second.verifier_key), "from_position": position + 1, "announced_at": position})
        else:
            envelope = seal(goal_envelope(source, position, rng), prev, current)
        envelopes.append(envelope)
        prev = envelope["hash"]
    sizes = sorted({*range(head_every, count + 1, head_every), count})

    def signer_at(size: int) -> Signer:
        return second if rotate_at is not None and size >= rotate_at else first

    heads = issue_heads(envelopes, origin, sizes, signer_at)
    return History(source, origin, envelopes, heads, keys, signers)


def rewritten(history: History, edit_at: int, label: str) -> tuple[History, Signer]:
    """The history as a forger with no key of the source makes it: one event edited, everything
    re-hashed and re-signed with a fresh key (the rotation dropped), fresh heads and a fresh key list."""
    fresh = signer_for(history.origin, label)
    envelopes, prev = [], GENESIS_HASH
    for position, original in enumerate(history.envelopes, start=1):
        changed = copy.deepcopy(original)
        if changed["event_type"] == "key.rotated":
            changed = goal_envelope(history.source, position, random.Random(position))
        if position == edit_at:
            changed["payload"] = {**changed["payload"], "title": "Historien skrevet om"}
        envelope = seal(changed, prev, fresh)
        envelopes.append(envelope)
        prev = envelope["hash"]
    sizes = [int(h.split("\n")[1]) for h in history.heads]
    heads = issue_heads(envelopes, history.origin, sizes, lambda size: fresh)
    keys = [{"vkey": str(fresh.verifier_key), "from_position": 1, "announced_at": None}]
    return History(history.source, history.origin, envelopes, heads, keys, [fresh]), fresh


def bundle_of(*histories: History) -> Bundle:
    return Bundle([h.record() for h in histories], created_at=utc(START + timedelta(days=2)))


def evidence_pack_of(picks: dict[str, list[int]], *histories: History, kind: str = "decision"):
    """An evidence pack of a made-up trace: one step per picked event (and a link made by the next one),
    the picked events of each history with inclusion proofs against its latest head."""
    from planspor_verify.evidence import EvidencePack, PackSource
    from planspor_verify.merkle import inclusion_proof, nodes_of

    steps, parts = [], []
    for history in histories:
        head = max(history.heads, key=lambda h: int(h.split("\n")[1]))
        size = int(head.split("\n")[1])
        nodes = nodes_of([leaf_hash(line) for line in history.lines()[:size]])
        chosen = sorted(picks.get(history.source, []))
        lines = [history.lines()[p - 1] for p in chosen]
        proofs = [
            {"position": p, "proof": [base64.b64encode(h).decode() for h in inclusion_proof(p - 1, size, nodes)]}
            for p in chosen
            if p <= size
        ]
        parts.append(PackSource(history.source, history.origin, lines, proofs, head, copy.deepcopy(history.keys)))
        for i, p in enumerate(chosen):
            envelope = history.envelopes[p - 1]
            event = {"id": envelope["event_id"], "type": envelope["event_type"], "source": history.source}
            event.update(position=p, occurred_at=envelope["occurred_at"])
            via = []
            if i + 1 < len(chosen):
                made_by = history.envelopes[chosen[i + 1] - 1]["event_id"]
                via = [{"from": {"label": "Goal", "id": "x"}, "relationship": "CITES", "created_by": made_by}]
            steps.append({"label": "Goal", "id": envelope["aggregate_id"], "events": [event], "via": via})
    trace = {"start": {"label": "Decision", "id": "d-1"}, "as_of": "2024-06-19T12:00:00+00:00", "steps": steps}
    return EvidencePack(kind, "d-1", trace, parts, page="<html></html>", readme="# check me\n")
