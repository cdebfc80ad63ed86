"""C2SP signed notes and checkpoints: the vectors of golang.org/x/mod/sumdb/note and of the C2SP specs."""

from __future__ import annotations

import pytest

from planspor_verify.checkpoint import Checkpoint, open_checkpoint, parse_checkpoint
from planspor_verify.merkle import leaf_hash
from planspor_verify.note import NoteError, Signer, VerifierKey, open_note, parse_note, sign_note

pytestmark = pytest.mark.unit

# golang.org/x/mod/sumdb/note, note_test.go
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
PETER_SIG = (
    "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)
ENOCH_SIG = "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"

# c2sp.org/signed-note, "Verifier keys", Example
FOO_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
FOO_NOTE = (
    "This is an example message.\n\n"
    "— example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"
)

# c2sp.org/tlog-checkpoint, the example at the top
SOFA = (
    "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n"
    "— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
)


def test_the_go_signer_key_signs_the_go_test_note_to_the_very_bytes():
    signer = Signer.parse(PETER_SKEY)
    assert str(signer.verifier_key) == PETER_VKEY
    assert sign_note(TEXT, signer) == TEXT + "\n" + PETER_SIG
    assert signer.skey() == PETER_SKEY


def test_a_note_opens_with_the_known_keys_and_ignores_the_others():
    peter, enoch = VerifierKey.parse(PETER_VKEY), VerifierKey.parse(ENOCH_VKEY)
    note, verified = open_note(TEXT + "\n" + PETER_SIG + ENOCH_SIG, [peter])
    assert note.text == TEXT and verified == [peter]
    _, both = open_note(TEXT + "\n" + PETER_SIG + ENOCH_SIG, [peter, enoch])
    assert both == [peter, enoch]
    with pytest.raises(NoteError, match="no signature of a known key"):
        open_note(TEXT + "\n" + PETER_SIG + ENOCH_SIG, [])


def test_a_known_key_whose_signature_fails_rejects_the_note():
    with pytest.raises(NoteError, match="invalid signature for key PeterNeumann"):
        open_note(TEXT + "\n" + PETER_SIG[:60] + "ABCD" + PETER_SIG[60:], [VerifierKey.parse(PETER_VKEY)])


@pytest.mark.parametrize(
    "message",
    [
        TEXT,
        TEXT + "\n",
        TEXT + "\n" + PETER_SIG[:-1],
        "\x01" + TEXT + "\n" + PETER_SIG,
        TEXT
        + "\n"
        + "— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=",
        TEXT + "\n" + PETER_SIG + "Unexpected line.\n",
    ],
)
def test_malformed_notes_are_refused(message):
    with pytest.raises(NoteError):
        open_note(message, [VerifierKey.parse(PETER_VKEY)])


def test_a_note_that_is_not_utf8_is_refused():
    with pytest.raises(NoteError):
        parse_note(b"\xff" + TEXT.encode() + b"\n" + PETER_SIG.encode())


def test_every_mangling_of_a_verifier_key_is_refused():
    VerifierKey.parse(PETER_VKEY)
    for i in range(len(PETER_VKEY)):
        for j in range(i + 1, len(PETER_VKEY) + 1):
            if (i, j) != (0, len(PETER_VKEY)):
                with pytest.raises(NoteError):
                    VerifierKey.parse(PETER_VKEY[i:j])
    for i in range(len(PETER_VKEY)):
        mangled = PETER_VKEY[:i] + chr(ord(PETER_VKEY[i]) + 1) + PETER_VKEY[i + 1 :]
        with pytest.raises(NoteError):
            VerifierKey.parse(mangled)


def test_the_c2sp_example_key_verifies_the_c2sp_example_note():
    key = VerifierKey.parse(FOO_VKEY)
    assert key.ident == "example.com/foo+530d903a"
    note, verified = open_note(FOO_NOTE, [key])
    assert note.text == "This is an example message.\n" and verified == [key]


def test_the_c2sp_example_checkpoint_parses_and_is_not_opened_without_its_key():
    parsed = parse_checkpoint(SOFA)
    assert parsed.checkpoint.origin == "example.com/behind-the-sofa"
    assert parsed.checkpoint.size == 20852163
    assert parsed.checkpoint.root_b64 == "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I="
    with pytest.raises(NoteError):
        open_checkpoint(SOFA, [VerifierKey.parse(FOO_VKEY)])


def test_a_checkpoint_with_its_time_round_trips_and_is_signed_by_its_log():
    signer = Signer.generate("planspor.test/plan-registry")
    checkpoint = Checkpoint("planspor.test/plan-registry", 42, leaf_hash(b"x"), time="2024-06-19T10:00:00.000000Z")
    note = checkpoint.sign(signer)
    assert note.startswith("planspor.test/plan-registry\n42\n")
    assert "\ntime 2024-06-19T10:00:00.000000Z\n\n— planspor.test/plan-registry " in note
    opened = open_checkpoint(note, [signer.verifier_key])
    assert opened.checkpoint == checkpoint and opened.signed_by == (signer.verifier_key,)


@pytest.mark.parametrize(
    "text",
    [
        "origin\n042\nAAAA\n",
        "origin\n-1\n" + "A" * 43 + "=\n",
        "origin\n1\nnot base64!\n",
        "origin\n1\n\n",
        "origin\n1\n" + "AAAA\n",
        "origin\n1\n" + "A" * 43 + "=\ntime yesterday\n",
    ],
)
def test_malformed_checkpoints_are_refused(text):
    with pytest.raises(NoteError):
        Checkpoint.from_text(text)


def test_key_names_with_spaces_or_plus_are_refused():
    for name in ("", "a b", "a+b", "tab\there"):
        with pytest.raises(NoteError):
            Signer.generate(name)
