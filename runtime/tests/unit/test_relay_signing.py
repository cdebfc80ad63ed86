"""Signed sealing, the Merkle log in the relay store, heads, key rotation and the key files: pure, in memory."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import random
import stat

import pytest
from log_support import KEY, NEXT_KEY, ORIGIN, WHEN, batch
from relay_app import make_application, map_event

from planspor_runtime.checkpoints import (
    NODE_LEVEL,
    HeadPolicy,
    KeyRecord,
    MerkleLog,
    bundle_record,
    export_bundle,
    make_head,
)
from planspor_runtime.relay import MemoryRelayStore, Relay, RelayState, Rotation, seal_batch
from planspor_runtime.relay.sealing import stored
from planspor_runtime.signing import (
    SigningKeyError,
    ensure_development_key,
    generate_key_file,
    load_key_file,
    signing_key,
)
from planspor_runtime.signing import (
    main as signing_cli,
)
from planspor_shared.canonical import verify_chain
from planspor_verify.bundle import read_bundle
from planspor_verify.checkpoint import open_checkpoint
from planspor_verify.merkle import leaf_hash, root, verify_consistency, verify_inclusion
from planspor_verify.note import Signer
from planspor_verify.signature import signature_problem
from planspor_verify.verifier import verify_bundle

pytestmark = pytest.mark.unit

STAGED = WHEN


def record_batches(store: MemoryRelayStore, sizes: list[int], signer: Signer = KEY) -> list:
    state, envelopes, nid = RelayState(), [], 1
    for size in sizes:
        sealed, new = seal_batch("plan-registry", state, batch(nid, size), signer)
        store.record(state, new, [stored(e) for e in sealed])
        state, nid = new, nid + size
        envelopes.extend(sealed)
    return envelopes


def test_every_envelope_is_signed_over_its_hash_and_the_hash_is_what_it_was_unsigned():
    unsigned, _ = seal_batch("plan-registry", RelayState(), batch(1, 20))
    signed, _ = seal_batch("plan-registry", RelayState(), batch(1, 20), KEY)
    again, _ = seal_batch("plan-registry", RelayState(), batch(1, 20), KEY)
    assert [e.hash for e in signed] == [e.hash for e in unsigned]
    assert [e.to_canonical() for e in signed] == [e.to_canonical() for e in again], "a re-publish is the same bytes"
    assert verify_chain(signed) is None
    for envelope in signed:
        assert signature_problem(json.loads(envelope.to_canonical()), KEY.verifier_key) is None


def test_a_rotation_is_announced_first_signed_by_the_old_key_and_the_rest_by_the_new():
    rotation = Rotation(NEXT_KEY, STAGED, ordinal=2)
    first, state = seal_batch("plan-registry", RelayState(), batch(1, 3), KEY)
    sealed, _ = seal_batch("plan-registry", state, batch(4, 2), KEY, rotation)
    announced, *rest = sealed
    assert announced.event_type == "key.rotated" and announced.position == 4
    assert announced.payload == {
        "key": str(NEXT_KEY.verifier_key),
        "previous_key": str(KEY.verifier_key),
        "from_position": 5,
    }
    assert announced.occurred_at == STAGED
    assert signature_problem(json.loads(announced.to_canonical()), KEY.verifier_key) is None
    assert all(signature_problem(json.loads(e.to_canonical()), NEXT_KEY.verifier_key) is None for e in rest)
    assert [e.to_canonical() for e in sealed] == [
        e.to_canonical() for e in seal_batch("plan-registry", state, batch(4, 2), KEY, rotation)[0]
    ]
    assert verify_chain(first + sealed) is None


def test_the_store_keeps_the_log_of_what_it_recorded_without_reading_it_again():
    store = MemoryRelayStore()
    envelopes = record_batches(store, [1, 7, 16, 3, 40])
    leaves = [leaf_hash(e.to_canonical()) for e in envelopes]
    log = store.log_state()
    assert log.size == 67 and log.root() == root(leaves)
    assert len(log.frontier) == bin(67).count("1")
    assert all(level >= NODE_LEVEL for level, _ in store._nodes)
    assert MerkleLog(store).root(33) == root(leaves[:33])


def test_proofs_for_any_position_and_size_verify_against_the_roots():
    store = MemoryRelayStore()
    envelopes = record_batches(store, [100, 37])
    leaves = [leaf_hash(e.to_canonical()) for e in envelopes]
    log, rng = MerkleLog(store), random.Random(7)
    for _ in range(40):
        size = rng.randint(1, 137)
        position = rng.randint(1, size)
        proof = log.inclusion(position, size)
        assert base64.b64decode(proof["leaf_hash"]) == leaves[position - 1]
        verify_inclusion(
            position - 1, size, leaves[position - 1], [base64.b64decode(p) for p in proof["proof"]], root(leaves[:size])
        )
        first = rng.randint(1, size)
        consistency = log.consistency(first, size)
        verify_consistency(
            first, size, root(leaves[:first]), root(leaves[:size]), [base64.b64decode(p) for p in consistency["proof"]]
        )
    with pytest.raises(LookupError):
        log.inclusion(1, 138)


def test_a_head_is_a_checkpoint_of_the_log_signed_by_the_source():
    store = MemoryRelayStore()
    record_batches(store, [25])
    head = make_head(KEY, store.log_state(), STAGED)
    opened = open_checkpoint(head.checkpoint, [KEY.verifier_key])
    assert (opened.checkpoint.origin, opened.checkpoint.size) == (ORIGIN, 25)
    assert (
        opened.checkpoint.root == store.log_state().root() and opened.checkpoint.time == "2024-06-19T12:00:00.000000Z"
    )
    assert store.add_head(head) and not store.add_head(head), "one head per size"


def test_a_head_is_due_after_a_formal_decision_or_when_the_interval_has_passed():
    policy = HeadPolicy(interval=60, after=frozenset({"decision.recorded"}))
    assert policy.due(last_size=0, last_at=None, size=3)
    assert not policy.due(last_size=3, last_at=0.0, size=3, types=["decision.recorded"]), "nothing new"
    assert policy.due(last_size=3, last_at=100.0, size=4, types=["decision.recorded"], now=101.0)
    assert not policy.due(last_size=3, last_at=100.0, size=4, types=["goal.defined"], now=101.0)
    assert policy.due(last_size=3, last_at=100.0, size=4, types=["goal.defined"], now=160.0)


def test_a_bundle_of_the_store_verifies_with_planspor_verify(tmp_path):
    store = MemoryRelayStore()
    record_batches(store, [10, 30])
    store.add_key(KeyRecord(str(KEY.verifier_key), 1, None, "2024-06-19T12:00:00.000000Z"))
    store.add_head(make_head(KEY, store.log_state()))
    record = bundle_record(store, "plan-registry", ORIGIN)
    report = verify_bundle(read_bundle(export_bundle(tmp_path / "record.zip", [record])), [KEY.verifier_key])
    assert report.ok, report
    assert str(report).startswith("verified: 40 events of plan-registry up to head 40/")


def relay_on(app, store, signer, previous=None) -> Relay:
    return Relay(
        application=app,
        source="plan-registry",
        mapper=map_event,
        nats_url="nats://127.0.0.1:1",
        store=store,
        signer=signer,
        previous_signer=previous,
    )


def test_the_first_key_takes_over_where_the_record_is_and_a_new_key_needs_the_previous_one():
    app = make_application({"PERSISTENCE_MODULE": "eventsourcing.popo"})
    store = MemoryRelayStore()
    assert relay_on(app, store, KEY)._load_keys(RelayState(position=12)).current is KEY
    assert [(k.vkey, k.from_position) for k in store.keys()] == [(str(KEY.verifier_key), 13)]
    assert relay_on(app, store, KEY)._load_keys(RelayState(position=20)).pending is None
    with pytest.raises(SigningKeyError, match="restore that key, or give it as the previous key"):
        relay_on(app, store, NEXT_KEY)._load_keys(RelayState(position=20))
    with pytest.raises(SigningKeyError, match="keeps the log's name"):
        relay_on(app, store, Signer.generate("elsewhere/plan-registry"), KEY)._load_keys(RelayState(position=20))
    keys = relay_on(app, store, NEXT_KEY, KEY)._load_keys(RelayState(position=20))
    again = relay_on(app, store, NEXT_KEY, KEY)._load_keys(RelayState(position=20))
    assert keys.current is KEY and keys.pending is not None and keys.pending.ordinal == 2
    assert keys.pending.staged_at == again.pending.staged_at, "a restart seals the same announcement"


def test_a_relay_announces_the_new_key_and_records_where_it_took_over():
    app = make_application({"PERSISTENCE_MODULE": "eventsourcing.popo"})
    store = MemoryRelayStore()
    record_batches(store, [5])
    store.add_key(KeyRecord(str(KEY.verifier_key), 1, None, "2024-06-19T12:00:00.000000Z"))
    relay = relay_on(app, store, NEXT_KEY, KEY)
    keys = relay._load_keys(store.load_state())
    prepared = relay._prepare(store.load_state(), keys)
    assert [r.event_type for r in prepared.rows] == ["key.rotated"], "announced even with nothing else to publish"
    store.record(store.load_state(), prepared.state, prepared.rows, prepared.key_change)
    assert [(k.from_position, k.announced_at) for k in store.keys()] == [(1, None), (7, 6)]
    assert relay._load_keys(store.load_state()).pending is None


def test_key_files_are_private_generated_once_and_refused_when_missing_outside_development(tmp_path):
    path = tmp_path / "secrets" / "plan-registry.key"
    first = ensure_development_key(path, ORIGIN)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert ensure_development_key(path, ORIGIN).verifier_key == first.verifier_key
    assert load_key_file(path).verifier_key == first.verifier_key
    with pytest.raises(FileExistsError):
        generate_key_file(path, ORIGIN)
    with pytest.raises(SigningKeyError, match="no signing key"):
        signing_key(tmp_path / "absent.key", source="plan-registry", environment="production")
    (tmp_path / "broken.key").write_text("PRIVATE+KEY+nonsense\n")
    with pytest.raises(SigningKeyError, match="not a signing key"):
        load_key_file(tmp_path / "broken.key")
    assert not list(tmp_path.glob("secrets/.*")), "no draft left behind"


def test_an_operator_generates_a_key_and_prints_its_verifier_key(tmp_path, capsys):
    path = tmp_path / "k.key"
    assert signing_cli(["generate", "--name", "baerum.kommune.no/planspor/plan-registry", str(path)]) == 0
    generated = capsys.readouterr().out.strip()
    assert generated.startswith("baerum.kommune.no/planspor/plan-registry+")
    assert signing_cli(["public", str(path)]) == 0
    assert capsys.readouterr().out.strip() == generated
    assert signing_cli(["generate", "--name", "x/y", str(path)]) == 1, "never over an existing key"


def test_a_relay_without_a_key_issues_no_head():
    app = make_application({"PERSISTENCE_MODULE": "eventsourcing.popo"})
    relay = Relay(
        application=app,
        source="plan-registry",
        mapper=map_event,
        nats_url="nats://127.0.0.1:1",
        store=MemoryRelayStore(),
    )
    assert asyncio.run(relay.issue_head()) is None
