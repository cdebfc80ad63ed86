"""The key chain and the witness, without a server: who signs a position and a head, and what a head must fit."""

from datetime import timedelta

import pytest
from kn_story import SIGNERS, T0, Chain, rid

from knowledge.pipeline.signatures import KeyChain, parse_keys
from knowledge.pipeline.witness import ALARM, CHECKED, PENDING, REFUSED, SourceLog, Witness, received_head
from planspor_shared.events import plan_registry as pr
from planspor_shared.events.log import KeyRotated
from planspor_verify.checkpoint import Checkpoint
from planspor_verify.merkle import leaf_hash, root
from planspor_verify.note import Signer

pytestmark = pytest.mark.unit

SOURCE = "plan-registry"


def goals(chain: Chain, count: int) -> None:
    for _ in range(count):
        chain.seal(pr.GoalDefined(goal_id=rid("goal"), title="Mål"), T0 + timedelta(minutes=chain.position))


def rotate(chain: Chain, new: Signer) -> None:
    old = chain.signer
    assert old is not None
    payload = KeyRotated(
        key=str(new.verifier_key), previous_key=str(old.verifier_key), from_position=chain.position + 2
    )
    chain.seal(payload.model_dump(), T0, event_type="key.rotated", schema_version=1)
    chain.signer = new


def head(chain: Chain, size: int, signer: Signer) -> bytes:
    tree = root(leaf_hash(e.to_canonical()) for e in chain.envelopes[:size])
    return Checkpoint(signer.name, size, tree, time="2024-01-01T00:00:00.000000Z").sign(signer).encode()


def walk(chain: Chain, key_chain: KeyChain, heads: list[bytes]):
    """Apply the chain's envelopes as the graph writer does, following its hand-over; the heads decided."""
    witness = Witness(SourceLog(SOURCE), key_chain, [received_head(SOURCE, h) for h in heads], {})
    for envelope in chain.envelopes:
        assert key_chain.signature_problem(envelope) is None
        if envelope.event_type == "key.rotated":
            rotated = KeyRotated.model_validate(envelope.payload)
            assert key_chain.announcement_problem(envelope, rotated) is None
            key_chain.follow(envelope, rotated)
        witness.append(envelope.to_canonical())
    return {(h.size, h.status): h.reason for h in witness.finish()[1]}


def test_after_a_hand_over_the_new_key_signs_the_heads_and_the_old_one_signs_nothing():
    old, new = SIGNERS[SOURCE], Signer.generate(f"planspor.test/{SOURCE}")
    chain = Chain(SOURCE)
    goals(chain, 3)
    rotate(chain, new)  # position 4: from 5 on the new key signs, and so does every head from size 4
    goals(chain, 2)
    key_chain = KeyChain(SOURCE, [old.verifier_key])
    decided = walk(chain, key_chain, [head(chain, 3, old), head(chain, 4, new), head(chain, 6, old)])
    assert set(decided) == {(3, CHECKED), (4, CHECKED), (6, REFUSED)}
    assert decided[(6, REFUSED)].startswith("bad head signature: head 6 of plan-registry")
    late = chain.envelopes[-1].model_copy()
    chain.signer = old
    goals(chain, 1)
    assert key_chain.signature_problem(chain.envelopes[-1]).startswith("unknown key: ")
    assert key_chain.signature_problem(late) is None


def test_a_head_waits_for_its_events_and_a_root_that_does_not_fit_is_an_alarm():
    signer = SIGNERS[SOURCE]
    chain, other = Chain(SOURCE), Chain(SOURCE)
    goals(chain, 5)
    goals(other, 5)
    decided = walk(chain, KeyChain(SOURCE, [signer.verifier_key]), [head(chain, 2, signer), head(other, 4, signer)])
    assert set(decided) == {(2, CHECKED), (4, ALARM)}
    assert "not consistent with head 2, which matched" in decided[(4, ALARM)]
    waiting = walk(chain, KeyChain(SOURCE, [signer.verifier_key]), [head(chain, 9, signer)])
    assert set(waiting) == {(9, PENDING)}


def test_the_keys_setting_takes_verifier_keys_of_one_log_only():
    one, two = Signer.generate("a.example/log"), Signer.generate("a.example/log")
    assert parse_keys(f"{one.verifier_key}, {two.verifier_key}", "X") == (one.verifier_key, two.verifier_key)
    assert parse_keys(None, "X") == ()
    with pytest.raises(ValueError, match="X: .*not a verifier key"):
        parse_keys("nonsense", "X")
    with pytest.raises(ValueError, match="share its log's name"):
        parse_keys(f"{one.verifier_key} {Signer.generate('b.example/log').verifier_key}", "X")
