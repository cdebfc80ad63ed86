"""Every stored domain event maps to valid public events (or to none), deterministically."""

from collections import Counter
from datetime import UTC, date, datetime
from uuid import uuid4

import pytest
from cc_app_suite import META, Clock, plan_event
from eventsourcing.domain import CanMutateAggregate

import cocreation.domain as domain
from cocreation.application import CataloguedPlan, EarlierIdempotencyRecord, in_memory
from cocreation.contracts import MAPPERS, PRIVATE, UnmappedEvent, map_event
from planspor_runtime.application import IdempotencyRecord
from planspor_shared.events import REGISTRY

pytestmark = pytest.mark.unit


@pytest.fixture
def story():
    """One process from start to hand-over, touching every kind of event."""
    app = in_memory(clock=Clock(datetime(2024, 3, 1, 9, tzinfo=UTC)))
    app.on_plan_event(plan_event("plan-a", 1, title="Transport plan"))
    app.on_plan_event(plan_event("plan-b", 2, title="Mobility plan"))
    pid = app.start_process(
        title="Strategy 2024-2027",
        purpose="Prioritise",
        election_period="2024-2027",
        roles_and_limits="Officials decide",
        all_officials_invited=True,
        follow_up_days=7,
        meta=META,
        idempotency_key="k1",
    ).extra["process_id"]
    officials = [
        app.enroll_participant(
            pid, name=n, kind="elected_official", role="member", party=p, body="municipal_council", meta=META
        ).extra["participant_id"]
        for n, p in (("Kari", "H"), ("Ola", "Ap"))
    ]
    app.enroll_participant(pid, name="Per", kind="administration", role="planner", unit="Plan", meta=META)
    app.advance_phase(pid, to="workshops", meta=META)
    wid = app.schedule_workshop(
        pid, title="Seminar", on=date(2024, 3, 1), format="hybrid", agenda=["Plans"], location="Town hall", meta=META
    ).extra["workshop_id"]
    app.hold_workshop(wid, held_on=date(2024, 3, 1), attendee_ids=officials, meta=META)
    iid = app.record_input(
        wid, author_id=officials[0], kind="idea", text="Merge the plans", plan_ids=["plan-a", "plan-b"], meta=META
    ).extra["input_id"]
    merge = app.propose_plan_need(
        pid,
        input_ids=[iid],
        kind="merge",
        title="One mobility plan",
        plan_id="plan-a",
        merge_into_plan_id="plan-b",
        meta=META,
    ).extra["plan_need_id"]
    new = app.propose_plan_need(
        pid, input_ids=[iid], kind="new", title="Climate plan", plan_type="temaplan", meta=META
    ).extra["plan_need_id"]
    app.advance_phase(pid, to="prioritisation", meta=META)
    vid = app.open_prioritisation(
        pid,
        title="Dots",
        method="dot",
        candidate_ids=[merge, new],
        eligible_ids=officials,
        quorum=2,
        dots_per_participant=3,
        meta=META,
    ).extra["prioritisation_id"]
    app.cast_ballot(vid, participant_id=officials[0], dots={merge: 3}, meta=META)
    app.cast_ballot(vid, participant_id=officials[0], dots={merge: 2, new: 1}, meta=META)
    app.cast_ballot(vid, participant_id=officials[1], dots={new: 3, merge: 0}, meta=META)
    app.close_prioritisation(vid, meta=META)
    app.advance_phase(pid, to="recommendation", meta=META)
    app.issue_recommendation(
        pid,
        prioritisation_id=vid,
        summary="Both",
        items=[
            {"need_id": merge, "action": "merge", "start_year": 2025},
            {"need_id": new, "action": "new", "start_year": 2026, "note": "after"},
        ],
        council_constituted_on=date(2023, 10, 18),
        meta=META,
    )
    notifications = app.notification_log.select(1, 1000)
    return app, [app.mapper.to_domain_event(n) for n in notifications]


def test_every_public_event_type_is_published(story):
    _, events = story
    outgoing = [o for e in events for o in map_event(e)]
    types = Counter(o.payload.event_type for o in outgoing)
    assert types == {
        "process.started": 1,
        "participant.enrolled": 3,
        "process.phase_changed": 4,
        "workshop.scheduled": 1,
        "workshop.held": 1,
        "input.recorded": 1,
        "plan_need.proposed": 2,
        "prioritisation.opened": 1,
        "ballot.cast": 3,
        "prioritisation.made": 1,
        "recommendation.issued": 1,
    }


def test_payloads_validate_against_the_shared_registry(story):
    _, events = story
    for e in events:
        for o in map_event(e):
            payload = o.payload.to_payload()
            again = REGISTRY.validate(
                o.payload.event_type, o.payload.schema_version, "cocreation", o.payload.model_dump(mode="json")
            )
            assert again.to_payload() == payload


def test_private_events_map_to_nothing(story):
    _, events = story
    private = [e for e in events if type(e) not in MAPPERS]
    assert private, "the story stores catalogue, idempotency and registration events"
    assert all(map_event(e) == [] for e in private)
    assert {type(e).__qualname__ for e in private} >= {
        "CataloguedPlan.Catalogued",
        "IdempotencyRecord.Recorded",
        "Process.WorkshopAdded",
        "Process.InputAdded",
    }


def event_classes(*aggregates) -> set[type]:
    return {
        value
        for aggregate in aggregates
        for name, value in vars(aggregate).items()
        if isinstance(value, type) and issubclass(value, CanMutateAggregate) and name not in ("Event", "Created")
    }


def test_every_event_the_service_stores_is_either_mapped_or_private():
    stored = event_classes(*domain.AGGREGATES, CataloguedPlan, EarlierIdempotencyRecord, IdempotencyRecord)
    assert stored == set(MAPPERS) | PRIVATE
    assert not set(MAPPERS) & PRIVATE


def test_an_event_neither_mapped_nor_private_stops_the_relay_naming_its_topic():
    class Stray(domain.Process.Event):
        pass

    with pytest.raises(UnmappedEvent) as refused:
        map_event(Stray(originator_id=uuid4(), originator_version=1, timestamp=datetime.now(UTC)))
    assert refused.value.topic.endswith(
        ":test_an_event_neither_mapped_nor_private_stops_the_relay_naming_its_topic.<locals>.Stray"
    )


def test_mapping_is_deterministic_and_carries_actor_and_correlation(story):
    _, events = story
    for e in events:
        first, again = map_event(e), map_event(e)
        assert [o.event_id for o in first] == [o.event_id for o in again]
        for o in first:
            assert o.aggregate_id == str(e.originator_id) and o.aggregate_version == e.originator_version
            assert o.actor == {"id": "token:abc", "name": "Facilitator", "role": "facilitator"}
            assert o.correlation_id == "corr-1"
            assert o.occurred_at.tzinfo is not None
    ids = [o.event_id for e in events for o in map_event(e)]
    assert len(ids) == len(set(ids))


def test_ballots_and_result_carry_the_trace(story):
    _, events = story
    by_type = {}
    for e in events:
        for o in map_event(e):
            by_type.setdefault(o.payload.event_type, []).append(o.payload)
    first, replacing, other = by_type["ballot.cast"]
    assert replacing.replaces_ballot_id == first.ballot_id and first.replaces_ballot_id is None
    assert [(d.plan_need_id, d.dots) for d in other.dots] == [(other.dots[0].plan_need_id, 3)]
    made = by_type["prioritisation.made"][0]
    assert set(made.counted_ballot_ids) == {replacing.ballot_id, other.ballot_id}
    assert [r.score for r in made.ranking] == [4, 2]
    issued = by_type["recommendation.issued"][0]
    merge_item = issued.items[0]
    assert (merge_item.plan_id, merge_item.merge_into_plan_id, merge_item.plan_title) == (
        "plan-a",
        "plan-b",
        "Transport plan",
    )
    assert issued.items[1].timing == "2026" and issued.items[1].rationale == "after"
    assert issued.council_constituted_on == date(2023, 10, 18)
    phases = [(p.from_phase.value, p.to_phase.value) for p in by_type["process.phase_changed"]]
    assert phases[-1] == ("recommendation", "handed_over")
