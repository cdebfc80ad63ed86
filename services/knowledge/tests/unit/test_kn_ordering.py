"""The ordering buffer and the decoding of what arrives: pure, no servers."""

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kn_story import story

from knowledge.pipeline.ordering import arrange, decode

pytestmark = pytest.mark.unit

REGISTRY_CHAIN, COCREATION_CHAIN = story(1)


def incoming(envelopes):
    return [decode(e.to_canonical(), msg_id=e.nats_msg_id) for e in envelopes]


def test_a_contiguous_run_after_the_checkpoint_is_ready_in_position_order():
    items = incoming(REGISTRY_CHAIN.envelopes[:6])
    random.Random(1).shuffle(items)
    result = arrange({"plan-registry": 0}, items)
    assert [i.position for i in result.ready["plan-registry"]] == [1, 2, 3, 4, 5, 6]
    assert not result.held and not result.stale and not result.gaps


def test_positions_at_or_below_the_checkpoint_are_stale_and_duplicates_count_once():
    items = incoming(REGISTRY_CHAIN.envelopes[:6] + REGISTRY_CHAIN.envelopes[3:6])
    result = arrange({"plan-registry": 2}, items)
    assert [i.position for i in result.ready["plan-registry"]] == [3, 4, 5, 6]
    assert sorted(i.position for i in result.stale) == [1, 2, 4, 5, 6]


def test_events_after_a_hole_are_held_and_the_hole_is_named():
    items = incoming(REGISTRY_CHAIN.envelopes[0:2] + REGISTRY_CHAIN.envelopes[4:7])
    result = arrange({}, items)
    assert [i.position for i in result.ready["plan-registry"]] == [1, 2]
    assert [i.position for i in result.held] == [5, 6, 7]
    assert result.gaps == {"plan-registry": (2, 5)}


def test_sources_are_ordered_independently():
    items = incoming(REGISTRY_CHAIN.envelopes[1:3] + COCREATION_CHAIN.envelopes[0:2])
    result = arrange({"plan-registry": 1}, items)
    assert [i.position for i in result.ready["plan-registry"]] == [2, 3]
    assert [i.position for i in result.ready["cocreation"]] == [1, 2]


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_any_delivery_order_with_duplicates_yields_the_same_ready_run(data):
    envelopes = REGISTRY_CHAIN.envelopes[:10]
    checkpoint = data.draw(st.integers(0, 10))
    extra = data.draw(st.lists(st.sampled_from(envelopes), max_size=10))
    order = data.draw(st.permutations(envelopes + extra))
    result = arrange({"plan-registry": checkpoint}, incoming(order))
    assert [i.position for i in result.ready.get("plan-registry", [])] == list(range(checkpoint + 1, 11))
    assert not result.held


def test_bad_json_keeps_its_position_from_the_message_id():
    item = decode(b"{not json", "planspor.plan-registry.plan.proposed", "plan-registry:7")
    assert item.key == ("plan-registry", 7) and item.reason and item.dead_letter_id == "plan-registry:7"


def test_without_a_message_id_bad_bytes_are_unplaced_with_a_content_id():
    item = decode(b"\xff\x00", "x")
    result = arrange({}, [item])
    assert result.unplaced == [item] and item.dead_letter_id.startswith("sha256:")


def test_an_unknown_event_type_is_a_dead_letter_with_its_reason():
    envelope = REGISTRY_CHAIN.envelopes[0]
    body = envelope.model_dump(mode="json") | {"event_type": "plan.archived"}
    from planspor_shared.envelope import Envelope

    fake = Envelope.seal(envelope.prev_hash, **{k: v for k, v in body.items() if k not in ("hash", "prev_hash")})
    item = decode(fake.to_canonical())
    assert item.key == ("plan-registry", 1) and "plan.archived" in item.reason


def test_a_changed_payload_fails_the_hash_check():
    envelope = REGISTRY_CHAIN.envelopes[0]
    tampered = envelope.to_canonical().replace(b"Godt liv", b"Vondt liv")
    item = decode(tampered)
    assert item.payload is None and item.reason.startswith("hash mismatch")


def test_an_invalid_payload_names_the_field():
    envelope = REGISTRY_CHAIN.envelopes[0]
    body = envelope.model_dump(mode="json")
    body["payload"] = {**body["payload"], "title": ""}
    from planspor_shared.envelope import Envelope

    fake = Envelope.seal(envelope.prev_hash, **{k: v for k, v in body.items() if k not in ("hash", "prev_hash")})
    item = decode(fake.to_canonical())
    assert item.reason and "title" in item.reason
