"""The hash chain: each envelope's hash covers its content and the previous hash, so an auditor finds the first change."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from uuid import UUID

import pytest

from planspor_shared.canonical import GENESIS_HASH, envelope_hash, verify_chain
from planspor_shared.envelope import Envelope

pytestmark = pytest.mark.unit


def test_the_hash_is_sha256_of_prev_hash_and_the_canonical_envelope_without_hash():
    envelope = Envelope.seal(
        GENESIS_HASH,
        event_id=UUID("00000000-0000-4000-8000-000000000001"),
        event_type="plan.anchored",
        schema_version=1,
        source="plan-registry",
        position=1,
        aggregate_id="p1",
        aggregate_version=2,
        occurred_at=datetime(2024, 10, 16, 8, 0, tzinfo=UTC),
        actor={"id": "u1", "name": "Åse", "role": "planner"},
        payload={"plan_id": "p1", "goal_id": "g1"},
    )
    written_by_hand = (
        '{"actor":{"id":"u1","name":"Åse","role":"planner"},"aggregate_id":"p1","aggregate_version":2,'
        '"causation_id":null,"correlation_id":null,"event_id":"00000000-0000-4000-8000-000000000001",'
        '"event_type":"plan.anchored","occurred_at":"2024-10-16T08:00:00.000000Z",'
        '"payload":{"goal_id":"g1","plan_id":"p1"},"position":1,"prev_hash":"' + "0" * 64 + '",'
        '"schema_version":1,"source":"plan-registry"}'
    )
    expected = hashlib.sha256(("0" * 64 + written_by_hand).encode("utf-8")).hexdigest()
    assert envelope.hash == expected
    assert envelope.verify(GENESIS_HASH)


def test_a_whole_chain_verifies(plan_registry_chain):
    assert len(plan_registry_chain) == 23
    assert plan_registry_chain[0].prev_hash == GENESIS_HASH
    assert verify_chain(plan_registry_chain) is None
    assert verify_chain(env.model_dump(mode="python") for env in plan_registry_chain) is None


def test_a_chain_read_back_from_the_wire_verifies(plan_registry_chain):
    from_wire = [Envelope.from_json(env.to_canonical()) for env in plan_registry_chain]
    assert from_wire == plan_registry_chain
    assert verify_chain(from_wire) is None


def test_a_slice_verifies_from_the_hash_before_it(plan_registry_chain):
    assert verify_chain(plan_registry_chain[5:], prev_hash=plan_registry_chain[4].hash) is None
    assert verify_chain(plan_registry_chain[5:]) == 0


@pytest.mark.parametrize(
    ("field", "altered"),
    [
        ("payload", lambda p: {**p, "strategy_id": "someone-else"}),
        ("actor", lambda a: {**a, "name": "Mallory"}),
        ("occurred_at", lambda t: t.replace(year=2020)),
        ("aggregate_version", lambda v: v + 1),
        ("causation_id", lambda _: "forged-cause"),
        ("event_type", lambda _: "plan.repealed"),
    ],
)
@pytest.mark.parametrize("index", [0, 7, 19])
def test_altering_one_field_breaks_the_chain_at_that_envelope(plan_registry_chain, field, altered, index):
    dicts = [env.model_dump(mode="python") for env in plan_registry_chain]
    if field == "payload" and "strategy_id" not in dicts[index]["payload"]:
        dicts[index]["payload"] = {**dicts[index]["payload"], "note": "forged"}
    else:
        dicts[index][field] = altered(dicts[index][field])
    assert verify_chain(dicts) == index


def test_altering_an_envelope_and_recomputing_its_hash_breaks_the_chain_at_the_next(plan_registry_chain):
    dicts = [env.model_dump(mode="python") for env in plan_registry_chain]
    dicts[3]["actor"] = {**dicts[3]["actor"], "id": "forger"}
    dicts[3]["hash"] = envelope_hash(dicts[3]["prev_hash"], dicts[3])
    assert verify_chain(dicts) == 4


def test_altering_the_last_envelope_and_its_hash_is_only_caught_against_a_signed_checkpoint(plan_registry_chain):
    """The tail has no successor: that is why design.md has each source sign checkpoints of its last hash."""
    dicts = [env.model_dump(mode="python") for env in plan_registry_chain]
    checkpoint = dicts[-1]["hash"]
    dicts[-1]["actor"] = {**dicts[-1]["actor"], "id": "forger"}
    dicts[-1]["hash"] = envelope_hash(dicts[-1]["prev_hash"], dicts[-1])
    assert verify_chain(dicts) is None
    assert dicts[-1]["hash"] != checkpoint


def test_a_removed_envelope_breaks_the_chain_where_it_was(plan_registry_chain):
    shortened = plan_registry_chain[:6] + plan_registry_chain[7:]
    assert verify_chain(shortened) == 6


def test_two_swapped_envelopes_break_the_chain_at_the_first(plan_registry_chain):
    swapped = list(plan_registry_chain)
    swapped[2], swapped[3] = swapped[3], swapped[2]
    assert verify_chain(swapped) == 2


def test_a_float_smuggled_into_a_payload_breaks_the_chain(plan_registry_chain):
    dicts = [env.model_dump(mode="python") for env in plan_registry_chain]
    dicts[1]["payload"] = {**dicts[1]["payload"], "value": 1.5}
    assert verify_chain(dicts) == 1


def test_verify_refuses_a_wrong_prev_hash(plan_registry_chain):
    second = plan_registry_chain[1]
    assert second.verify(plan_registry_chain[0].hash)
    assert not second.verify(GENESIS_HASH)


def test_an_empty_chain_verifies():
    assert verify_chain([]) is None


def test_an_auditor_can_verify_plain_json_without_the_models(plan_registry_chain):
    """The feed's JSON, parsed with the standard library only, verifies: the hash depends on the bytes, not on types."""
    import json

    plain = [json.loads(env.to_canonical()) for env in plan_registry_chain]
    assert verify_chain(plain) is None
    plain[11]["payload"]["smuggled"] = "yes"
    assert verify_chain(plain) == 11
