"""The only mapping from co-creation's stored domain events to public integration
events (``planspor_shared.events.cocreation``).

Domain events stay private and may evolve; what leaves the service is built
here, in one table (``MAPPERS``). Events with no public meaning (the process's
child registrations, the idempotency records, the local plan catalogue) are listed
in ``PRIVATE`` and map to nothing; any other event raises ``UnmappedEvent``, so a
new domain event cannot be dropped from the record by forgetting it here. Event ids
are derived from (aggregate id, version, n), so mapping the same stored event again
gives the same integration event.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from cocreation.application import CataloguedPlan, EarlierIdempotencyRecord
from cocreation.domain import Input, PlanNeed, Prioritisation, Process, Recommendation, Workshop
from planspor_runtime import mapping
from planspor_runtime.application import IdempotencyRecord
from planspor_runtime.mapping import Payloads, UnmappedEvent, same
from planspor_runtime.relay import Outgoing
from planspor_shared.events import cocreation as public
from planspor_shared.events.base import IntegrationEvent, municipal_day

__all__ = ["MAPPERS", "PRIVATE", "UnmappedEvent", "map_event"]

ALL_OFFICIALS_INVITED = "Every elected official is given the chance to take part"


def _process_started(stored: Any) -> list[IntegrationEvent]:
    rules = [stored.roles_and_limits] + ([ALL_OFFICIALS_INVITED] if stored.all_officials_invited else [])
    return [
        public.ProcessStarted(
            process_id=str(stored.originator_id),
            **same(stored, "title purpose election_period"),
            period_start=getattr(stored, "started_on", None) or municipal_day(stored.timestamp),
            ground_rules=tuple(rules),
            input_follow_up_days=stored.follow_up_days,
        )
    ]


def _participant_enrolled(stored: Any) -> list[IntegrationEvent]:
    return [
        public.ParticipantEnrolled(
            process_id=str(stored.originator_id),
            **same(stored, "participant_id name kind party body role substitute unit"),
            enrolled_on=getattr(stored, "enrolled_on", None),
        )
    ]


def _phase_advanced(stored: Any) -> list[IntegrationEvent]:
    return [
        public.ProcessPhaseChanged(
            process_id=str(stored.originator_id),
            from_phase=stored.from_phase,
            to_phase=stored.phase,
            changed_on=getattr(stored, "on", None) or municipal_day(stored.timestamp),
        )
    ]


def _handed_over(stored: Any) -> list[IntegrationEvent]:
    return [
        public.ProcessPhaseChanged(
            process_id=str(stored.originator_id),
            from_phase=public.ProcessPhase.RECOMMENDATION,
            to_phase=public.ProcessPhase.HANDED_OVER,
            changed_on=getattr(stored, "on", None) or municipal_day(stored.timestamp),
        )
    ]


def _workshop_scheduled(stored: Any) -> list[IntegrationEvent]:
    return [
        public.WorkshopScheduled(
            process_id=stored.process_id,
            workshop_id=str(stored.originator_id),
            title=stored.title,
            scheduled_on=stored.on,
            format=stored.format,
            location=stored.location,
            agenda=tuple(stored.agenda),
            planned_on=getattr(stored, "planned_on", None),
        )
    ]


def _workshop_held(stored: Any) -> list[IntegrationEvent]:
    return [
        public.WorkshopHeld(
            process_id=stored.process_id,
            workshop_id=str(stored.originator_id),
            held_on=stored.held_on,
            attendee_ids=tuple(stored.attendees),
            inputs_until=stored.inputs_until,
        )
    ]


def _input_recorded(stored: Any) -> list[IntegrationEvent]:
    return [
        public.InputRecorded(
            process_id=stored.process_id,
            input_id=str(stored.originator_id),
            workshop_id=stored.workshop_id,
            author_participant_id=stored.author_id,
            kind=stored.kind,
            text=stored.text,
            plan_ids=tuple(stored.plan_ids),
            goal_ids=tuple(stored.goal_ids),
            raised_on=getattr(stored, "recorded_on", None),
        )
    ]


def _plan_need_proposed(stored: Any) -> list[IntegrationEvent]:
    return [
        public.PlanNeedProposed(
            process_id=stored.process_id,
            plan_need_id=str(stored.originator_id),
            kind=stored.kind,
            title=stored.title,
            description=stored.rationale,
            **same(stored, "plan_id plan_type merge_into_plan_id"),
            derived_from_input_ids=tuple(stored.input_ids),
            proposed_on=getattr(stored, "proposed_on", None),
        )
    ]


def _prioritisation_opened(stored: Any) -> list[IntegrationEvent]:
    return [
        public.PrioritisationOpened(
            process_id=stored.process_id,
            prioritisation_id=str(stored.originator_id),
            method=stored.method,
            candidate_plan_need_ids=tuple(stored.candidate_ids),
            eligible_participant_ids=tuple(stored.eligible_ids),
            **same(stored, "dots_per_participant quorum tie_break"),
            opened_on=getattr(stored, "opened_on", None),
        )
    ]


def _ballot_cast(stored: Any) -> list[IntegrationEvent]:
    ballot = stored.ballot
    return [
        public.BallotCast(
            process_id=stored.process_id,
            prioritisation_id=str(stored.originator_id),
            **same(stored, "ballot_id participant_id method"),
            ranking=tuple(ballot.get("ranking") or ()),
            approved=tuple(ballot.get("approvals") or ()),
            dots=tuple(
                public.DotAllocation(plan_need_id=c, dots=n) for c, n in (ballot.get("dots") or {}).items() if n
            ),
            replaces_ballot_id=stored.replaces_ballot_id,
            cast_on=getattr(stored, "cast_on", None),
        )
    ]


def _prioritisation_made(stored: Any) -> list[IntegrationEvent]:
    return [
        public.PrioritisationMade(
            process_id=stored.process_id,
            prioritisation_id=str(stored.originator_id),
            method=stored.method,
            ranking=tuple(
                public.RankedNeed(plan_need_id=r["need_id"], rank=r["rank"], score=Decimal(r["score"]))
                for r in stored.result
            ),
            ballots_counted=stored.ballots_counted,
            counted_ballot_ids=tuple(stored.counted_ballot_ids),
            eligible_count=stored.eligible_count,
            tie_break=stored.tie_break,
            made_on=getattr(stored, "made_on", None),
        )
    ]


def _recommendation_issued(stored: Any) -> list[IntegrationEvent]:
    items = tuple(
        public.RecommendedNeed(
            plan_need_id=i["need_id"],
            action=i["action"],
            plan_id=i["plan_id"],
            plan_title=i["plan_title"],
            plan_type=i["plan_type"],
            merge_into_plan_id=i["merge_into_plan_id"],
            timing=str(i["start_year"]),
            rationale=i["note"],
            rank=i["rank"],
        )
        for i in stored.items
    )
    return [
        public.RecommendationIssued(
            process_id=stored.process_id,
            recommendation_id=str(stored.originator_id),
            **same(stored, "prioritisation_id issued_on election_period summary"),
            items=items,
            council_constituted_on=getattr(stored, "council_constituted_on", None),
        )
    ]


MAPPERS: Mapping[type, Payloads] = {
    Process.Started: _process_started,
    Process.ParticipantEnrolled: _participant_enrolled,
    Process.PhaseAdvanced: _phase_advanced,
    Process.HandedOver: _handed_over,
    Workshop.Scheduled: _workshop_scheduled,
    Workshop.Held: _workshop_held,
    Input.Recorded: _input_recorded,
    PlanNeed.Proposed: _plan_need_proposed,
    Prioritisation.Opened: _prioritisation_opened,
    Prioritisation.BallotCast: _ballot_cast,
    Prioritisation.Made: _prioritisation_made,
    Recommendation.Issued: _recommendation_issued,
}
"""Domain event class -> its integration payloads."""

PRIVATE: frozenset[type] = frozenset(
    {
        Process.WorkshopAdded,
        Process.InputAdded,
        Process.PlanNeedAdded,
        Process.PrioritisationAdded,
        CataloguedPlan.Catalogued,
        CataloguedPlan.Observed,
        IdempotencyRecord.Recorded,
        EarlierIdempotencyRecord.Recorded,
    }
)
"""Stored events with no public meaning: the process's registrations of its parts (their own events
are published), the idempotency records, and the local copy of plan-registry's plans."""


def map_event(domain_event: Any) -> list[Outgoing]:
    """The integration events of one stored domain event (often one, none for a private one)."""
    return mapping.map_event(domain_event, MAPPERS, PRIVATE)
