"""The one way a command runs in every service: idempotency, concurrency, the recorded version, commits."""

from __future__ import annotations

import sys
import threading
import time
from uuid import uuid4

import pytest
from eventsourcing.domain import Aggregate, event

from planspor_runtime.application import (
    AggregateNotFound,
    Changed,
    ConcurrencyConflict,
    IdempotencyKeyReused,
    ServiceApplication,
    fingerprint,
)
from planspor_shared.meta import Meta

pytestmark = pytest.mark.unit

META = Meta.of({"id": "u-1", "name": "Kari Planlegger", "role": "planner"}, correlation_id="c-1")


class Note(Aggregate):
    @event("Written")
    def __init__(self, text: str, meta: Meta) -> None:
        self.text = text
        self.meta = meta

    @event("Amended")
    def amend(self, text: str, meta: Meta) -> None:
        self.text = text


class Notes(ServiceApplication):
    def write(self, text: str, key: str | None = None):
        return self.command("write", {"text": text}, lambda: Changed(Note(text, META)), idempotency_key=key)

    def amend(self, note_id, text: str, *, expected_version: int | None = None, key: str | None = None):
        def run() -> Changed:
            note = self.get(Note, note_id, expected_version)
            note.amend(text, META)
            return Changed(note, extra={"text": text})

        return self.command(
            "amend", {"note_id": note_id, "text": text}, run, idempotency_key=key, expected_version=expected_version
        )


@pytest.fixture
def notes() -> Notes:
    return Notes()


def test_a_command_answers_with_the_id_and_the_version_it_recorded(notes):
    written = notes.write("first")
    amended = notes.amend(written.id, "second")
    assert (written.version, amended.version) == (1, 2)
    assert amended.extra == {"text": "second"}
    assert notes.get(Note, written.id).text == "second"


def test_a_retry_with_the_same_key_returns_the_first_result_and_acts_once(notes):
    first = notes.write("once", key="k-1")
    again = notes.write("once", key="k-1")
    assert again == first
    assert again.repeated and not first.repeated, "the repeat says it did not act (Idempotent-Replayed)"
    assert len(list(notes.ids_created([Note.Written]))) == 1


def test_the_same_key_with_another_request_is_refused_and_stores_nothing(notes):
    notes.write("once", key="k-2")
    with pytest.raises(IdempotencyKeyReused) as refused:
        notes.write("something else", key="k-2")
    assert refused.value.rule == "idempotency.key_reused" and refused.value.kind == "invalid"
    assert len(list(notes.ids_created([Note.Written]))) == 1


def test_the_expected_version_is_part_of_the_fingerprint(notes):
    note = notes.write("v1").id
    assert fingerprint("amend", {"text": "x"}, 1) != fingerprint("amend", {"text": "x"}, 2)
    notes.amend(note, "v2", expected_version=1, key="k-3")
    with pytest.raises(IdempotencyKeyReused):
        notes.amend(note, "v2", expected_version=2, key="k-3")


def test_a_stale_expected_version_is_a_conflict_and_changes_nothing(notes):
    note = notes.write("v1").id
    notes.amend(note, "v2")
    with pytest.raises(ConcurrencyConflict) as conflict:
        notes.amend(note, "v3", expected_version=1)
    assert "version 2, not 1" in conflict.value.message
    assert notes.get(Note, note).text == "v2"


def _amend_beaten_once(notes, note, expected_version=None):
    """An amendment during whose first run another amendment of the same note is saved."""
    seen: list[int] = []

    def run() -> Changed:
        current = notes.get(Note, note, expected_version)
        if not seen:
            notes.amend(note, "by someone else")
        seen.append(current.version)
        current.amend("mine", META)
        return Changed(current)

    return seen, lambda: notes.command("amend", {"text": "mine"}, run, expected_version=expected_version)


def test_a_command_naming_no_version_is_run_again_on_the_new_state_after_a_concurrent_save(notes):
    note = notes.write("v1").id
    seen, amend = _amend_beaten_once(notes, note)
    result = amend()
    assert seen == [1, 2], "run again, on the version the other command saved"
    assert (result.version, notes.get(Note, note).text) == (3, "mine")


def test_a_command_naming_its_version_is_answered_409_after_a_concurrent_save_not_run_again(notes):
    note = notes.write("v1").id
    seen, amend = _amend_beaten_once(notes, note, expected_version=1)
    with pytest.raises(ConcurrencyConflict):
        amend()
    assert seen == [1]
    assert notes.get(Note, note).text == "by someone else"


def test_commands_of_one_process_on_one_aggregate_are_applied_one_at_a_time_none_run_twice(notes):
    """Eight facilitators add to one workshop at once: each command reads the aggregate after the last save."""
    note = notes.write("v0").id
    runs: list[int] = []

    def amend(text: str) -> None:
        def run() -> Changed:
            current = notes.get(Note, note)
            runs.append(current.version)
            time.sleep(0.01)  # between its read and its save: without one at a time, the others read meanwhile
            current.amend(text, META)
            return Changed(current)

        notes.command("amend", {"text": text}, run)

    threads = [threading.Thread(target=amend, args=(f"by {n}",)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(runs) == list(range(1, 9)), "each run once, each on the version the one before it saved"
    assert notes.get(Note, note).version == 9


def test_an_unknown_or_malformed_id_is_not_found(notes):
    for missing in (uuid4(), "not-a-uuid"):
        with pytest.raises(AggregateNotFound) as refused:
            notes.get(Note, missing)
        assert refused.value.rule == "note.exists"


def test_listeners_hear_of_every_commit_until_they_unsubscribe(notes):
    heard = threading.Semaphore(0)
    unsubscribe = notes.subscribe_commits(heard.release)
    notes.write("a")
    assert heard.acquire(timeout=1)
    unsubscribe()
    notes.write("b")
    assert not heard.acquire(timeout=0.05)


def test_history_lists_the_stored_events_with_who_and_why(notes):
    note = notes.write("a").id
    notes.amend(note, "b")
    history = notes.history(note)
    assert [e["type"] for e in history] == ["Note.Written", "Note.Amended"]
    assert history[0]["actor"]["name"] == "Kari Planlegger" and history[0]["correlation_id"] == "c-1"
    with pytest.raises(AggregateNotFound):
        notes.history(uuid4())


def test_a_refused_command_leaves_the_aggregate_as_stored_for_the_next_one(notes):
    """A command works on a copy of the cached aggregate: what it changed before its refusal is not kept."""
    note = notes.write("v1").id
    notes.get(Note, note)  # now in the cache

    def run() -> Changed:
        current = notes.get(Note, note)
        current.amend("never saved", META)
        raise AggregateNotFound("note.exists", "refused after a change in memory")

    with pytest.raises(AggregateNotFound):
        notes.command("amend", {"text": "never saved"}, run)
    assert (notes.get(Note, note).text, notes.get(Note, note).version) == ("v1", 1)
    assert notes.amend(note, "v2").version == 2


def test_a_second_read_replays_only_the_events_stored_since(notes):
    note = notes.write("v1").id
    notes.amend(note, "v2")
    asked: list[dict] = []
    get = notes.events.get

    def counting_get(*args, **kwargs):
        asked.append(kwargs)
        return get(*args, **kwargs)

    notes.events.get = counting_get  # type: ignore[method-assign]
    notes.get(Note, note)
    notes.amend(note, "v3")
    assert notes.get(Note, note).text == "v3"
    assert asked and all(kwargs.get("gt") is not None for kwargs in asked), asked


def test_two_processes_on_one_store_each_read_the_others_saves(tmp_path):
    """Two service processes (uvicorn workers) on one SQLite file: a cached aggregate is brought up to date."""
    env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(tmp_path / "notes.db")}
    one, other = Notes(env=env), Notes(env=env)
    try:
        note = one.write("v1").id
        assert other.get(Note, note).text == "v1"
        one.amend(note, "v2 by one")
        assert other.get(Note, note).text == "v2 by one"
        assert other.amend(note, "v3 by other").version == 3
        assert (one.get(Note, note).text, one.get(Note, note).version) == ("v3 by other", 3)
    finally:
        one.close()
        other.close()


class Tally(Aggregate):
    @event("Opened")
    def __init__(self) -> None:
        self.marks: dict[str, int] = {}

    @event("Marked")
    def mark(self, name: str) -> None:
        self.marks[name] = len(self.marks)


class Tallies(ServiceApplication):
    def open(self):
        return self.command("open", {}, lambda: Changed(Tally()))

    def mark(self, tally_id, name: str):
        def run() -> Changed:
            tally = self.get(Tally, tally_id)
            tally.mark(name)
            return Changed(tally)

        return self.command("mark", {"name": name}, run)


def test_reads_in_many_threads_while_another_process_writes_see_whole_versions(tmp_path):
    """Route handlers read in a thread pool: a read that brings the cached aggregate up to date must not change it
    under another thread's copy (a torn copy: a version with part of the next one's state)."""
    env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(tmp_path / "tallies.db")}
    writer, reader = Tallies(env=env), Tallies(env=env)
    tally = writer.open().id
    problems: list[str] = []
    done = threading.Event()

    def read() -> None:
        while not done.is_set() and len(problems) < 5:
            try:
                seen = reader.get(Tally, tally)
            except Exception as error:  # what the test looks for
                problems.append(repr(error))
                continue
            if len(seen.marks) != seen.version - 1:
                problems.append(f"version {seen.version} with {len(seen.marks)} marks")

    readers = [threading.Thread(target=read) for _ in range(4)]
    switching = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads switch often, so a copy and a catching-up meet if they can
    for thread in readers:
        thread.start()
    try:
        for n in range(300):
            writer.mark(tally, f"m{n:03}")
    finally:
        done.set()
        for thread in readers:
            thread.join(timeout=30)
        sys.setswitchinterval(switching)
        writer.close()
        reader.close()
    assert problems == []
