"""The envelope every integration event travels in (design.md, "Events").

The envelope is the unit that is numbered, chained and signed: ``position`` is
gap-free per ``source``, ``prev_hash`` is the ``hash`` of the source's previous
event (``GENESIS_HASH`` before the first), and ``hash`` covers every other field,
the payload included (see ``planspor_shared.canonical``). The payload is kept as
plain JSON values so that an envelope read back from the wire hashes to the same
bytes it was sealed with; ``parse_payload`` gives the typed model.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal, Self
from uuid import UUID, uuid5

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from planspor_shared.canonical import GENESIS_HASH, canonical_json, envelope_hash
from planspor_shared.errors import InvalidEnvelope, InvalidPayload, UnknownEventType
from planspor_shared.events import REGISTRY, EventRegistry, IntegrationEvent, describe_validation_error
from planspor_shared.events.base import UtcDatetime
from planspor_shared.limits import ID_MAX, LABEL_MAX, MAX_ENVELOPE_BYTES, TITLE_MAX

__all__ = [
    "GENESIS_HASH",
    "MAX_ENVELOPE_BYTES",
    "NAMESPACE",
    "Actor",
    "Envelope",
    "EventSignature",
    "InvalidEnvelope",
    "InvalidPayload",
    "UnknownEventType",
    "derive_event_id",
    "parse_payload",
]

NAMESPACE = UUID("6f1c1d8e-3b7a-5c2e-9a4f-70c3a9e1b2d4")
"""Namespace of deterministic event ids: the same domain event always maps to the same ``event_id``."""

Hash = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
EventType = Annotated[
    str, Field(max_length=LABEL_MAX, pattern=r"^[a-z][a-z_]*(\.[a-z][a-z_]*)+$", examples=["plan.proposed"])
]
ConversationId = Annotated[str, Field(max_length=ID_MAX)]


def derive_event_id(originator_id: UUID | str, originator_version: int, n: int = 0) -> UUID:
    """The integration event id for the ``n``-th integration event mapped from one stored domain event.

    Deterministic, so a relay that maps the same stored event again (after a crash)
    produces the same id, and consumers can deduplicate on it.
    """
    return uuid5(NAMESPACE, f"{originator_id}:{originator_version}:{n}")


class Actor(BaseModel):
    """Who caused the event (PROV-O agent): a person with a role, or a service acting on a reaction."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: Annotated[str, Field(min_length=1, max_length=ID_MAX)]
    name: Annotated[str, Field(min_length=1, max_length=TITLE_MAX)]
    role: Annotated[str, Field(min_length=1, max_length=LABEL_MAX, examples=["planner", "facilitator", "system"])]


class EventSignature(BaseModel):
    """The source's Ed25519 signature over the envelope's hash (event signature v1).

    The signed message is ``"planspor-event-signature-v1" 0x00 source 0x00 position 0x00 hash``
    (the hash as 32 raw bytes); ``key`` names the signing key as a C2SP signed note does,
    ``<key name>+<hex key id>``. Defined, and checked, by ``planspor_verify.signature``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: Literal[1]
    key: Annotated[
        str,
        Field(
            max_length=ID_MAX + 9,
            pattern=r"^[^\s+]+\+[0-9a-f]{8}$",
            examples=["planspor.localhost/plan-registry+1a2b3c4d"],
        ),
    ]
    sig: Annotated[str, Field(pattern=r"^[A-Za-z0-9+/]{86}==$", description="base64 of the 64-byte signature")]


class Envelope(BaseModel):
    """One integration event as published on the stream and served by the feed.

    At most 262,144 bytes (256 KiB, ``MAX_ENVELOPE_BYTES``) of canonical JSON, signature included.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: UUID
    event_type: EventType
    schema_version: int = Field(ge=1)
    source: Literal["plan-registry", "cocreation"]
    position: int = Field(ge=1)
    """Gap-free per source, starting at 1."""
    aggregate_id: Annotated[str, Field(min_length=1, max_length=ID_MAX)]
    aggregate_version: int = Field(ge=1)
    occurred_at: UtcDatetime
    actor: Actor
    correlation_id: ConversationId | None = None
    causation_id: ConversationId | None = None
    """The event id (or command id) that caused this event, e.g. the decision behind an amendment."""
    prev_hash: Hash
    hash: Hash
    payload: dict[str, Any]
    signature: EventSignature | None = None
    """Added by the relay before publishing; outside what ``hash`` covers, so signing changes no hash."""

    @field_validator("payload", mode="after")
    @classmethod
    def _payload_as_canonical_json_values(cls, payload: dict[str, Any]) -> dict[str, Any]:
        """Keep the payload as the JSON values it has on the wire, so hashing it again gives the same bytes."""
        try:
            values: dict[str, Any] = json.loads(canonical_json(payload))
        except (TypeError, ValueError) as error:
            raise ValueError(f"payload has no canonical form: {error}") from None
        return values

    @classmethod
    def seal(cls, prev_hash: str, **fields: Any) -> Self:
        """The envelope with ``prev_hash`` and its ``hash`` computed.

        ``payload`` may be a payload model: then ``event_type``, ``schema_version``
        and ``source`` default to the model's and must agree with it if given.
        """
        payload = fields.get("payload")
        if isinstance(payload, IntegrationEvent):
            for name, value in (
                ("event_type", payload.event_type),
                ("schema_version", payload.schema_version),
                ("source", payload.event_source),
            ):
                given = fields.setdefault(name, value)
                if given != value:
                    raise ValueError(f"{name} {given!r} does not match the payload model's {value!r}")
            fields["payload"] = payload.to_payload()
        if "hash" in fields:
            raise TypeError("seal computes the hash; do not pass one")
        unsealed = cls.model_validate({**fields, "prev_hash": prev_hash, "hash": GENESIS_HASH})
        return unsealed.model_copy(update={"hash": envelope_hash(prev_hash, unsealed.hashable())})

    def hashable(self) -> dict[str, Any]:
        """Every field but ``hash`` and ``signature``: what the hash covers."""
        return self.model_dump(mode="python", exclude={"hash", "signature"})

    def verify(self, prev_hash: str) -> bool:
        """True if this envelope follows ``prev_hash`` and its hash matches its content."""
        try:
            return self.prev_hash == prev_hash and envelope_hash(prev_hash, self.hashable()) == self.hash
        except (TypeError, ValueError):
            return False

    def size(self) -> int:
        """Bytes of the wire form (``to_canonical``): at most ``MAX_ENVELOPE_BYTES``."""
        return len(self.to_canonical())

    def to_canonical(self) -> bytes:
        """The wire form: canonical JSON of the whole envelope, hash included, and the signature when signed."""
        return canonical_json(self.model_dump(mode="python", exclude=None if self.signature else {"signature"}))

    @classmethod
    def from_json(cls, data: bytes | str) -> Self:
        """Parse an envelope from the wire; ``InvalidEnvelope`` says what is wrong (a message over
        ``MAX_ENVELOPE_BYTES`` among it: no producer of planspor makes one)."""
        size = len(data.encode() if isinstance(data, str) else data)
        if size > MAX_ENVELOPE_BYTES:
            raise InvalidEnvelope(
                f"invalid envelope: {size} bytes, more than the {MAX_ENVELOPE_BYTES} an envelope may have"
            )
        try:
            return cls.model_validate_json(data)
        except ValidationError as error:
            raise InvalidEnvelope(f"invalid envelope: {describe_validation_error(error)}") from None

    @property
    def nats_msg_id(self) -> str:
        """The broker's deduplication id: ``<source>:<position>``."""
        return f"{self.source}:{self.position}"


def parse_payload(envelope: Envelope, registry: EventRegistry = REGISTRY) -> IntegrationEvent:
    """The typed payload of ``envelope``.

    Raises ``UnknownEventType`` when no model is registered for its
    ``(event_type, schema_version)`` and ``InvalidPayload`` when the payload does not
    validate; both carry a ``reason`` for the dead-letter record.
    """
    return registry.validate(envelope.event_type, envelope.schema_version, envelope.source, envelope.payload)
