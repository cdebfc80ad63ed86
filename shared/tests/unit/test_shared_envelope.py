"""The envelope: what every integration event carries, and the errors a consumer turns into dead letters."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from uuid import uuid4

import pytest
from pydantic import ValidationError

from planspor_shared.canonical import GENESIS_HASH
from planspor_shared.envelope import (
    Envelope,
    InvalidEnvelope,
    InvalidPayload,
    UnknownEventType,
    derive_event_id,
    parse_payload,
)
from planspor_shared.events.plan_registry import PlanAnchored

pytestmark = pytest.mark.unit


def fields(**overrides):
    base = dict(
        event_id=uuid4(),
        position=1,
        aggregate_id="plan-1",
        aggregate_version=3,
        occurred_at=datetime(2024, 10, 16, 10, tzinfo=UTC),
        actor={"id": "u-1", "name": "Ola", "role": "planner"},
        payload=PlanAnchored(plan_id="plan-1", goal_id="goal-1"),
    )
    return base | overrides


def test_sealing_a_payload_model_fills_type_version_and_source():
    envelope = Envelope.seal(GENESIS_HASH, **fields())
    assert (envelope.event_type, envelope.schema_version, envelope.source) == ("plan.anchored", 1, "plan-registry")
    assert envelope.payload == {"plan_id": "plan-1", "goal_id": "goal-1"}
    assert envelope.nats_msg_id == "plan-registry:1"


def test_sealing_refuses_a_type_or_source_that_contradicts_the_payload_model():
    with pytest.raises(ValueError, match="source"):
        Envelope.seal(GENESIS_HASH, **fields(source="cocreation"))
    with pytest.raises(ValueError, match="event_type"):
        Envelope.seal(GENESIS_HASH, **fields(event_type="plan.proposed"))


def test_occurred_at_must_be_aware_and_is_kept_in_utc():
    with pytest.raises(ValidationError, match="occurred_at"):
        Envelope.seal(GENESIS_HASH, **fields(occurred_at=datetime(2024, 10, 16, 10)))
    oslo = datetime(2024, 10, 16, 12, tzinfo=timezone(timedelta(hours=2)))
    envelope = Envelope.seal(GENESIS_HASH, **fields(occurred_at=oslo))
    assert envelope.occurred_at.tzinfo == UTC
    assert envelope.occurred_at == oslo


@pytest.mark.parametrize(
    ("name", "value"),
    [("position", 0), ("aggregate_version", 0), ("schema_version", 0), ("source", "knowledge"), ("aggregate_id", "")],
)
def test_envelope_fields_are_checked(name, value):
    payload = {"plan_id": "plan-1", "goal_id": "goal-1"}
    with pytest.raises(ValidationError, match=name):
        Envelope.seal(
            GENESIS_HASH,
            **fields(payload=payload, event_type="plan.anchored", schema_version=1, source="plan-registry")
            | {name: value},
        )


def test_seal_computes_the_hash_itself():
    with pytest.raises(TypeError, match="hash"):
        Envelope.seal(GENESIS_HASH, **fields(hash="f" * 64))


def test_envelopes_are_frozen():
    envelope = Envelope.seal(GENESIS_HASH, **fields())
    with pytest.raises(ValidationError):
        envelope.position = 2


def test_the_wire_form_round_trips():
    envelope = Envelope.seal(GENESIS_HASH, **fields(correlation_id="c-1", causation_id=str(uuid4())))
    wire = envelope.to_canonical()
    again = Envelope.from_json(wire)
    assert again == envelope
    assert again.to_canonical() == wire
    assert again.verify(GENESIS_HASH)


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda d: d | {"surprise": 1}, "surprise"),
        (lambda d: {k: v for k, v in d.items() if k != "actor"}, "actor"),
        (lambda d: d | {"payload": d["payload"] | {"x": 1.5}}, "payload"),
        (lambda d: d | {"occurred_at": "2024-10-16T10:00:00"}, "occurred_at"),
        (lambda d: d | {"hash": "not-a-hash"}, "hash"),
    ],
)
def test_a_malformed_envelope_is_refused_with_a_reason_naming_the_field(mutate, reason):
    wire = json.loads(Envelope.seal(GENESIS_HASH, **fields()).to_canonical())
    with pytest.raises(InvalidEnvelope, match=reason) as raised:
        Envelope.from_json(json.dumps(mutate(wire)))
    assert reason in raised.value.reason


def test_bytes_that_are_not_json_are_an_invalid_envelope():
    with pytest.raises(InvalidEnvelope):
        Envelope.from_json(b"\x00not json")


def test_parse_payload_gives_the_typed_model():
    envelope = Envelope.from_json(Envelope.seal(GENESIS_HASH, **fields()).to_canonical())
    assert parse_payload(envelope) == PlanAnchored(plan_id="plan-1", goal_id="goal-1")


def test_an_unknown_event_type_is_reported_as_such():
    envelope = Envelope.seal(
        GENESIS_HASH,
        **fields(event_type="plan.teleported", schema_version=1, source="plan-registry", payload={"plan_id": "p"}),
    )
    with pytest.raises(UnknownEventType) as raised:
        parse_payload(envelope)
    assert raised.value.event_type == "plan.teleported"
    assert "plan.teleported" in raised.value.reason


def test_an_unknown_schema_version_names_the_known_ones():
    envelope = Envelope.seal(
        GENESIS_HASH,
        **fields(event_type="plan.anchored", schema_version=7, source="plan-registry", payload={"plan_id": "p"}),
    )
    with pytest.raises(UnknownEventType, match=r"no schema version 7 \(known: \[1\]\)"):
        parse_payload(envelope)


def test_a_payload_that_does_not_fit_its_model_is_invalid_with_the_field_named():
    envelope = Envelope.seal(
        GENESIS_HASH,
        **fields(event_type="plan.anchored", schema_version=1, source="plan-registry", payload={"plan_id": "p"}),
    )
    with pytest.raises(InvalidPayload, match="goal_id: Field required"):
        parse_payload(envelope)


def test_an_event_from_the_wrong_source_is_invalid():
    envelope = Envelope.seal(
        GENESIS_HASH,
        **fields(
            event_type="plan.anchored",
            schema_version=1,
            source="cocreation",
            payload={"plan_id": "p", "goal_id": "g"},
        ),
    )
    with pytest.raises(InvalidPayload, match="published by plan-registry, not cocreation"):
        parse_payload(envelope)


def test_derived_event_ids_are_deterministic_and_distinct():
    assert derive_event_id("agg", 3, 0) == derive_event_id("agg", 3, 0)
    assert len({derive_event_id("agg", 3, 0), derive_event_id("agg", 3, 1), derive_event_id("agg", 4, 0)}) == 3
