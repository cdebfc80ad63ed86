"""The tamper suite: on a record of 1,200 signed events (a key rotation in the middle) and a second
source of 150, 200+ random mutations of every kind are each caught, at the first altered position.

The generator is seeded (``SEED``): a failing case prints its mutation and reproduces exactly.
"""

from __future__ import annotations

import base64
import copy
import random
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from verify_records import History, build_history, bundle_of, goal_envelope, rewritten, seal

from planspor_verify.bundle import Bundle
from planspor_verify.canonical import canonical
from planspor_verify.note import Signer
from planspor_verify.verifier import (
    EDITED,
    INSERTED,
    MISSING,
    REORDERED,
    SAVED_HEAD,
    UNKNOWN_KEY,
    UNREADABLE,
    UNSIGNED,
    verify_bundle,
)

pytestmark = pytest.mark.unit

SEED = 20240619
EVENTS, ROTATION, OTHER = 1200, 600, 150


@pytest.fixture(scope="module")
def record() -> tuple[History, History]:
    return (
        build_history(EVENTS, rotate_at=ROTATION, head_every=100, seed=1),
        build_history(OTHER, source="cocreation", head_every=50, seed=2),
    )


def trusted(*histories: History) -> list:
    return [h.signers[0].verifier_key for h in histories]


@dataclass
class Mutation:
    kind: str
    description: str
    bundle: Bundle
    source: str
    position: int
    expected: frozenset[str]
    saved_heads: tuple[str, ...] = ()
    keys: tuple = ()


def lines_with(history: History, lines: list[bytes], heads: list[str] | None = None, keys=None):
    record = history.record()
    record.lines = lines
    if heads is not None:
        record.checkpoints = heads
    if keys is not None:
        record.keys = keys
    return record


def bundle(main: History, other: History, mutated) -> Bundle:
    records = [mutated if mutated.source == h.source else h.record() for h in (main, other)]
    return Bundle(records)


# ------------------------------------------------------------------------------ the mutations


def edit_a_payload_byte(rng: random.Random, main: History, other: History) -> Mutation:
    target = rng.choice([main, other])
    p = rng.randint(1, len(target.envelopes))
    lines = target.lines()
    line = lines[p - 1]
    marker = b'"payload":{'
    start = line.index(marker) + len(marker)
    end = line.index(b"}", start)
    offset = rng.randrange(start, end)
    old = line[offset]
    new = rng.choice([c for c in b"abcdefghijklmnopqrstuvwxyz0123456789" if c != old])
    lines[p - 1] = line[:offset] + bytes([new]) + line[offset + 1 :]
    return Mutation(
        "edit",
        f"{target.source}: byte {offset} of position {p}: {chr(old)!r} -> {chr(new)!r}",
        bundle(main, other, lines_with(target, lines)),
        target.source,
        p,
        frozenset({EDITED, UNREADABLE}),
    )


def edit_and_rehash(rng: random.Random, main: History, other: History) -> Mutation:
    """The content changed and its hash recomputed; the signature cannot follow."""
    p = rng.randint(1, len(main.envelopes))
    changed = copy.deepcopy(main.envelopes[p - 1])
    if changed["event_type"] == "key.rotated":
        changed["payload"]["from_position"] += 1
    else:
        changed["payload"]["title"] = "Vedtatt uten høring"
    lines = main.lines()
    lines[p - 1] = canonical({**seal(changed, changed["prev_hash"], None), "signature": changed["signature"]})
    return Mutation(
        "edit",
        f"position {p} edited and re-hashed",
        bundle(main, other, lines_with(main, lines)),
        main.source,
        p,
        frozenset({EDITED}),
    )


def delete_an_event(rng: random.Random, main: History, other: History) -> Mutation:
    target = rng.choice([main, main, other])
    p = rng.randint(1, len(target.envelopes))
    lines = target.lines()
    del lines[p - 1]
    return Mutation(
        "delete",
        f"{target.source}: position {p} deleted",
        bundle(main, other, lines_with(target, lines)),
        target.source,
        p,
        frozenset({MISSING}),
    )


def swap_two(rng: random.Random, main: History, other: History) -> Mutation:
    p = rng.randint(1, len(main.envelopes) - 1)
    q = p + 1 if rng.random() < 0.3 else rng.randint(p + 1, len(main.envelopes))
    lines = main.lines()
    lines[p - 1], lines[q - 1] = lines[q - 1], lines[p - 1]
    return Mutation(
        "swap",
        f"positions {p} and {q} swapped",
        bundle(main, other, lines_with(main, lines)),
        main.source,
        p,
        frozenset({REORDERED}),
    )


def insert_a_forged_one(rng: random.Random, main: History, other: History) -> Mutation:
    """A plausible event at position p, chained to p - 1 and correctly hashed, signed by whoever the forger is."""
    p = rng.randint(1, len(main.envelopes) + 1)
    prev = main.envelopes[p - 2]["hash"] if p > 1 else "0" * 64
    forger = rng.choice(["unsigned", "own key", "copied signature"])
    forged = seal(
        goal_envelope(main.source, p, random.Random(rng.random())),
        prev,
        Signer.generate(main.origin) if forger == "own key" else None,
    )
    if forger == "copied signature" and p <= len(main.envelopes):
        forged["signature"] = main.envelopes[p - 1]["signature"]
    lines = main.lines()
    lines.insert(p - 1, canonical(forged))
    expected = {INSERTED} if p <= len(main.envelopes) else {UNSIGNED, UNKNOWN_KEY, EDITED}
    return Mutation(
        "insert",
        f"forged position {p} ({forger}) inserted",
        bundle(main, other, lines_with(main, lines)),
        main.source,
        p,
        frozenset(expected),
    )


def truncate_the_tail(rng: random.Random, main: History, other: History) -> Mutation:
    keep = rng.randint(0, len(main.envelopes) - 1)
    lines = main.lines()[:keep]
    if rng.random() < 0.5:
        return Mutation(
            "truncate",
            f"cut after {keep}, heads kept",
            bundle(main, other, lines_with(main, lines)),
            main.source,
            keep + 1,
            frozenset({MISSING}),
        )
    heads = [h for h in main.heads if int(h.split("\n")[1]) <= keep]
    return Mutation(
        "truncate",
        f"cut after {keep}, heads after it removed; the auditor saved the last head",
        bundle(main, other, lines_with(main, lines, heads)),
        main.source,
        keep + 1,
        frozenset({MISSING}),
        saved_heads=(main.heads[-1],),
    )


def resign_with_another_key(rng: random.Random, main: History, other: History) -> Mutation:
    p = rng.randint(1, len(main.envelopes))
    forger = Signer.generate(main.origin)
    changed = copy.deepcopy(main.envelopes[p - 1])
    if rng.random() < 0.5 and changed["event_type"] != "key.rotated":
        changed["payload"]["title"] = "Et annet vedtak"
    keys = main.keys + [{"vkey": str(forger.verifier_key), "from_position": p, "announced_at": None}]
    lines = main.lines()
    lines[p - 1] = canonical(seal(changed, changed["prev_hash"], forger))
    return Mutation(
        "re-sign",
        f"position {p} re-signed by a key of the forger",
        bundle(main, other, lines_with(main, lines, keys=keys)),
        main.source,
        p,
        frozenset({UNKNOWN_KEY}),
    )


def rewrite_the_whole_history(rng: random.Random, main: History, other: History) -> Mutation:
    """Edit one event, re-hash and re-sign everything with a fresh key, issue fresh heads and a key list."""
    p = rng.randint(1, len(main.envelopes))
    forged, fresh = rewritten(main, p, f"fresh-{rng.random()}")
    return Mutation(
        "rewrite",
        f"rewritten from position {p} and re-signed with a fresh key",
        bundle(main, other, forged.record()),
        main.source,
        1,
        frozenset({UNKNOWN_KEY}),
        keys=(fresh.verifier_key,),
    )


CLASSES: list[tuple[Callable, int]] = [
    (edit_a_payload_byte, 36),
    (edit_and_rehash, 14),
    (delete_an_event, 30),
    (swap_two, 32),
    (insert_a_forged_one, 32),
    (truncate_the_tail, 30),
    (resign_with_another_key, 32),
    (rewrite_the_whole_history, 10),
]


def test_the_unmutated_record_verifies(record):
    main, other = record
    report = verify_bundle(bundle_of(main, other), trusted(main, other))
    assert report.ok, report
    assert str(report) == (
        f"verified: {EVENTS} events of plan-registry up to head {EVENTS}/"
        f"{report.results[0].head.root_b64}, {OTHER} of cocreation up to head {OTHER}/"
        f"{report.results[1].head.root_b64}"
    )


def test_every_mutation_is_caught_at_the_first_altered_position(record):
    main, other = record
    rng = random.Random(SEED)
    caught = []
    for make, count in CLASSES:
        for _ in range(count):
            mutation = make(rng, main, other)
            report = verify_bundle(mutation.bundle, trusted(main, other), list(mutation.saved_heads))
            failure = report.failure
            assert failure is not None, f"{mutation.description}: not caught ({report})"
            assert (failure.source, failure.position) == (mutation.source, mutation.position), (
                f"{mutation.description}: caught as {failure}"
            )
            assert failure.kind in mutation.expected, f"{mutation.description}: caught as {failure}"
            caught.append(mutation.kind)
    assert len(caught) >= 200 and set(caught) == {"edit", "delete", "swap", "insert", "truncate", "re-sign", "rewrite"}


def test_a_rewritten_history_that_verifies_with_its_own_fresh_key_is_caught_by_an_earlier_saved_head(record):
    main, other = record
    rng = random.Random(SEED + 1)
    saved = main.heads[len(main.heads) // 3]
    for _ in range(2):
        mutation = rewrite_the_whole_history(rng, main, other)
        alone = verify_bundle(mutation.bundle, [*mutation.keys, other.signers[0].verifier_key])
        assert alone.ok, "with the forger's key and nothing else the rewrite looks whole: hence the saved head"
        report = verify_bundle(mutation.bundle, [*mutation.keys, other.signers[0].verifier_key], [saved])
        assert report.failure is not None and report.failure.kind == SAVED_HEAD
        assert (report.failure.source, report.failure.position) == ("plan-registry", 1)
        assert "a key this record never used" in report.failure.detail


def test_a_saved_head_of_the_real_record_agrees_with_it(record):
    main, other = record
    report = verify_bundle(bundle_of(main, other), trusted(main, other), [main.heads[3], other.heads[-1]])
    assert report.ok, report


def test_the_key_after_a_rotation_alone_is_enough_when_a_head_it_signed_covers_the_rotation(record):
    main, other = record
    after_rotation = main.signers[1].verifier_key
    assert verify_bundle(bundle_of(main, other), [after_rotation, other.signers[0].verifier_key]).ok
    without_heads = main.record()
    without_heads.checkpoints = [h for h in main.heads if int(h.split("\n")[1]) < ROTATION]
    report = verify_bundle(Bundle([without_heads, other.record()]), [after_rotation, other.signers[0].verifier_key])
    assert report.failure is not None and report.failure.kind == UNKNOWN_KEY and report.failure.position == 1


def test_a_head_whose_root_the_events_do_not_give_names_the_range_it_covers(record):
    main, other = record
    record_ = main.record()
    forged_root = base64.b64encode(b"\x07" * 32).decode()
    text = main.heads[4].split("\n\n")[0].split("\n")
    text[2] = forged_root
    signer = main.signers[0]
    from planspor_verify.note import sign_note

    record_.checkpoints[4] = sign_note("\n".join(text) + "\n", signer)
    report = verify_bundle(Bundle([record_, other.record()]), trusted(main, other))
    assert report.failure is not None and report.failure.kind == EDITED
    assert report.failure.position == 401 and "401..500" in report.failure.detail
