"""The one mapping from the plan register's stored domain events to the public
integration events of ``planspor_shared.events.plan_registry``.

Domain events stay private and may evolve (with upcasters); what other services see
is decided here. ``event_id`` is derived from the stored event (originator id,
version, and the index of the integration event made from it), so mapping the same
stored event twice gives the same envelope. Events with no public meaning (the
idempotency records) map to nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timezone
from typing import Any
from uuid import UUID

from planspor_shared.envelope import derive_event_id
from planspor_shared.events import plan_registry as public
from planspor_runtime.relay import Outgoing

from plan_registry.application import IdempotencyRecord
from plan_registry.domain import Decision, Goal, Indicator, Meta, Plan, PlanStatus, PlanStrategy

SYSTEM_ACTOR = {"id": "service:plan-registry", "name": "plan-registry", "role": "system"}


def _s(value: UUID | None) -> str | None:
    return str(value) if value is not None else None


def _goal_defined(e: Any) -> list[public.PlanRegistryEvent]:
    return [
        public.GoalDefined(
            goal_id=str(e.originator_id),
            title=e.title,
            description=e.description,
            level=public.GoalLevel.SUB_GOAL if e.parent_id else public.GoalLevel.MAIN_GOAL,
            parent_goal_id=_s(e.parent_id),
            samfunnsdel_plan_id=_s(e.samfunnsdel_plan_id),
            sdg_targets=tuple(e.sdg_targets),
        )
    ]


def _indicator_defined(e: Any) -> list[public.PlanRegistryEvent]:
    return [
        public.IndicatorDefined(
            indicator_id=str(e.originator_id),
            goal_id=str(e.goal_id),
            name=e.name,
            unit=e.unit,
            description=e.description,
            source=public.IndicatorSource(e.source),
            source_reference=e.source_reference or None,
            baseline=e.baseline_value,
            baseline_period=e.baseline_period,
            target=e.target_value,
            target_year=e.target_year,
        )
    ]


def _measured(e: Any) -> list[public.PlanRegistryEvent]:
    return [
        public.IndicatorMeasured(
            indicator_id=str(e.originator_id), period=e.period, value=e.value,
            source=public.IndicatorSource(e.source), measured_on=e.measured_on,
        )
    ]


def _corrected(e: Any) -> list[public.PlanRegistryEvent]:
    return [
        public.IndicatorMeasured(
            indicator_id=str(e.originator_id), period=e.period, value=e.value,
            source=public.IndicatorSource(e.source), corrects=True, previous_value=e.previous_value,
            correction_reason=e.reason,
        )
    ]


def _plan_proposed(e: Any) -> list[public.PlanRegistryEvent]:
    return [
        public.PlanProposed(
            plan_id=str(e.originator_id),
            title=e.name,
            plan_type=e.plan_type,
            legal_basis=e.legal_basis or None,
            owning_unit=e.owning_unit,
            description=e.description,
            parent_plan_id=_s(e.parent_id),
            initiated_through_strategy=e.initiated_through_strategy,
            strategy_id=_s(e.strategy_id),
            strategy_item_id=_s(e.strategy_item_id),
            proposed_on=e.timestamp.astimezone(timezone.utc).date(),
        )
    ]


def _status_changed(e: Any) -> list[public.PlanRegistryEvent]:
    to = PlanStatus(e.status)
    return [
        public.PlanStatusChanged(
            plan_id=str(e.originator_id),
            from_status=e.from_status,
            to_status=to.value,
            changed_on=e.on,
            decision_id=_s(e.decision_id),
            consultation_from=e.consultation_from,
            consultation_until=e.consultation_until,
            replaced_by_plan_id=_s(e.related_plan_id) if to is PlanStatus.REPLACED else None,
            merged_into_plan_id=_s(e.related_plan_id) if to is PlanStatus.MERGED else None,
        )
    ]


def _anchored(e: Any) -> list[public.PlanRegistryEvent]:
    return [public.PlanAnchored(plan_id=str(e.originator_id), goal_id=str(e.goal_id))]


def _parent_changed(e: Any) -> list[public.PlanRegistryEvent]:
    return [
        public.PlanParentChanged(
            plan_id=str(e.originator_id), parent_plan_id=_s(e.parent_id),
            previous_parent_plan_id=_s(e.previous_parent_id),
        )
    ]


def _revision_scheduled(e: Any) -> list[public.PlanRegistryEvent]:
    return [public.PlanRevisionScheduled(plan_id=str(e.originator_id), revision_due=e.due, reason=e.reason)]


def _decision_recorded(e: Any) -> list[public.PlanRegistryEvent]:
    votes = e.votes
    return [
        public.DecisionRecorded(
            decision_id=str(e.originator_id),
            body=e.body,
            body_name=e.body_name,
            case_number=e.case_number,
            meeting_date=e.meeting_date,
            subject=e.subject,
            outcome=e.outcome,
            text=e.text,
            votes=None
            if votes.get("for") is None
            else public.Votes(in_favour=votes["for"], against=votes["against"] or 0, blank=votes.get("blank") or 0),
            unanimous=e.unanimous,
            amendments=tuple(
                public.Amendment(number=n, text=a["text"], proposed_by=a.get("proposed_by"),
                                 adopted=bool(a.get("adopted", True)))
                for n, a in enumerate(e.amendments, start=1)
            ),
            strategy_id=_s(e.strategy_id),
            plan_ids=tuple(str(p) for p in e.plan_ids),
        )
    ]


def _drafted(e: Any) -> list[public.PlanRegistryEvent]:
    return [
        public.StrategyDrafted(
            strategy_id=str(e.originator_id),
            title=e.title,
            election_period=e.election_period,
            council_constituted_on=e.council_constituted_on,
            drafted_on=e.timestamp.astimezone(timezone.utc).date(),
            recommendation_id=_s(e.recommendation_id),
            process_id=_s(e.process_id),
        )
    ]


def _item_set(e: Any) -> list[public.PlanRegistryEvent]:
    item = e.item
    return [
        public.StrategyItemSet(
            strategy_id=str(e.originator_id),
            item_id=str(e.item_id),
            action=item["action"],
            plan_id=_s(item["plan_id"]),
            plan_title=item["plan_name"],
            plan_type=item.get("plan_type"),
            merge_into_plan_id=_s(item["merge_into_plan_id"]),
            timing=item["timing"],
            rationale=item["rationale"],
            origin=item["origin"],
            plan_need_id=_s(item["plan_need_id"]),
            decision_id=_s(item["decision_id"]),
            amendment_number=item.get("amendment_number"),
        )
    ]


def _item_removed(e: Any) -> list[public.PlanRegistryEvent]:
    return [
        public.StrategyItemRemoved(
            strategy_id=str(e.originator_id), item_id=str(e.item_id), decision_id=_s(e.decision_id),
            amendment_number=e.amendment_number, reason=e.reason,
        )
    ]


def _assessed(e: Any) -> list[public.PlanRegistryEvent]:
    return [
        public.StrategyKommuneplanAssessed(
            strategy_id=str(e.originator_id), samfunnsdel=e.samfunnsdel, arealdel=e.arealdel, rationale=e.rationale
        )
    ]


def _input_received(e: Any) -> list[public.PlanRegistryEvent]:
    return [
        public.InputReceived(
            input_id=str(e.input_id), from_party=e.sender, party_kind=e.source, received_on=e.received_on,
            strategy_id=str(e.originator_id), summary=e.summary, document_reference=e.document_reference,
        )
    ]


def _evidence_cited(e: Any) -> list[public.PlanRegistryEvent]:
    """The document enters the knowledge base and the strategy cites it: two facts."""
    return [
        public.EvidenceRecorded(
            evidence_id=str(e.evidence_id), kind=e.kind, title=e.title, dated=e.dated, url=e.url,
            strategy_id=str(e.originator_id),
        ),
        public.StrategyEvidenceCited(strategy_id=str(e.originator_id), evidence_id=str(e.evidence_id)),
    ]


def _published(e: Any) -> list[public.PlanRegistryEvent]:
    return [
        public.StrategyPublished(
            strategy_id=str(e.originator_id), published_on=e.on, planned_meeting_on=e.planned_meeting_on
        )
    ]


def _adopted(e: Any) -> list[public.PlanRegistryEvent]:
    return [public.StrategyAdopted(strategy_id=str(e.originator_id), decision_id=str(e.decision_id), adopted_on=e.on)]


MAPPERS: dict[type, Callable[[Any], list[public.PlanRegistryEvent]]] = {
    Goal.Defined: _goal_defined,
    Indicator.Defined: _indicator_defined,
    Indicator.Measured: _measured,
    Indicator.MeasurementCorrected: _corrected,
    Plan.Proposed: _plan_proposed,
    Plan.StatusChanged: _status_changed,
    Plan.Anchored: _anchored,
    Plan.ParentChanged: _parent_changed,
    Plan.RevisionScheduled: _revision_scheduled,
    Decision.Recorded: _decision_recorded,
    PlanStrategy.Drafted: _drafted,
    PlanStrategy.ItemSet: _item_set,
    PlanStrategy.ItemRemoved: _item_removed,
    PlanStrategy.KommuneplanAssessed: _assessed,
    PlanStrategy.InputReceived: _input_received,
    PlanStrategy.EvidenceCited: _evidence_cited,
    PlanStrategy.Published: _published,
    PlanStrategy.Adopted: _adopted,
}
"""Domain event class -> payloads. Private events are listed in ``PRIVATE``."""

PRIVATE: frozenset[type] = frozenset({IdempotencyRecord.Recorded})


def map_event(domain_event: Any) -> list[Outgoing]:
    """The integration events of one stored domain event, in order (``n`` = index)."""
    kind = type(domain_event)
    if kind in PRIVATE:
        return []
    try:
        mapper = MAPPERS[kind]
    except KeyError:
        raise LookupError(f"no integration mapping for {kind.__qualname__}: add it to contracts.MAPPERS") from None
    meta: Meta | None = getattr(domain_event, "meta", None)
    return [
        Outgoing(
            event_id=derive_event_id(domain_event.originator_id, domain_event.originator_version, n),
            payload=payload,
            aggregate_id=str(domain_event.originator_id),
            aggregate_version=domain_event.originator_version,
            occurred_at=domain_event.timestamp.astimezone(timezone.utc),
            actor=meta.actor.as_dict() if meta else dict(SYSTEM_ACTOR),
            correlation_id=meta.correlation_id if meta else None,
            causation_id=meta.causation_id if meta else None,
        )
        for n, payload in enumerate(mapper(domain_event))
    ]
