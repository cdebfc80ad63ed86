"""Sealing a batch: numbering, chaining and signing what a service's mapper made of its domain events.

Pure and deterministic: the same recorded state, notifications and keys give the same
envelopes byte for byte (Ed25519 signatures are deterministic too), which is what makes a
re-publish after a crash a duplicate the broker drops.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from planspor_runtime.checkpoints import KeyChange
from planspor_runtime.relay.store import RelayState, StoredEnvelope
from planspor_runtime.signing import sign_envelope
from planspor_shared.envelope import Envelope, derive_event_id
from planspor_shared.events import IntegrationEvent
from planspor_shared.events.log import KeyRotated
from planspor_verify.note import Signer


@dataclass(frozen=True)
class Outgoing:
    """One integration event a service's mapper makes of a domain event; the relay numbers and seals it.

    ``event_id`` must be derived from the domain event (``derive_event_id``), never
    random: mapping the same stored event twice must give the same envelope.
    """

    event_id: UUID
    payload: IntegrationEvent
    aggregate_id: str
    aggregate_version: int
    occurred_at: datetime
    actor: dict[str, Any]
    correlation_id: str | None = None
    causation_id: str | None = None


Mapper = Callable[[Any], Sequence[Outgoing]]


@dataclass(frozen=True)
class Rotation:
    """A staged hand-over to ``new``: the next batch opens with its announcement, signed by the key before it."""

    new: Signer
    staged_at: datetime
    ordinal: int
    """The new key's number in the source's history (2 for the first rotation)."""


@dataclass(frozen=True)
class Keys:
    """The key that signs the next envelope, and a rotation waiting to be announced."""

    current: Signer | None
    pending: Rotation | None = None


def announcement(source: str, position: int, prev_hash: str, old: Signer, rotation: Rotation) -> Envelope:
    """The ``key.rotated`` envelope; derived from the staged rotation only, so every attempt seals the same one."""
    payload = KeyRotated(
        key=str(rotation.new.verifier_key), previous_key=str(old.verifier_key), from_position=position + 1
    )
    return Envelope.seal(
        prev_hash,
        event_id=derive_event_id(f"{source}:signing-key", rotation.ordinal),
        event_type=KeyRotated.event_type,
        schema_version=KeyRotated.schema_version,
        source=source,
        position=position,
        aggregate_id=f"{source}:signing-key",
        aggregate_version=rotation.ordinal,
        occurred_at=rotation.staged_at,
        actor={"id": f"{source}-relay", "name": f"{source} relay", "role": "system"},
        payload=payload.model_dump(),
    )


def seal_batch(
    source: str,
    state: RelayState,
    mapped: Iterable[tuple[int, Sequence[Outgoing]]],
    signer: Signer | None = None,
    rotation: Rotation | None = None,
) -> tuple[list[Envelope], RelayState]:
    """Number, chain and sign the outgoing events of a run of notifications.

    ``mapped`` holds, in notification order, each notification id with what its
    domain event mapped to (possibly nothing). With ``rotation``, the batch opens with
    the announcement of the new key, signed by ``signer``, and the rest is signed by the
    new key. Pure: the same state and input give the same envelopes, byte for byte,
    which is what makes re-publishing safe.
    """
    envelopes: list[Envelope] = []
    position, prev_hash, notification_id = state.position, state.hash, state.notification_id
    if rotation is not None:
        if signer is None:
            raise ValueError("a key rotation is announced by the key before it")
        position += 1
        announced = sign_envelope(announcement(source, position, prev_hash, signer, rotation), signer)
        envelopes.append(announced)
        prev_hash, signer = announced.hash, rotation.new
    for nid, outgoing in mapped:
        if nid <= notification_id:
            raise ValueError(f"notification {nid} is not after {notification_id}")
        notification_id = nid
        for out in outgoing:
            position += 1
            envelope = Envelope.seal(
                prev_hash,
                event_id=out.event_id,
                source=source,
                position=position,
                aggregate_id=out.aggregate_id,
                aggregate_version=out.aggregate_version,
                occurred_at=out.occurred_at,
                actor=out.actor,
                correlation_id=out.correlation_id,
                causation_id=out.causation_id,
                payload=out.payload,
            )
            if signer is not None:
                envelope = sign_envelope(envelope, signer)
            envelopes.append(envelope)
            prev_hash = envelope.hash
    return envelopes, RelayState(notification_id=notification_id, position=position, hash=prev_hash)


def stored(envelope: Envelope) -> StoredEnvelope:
    return StoredEnvelope(
        position=envelope.position,
        event_id=str(envelope.event_id),
        event_type=envelope.event_type,
        canonical=envelope.to_canonical(),
    )


@dataclass(frozen=True)
class Batch:
    """A sealed batch and what recording it moves: the state, the keys and a key that takes over."""

    rows: list[StoredEnvelope]
    state: RelayState
    keys: Keys
    key_change: KeyChange | None = None
