"""The parts both domain services take from the runtime instead of writing them twice: a command's request,
the mapping of stored events, the read views' attributes, the earlier idempotency records, the settings' own
fields and the reactions."""

from __future__ import annotations

from datetime import UTC, date
from enum import Enum
from typing import ClassVar
from uuid import UUID, uuid4

import pytest
from eventsourcing.domain import Aggregate, event
from eventsourcing.utils import get_topic, resolve_topic

from planspor_runtime.application import ServiceApplication, attributes, request_of
from planspor_runtime.legacy import earlier_idempotency_record
from planspor_runtime.mapping import UnmappedEvent, map_event, same
from planspor_runtime.reactions import Outcome, Reaction
from planspor_runtime.service import ServiceSettings
from planspor_shared.events.plan_registry import GoalDefined
from planspor_shared.meta import Actor, Meta

pytestmark = pytest.mark.unit

META = Meta.of({"id": "u-1", "name": "Kari Planlegger", "role": "planner"}, correlation_id="c-1", causation_id="x")


def test_a_commands_request_is_its_arguments_but_who_asks_its_key_and_the_version_it_expects():
    def command(self, goal_id, *, title, meta, expected_version=None, idempotency_key=None, tags=()):
        return request_of(locals(), tags=list(tags))

    assert command(object(), "g-1", title="Mål", meta=META, expected_version=3, idempotency_key="k", tags=("a",)) == {
        "goal_id": "g-1",
        "title": "Mål",
        "tags": ["a"],
    }
    assert request_of({"strategy_id": 1, "item_id": 2}, omit=["strategy_id"]) == {"item_id": 2}


class Goal(Aggregate):
    @event("Defined")
    def __init__(self, title: str, description: str, meta: Meta | None) -> None:
        self.title = title
        self.description = description
        if meta is not None:
            self.meta = meta


def _defined(stored) -> list[GoalDefined]:
    return [GoalDefined(goal_id=str(stored.originator_id), **same(stored, "title description"))]


def test_a_stored_event_maps_by_the_table_with_its_meta_and_an_id_derived_from_it():
    [stored] = Goal("Mål", "Et godt liv", META).collect_events()
    [first] = map_event(stored, {Goal.Defined: _defined}, frozenset())
    assert first.payload.title == "Mål" and first.payload.description == "Et godt liv"
    assert (first.actor, first.correlation_id, first.causation_id) == (META.actor.as_dict(), "c-1", "x")
    assert first.occurred_at.tzinfo is UTC
    assert map_event(stored, {Goal.Defined: _defined}, frozenset())[0].event_id == first.event_id


def test_a_private_event_maps_to_nothing_and_an_unknown_one_is_refused_with_its_topic():
    [stored] = Goal("Mål", "", META).collect_events()
    assert map_event(stored, {}, frozenset({Goal.Defined})) == []
    with pytest.raises(UnmappedEvent) as refused:
        map_event(stored, {}, frozenset())
    assert refused.value.topic == get_topic(Goal.Defined) and "contracts.MAPPERS" in str(refused.value)


def test_an_event_stored_without_meta_needs_an_actor_named_for_it():
    [stored] = Goal("Mål", "", None).collect_events()
    with pytest.raises(ValueError, match="without Meta"):
        map_event(stored, {Goal.Defined: _defined}, frozenset())
    system = Actor(id="service:x", name="x", role="system")
    [published] = map_event(stored, {Goal.Defined: _defined}, frozenset(), actor_without_meta=system)
    assert published.actor == system.as_dict() and published.correlation_id is None


class Colour(Enum):
    RED = "red"


def test_a_views_attributes_are_plain_json_data_under_their_own_names():
    class Thing:
        id = UUID(int=1)
        colour = Colour.RED
        on = date(2024, 3, 1)
        tags = ("a", "b")
        note = None

    assert attributes(Thing(), "id colour on tags note") == {
        "id": str(UUID(int=1)),
        "colour": "red",
        "on": "2024-03-01",
        "tags": ["a", "b"],
        "note": None,
    }


def test_an_earlier_idempotency_record_is_read_and_written_under_its_topic_of_the_time():
    topic = f"{__name__}:IdempotencyRecord"  # a service names the module that exports the class
    earlier = earlier_idempotency_record(topic)
    assert resolve_topic(topic) is earlier and resolve_topic(topic + ".Recorded") is earlier.Recorded
    assert get_topic(earlier.Recorded) == topic + ".Recorded"
    app = ServiceApplication()
    record = earlier(id=uuid4(), key="k", command="c", fingerprint="f", response={"id": "1"})
    app.save(record)
    assert app.repository.get(record.id).response == {"id": "1"}
    assert app.history(record.id)[0]["type"] == "EarlierIdempotencyRecord.Recorded"
    another = earlier_idempotency_record("relay_app:IdempotencyRecord")  # another service's, in the same process
    app.save(another(id=uuid4(), key="k", command="c", fingerprint="f", response={}))
    assert get_topic(another) == "relay_app:EarlierIdempotencyRecord" != get_topic(earlier)


class DemoSettings(ServiceSettings):
    source: ClassVar[str] = "demo-service"
    demo_service_store: str = "memory"
    demo_service_relay: bool = True
    demo_service_listens: bool = False


def test_a_services_own_settings_are_its_fields_named_with_its_source(monkeypatch):
    monkeypatch.setenv("DEMO_SERVICE_LISTENS", "true")
    settings = DemoSettings()
    assert (settings.store, settings.relay, settings.own("listens")) == ("memory", True, True)

    class Nameless(ServiceSettings):
        pass

    with pytest.raises(TypeError, match="names no source"):
        _ = Nameless().store


class Listener:
    def __init__(self) -> None:
        self.seen: list[str] = []

    def on_goal(self, envelope) -> bool:
        self.seen.append(envelope.event_type)
        return len(self.seen) == 1


def test_a_reaction_names_its_subject_under_the_prefix_and_applies_a_message_to_the_application():
    reaction = Reaction("goals", "plan-registry.goal.>", "demo-goals", Listener.on_goal, setting="listens")
    assert reaction.subject_under("planspor") == "planspor.plan-registry.goal.>"
    listener = Listener()
    assert reaction.apply(listener, b"{not json")[0] is Outcome.REJECTED
    assert listener.seen == []  # an envelope applied: the services' tests (test_pr_messaging, test_cc_plan_catalogue_*)
