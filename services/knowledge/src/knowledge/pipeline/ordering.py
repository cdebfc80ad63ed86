"""Decode what arrives and put it in per-source position order; no I/O.

Delivery order is not event order: a nacked batch comes back after later ones and
the feed fills gaps. So every batch is arranged against the checkpoints: a position
at or below its source's checkpoint was applied already (stale, acked without
effect); the run of positions that continues the checkpoint without a hole is
ready; anything after a hole is held until the hole is filled.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from knowledge.pipeline.witness import HeadRecord, received_head
from planspor_shared.canonical import canonical_json
from planspor_shared.envelope import Envelope, parse_payload
from planspor_shared.errors import ContractError
from planspor_shared.events import REGISTRY, SOURCES, EventRegistry, IntegrationEvent, describe_validation_error
from planspor_shared.events.log import LOG_EVENT_TYPES, KeyRotated
from planspor_shared.subjects import head_source


@dataclass(frozen=True)
class Incoming:
    """One event as received, usable (``payload`` set) or not (``reason`` says why: a dead letter).

    An event of the source's log itself (``key.rotated``) has its ``announcement`` instead of a payload;
    a signed tree head from the source's head subject is a ``head``, with no position.
    """

    raw: bytes
    subject: str = ""
    source: str | None = None
    position: int | None = None
    envelope: Envelope | None = None
    payload: IntegrationEvent | None = None
    reason: str | None = None
    via: str = "stream"
    announcement: KeyRotated | None = None
    head: HeadRecord | None = None

    @property
    def key(self) -> tuple[str, int] | None:
        if self.source is None or self.position is None:
            return None
        return (self.source, self.position)

    @property
    def dead_letter_id(self) -> str:
        if self.key is not None:
            return f"{self.source}:{self.position}"
        return "sha256:" + hashlib.sha256(self.raw).hexdigest()

    @property
    def claimed_hash(self) -> str | None:
        return self.envelope.hash if self.envelope is not None else None


def _position_from_msg_id(msg_id: str | None) -> tuple[str, int] | None:
    if not msg_id or ":" not in msg_id:
        return None
    source, _, position = msg_id.rpartition(":")
    if source not in SOURCES or not position.isdigit() or int(position) < 1:
        return None
    return source, int(position)


def decode(
    raw: bytes,
    subject: str = "",
    msg_id: str | None = None,
    registry: EventRegistry = REGISTRY,
    via: str = "stream",
) -> Incoming:
    """Parse, type and hash-check one envelope; never raises for bad input.

    Where the envelope is unreadable, the ``Nats-Msg-Id`` (``<source>:<position>``)
    still tells which position it held, so the position is consumed in order and
    the dead letter names it. A message on a source's head subject is a head for the witness.
    """
    source_of_head = head_source(subject)
    if source_of_head is not None:
        return Incoming(raw, subject, source_of_head, via=via, head=received_head(source_of_head, raw, subject))
    try:
        envelope = Envelope.from_json(raw)
    except ContractError as error:
        known = _position_from_msg_id(msg_id)
        source, position = known if known else (None, None)
        return Incoming(raw, subject, source, position, reason=error.reason, via=via)
    common: dict[str, Any] = dict(
        raw=raw, subject=subject, source=envelope.source, position=envelope.position, envelope=envelope, via=via
    )
    if not envelope.verify(envelope.prev_hash):
        return Incoming(
            **common,
            reason=f"hash mismatch: the content of {envelope.source}:{envelope.position} "
            f"does not hash to {envelope.hash}",
        )
    if envelope.event_type in LOG_EVENT_TYPES:
        return _log_event(envelope, common)
    try:
        payload = parse_payload(envelope, registry)
    except ContractError as error:
        return Incoming(**common, reason=error.reason)
    return Incoming(**common, payload=payload)


def _log_event(envelope: Envelope, common: dict[str, Any]) -> Incoming:
    """A ``key.rotated`` of the source's log: its announcement, read with the log's own model."""
    if envelope.schema_version != KeyRotated.schema_version:
        return Incoming(
            **common, reason=f"event type {envelope.event_type!r} has no schema version {envelope.schema_version}"
        )
    try:
        return Incoming(**common, announcement=KeyRotated.model_validate(envelope.payload))
    except ValidationError as error:
        return Incoming(**common, reason=f"invalid key.rotated payload: {describe_validation_error(error)}")


def decode_feed_item(item: Any, registry: EventRegistry = REGISTRY) -> Incoming:
    """An envelope as the feed serves it (a JSON object)."""
    try:
        raw = canonical_json(item)
    except (TypeError, ValueError):
        raw = repr(item).encode()
    return decode(raw, registry=registry, via="feed")


@dataclass
class Arrangement:
    ready: dict[str, list[Incoming]] = field(default_factory=dict)
    """Per source, positions checkpoint+1, +2, ... without a hole."""
    held: list[Incoming] = field(default_factory=list)
    stale: list[Incoming] = field(default_factory=list)
    unplaced: list[Incoming] = field(default_factory=list)
    """No known position: kept as dead letters at once, nothing to order."""
    heads: list[Incoming] = field(default_factory=list)
    """Signed tree heads, for the witness."""
    gaps: dict[str, tuple[int, int]] = field(default_factory=dict)
    """source -> (after, before): positions after+1 .. before-1 are missing."""


def _preference(item: Incoming) -> tuple[int, int]:
    return (0 if item.reason is None else 1, 0 if item.via == "stream" else 1)


def arrange(checkpoints: Mapping[str, int], items: Iterable[Incoming]) -> Arrangement:
    """Split ``items`` into ready, held, stale and unplaced against ``checkpoints`` (source -> position)."""
    result = Arrangement()
    best: dict[tuple[str, int], Incoming] = {}
    for item in items:
        if item.head is not None:
            result.heads.append(item)
            continue
        key = item.key
        if key is None:
            result.unplaced.append(item)
            continue
        if key[1] <= checkpoints.get(key[0], 0):
            result.stale.append(item)
            continue
        current = best.get(key)
        if current is None or _preference(item) < _preference(current):
            if current is not None:
                result.stale.append(current)
            best[key] = item
        else:
            result.stale.append(item)
    by_source: dict[str, list[tuple[int, Incoming]]] = {}
    for (source, position), item in sorted(best.items()):
        by_source.setdefault(source, []).append((position, item))
    for source, queue in by_source.items():
        expected = checkpoints.get(source, 0) + 1
        ready: list[Incoming] = []
        for index, (position, item) in enumerate(queue):
            if position != expected:
                result.gaps[source] = (expected - 1, position)
                result.held.extend(held for _, held in queue[index:])
                break
            ready.append(item)
            expected += 1
        if ready:
            result.ready[source] = ready
    return result
