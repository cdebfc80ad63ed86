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

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from eventsourcing.utils import get_topic
from planspor_runtime.application import IdempotencyRecord
from planspor_runtime.relay import Outgoing
from planspor_shared.envelope import derive_event_id
from planspor_shared.events import cocreation as ev
from planspor_shared.events.base import IntegrationEvent
from planspor_shared.meta import Meta

from cocreation.application import CataloguedPlan, EarlierIdempotencyRecord
from cocreation.domain import Input, PlanNeed, Prioritisation, Process, Recommendation, Workshop

ALL_OFFICIALS_INVITED = "Every elected official is given the chance to take part"


def _process_started(e: Any) -> list[IntegrationEvent]:
    rules = [e.roles_and_limits] + ([ALL_OFFICIALS_INVITED] if e.all_officials_invited else [])
    return [ev.ProcessStarted(
        process_id=str(e.originator_id), title=e.title, purpose=e.purpose, election_period=e.election_period,
        period_start=e.timestamp.date(), ground_rules=tuple(rules), input_follow_up_days=e.follow_up_days,
    )]


def _participant_enrolled(e: Any) -> list[IntegrationEvent]:
    return [ev.ParticipantEnrolled(
        process_id=str(e.originator_id), participant_id=e.participant_id, name=e.name, kind=e.kind, party=e.party,
        body=e.body, role=e.role, substitute=e.substitute, unit=e.unit,
    )]


def _phase_advanced(e: Any) -> list[IntegrationEvent]:
    return [ev.ProcessPhaseChanged(process_id=str(e.originator_id), from_phase=e.from_phase, to_phase=e.phase,
                                   changed_on=e.timestamp.date())]


def _handed_over(e: Any) -> list[IntegrationEvent]:
    return [ev.ProcessPhaseChanged(process_id=str(e.originator_id), from_phase=ev.ProcessPhase.RECOMMENDATION,
                                   to_phase=ev.ProcessPhase.HANDED_OVER, changed_on=e.timestamp.date())]


def _workshop_scheduled(e: Any) -> list[IntegrationEvent]:
    return [ev.WorkshopScheduled(
        process_id=e.process_id, workshop_id=str(e.originator_id), title=e.title, scheduled_on=e.on,
        format=e.format, location=e.location, agenda=tuple(e.agenda),
    )]


def _workshop_held(e: Any) -> list[IntegrationEvent]:
    return [ev.WorkshopHeld(process_id=e.process_id, workshop_id=str(e.originator_id), held_on=e.held_on,
                            attendee_ids=tuple(e.attendees), inputs_until=e.inputs_until)]


def _input_recorded(e: Any) -> list[IntegrationEvent]:
    return [ev.InputRecorded(
        process_id=e.process_id, input_id=str(e.originator_id), workshop_id=e.workshop_id,
        author_participant_id=e.author_id, kind=e.kind, text=e.text, plan_ids=tuple(e.plan_ids),
        goal_ids=tuple(e.goal_ids),
    )]


def _plan_need_proposed(e: Any) -> list[IntegrationEvent]:
    return [ev.PlanNeedProposed(
        process_id=e.process_id, plan_need_id=str(e.originator_id), kind=e.kind, title=e.title,
        description=e.rationale, plan_id=e.plan_id, plan_type=e.plan_type, merge_into_plan_id=e.merge_into_plan_id,
        derived_from_input_ids=tuple(e.input_ids),
    )]


def _prioritisation_opened(e: Any) -> list[IntegrationEvent]:
    return [ev.PrioritisationOpened(
        process_id=e.process_id, prioritisation_id=str(e.originator_id), method=e.method,
        candidate_plan_need_ids=tuple(e.candidate_ids), eligible_participant_ids=tuple(e.eligible_ids),
        dots_per_participant=e.dots_per_participant, quorum=e.quorum, tie_break=e.tie_break,
    )]


def _ballot_cast(e: Any) -> list[IntegrationEvent]:
    ballot = e.ballot
    return [ev.BallotCast(
        process_id=e.process_id, prioritisation_id=str(e.originator_id), ballot_id=e.ballot_id,
        participant_id=e.participant_id, method=e.method, ranking=tuple(ballot.get("ranking") or ()),
        approved=tuple(ballot.get("approvals") or ()),
        dots=tuple(ev.DotAllocation(plan_need_id=c, dots=n) for c, n in (ballot.get("dots") or {}).items() if n),
        replaces_ballot_id=e.replaces_ballot_id,
    )]


def _prioritisation_made(e: Any) -> list[IntegrationEvent]:
    return [ev.PrioritisationMade(
        process_id=e.process_id, prioritisation_id=str(e.originator_id), method=e.method,
        ranking=tuple(ev.RankedNeed(plan_need_id=r["need_id"], rank=r["rank"], score=Decimal(r["score"]))
                      for r in e.result),
        ballots_counted=e.ballots_counted, counted_ballot_ids=tuple(e.counted_ballot_ids),
        eligible_count=e.eligible_count, tie_break=e.tie_break,
    )]


def _recommendation_issued(e: Any) -> list[IntegrationEvent]:
    items = tuple(
        ev.RecommendedNeed(
            plan_need_id=i["need_id"], action=i["action"], plan_id=i["plan_id"], plan_title=i["plan_title"],
            plan_type=i["plan_type"], merge_into_plan_id=i["merge_into_plan_id"], timing=str(i["start_year"]),
            rationale=i["note"], rank=i["rank"],
        )
        for i in e.items
    )
    return [ev.RecommendationIssued(
        process_id=e.process_id, recommendation_id=str(e.originator_id), prioritisation_id=e.prioritisation_id,
        issued_on=e.issued_on, election_period=e.election_period, summary=e.summary, items=items,
        council_constituted_on=getattr(e, "council_constituted_on", None),
    )]


Mapper = Callable[[Any], list[IntegrationEvent]]

MAPPERS: Mapping[type, Mapper] = {
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

PRIVATE: frozenset[type] = frozenset({
    Process.WorkshopAdded,
    Process.InputAdded,
    Process.PlanNeedAdded,
    Process.PrioritisationAdded,
    CataloguedPlan.Catalogued,
    CataloguedPlan.Observed,
    IdempotencyRecord.Recorded,
    EarlierIdempotencyRecord.Recorded,
})
"""Stored events with no public meaning: the process's registrations of its parts (their own events
are published), the idempotency records, and the local copy of plan-registry's plans."""


class UnmappedEvent(LookupError):
    """A stored event is neither mapped nor private: the relay stops rather than leave a gap in the record."""

    def __init__(self, topic: str) -> None:
        super().__init__(f"no integration mapping for {topic}: add it to contracts.MAPPERS, or to PRIVATE if "
                         "it has no public meaning")
        self.topic = topic


def map_event(domain_event: Any) -> list[Outgoing]:
    """The integration events of one stored domain event (often one, none for a private one)."""
    kind = type(domain_event)
    if kind in PRIVATE:
        return []
    mapper = MAPPERS.get(kind)
    if mapper is None:
        raise UnmappedEvent(get_topic(kind))
    meta: Meta = domain_event.meta
    return [
        Outgoing(
            event_id=derive_event_id(domain_event.originator_id, domain_event.originator_version, n),
            payload=payload,
            aggregate_id=str(domain_event.originator_id),
            aggregate_version=domain_event.originator_version,
            occurred_at=domain_event.timestamp,
            actor=meta.actor.as_dict(),
            correlation_id=meta.correlation_id,
            causation_id=meta.causation_id,
        )
        for n, payload in enumerate(mapper(domain_event))
    ]
