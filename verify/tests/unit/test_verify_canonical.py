"""Canonical JSON of wire values and the envelope hash, from the spec alone."""

from __future__ import annotations

import hashlib

import pytest
from verify_records import signer_for

from planspor_verify.canonical import GENESIS_HASH, NotCanonical, canonical, envelope_hash, loads
from planspor_verify.signature import DOMAIN, event_message, sign_event, signature_problem

pytestmark = pytest.mark.unit


def test_keys_are_sorted_without_whitespace_and_text_stays_utf8():
    assert (
        canonical({"b": 1, "a": ["æ", None, True], "c": {"z": "\n", "y": "\u2028"}})
        == '{"a":["æ",null,true],"b":1,"c":{"y":"\u2028","z":"\\n"}}'.encode()
    )


@pytest.mark.parametrize(
    "wire", [b'{"a":1.5}', b'{"a":1e3}', b'{"a":NaN}', b'{"a":1,"a":2}', b"\xff", b"{", b'"\\ud800"']
)
def test_what_has_no_canonical_form_is_refused(wire):
    with pytest.raises(NotCanonical):
        canonical(loads(wire))


def test_the_hash_covers_prev_hash_and_every_field_but_hash_and_signature():
    envelope = {"prev_hash": GENESIS_HASH, "position": 1, "payload": {"title": "Bærum"}}
    expected = hashlib.sha256(GENESIS_HASH.encode() + canonical(envelope)).hexdigest()
    assert envelope_hash(envelope) == expected
    assert envelope_hash({**envelope, "hash": "x", "signature": {"sig": "y"}}) == expected
    assert envelope_hash({**envelope, "position": 2}) != expected


def test_the_signature_message_is_the_domain_the_source_the_position_and_the_raw_hash():
    digest = "ab" * 32
    assert event_message("plan-registry", 17, digest) == DOMAIN + b"plan-registry\x0017\x00" + bytes.fromhex(digest)


def test_a_signature_verifies_only_for_its_own_source_position_and_hash():
    signer = signer_for("planspor.test/plan-registry", "k")
    envelope = {"source": "plan-registry", "position": 3, "hash": "cd" * 32}
    envelope["signature"] = sign_event(signer, "plan-registry", 3, envelope["hash"])
    assert signature_problem(envelope, signer.verifier_key) is None
    for change in ({"position": 4}, {"source": "cocreation"}, {"hash": "ce" * 32}):
        assert "does not verify" in signature_problem({**envelope, **change}, signer.verifier_key)
    other = signer_for("planspor.test/plan-registry", "other").verifier_key
    assert "not by the key in force" in signature_problem(envelope, other)
    assert signature_problem({k: v for k, v in envelope.items() if k != "signature"}, other) == "it is not signed"
