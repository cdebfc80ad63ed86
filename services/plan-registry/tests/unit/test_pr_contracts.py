"""Every stored domain event maps to valid public payloads, the same way every time."""

from datetime import date
from decimal import Decimal
from uuid import uuid4

import pytest
from eventsourcing.domain import Aggregate, event
from pr_app_suite import META, recommendation

from plan_registry.application import EarlierIdempotencyRecord, PlanRegistry
from plan_registry.contracts import MAPPERS, PRIVATE, UnmappedEvent, map_event
from plan_registry.domain import AGGREGATES, Amendment, AmendmentChange, StrategyAction
from planspor_runtime.application import IdempotencyRecord
from planspor_shared.events import REGISTRY
from planspor_shared.meta import Meta

pytestmark = pytest.mark.unit


def every_kind_of_event(app: PlanRegistry) -> dict:
    goal = app.define_goal(title="Mål", sdg_targets=["3.4"], meta=META, idempotency_key=f"k-{uuid4()}").id
    sub = app.define_goal(title="Delmål", parent_goal_id=goal, meta=META).id
    indicator = app.define_indicator(
        goal_id=sub,
        name="Andel",
        unit="%",
        source="SSB",
        baseline_value=Decimal("1.5"),
        baseline_period="2020",
        target_value=Decimal(2),
        target_year=2030,
        meta=META,
    ).id
    app.record_measurement(indicator, period="2023", value=Decimal("1.7"), meta=META)
    app.correct_measurement(indicator, period="2023", value=Decimal("1.8"), reason="Revidert", meta=META)
    parent = app.propose_plan(
        name="Samfunnsdel",
        plan_type="kommuneplan_samfunnsdel",
        legal_basis="PBL §11-1",
        owning_unit="Plan",
        initiated_through_strategy=False,
        meta=META,
    ).id
    plan = app.propose_plan(
        name="Temaplan",
        plan_type="temaplan",
        legal_basis="",
        owning_unit="Kultur",
        initiated_through_strategy=False,
        meta=META,
    ).id
    successor = app.propose_plan(
        name="Ny temaplan",
        plan_type="temaplan",
        legal_basis="",
        owning_unit="Kultur",
        initiated_through_strategy=False,
        meta=META,
    ).id
    app.move_plan(plan, parent_plan_id=parent, meta=META)
    app.anchor_plan(plan, goal_id=goal, meta=META)
    app.schedule_revision(plan, due=date(2027, 1, 1), reason="Ny periode", meta=META)
    app.advance_plan(plan, to="in_preparation", on=date(2024, 1, 1), meta=META)
    app.advance_plan(plan, to="consultation_open", on=date(2024, 2, 1), meta=META)
    app.advance_plan(plan, to="consultation_closed", on=date(2024, 3, 20), meta=META)

    def decision(**kwargs):
        return app.record_decision(
            body=kwargs.pop("body", "municipal_council"),
            case_number="24/1",
            meeting_date=kwargs.pop("meeting", date(2024, 4, 1)),
            subject="Sak",
            outcome=kwargs.pop("outcome", "adopted"),
            meta=META,
            **kwargs,
        ).id

    app.adopt_plan(plan, decision_id=decision(votes_for=30, votes_against=5, votes_blank=1), meta=META)
    app.advance_plan(plan, to="in_force", on=date(2024, 4, 2), meta=META)
    app.replace_plan(plan, successor_id=successor, decision_id=decision(meeting=date(2024, 5, 1)), meta=META)
    strategy = app.draft_strategy(election_period="2024-2027", council_constituted_on=date(2023, 10, 19), meta=META).id
    item = app.set_strategy_item(
        strategy,
        item_id=uuid4(),
        action="merge",
        plan_id=successor,
        merge_into_plan_id=parent,
        timing="2025",
        rationale="Færre planer",
        meta=META,
    ).id
    app.assess_kommuneplan(strategy, samfunnsdel="continue", arealdel="revise", meta=META)
    app.receive_input(
        strategy,
        input_id=uuid4(),
        source="regional",
        sender="Viken fylkeskommune",
        received_on=date(2024, 5, 1),
        summary="Regional plan",
        meta=META,
    )
    app.cite_evidence(
        strategy,
        evidence_id=uuid4(),
        kind="public_health_overview",
        title="Folkehelseoversikt",
        dated=date(2023, 6, 1),
        meta=META,
    )
    app.publish_strategy(strategy, on=date(2024, 9, 1), planned_meeting_on=date(2024, 10, 23), meta=META)
    adopting = decision(
        meeting=date(2024, 10, 23),
        strategy_id=strategy,
        outcome="adopted_with_amendments",
        unanimous=False,
        amendments=[
            Amendment(
                text="Ny plan",
                proposed_by="H, V",
                change=AmendmentChange.SET_ITEM,
                action=StrategyAction.NEW,
                plan_name="Beredskapsplan",
                timing="2025",
            ),
            Amendment(text="Utgår", change=AmendmentChange.REMOVE_ITEM, item_id=item),
            Amendment(text="Nedstemt", adopted=False),
        ],
    )
    app.adopt_strategy(strategy, decision_id=adopting, meta=META)
    drafted = app.draft_from_recommendation(meta=META, **recommendation()).id
    return {"strategy": strategy, "decision": adopting, "drafted": drafted}


def stored_events(app):
    return [app.mapper.to_domain_event(n) for n in app.notification_log.select(start=1, limit=1000)]


def event_classes(aggregate: type[Aggregate]) -> set[type]:
    """The events an aggregate triggers (not the bases ``Event`` and ``Created`` it inherits)."""
    return {
        member
        for name, member in vars(aggregate).items()
        if isinstance(member, type) and issubclass(member, Aggregate.Event) and name not in ("Event", "Created")
    }


def test_every_domain_event_class_is_mapped_or_private():
    classes = set().union(*(event_classes(a) for a in (*AGGREGATES, IdempotencyRecord, EarlierIdempotencyRecord)))
    assert len(classes) == 23
    assert classes == set(MAPPERS) | set(PRIVATE) and not set(MAPPERS) & set(PRIVATE)


class Stray(Aggregate):
    """An aggregate the table does not know."""

    @event("Appeared")
    def __init__(self, meta: Meta) -> None:
        self.meta = meta


def test_an_event_neither_mapped_nor_private_is_refused_with_its_topic():
    stray = Stray(meta=META)
    with pytest.raises(UnmappedEvent) as refused:
        map_event(stray.collect_events()[0])
    assert refused.value.topic.endswith(":Stray.Appeared") and "contracts.MAPPERS" in str(refused.value)


def test_every_stored_event_maps_to_valid_payloads_with_deterministic_ids():
    app = PlanRegistry(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    ids = every_kind_of_event(app)
    events = stored_events(app)
    outgoing = [o for e in events for o in map_event(e)]
    assert {o.payload.event_type for o in outgoing} >= {
        "goal.defined",
        "indicator.defined",
        "indicator.measured",
        "plan.proposed",
        "plan.parent_changed",
        "plan.anchored",
        "plan.status_changed",
        "plan.revision_scheduled",
        "decision.recorded",
        "strategy.drafted",
        "strategy.item_set",
        "strategy.item_removed",
        "strategy.kommuneplan_assessed",
        "input.received",
        "evidence.recorded",
        "strategy.evidence_cited",
        "strategy.published",
        "strategy.adopted",
    }
    for o in outgoing:
        REGISTRY.validate(
            o.payload.event_type, o.payload.schema_version, "plan-registry", o.payload.model_dump(mode="json")
        )
        assert o.actor == META.actor.as_dict() and o.occurred_at.utcoffset().total_seconds() == 0
    again = [o.event_id for e in stored_events(app) for o in map_event(e)]
    assert again == [o.event_id for o in outgoing] and len(set(again)) == len(again)

    amended = [o for o in outgoing if o.aggregate_id == str(ids["strategy"]) and o.causation_id == str(ids["decision"])]
    assert [o.payload.event_type for o in amended] == ["strategy.item_set", "strategy.item_removed", "strategy.adopted"]
    assert amended[0].payload.origin == "council_amendment" and amended[0].payload.amendment_number == 1
    recorded = next(
        o.payload
        for o in outgoing
        if o.payload.event_type == "decision.recorded" and o.payload.decision_id == str(ids["decision"])
    )
    assert [(a.number, a.adopted) for a in recorded.amendments] == [(1, True), (2, True), (3, False)]
    correction = [o.payload for o in outgoing if o.payload.event_type == "indicator.measured"][-1]
    assert correction.corrects and correction.previous_value == Decimal("1.7")
    closed = [
        o.payload
        for o in outgoing
        if o.payload.event_type == "plan.status_changed" and o.payload.to_status == "consultation_closed"
    ][0]
    assert (closed.consultation_from, closed.consultation_until) == (date(2024, 2, 1), date(2024, 3, 20))
    drafted = [o.payload for o in outgoing if o.aggregate_id == str(ids["drafted"])]
    assert drafted[0].event_type == "strategy.drafted" and all(p.origin == "plan_need" for p in drafted[1:])


def test_idempotency_records_are_private():
    app = PlanRegistry(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    app.define_goal(title="Mål", meta=META, idempotency_key="k")
    mapped = [map_event(e) for e in stored_events(app)]
    assert [len(m) for m in mapped] == [1, 0]


def test_an_idempotency_record_stored_before_the_runtime_base_is_read_back_and_stays_private():
    app = PlanRegistry(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    earlier = EarlierIdempotencyRecord(
        id=uuid4(), key="k-2023", command="define_goal", fingerprint="f", response={"id": str(uuid4())}
    )
    app.save(earlier)
    [stored] = stored_events(app)
    assert type(stored) is EarlierIdempotencyRecord.Recorded and map_event(stored) == []
