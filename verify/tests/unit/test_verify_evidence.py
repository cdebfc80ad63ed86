"""The evidence pack: a pack as a source makes it verifies; every kind of tampering is the first problem named."""

from __future__ import annotations

import base64
import json
import zipfile
from pathlib import Path

import pytest
from verify_records import build_history, evidence_pack_of, signer_for

from planspor_verify.checkpoint import Checkpoint, parse_checkpoint
from planspor_verify.cli import main
from planspor_verify.evidence import event_refs, read_pack, verify_pack, write_pack
from planspor_verify.note import VerifierKey

pytestmark = pytest.mark.unit

PICKS = {"plan-registry": [3, 17, 42, 60, 61, 99, 120], "cocreation": [1, 2, 30]}


@pytest.fixture(scope="module")
def histories():
    return build_history(120, rotate_at=60, head_every=25, seed=3), build_history(30, source="cocreation", seed=4)


@pytest.fixture(scope="module")
def trusted(histories) -> list[VerifierKey]:
    return [s.verifier_key for h in histories for s in h.signers]


@pytest.fixture
def pack_file(tmp_path, histories) -> Path:
    return write_pack(tmp_path / "evidence.zip", evidence_pack_of(PICKS, *histories))


def rewrite(pack: Path, member: str, change) -> Path:
    """A copy of the pack with ``change(bytes) -> bytes`` applied to one member."""
    target = pack.with_name("tampered.zip")
    with zipfile.ZipFile(pack) as source, zipfile.ZipFile(target, "w") as out:
        for item in source.infolist():
            data = source.read(item)
            out.writestr(item, change(data) if item.filename == member else data)
    return target


def outcome(path: Path, trusted: list[VerifierKey]) -> str:
    return str(verify_pack(read_pack(path), trusted))


def lines_changed(index: int, change):
    def apply(data: bytes) -> bytes:
        lines = data.split(b"\n")
        lines[index] = change(lines[index])
        return b"\n".join(lines)

    return apply


def test_a_pack_as_made_verifies_and_says_what_it_covered(pack_file, trusted):
    text = outcome(pack_file, trusted)
    assert text.startswith("verified: evidence pack of decision d-1: 10 events, each signed by a key you trust")
    assert "7 of plan-registry in head 120/" in text and "3 of cocreation in head 30/" in text
    assert text.endswith("every event the trace names is in the pack (10 steps)")


def test_the_trace_names_each_step_s_events_and_the_events_that_made_its_links(histories):
    pack = evidence_pack_of(PICKS, *histories)
    refs = event_refs(pack.trace)
    assert len([r for r in refs if r.position is not None]) == 10
    assert len([r for r in refs if r.position is None]) == 8  # each step but the last of a source links on


def test_an_edited_event_is_named_by_its_position(pack_file, trusted):
    tampered = rewrite(
        pack_file,
        "plan-registry/events.jsonl",
        lines_changed(2, lambda line: line.replace(b'"title":"', b'"title":"X')),
    )
    assert (
        outcome(tampered, trusted) == "failed: plan-registry position 42: edited: its content does not match its hash"
    )


def test_an_event_edited_and_hashed_again_fails_its_signature(pack_file, histories, trusted):
    from planspor_verify.canonical import canonical, envelope_hash, loads

    def rehash(line: bytes) -> bytes:
        envelope = loads(line)
        envelope["payload"]["title"] = "Endret i ettertid"
        envelope["hash"] = envelope_hash({k: v for k, v in envelope.items() if k != "hash"})
        return canonical(envelope)

    tampered = rewrite(pack_file, "plan-registry/events.jsonl", lines_changed(0, rehash))
    assert outcome(tampered, trusted).startswith(
        "failed: plan-registry position 3: edited: its signature does not verify"
    )


def test_a_wrong_proof_is_named(pack_file, trusted):
    def flip(data: bytes) -> bytes:
        document = json.loads(data)
        first = base64.b64decode(document["proofs"][1]["proof"][0])
        document["proofs"][1]["proof"][0] = base64.b64encode(bytes([first[0] ^ 1]) + first[1:]).decode()
        return json.dumps(document).encode()

    text = outcome(rewrite(pack_file, "plan-registry/proofs.json", flip), trusted)
    assert text.startswith("failed: plan-registry position 17: wrong proof: its inclusion proof does not lead to")


def test_the_proof_of_another_position_does_not_prove_this_one(pack_file, trusted):
    def swap(data: bytes) -> bytes:
        document = json.loads(data)
        proofs = document["proofs"]
        proofs[0]["proof"], proofs[1]["proof"] = proofs[1]["proof"], proofs[0]["proof"]
        return json.dumps(document).encode()

    assert outcome(rewrite(pack_file, "plan-registry/proofs.json", swap), trusted).startswith(
        "failed: plan-registry position 3: wrong proof"
    )


def test_a_missing_proof_is_named(pack_file, trusted):
    def drop(data: bytes) -> bytes:
        document = json.loads(data)
        document["proofs"] = document["proofs"][1:]
        return json.dumps(document).encode()

    assert outcome(rewrite(pack_file, "cocreation/proofs.json", drop), trusted) == (
        "failed: cocreation position 1: wrong proof: the pack has no inclusion proof of it"
    )


def test_a_forged_head_is_refused(pack_file, histories, trusted):
    """A head with another root, signed by a key that is not the source's: the first problem is the head."""
    real = parse_checkpoint(histories[0].heads[-1]).checkpoint
    forger = signer_for(histories[0].origin, "forger")
    forged = Checkpoint(real.origin, real.size, bytes(32), time=real.time).sign(forger)
    text = outcome(rewrite(pack_file, "plan-registry/head.txt", lambda _: forged.encode()), trusted)
    assert text.startswith("failed: plan-registry head: bad head: head 120/")
    assert "is not signed by a key you trust" in text


def test_a_head_edited_after_signing_is_refused(pack_file, trusted):
    def edit(data: bytes) -> bytes:
        lines = data.decode().split("\n")
        lines[1] = "119"
        return "\n".join(lines).encode()

    assert outcome(rewrite(pack_file, "cocreation/head.txt", edit), trusted).startswith(
        "failed: cocreation head: bad head: head 119/"
    )


def test_a_missing_event_is_named_by_the_step_that_names_it(pack_file, trusted):
    def drop(data: bytes) -> bytes:
        return b"\n".join(line for i, line in enumerate(data.split(b"\n")) if i != 1)

    text = outcome(rewrite(pack_file, "plan-registry/events.jsonl", drop), trusted)
    assert text.startswith("failed: trace, Goal goal-17: missing: it names event")
    assert text.endswith("at plan-registry position 17, which the pack does not hold")


def test_an_event_of_the_record_that_the_trace_does_not_name_cannot_stand_in(tmp_path, histories, trusted):
    """A genuine, signed, included event swapped in for the one the trace names is caught by its id."""
    picks = {**PICKS, "plan-registry": [3, 17, 43, 60, 61, 99, 120]}
    pack = evidence_pack_of(picks, *histories)
    pack.trace = evidence_pack_of(PICKS, *histories).trace
    text = outcome(write_pack(tmp_path / "swapped.zip", pack), trusted)
    assert text.startswith("failed: trace, Goal goal-42: missing: it names event")
    assert "at plan-registry position 42, which the pack does not hold" in text


def test_a_trace_that_names_another_event_at_a_position_is_caught(pack_file, trusted):
    def rename(data: bytes) -> bytes:
        trace = json.loads(data)
        trace["steps"][0]["events"][0]["id"] = "00000000-0000-4000-8000-000000000000"
        return json.dumps(trace).encode()

    text = outcome(rewrite(pack_file, "trace.json", rename), trusted)
    assert text.startswith("failed: trace, Goal goal-3: edited: it names event 00000000-0000-4000-8000-000000000000")


def test_an_event_after_the_head_is_not_covered(tmp_path, histories, trusted):
    history = build_history(30, source="cocreation", seed=4, head_every=25)
    history.heads = [h for h in history.heads if int(h.split("\n")[1]) < 30]
    text = outcome(write_pack(tmp_path / "late.zip", evidence_pack_of(PICKS, histories[0], history)), trusted)
    assert text == "failed: cocreation position 30: not covered by the head: the head covers 25 events, not position 30"


def test_the_first_key_vouches_for_the_next_by_its_signed_rotation(tmp_path, pack_file, histories):
    first_keys = [h.signers[0].verifier_key for h in histories]
    assert outcome(pack_file, first_keys).startswith("verified: ")
    without_rotation = evidence_pack_of({**PICKS, "plan-registry": [3, 17, 42, 61, 99, 120]}, *histories)
    text = outcome(write_pack(tmp_path / "no-rotation.zip", without_rotation), first_keys)
    assert text.startswith("failed: plan-registry head: bad head: head 120/")


def test_an_event_after_the_rotation_signed_by_the_old_key_is_refused(tmp_path, histories, trusted):
    from planspor_verify.canonical import canonical
    from planspor_verify.signature import sign_event

    history = histories[0]
    envelope = dict(history.envelopes[98])
    envelope["signature"] = sign_event(history.signers[0], envelope["source"], envelope["position"], envelope["hash"])
    pack = evidence_pack_of(PICKS, *histories)
    pack.sources[0].lines[PICKS["plan-registry"].index(99)] = canonical(envelope)
    text = outcome(write_pack(tmp_path / "old-key.zip", pack), trusted)
    assert text.startswith("failed: plan-registry position 99: signed by an unknown key: it is signed by ")
    assert text.endswith("which handed over to the next key at position 61")


def test_a_key_you_do_not_hold_is_an_unknown_key(pack_file, histories):
    without_cocreation = [s.verifier_key for s in histories[0].signers]
    assert outcome(pack_file, without_cocreation) == (
        "failed: cocreation head: signed by an unknown key: you gave no key of planspor.test/cocreation, "
        "so its head cannot be checked"
    )


def test_the_command_exit_codes(pack_file, tmp_path, trusted, capsys):
    keys = [arg for key in trusted for arg in ("--key", str(key))]
    assert main([str(pack_file), *keys]) == 0
    assert capsys.readouterr().out.startswith("verified: evidence pack of decision d-1")
    tampered = rewrite(
        pack_file, "cocreation/events.jsonl", lines_changed(1, lambda line: line.replace(b'"title":"', b'"title":"Y'))
    )
    assert main([str(tampered), *keys]) == 1
    assert capsys.readouterr().out.startswith("failed: cocreation position 2: edited")
    broken = rewrite(pack_file, "trace.json", lambda _: b"{not json")
    assert main([str(broken), *keys]) == 2
    assert "trace.json is not JSON" in capsys.readouterr().err
    head = tmp_path / "head.txt"
    head.write_text(parse_checkpoint(read_pack(pack_file).sources[0].head).note.text)
    assert main([str(pack_file), *keys, "--saved-head", str(head)]) == 2


def test_a_step_must_name_an_event_its_own_or_the_one_that_made_its_link(tmp_path, histories, trusted):
    pack = evidence_pack_of(PICKS, *histories)
    made_by = pack.trace["steps"][1]["events"][0]["id"]
    body = {"label": "Body", "id": "municipal_council", "events": [], "via": [{"relationship": "MADE_BY"}]}
    pack.trace["steps"].append(body)
    text = outcome(write_pack(tmp_path / "bodiless.zip", pack), trusted)
    assert text == "failed: trace, Body municipal_council: missing: the step names no event"
    body["via"][0]["created_by"] = made_by
    assert outcome(write_pack(tmp_path / "body.zip", pack), trusted).startswith("verified: ")
