"""The one mapping from the plan register's stored domain events to the public
integration events of ``planspor_shared.events.plan_registry``.

Domain events stay private and may evolve (with upcasters); what other services see
is decided here. ``event_id`` is derived from the stored event (originator id,
version, and the index of the integration event made from it), so mapping the same
stored event twice gives the same envelope.

``MAPPERS`` is the one table: every domain event class of the service is in it or in
``PRIVATE`` (events with no public meaning: the idempotency records). Anything else
raises ``UnmappedEvent`` with its topic, so a new domain event cannot be stored and
then silently left out of the stream (the relay retries and logs it until the
mapping is added); a unit test checks the table against the domain's classes.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from plan_registry.application import SYSTEM_ACTOR, EarlierIdempotencyRecord
from plan_registry.domain import Decision, Goal, Indicator, Plan, PlanStatus, PlanStrategy
from planspor_runtime import mapping
from planspor_runtime.application import IdempotencyRecord
from planspor_runtime.mapping import Payloads, UnmappedEvent, same
from planspor_runtime.relay import Outgoing
from planspor_shared.events import plan_registry as public
from planspor_shared.events import plan_vocabulary as vocabulary
from planspor_shared.events.base import municipal_day

__all__ = ["MAPPERS", "PRIVATE", "UnmappedEvent", "map_event"]


def _id(value: UUID | None) -> str | None:
    return str(value) if value is not None else None


def _goal_defined(stored: Any) -> list[public.PlanRegistryEvent]:
    return [
        public.GoalDefined(
            goal_id=str(stored.originator_id),
            title=stored.title,
            description=stored.description,
            level=vocabulary.GoalLevel.SUB_GOAL if stored.parent_id else vocabulary.GoalLevel.MAIN_GOAL,
            parent_goal_id=_id(stored.parent_id),
            samfunnsdel_plan_id=_id(stored.samfunnsdel_plan_id),
            sdg_targets=tuple(stored.sdg_targets),
            defined_on=getattr(stored, "defined_on", None),
        )
    ]


def _indicator_defined(stored: Any) -> list[public.PlanRegistryEvent]:
    return [
        public.IndicatorDefined(
            indicator_id=str(stored.originator_id),
            goal_id=str(stored.goal_id),
            **same(stored, "name unit description"),
            source=vocabulary.IndicatorSource(stored.source),
            source_reference=stored.source_reference or None,
            baseline=stored.baseline_value,
            baseline_period=stored.baseline_period,
            target=stored.target_value,
            target_year=stored.target_year,
            defined_on=getattr(stored, "defined_on", None),
        )
    ]


def _measured(stored: Any) -> list[public.PlanRegistryEvent]:
    return [
        public.IndicatorMeasured(
            indicator_id=str(stored.originator_id),
            period=stored.period,
            value=stored.value,
            source=vocabulary.IndicatorSource(stored.source),
            measured_on=stored.measured_on,
        )
    ]


def _corrected(stored: Any) -> list[public.PlanRegistryEvent]:
    return [
        public.IndicatorMeasured(
            indicator_id=str(stored.originator_id),
            period=stored.period,
            value=stored.value,
            source=vocabulary.IndicatorSource(stored.source),
            measured_on=getattr(stored, "measured_on", None),
            corrects=True,
            previous_value=stored.previous_value,
            correction_reason=stored.reason,
        )
    ]


def _plan_proposed(stored: Any) -> list[public.PlanRegistryEvent]:
    return [
        public.PlanProposed(
            plan_id=str(stored.originator_id),
            title=stored.name,
            plan_type=stored.plan_type,
            legal_basis=stored.legal_basis or None,
            owning_unit=stored.owning_unit,
            description=stored.description,
            parent_plan_id=_id(stored.parent_id),
            initiated_through_strategy=stored.initiated_through_strategy,
            strategy_id=_id(stored.strategy_id),
            strategy_item_id=_id(stored.strategy_item_id),
            proposed_on=getattr(stored, "proposed_on", None) or municipal_day(stored.timestamp),
        )
    ]


def _status_changed(stored: Any) -> list[public.PlanRegistryEvent]:
    to = PlanStatus(stored.status)
    return [
        public.PlanStatusChanged(
            plan_id=str(stored.originator_id),
            from_status=stored.from_status,
            to_status=to,
            changed_on=stored.on,
            decision_id=_id(stored.decision_id),
            consultation_from=stored.consultation_from,
            consultation_until=stored.consultation_until,
            replaced_by_plan_id=_id(stored.related_plan_id) if to is PlanStatus.REPLACED else None,
            merged_into_plan_id=_id(stored.related_plan_id) if to is PlanStatus.MERGED else None,
        )
    ]


def _anchored(stored: Any) -> list[public.PlanRegistryEvent]:
    return [
        public.PlanAnchored(
            plan_id=str(stored.originator_id), goal_id=str(stored.goal_id), anchored_on=getattr(stored, "on", None)
        )
    ]


def _parent_changed(stored: Any) -> list[public.PlanRegistryEvent]:
    return [
        public.PlanParentChanged(
            plan_id=str(stored.originator_id),
            parent_plan_id=_id(stored.parent_id),
            previous_parent_plan_id=_id(stored.previous_parent_id),
        )
    ]


def _duplicate_merged(stored: Any) -> list[public.PlanRegistryEvent]:
    return [
        public.PlanDuplicateMerged(
            plan_id=str(stored.originator_id),
            kept_plan_id=str(stored.kept_id),
            reason=stored.reason,
            merged_on=stored.on,
        )
    ]


def _revision_scheduled(stored: Any) -> list[public.PlanRegistryEvent]:
    return [
        public.PlanRevisionScheduled(
            plan_id=str(stored.originator_id),
            revision_due=stored.due,
            reason=stored.reason,
            scheduled_on=getattr(stored, "on", None),
        )
    ]


def _decision_recorded(stored: Any) -> list[public.PlanRegistryEvent]:
    votes = stored.votes
    return [
        public.DecisionRecorded(
            decision_id=str(stored.originator_id),
            **same(stored, "body body_name case_number meeting_date subject outcome text"),
            votes=None
            if votes.get("for") is None
            else vocabulary.Votes(in_favour=votes["for"], against=votes["against"] or 0, blank=votes.get("blank") or 0),
            unanimous=stored.unanimous,
            amendments=tuple(
                vocabulary.Amendment(
                    number=n, text=a["text"], proposed_by=a.get("proposed_by"), adopted=bool(a.get("adopted", True))
                )
                for n, a in enumerate(stored.amendments, start=1)
            ),
            strategy_id=_id(stored.strategy_id),
            plan_ids=tuple(str(p) for p in stored.plan_ids),
        )
    ]


def _drafted(stored: Any) -> list[public.PlanRegistryEvent]:
    return [
        public.StrategyDrafted(
            strategy_id=str(stored.originator_id),
            **same(stored, "title election_period council_constituted_on"),
            drafted_on=getattr(stored, "drafted_on", None) or municipal_day(stored.timestamp),
            recommendation_id=_id(stored.recommendation_id),
            process_id=_id(stored.process_id),
        )
    ]


def _item_set(stored: Any) -> list[public.PlanRegistryEvent]:
    item = stored.item
    return [
        public.StrategyItemSet(
            strategy_id=str(stored.originator_id),
            item_id=str(stored.item_id),
            action=item["action"],
            plan_id=_id(item["plan_id"]),
            plan_title=item["plan_name"],
            plan_type=item.get("plan_type"),
            merge_into_plan_id=_id(item["merge_into_plan_id"]),
            timing=item["timing"],
            rationale=item["rationale"],
            origin=item["origin"],
            plan_need_id=_id(item["plan_need_id"]),
            decision_id=_id(item["decision_id"]),
            amendment_number=item.get("amendment_number"),
            set_on=getattr(stored, "on", None),
        )
    ]


def _item_removed(stored: Any) -> list[public.PlanRegistryEvent]:
    return [
        public.StrategyItemRemoved(
            strategy_id=str(stored.originator_id),
            item_id=str(stored.item_id),
            decision_id=_id(stored.decision_id),
            amendment_number=stored.amendment_number,
            reason=stored.reason,
        )
    ]


def _assessed(stored: Any) -> list[public.PlanRegistryEvent]:
    return [
        public.StrategyKommuneplanAssessed(
            strategy_id=str(stored.originator_id),
            **same(stored, "samfunnsdel arealdel rationale"),
            assessed_on=getattr(stored, "on", None),
        )
    ]


def _input_received(stored: Any) -> list[public.PlanRegistryEvent]:
    return [
        public.InputReceived(
            input_id=str(stored.input_id),
            from_party=stored.sender,
            party_kind=stored.source,
            received_on=stored.received_on,
            strategy_id=str(stored.originator_id),
            summary=stored.summary,
            document_reference=stored.document_reference,
            in_reply_to=_id(getattr(stored, "in_reply_to", None)),
        )
    ]


def _views_requested(stored: Any) -> list[public.PlanRegistryEvent]:
    return [
        public.ViewsRequested(
            request_id=str(stored.request_id),
            strategy_id=str(stored.originator_id),
            **same(stored, "party_kind party_name sent_on"),
        )
    ]


def _decision_voided(stored: Any) -> list[public.PlanRegistryEvent]:
    return [
        public.DecisionVoided(
            decision_id=str(stored.originator_id),
            reason=stored.reason,
            voided_on=stored.voided_on,
            replaced_by_decision_id=_id(stored.replaced_by),
        )
    ]


def _evidence_cited(stored: Any) -> list[public.PlanRegistryEvent]:
    """The document enters the knowledge base and the strategy cites it: two facts."""
    return [
        public.EvidenceRecorded(
            evidence_id=str(stored.evidence_id),
            **same(stored, "kind title dated url"),
            strategy_id=str(stored.originator_id),
        ),
        public.StrategyEvidenceCited(
            strategy_id=str(stored.originator_id),
            evidence_id=str(stored.evidence_id),
            cited_on=getattr(stored, "on", None),
        ),
    ]


def _published(stored: Any) -> list[public.PlanRegistryEvent]:
    return [
        public.StrategyPublished(
            strategy_id=str(stored.originator_id), published_on=stored.on, planned_meeting_on=stored.planned_meeting_on
        )
    ]


def _adopted(stored: Any) -> list[public.PlanRegistryEvent]:
    return [
        public.StrategyAdopted(
            strategy_id=str(stored.originator_id), decision_id=str(stored.decision_id), adopted_on=stored.on
        )
    ]


MAPPERS: dict[type, Payloads] = {
    Goal.Defined: _goal_defined,
    Indicator.Defined: _indicator_defined,
    Indicator.Measured: _measured,
    Indicator.MeasurementCorrected: _corrected,
    Plan.Proposed: _plan_proposed,
    Plan.StatusChanged: _status_changed,
    Plan.Anchored: _anchored,
    Plan.ParentChanged: _parent_changed,
    Plan.RevisionScheduled: _revision_scheduled,
    Plan.DuplicateMerged: _duplicate_merged,
    Decision.Recorded: _decision_recorded,
    Decision.Voided: _decision_voided,
    PlanStrategy.Drafted: _drafted,
    PlanStrategy.ItemSet: _item_set,
    PlanStrategy.ItemRemoved: _item_removed,
    PlanStrategy.KommuneplanAssessed: _assessed,
    PlanStrategy.InputReceived: _input_received,
    PlanStrategy.ViewsRequested: _views_requested,
    PlanStrategy.EvidenceCited: _evidence_cited,
    PlanStrategy.Published: _published,
    PlanStrategy.Adopted: _adopted,
}
"""Domain event class -> its public payloads, in order."""

PRIVATE: frozenset[type] = frozenset({IdempotencyRecord.Recorded, EarlierIdempotencyRecord.Recorded})
"""Stored, never published: the first result of a command sent with an Idempotency-Key (and the records
the service kept itself before the runtime did)."""


def map_event(domain_event: Any) -> list[Outgoing]:
    """The integration events of one stored domain event, in order; the register's own reactions stored
    before ``Meta`` was recorded are published as ``SYSTEM_ACTOR``'s."""
    return mapping.map_event(domain_event, MAPPERS, PRIVATE, actor_without_meta=SYSTEM_ACTOR)
