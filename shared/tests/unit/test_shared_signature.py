"""The envelope's signature field, and planspor-verify (written from the spec alone) computing the very
same canonical bytes, hashes and leaves as the contracts for every example event of the catalogue."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from planspor_shared.canonical import GENESIS_HASH, verify_chain
from planspor_shared.envelope import Envelope, EventSignature
from planspor_shared.events import REGISTRY
from planspor_shared.events.log import KeyRotated
from planspor_verify import canonical as spec
from planspor_verify.merkle import leaf_hash
from planspor_verify.note import Signer
from planspor_verify.signature import sign_event, signature_problem

pytestmark = pytest.mark.unit

SIGNER = Signer.from_seed("planspor.test/plan-registry", bytes(range(32)))


def signed(envelope: Envelope) -> Envelope:
    field = sign_event(SIGNER, envelope.source, envelope.position, envelope.hash)
    return envelope.model_copy(update={"signature": EventSignature(**field)})


def every_example(seal, make_example) -> list[Envelope]:
    chains = []
    for source in ("plan-registry", "cocreation"):
        models = [m for m in REGISTRY if m.event_source == source]
        chains.extend(seal([make_example(m.event_type, m.schema_version) for m in models], source=source))
    return chains


def test_the_verifier_computes_the_same_bytes_and_hashes_as_the_contracts_for_every_example_event(seal, make_example):
    envelopes = every_example(seal, make_example)
    assert len(envelopes) == len(REGISTRY)
    for envelope in envelopes:
        for form in (envelope, signed(envelope)):
            wire = form.to_canonical()
            value = spec.loads(wire)
            assert spec.canonical(value) == wire, envelope.event_type
            assert spec.envelope_hash(value) == envelope.hash, envelope.event_type
            assert leaf_hash(spec.canonical(value)) == leaf_hash(Envelope.from_json(wire).to_canonical())


def test_signing_changes_no_hash_and_the_signature_travels_in_the_envelope(plan_registry_chain):
    signed_chain = [signed(e) for e in plan_registry_chain]
    assert [e.hash for e in signed_chain] == [e.hash for e in plan_registry_chain]
    assert verify_chain(signed_chain) is None
    received = Envelope.from_json(signed_chain[0].to_canonical())
    assert received.signature == signed_chain[0].signature
    assert received.verify(GENESIS_HASH)
    assert signature_problem(json.loads(received.to_canonical()), SIGNER.verifier_key) is None


def test_an_unsigned_envelope_has_the_wire_form_it_had_before_signatures(plan_registry_chain):
    assert all(b'"signature"' not in e.to_canonical() for e in plan_registry_chain)


@pytest.mark.parametrize(
    "field",
    [
        {"version": 2, "key": "planspor.test/x+1a2b3c4d", "sig": "A" * 86 + "=="},
        {"version": 1, "key": "no key id", "sig": "A" * 86 + "=="},
        {"version": 1, "key": "planspor.test/x+1a2b3c4d", "sig": "short"},
        {"version": 1, "key": "planspor.test/x+1a2b3c4d", "sig": "A" * 86 + "==", "extra": 1},
    ],
)
def test_a_malformed_signature_field_is_refused(plan_registry_chain, field):
    wire = json.loads(plan_registry_chain[0].to_canonical())
    with pytest.raises(ValidationError):
        Envelope.model_validate({**wire, "signature": field})


def test_a_key_announcement_names_both_keys_and_where_the_new_one_takes_over():
    new = Signer.from_seed("planspor.test/plan-registry", bytes(32))
    announced = KeyRotated(key=str(new.verifier_key), previous_key=str(SIGNER.verifier_key), from_position=518)
    assert announced.event_type == "key.rotated" and announced.from_position == 518
    with pytest.raises(ValidationError):
        KeyRotated(key="not a key", previous_key=str(SIGNER.verifier_key), from_position=518)
