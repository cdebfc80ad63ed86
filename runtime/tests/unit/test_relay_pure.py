"""The pure parts of the relay: numbering and chaining a batch, the store's compare-and-set, the feed's body."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from relay_app import Goal, make_application, map_event

from planspor_runtime.feed import feed_body
from planspor_runtime.relay import Backoff, MemoryRelayStore, Outgoing, RelayConflict, RelayState, seal_batch
from planspor_runtime.relay.sealing import stored
from planspor_shared.canonical import GENESIS_HASH, verify_chain
from planspor_shared.envelope import derive_event_id
from planspor_shared.events.plan_registry import GoalDefined

pytestmark = pytest.mark.unit

WHEN = datetime(2024, 10, 1, 12, 0, tzinfo=UTC)


def outgoing(aggregate: str, version: int = 1, n: int = 0) -> Outgoing:
    return Outgoing(
        event_id=derive_event_id(aggregate, version, n),
        payload=GoalDefined(goal_id=aggregate, title=f"goal {aggregate}"),
        aggregate_id=aggregate,
        aggregate_version=version,
        occurred_at=WHEN,
        actor={"id": "p1", "name": "Planner", "role": "planner"},
    )


# notification runs: for each notification, how many integration events it maps to (0..3)
runs = st.lists(st.integers(min_value=0, max_value=3), min_size=0, max_size=30)


@settings(max_examples=60, deadline=None)
@given(runs)
def test_a_batch_is_numbered_without_gaps_and_chained_from_the_recorded_state(counts):
    mapped = [(nid, [outgoing(f"a{nid}", 1, k) for k in range(count)]) for nid, count in enumerate(counts, start=1)]
    envelopes, state = seal_batch("plan-registry", RelayState(), mapped)
    assert [e.position for e in envelopes] == list(range(1, sum(counts) + 1))
    assert verify_chain(envelopes) is None
    assert state.position == sum(counts)
    assert state.notification_id == len(counts)
    assert state.hash == (envelopes[-1].hash if envelopes else GENESIS_HASH)


@settings(max_examples=40, deadline=None)
@given(runs, st.integers(min_value=0, max_value=30))
def test_sealing_in_two_batches_gives_the_same_bytes_as_in_one(counts, split):
    """What makes a re-publish after a crash a duplicate the broker drops: same input, same bytes."""
    mapped = [(nid, [outgoing(f"a{nid}", 1, k) for k in range(count)]) for nid, count in enumerate(counts, start=1)]
    whole, whole_state = seal_batch("plan-registry", RelayState(), mapped)
    first, middle = seal_batch("plan-registry", RelayState(), mapped[:split])
    second, end = seal_batch("plan-registry", middle, mapped[split:])
    assert [e.to_canonical() for e in first + second] == [e.to_canonical() for e in whole]
    assert end == whole_state


def test_a_batch_continues_the_chain_of_the_recorded_state():
    first, state = seal_batch("plan-registry", RelayState(), [(1, [outgoing("a")])])
    second, _ = seal_batch("plan-registry", state, [(2, [outgoing("b")])])
    assert second[0].position == 2
    assert second[0].prev_hash == first[0].hash
    assert verify_chain(first + second) is None


def test_notifications_must_come_after_the_recorded_one():
    with pytest.raises(ValueError, match="not after"):
        seal_batch("plan-registry", RelayState(notification_id=5, position=3), [(5, [outgoing("a")])])


def test_an_event_of_another_source_is_refused():
    with pytest.raises(ValueError, match="source"):
        seal_batch("cocreation", RelayState(), [(1, [outgoing("a")])])


def test_the_store_records_only_over_the_state_it_was_read_from():
    store = MemoryRelayStore()
    envelopes, state = seal_batch("plan-registry", RelayState(), [(1, [outgoing("a")]), (2, [outgoing("b")])])
    store.record(RelayState(), state, [stored(e) for e in envelopes])
    assert store.load_state() == state
    with pytest.raises(RelayConflict):
        store.record(RelayState(), state, [stored(e) for e in envelopes])  # a second relay, late
    assert [row.position for row in store.read(0, 10)] == [1, 2]
    assert [row.position for row in store.read(1, 10)] == [2]


def test_the_store_refuses_a_gap():
    store = MemoryRelayStore()
    envelopes, state = seal_batch("plan-registry", RelayState(), [(1, [outgoing("a")]), (2, [outgoing("b")])])
    with pytest.raises(ValueError, match="do not follow"):
        store.record(RelayState(), state, [stored(envelopes[1])])


def test_one_writer_per_store():
    store = MemoryRelayStore()
    assert store.acquire_writer_lock() is True
    assert store.acquire_writer_lock() is False
    store.release_writer_lock()
    assert store.acquire_writer_lock() is True


def test_the_feed_body_splices_the_stored_bytes_and_says_where_to_go_on():
    envelopes, _ = seal_batch("plan-registry", RelayState(), [(1, [outgoing("a")]), (2, [outgoing("b")])])
    body = json.loads(feed_body([stored(e) for e in envelopes], after=0))
    assert body["next_after"] == 2
    assert [e["hash"] for e in body["events"]] == [e.hash for e in envelopes]
    assert json.loads(feed_body([], after=7)) == {"events": [], "next_after": 7}


def test_backoff_grows_to_its_cap_and_resets():
    backoff = Backoff(first=0.1, cap=2.0)
    delays = [backoff.next() for _ in range(10)]
    assert all(0.05 <= d <= 2.0 for d in delays)
    assert delays[-1] >= 1.0
    backoff.reset()
    assert backoff.next() <= 0.1


def test_the_test_application_maps_private_events_to_nothing():
    app = make_application({"PERSISTENCE_MODULE": "eventsourcing.popo"})
    goal_id = app.define_goal("Trygg oppvekst", notes=2)
    app.retire_goal(goal_id, "merged")
    events = [app.mapper.to_domain_event(n) for n in app.recorder.select_notifications(start=1, limit=10)]
    assert [type(e) for e in events] == [Goal.Defined, Goal.Noted, Goal.Noted, Goal.Retired]
    assert [len(map_event(e)) for e in events] == [1, 0, 0, 1]
    assert map_event(events[0])[0].event_id == derive_event_id(goal_id, 1)


def test_a_relay_is_woken_by_each_save_of_its_application_and_stops_listening_when_stopped():
    import asyncio

    from planspor_runtime.relay import Relay

    app = make_application({"PERSISTENCE_MODULE": "eventsourcing.popo"})

    async def scenario():
        relay = Relay(application=app, source="plan-registry", mapper=map_event, nats_url="nats://127.0.0.1:1")
        relay._loop = asyncio.get_running_loop()
        relay._watch_saves()
        app.define_goal("Trygg oppvekst")
        await asyncio.sleep(0)
        assert relay._wake.is_set()
        relay._wake.clear()
        relay._unwatch()
        app.define_goal("Grønn omstilling")
        await asyncio.sleep(0)
        assert not relay._wake.is_set()

    asyncio.run(scenario())
