"""The event catalogue: every model round-trips through the wire, refuses what the domain forbids, and can gain a v2."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import ClassVar

import pytest
from pydantic import ValidationError

from planspor_shared.canonical import GENESIS_HASH
from planspor_shared.envelope import Envelope, UnknownEventType, parse_payload
from planspor_shared.events import REGISTRY, EventRegistry, plan_registry
from planspor_shared.events.cocreation import COCREATION_EVENTS
from planspor_shared.events.plan_registry import PLAN_REGISTRY_EVENTS, PlanProposed, PlanRegistryEvent

pytestmark = pytest.mark.unit

DESIGN_CATALOGUE = {
    "plan-registry": {
        "goal.defined",
        "indicator.defined",
        "indicator.measured",
        "plan.proposed",
        "plan.anchored",
        "plan.status_changed",
        "plan.revision_scheduled",
        "strategy.drafted",
        "strategy.item_set",
        "strategy.kommuneplan_assessed",
        "strategy.published",
        "strategy.adopted",
        "decision.recorded",
        "input.received",
        "evidence.recorded",
    },
    "cocreation": {
        "process.started",
        "participant.enrolled",
        "workshop.scheduled",
        "workshop.held",
        "input.recorded",
        "plan_need.proposed",
        "prioritisation.opened",
        "ballot.cast",
        "prioritisation.made",
        "recommendation.issued",
    },
}


def test_the_catalogue_of_design_md_is_complete():
    for source, event_types in DESIGN_CATALOGUE.items():
        registered = {model.event_type for model in REGISTRY if model.event_source == source}
        assert event_types <= registered, event_types - registered


def test_every_model_is_registered_once_and_listed_in_its_module():
    assert set(REGISTRY) == set(PLAN_REGISTRY_EVENTS) | set(COCREATION_EVENTS)
    assert len(REGISTRY) == len(PLAN_REGISTRY_EVENTS) + len(COCREATION_EVENTS)
    for model in PLAN_REGISTRY_EVENTS:
        assert model.event_source == "plan-registry"
    for model in COCREATION_EVENTS:
        assert model.event_source == "cocreation"


def test_every_registered_event_has_an_example(examples):
    assert set(examples) == {(model.event_type, model.schema_version) for model in REGISTRY}


@pytest.mark.parametrize("model", list(REGISTRY), ids=lambda model: f"{model.event_type}.v{model.schema_version}")
def test_every_event_round_trips_through_the_wire(model, make_example):
    payload = make_example(model.event_type, model.schema_version)
    envelope = Envelope.seal(
        GENESIS_HASH,
        event_id="6f1c1d8e-3b7a-4c2e-9a4f-70c3a9e1b2d4",
        position=1,
        aggregate_id="agg-1",
        aggregate_version=1,
        occurred_at=datetime(2024, 1, 1, tzinfo=UTC),
        actor={"id": "u", "name": "U", "role": "planner"},
        payload=payload,
    )
    received = Envelope.from_json(envelope.to_canonical())
    assert received.verify(GENESIS_HASH)
    assert parse_payload(received) == payload
    assert model.model_validate_json(payload.model_dump_json()) == payload


@pytest.mark.parametrize("model", list(REGISTRY), ids=lambda model: model.event_type)
def test_payloads_are_frozen_and_refuse_unknown_fields(model, examples):
    data = examples[(model.event_type, model.schema_version)]
    with pytest.raises(ValidationError, match="extra"):
        model.model_validate(data | {"unexpected": "x"})
    payload = model.model_validate(data)
    with pytest.raises(ValidationError):
        setattr(payload, next(iter(model.model_fields)), "changed")


REFUSALS = [
    ("goal.defined", {"level": "sub_goal"}, "parent_goal_id"),
    ("goal.defined", {"sdg_targets": ["18.1"]}, "sdg_targets"),
    ("indicator.defined", {"target_year": None}, "target and target_year"),
    ("indicator.measured", {"previous_value": None}, "previous_value"),
    ("indicator.measured", {"value": 1.5e400}, "value"),
    ("indicator.measured", {"period": "last year"}, "period"),
    ("plan.proposed", {"strategy_id": None, "strategy_item_id": None}, "strategy_id"),
    ("plan.proposed", {"plan_type": "wishlist"}, "plan_type"),
    ("plan.proposed", {"proposed_on": "2024-13-01"}, "proposed_on"),
    ("plan.status_changed", {"merged_into_plan_id": None}, "merged_into_plan_id"),
    ("plan.status_changed", {"to_status": "in_force", "from_status": "in_force", "merged_into_plan_id": None}, "both"),
    ("strategy.drafted", {"election_period": "2024-2026"}, "four years"),
    ("strategy.item_set", {"merge_into_plan_id": None}, "merge_into_plan_id"),
    ("strategy.item_set", {"decision_id": None}, "decision_id"),
    ("strategy.item_set", {"action": "repeal", "plan_id": None, "merge_into_plan_id": None}, "plan_id"),
    ("strategy.published", {"planned_meeting_on": date(2024, 1, 1)}, "before"),
    ("decision.recorded", {"votes": {"in_favour": -1, "against": 0}}, "in_favour"),
    ("decision.recorded", {"amendments": [{"number": 1, "text": "a", "adopted": True}] * 2}, "unique"),
    ("input.received", {"strategy_id": None}, "strategy_id or a plan_id"),
    ("participant.enrolled", {"body": None}, "body"),
    ("workshop.held", {"attendee_ids": []}, "attendee_ids"),
    ("workshop.held", {"attendee_ids": ["a", "a"]}, "more than once"),
    ("workshop.scheduled", {"starts_at": datetime(2024, 1, 10, 17)}, "starts_at"),
    ("plan_need.proposed", {"derived_from_input_ids": []}, "derived_from_input_ids"),
    ("plan_need.proposed", {"kind": "new"}, "no plan_id"),
    ("prioritisation.opened", {"dots_per_participant": None}, "dots_per_participant"),
    ("prioritisation.opened", {"quorum": 3}, "quorum"),
    ("ballot.cast", {"ranking": ["need-1"]}, "only its own field"),
    ("ballot.cast", {"dots": [{"plan_need_id": "need-1", "dots": 1}] * 2}, "more than once"),
    ("prioritisation.made", {"ranking": [{"plan_need_id": "need-1", "rank": 2, "score": "1"}]}, "ranks"),
    ("prioritisation.made", {"ballots_counted": 3}, "ballots_counted"),
    ("recommendation.issued", {"items": []}, "items"),
]


@pytest.mark.parametrize(("event_type", "change", "problem"), REFUSALS, ids=[f"{r[0]}-{r[2]}" for r in REFUSALS])
def test_payloads_refuse_what_the_contract_forbids(examples, event_type, change, problem):
    model = REGISTRY.model_for(event_type, 1)
    with pytest.raises(ValidationError, match=problem):
        model.model_validate(examples[(event_type, 1)] | change)


def test_times_in_payloads_are_kept_in_utc(make_example):
    scheduled = make_example("workshop.scheduled")
    assert scheduled.starts_at == datetime(2024, 1, 10, 16, tzinfo=UTC)
    assert scheduled.starts_at.tzinfo == UTC


def test_a_v2_can_be_registered_beside_v1_and_both_are_read(examples):
    """What a producer migrating plan.proposed would add; v1 envelopes already on the stream still parse."""
    registry = REGISTRY.copy()

    @registry.register
    class PlanProposedV2(PlanRegistryEvent):
        event_type: ClassVar[str] = "plan.proposed"
        schema_version: ClassVar[int] = 2

        plan_id: str
        title: str
        plan_type: plan_registry.PlanType
        owning_units: tuple[str, ...]
        initiated_through_strategy: bool
        strategy_id: str | None = None
        proposed_on: date

    v1 = PlanProposed.model_validate(examples[("plan.proposed", 1)])
    v2 = PlanProposedV2(
        plan_id=v1.plan_id,
        title=v1.title,
        plan_type=v1.plan_type,
        owning_units=("Plan og bygg", "Mobilitet"),
        initiated_through_strategy=False,
        proposed_on=v1.proposed_on,
    )
    common = dict(
        aggregate_id=v1.plan_id,
        aggregate_version=1,
        occurred_at=datetime(2024, 11, 1, tzinfo=UTC),
        actor={"id": "u", "name": "U", "role": "planner"},
    )
    first = Envelope.seal(
        GENESIS_HASH, event_id="00000000-0000-4000-8000-000000000001", position=1, payload=v1, **common
    )
    second = Envelope.seal(
        first.hash, event_id="00000000-0000-4000-8000-000000000002", position=2, payload=v2, **common
    )
    assert second.schema_version == 2
    assert parse_payload(first, registry) == v1
    assert parse_payload(second, registry) == v2
    assert registry.latest("plan.proposed") is PlanProposedV2
    with pytest.raises(UnknownEventType):
        parse_payload(second)
    assert ("plan.proposed", 2) not in REGISTRY


def test_a_second_model_for_the_same_type_and_version_is_refused():
    registry = EventRegistry()
    registry.register(PlanProposed)
    registry.register(PlanProposed)

    class Impostor(PlanRegistryEvent):
        event_type: ClassVar[str] = "plan.proposed"

    with pytest.raises(ValueError, match="already registered"):
        registry.register(Impostor)


def test_a_model_without_a_source_cannot_be_registered():
    from planspor_shared.events import IntegrationEvent

    class Orphan(IntegrationEvent):
        event_type: ClassVar[str] = "orphan.found"

    with pytest.raises(TypeError, match="event_source"):
        EventRegistry().register(Orphan)
