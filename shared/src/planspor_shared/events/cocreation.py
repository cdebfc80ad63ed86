"""Integration events published by co-creation (source ``cocreation``).

Co-creation (samskaping) between elected officials and the administration comes
before the formal track: a process with workshops where participants raise
inputs (innspill), plan needs (planbehov) derived from them, a prioritisation by
ballot, and a recommendation handed to the plan registry. These events carry the
links the auditor's trace-back follows: recommendation -> prioritisation ->
ballots -> plan needs -> inputs -> workshops -> participants.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, ClassVar, Self

from pydantic import AfterValidator, Field, model_validator

from planspor_shared.events.base import (
    Body,
    Description,
    ElectionPeriod,
    Id,
    IdSet,
    IntegrationEvent,
    Label,
    MunicipalityNumber,
    Name,
    NonEmptyIdSet,
    Number,
    PlanType,
    StrategyAction,
    Text,
    Texts,
    Title,
    UtcDatetime,
    ValueObject,
    check_election_period,
    register,
)
from planspor_shared.limits import ITEMS_MAX


class CocreationEvent(IntegrationEvent):
    event_source: ClassVar[str] = "cocreation"


# --- vocabulary -----------------------------------------------------------------


class ProcessPhase(StrEnum):
    """preparation -> workshops -> prioritisation -> recommendation -> handed over; nothing is added after hand-over."""

    PREPARATION = "preparation"
    WORKSHOPS = "workshops"
    PRIORITISATION = "prioritisation"
    RECOMMENDATION = "recommendation"
    HANDED_OVER = "handed_over"


class ParticipantKind(StrEnum):
    ELECTED_OFFICIAL = "elected_official"  # folkevalgt
    ADMINISTRATION = "administration"  # administrasjonen


class WorkshopFormat(StrEnum):
    """How a workshop (verksted, kommunestyreseminar) meets."""

    IN_PERSON = "in_person"
    DIGITAL = "digital"
    HYBRID = "hybrid"


class InputKind(StrEnum):
    """What a participant raised at a workshop (innspill)."""

    NEED = "need"
    CONCERN = "concern"
    IDEA = "idea"
    PROPOSAL = "proposal"
    PREREQUISITE = "prerequisite"
    FEEDBACK = "feedback"


class PlanNeedKind(StrEnum):
    """A need (planbehov) for a new plan, or to revise, repeal or merge an existing one."""

    NEW = "new"
    REVISE = "revise"
    REPEAL = "repeal"
    MERGE = "merge"


class PrioritisationMethod(StrEnum):
    """Ranked ballots counted by Borda, approval voting, or dot voting with N dots each."""

    BORDA = "borda"
    APPROVAL = "approval"
    DOT = "dot"


# --- process, participants, workshops ---------------------------------------------------


@register
class ProcessStarted(CocreationEvent):
    """A co-creation process for an election period, with its purpose and ground rules (prerequisites)."""

    event_type: ClassVar[str] = "process.started"
    effective_field: ClassVar[str | None] = "period_start"

    process_id: Id
    title: Title
    purpose: Text
    election_period: Annotated[ElectionPeriod, AfterValidator(check_election_period)]
    period_start: date
    period_end: date | None = None
    ground_rules: Texts = ()
    """Prerequisites from the council seminar: a clear purpose, safety, clear roles and limits, a chance for all."""
    input_follow_up_days: int = Field(default=0, ge=0, le=365)
    """How many days after a workshop inputs may still be recorded for it."""
    municipality_number: MunicipalityNumber | None = None

    @model_validator(mode="after")
    def _period_in_order(self) -> Self:
        if self.period_end is not None and self.period_end < self.period_start:
            raise ValueError("period_end is before period_start")
        return self


@register
class ProcessPhaseChanged(CocreationEvent):
    """The process moved to its next phase."""

    event_type: ClassVar[str] = "process.phase_changed"
    effective_field: ClassVar[str | None] = "changed_on"

    process_id: Id
    from_phase: ProcessPhase
    to_phase: ProcessPhase
    changed_on: date

    @model_validator(mode="after")
    def _moves(self) -> Self:
        if self.from_phase == self.to_phase:
            raise ValueError(f"from_phase and to_phase are both {self.to_phase.value}")
        return self


@register
class ParticipantEnrolled(CocreationEvent):
    """An elected official (party, body, role, substitute or not) or a member of the administration joins a process."""

    event_type: ClassVar[str] = "participant.enrolled"
    effective_field: ClassVar[str | None] = "enrolled_on"
    omitted_when_none: ClassVar[frozenset[str]] = frozenset({"enrolled_on"})

    process_id: Id
    participant_id: Id
    person_id: Id | None = None
    """The same person across processes, when known."""
    name: Title
    kind: ParticipantKind
    party: Label | None = Field(default=None, examples=["H", "Ap", "MDG"])
    body: Body | None = None
    role: Label | None = Field(default=None, examples=["member", "leader", "deputy leader", "planner"])
    substitute: bool = False
    """Vararepresentant: takes part in place of a member."""
    unit: Name | None = None
    """For the administration: the unit the participant works in."""
    enrolled_on: date | None = None
    """The day the participant joined the process; absent in events sealed before the field existed."""

    @model_validator(mode="after")
    def _official_has_a_body(self) -> Self:
        if self.kind is ParticipantKind.ELECTED_OFFICIAL and self.body is None:
            raise ValueError("an elected_official needs body")
        if self.kind is ParticipantKind.ADMINISTRATION and (self.party is not None or self.substitute):
            raise ValueError("party and substitute are only for elected officials")
        return self


@register
class WorkshopScheduled(CocreationEvent):
    """A workshop (verksted, kommunestyreseminar) planned: date, format and agenda."""

    event_type: ClassVar[str] = "workshop.scheduled"
    effective_field: ClassVar[str | None] = "planned_on"
    omitted_when_none: ClassVar[frozenset[str]] = frozenset({"planned_on"})

    process_id: Id
    workshop_id: Id
    title: Title
    scheduled_on: date
    starts_at: UtcDatetime | None = None
    format: WorkshopFormat
    location: Name | None = None
    agenda: Texts = ()
    planned_on: date | None = None
    """The day the workshop was put on the calendar (``scheduled_on`` is the day it is held); absent before."""


@register
class WorkshopHeld(CocreationEvent):
    """A workshop took place; who attended (only enrolled participants)."""

    event_type: ClassVar[str] = "workshop.held"
    effective_field: ClassVar[str | None] = "held_on"

    process_id: Id
    workshop_id: Id
    held_on: date
    attendee_ids: NonEmptyIdSet
    """Participant ids of those who attended."""
    inputs_until: date | None = None
    """The last day inputs may be recorded for this workshop (the process's follow-up window)."""


@register
class WorkshopCancelled(CocreationEvent):
    """A scheduled workshop that will not be held; inputs cannot be recorded for it."""

    event_type: ClassVar[str] = "workshop.cancelled"

    process_id: Id
    workshop_id: Id
    reason: Description = ""


# --- inputs and plan needs ----------------------------------------------------------------


@register
class InputRecorded(CocreationEvent):
    """A need, concern, idea, proposal, prerequisite or feedback raised at a workshop, and what it concerns."""

    event_type: ClassVar[str] = "input.recorded"
    effective_field: ClassVar[str | None] = "raised_on"
    omitted_when_none: ClassVar[frozenset[str]] = frozenset({"raised_on"})

    process_id: Id
    input_id: Id
    workshop_id: Id
    author_participant_id: Id
    kind: InputKind
    text: Text
    plan_ids: IdSet = ()
    """Plans it concerns, checked against the catalogue co-creation keeps from plan-registry events."""
    goal_ids: IdSet = ()
    raised_on: date | None = None
    """The day it was raised (the workshop, or later within its follow-up window); absent in events sealed
    before the field existed, whose effective day is then the day they were recorded."""


@register
class PlanNeedProposed(CocreationEvent):
    """A need for a new, revised, repealed or merged plan, derived from one or more inputs (DERIVED_FROM)."""

    event_type: ClassVar[str] = "plan_need.proposed"
    effective_field: ClassVar[str | None] = "proposed_on"
    omitted_when_none: ClassVar[frozenset[str]] = frozenset({"proposed_on"})

    process_id: Id
    plan_need_id: Id
    kind: PlanNeedKind
    title: Title
    description: Description = ""
    plan_id: Id | None = None
    """The existing plan to revise, repeal or merge; None for a new plan."""
    plan_type: PlanType | None = None
    """For a new plan: the type proposed."""
    merge_into_plan_id: Id | None = None
    derived_from_input_ids: NonEmptyIdSet
    proposed_on: date | None = None
    """The day the need was put forward; absent in events sealed before the field existed."""

    @model_validator(mode="after")
    def _need_names_its_plans(self) -> Self:
        if self.kind is PlanNeedKind.NEW:
            if self.plan_id is not None:
                raise ValueError("a need for a new plan has no plan_id")
        elif self.plan_id is None:
            raise ValueError(f"a need to {self.kind.value} a plan needs plan_id")
        if self.kind is PlanNeedKind.MERGE:
            if self.merge_into_plan_id is None:
                raise ValueError("a need to merge needs merge_into_plan_id")
            if self.merge_into_plan_id == self.plan_id:
                raise ValueError("a plan cannot be merged into itself")
        elif self.merge_into_plan_id is not None:
            raise ValueError("merge_into_plan_id is only for kind merge")
        return self


# --- prioritisation ------------------------------------------------------------------------


@register
class PrioritisationOpened(CocreationEvent):
    """Voting on plan needs opens: method, candidates, who may vote, dots per participant, and the quorum."""

    event_type: ClassVar[str] = "prioritisation.opened"
    effective_field: ClassVar[str | None] = "opened_on"
    omitted_when_none: ClassVar[frozenset[str]] = frozenset({"opened_on"})

    process_id: Id
    prioritisation_id: Id
    method: PrioritisationMethod
    candidate_plan_need_ids: NonEmptyIdSet
    eligible_participant_ids: NonEmptyIdSet
    dots_per_participant: int | None = Field(default=None, ge=1)
    quorum: int = Field(ge=1)
    """The least number of ballots for a result to be made."""
    tie_break: Title = Field(examples=["most first places, then earliest proposed plan need"])
    """The documented rule that makes the result deterministic."""
    closes_at: UtcDatetime | None = None
    opened_on: date | None = None
    """The day voting opened; absent in events sealed before the field existed."""

    @model_validator(mode="after")
    def _method_settings(self) -> Self:
        if self.method is PrioritisationMethod.DOT and self.dots_per_participant is None:
            raise ValueError("method dot needs dots_per_participant")
        if self.method is not PrioritisationMethod.DOT and self.dots_per_participant is not None:
            raise ValueError("dots_per_participant is only for method dot")
        if self.quorum > len(self.eligible_participant_ids):
            raise ValueError("quorum is larger than the number of eligible participants")
        return self


class DotAllocation(ValueObject):
    plan_need_id: Id
    dots: int = Field(ge=1)


def _one_line_per_need(allocations: tuple[DotAllocation, ...]) -> tuple[DotAllocation, ...]:
    needs = [allocation.plan_need_id for allocation in allocations]
    if len(set(needs)) != len(needs):
        raise ValueError("a plan need appears more than once in the dots")
    return allocations


@register
class BallotCast(CocreationEvent):
    """A participant's ballot. A later ballot of the same participant replaces the earlier one: the last one counts.

    Borda fills ``ranking`` (best first), approval fills ``approved``, dot voting fills ``dots``.
    """

    event_type: ClassVar[str] = "ballot.cast"
    effective_field: ClassVar[str | None] = "cast_on"
    omitted_when_none: ClassVar[frozenset[str]] = frozenset({"cast_on"})

    process_id: Id
    prioritisation_id: Id
    ballot_id: Id
    participant_id: Id
    method: PrioritisationMethod
    ranking: IdSet = ()
    approved: IdSet = ()
    dots: Annotated[tuple[DotAllocation, ...], Field(max_length=ITEMS_MAX), AfterValidator(_one_line_per_need)] = ()
    replaces_ballot_id: Id | None = None
    cast_on: date | None = None
    """The day the ballot was cast; absent in events sealed before the field existed."""

    @model_validator(mode="after")
    def _content_fits_method(self) -> Self:
        filled = {
            PrioritisationMethod.BORDA: bool(self.ranking),
            PrioritisationMethod.APPROVAL: bool(self.approved),
            PrioritisationMethod.DOT: bool(self.dots),
        }
        if any(has for method, has in filled.items() if method is not self.method):
            raise ValueError(f"a {self.method.value} ballot fills only its own field (ranking, approved or dots)")
        if self.method is PrioritisationMethod.BORDA and not self.ranking:
            raise ValueError("a borda ballot needs a ranking")
        if self.method is PrioritisationMethod.DOT and not self.dots:
            raise ValueError("a dot ballot needs dots")
        return self


class RankedNeed(ValueObject):
    plan_need_id: Id
    rank: int = Field(ge=1)
    score: Number


def _ranks_in_order(ranking: tuple[RankedNeed, ...]) -> tuple[RankedNeed, ...]:
    if [entry.rank for entry in ranking] != list(range(1, len(ranking) + 1)):
        raise ValueError("ranks must be 1, 2, 3, ... in order (ties are broken by the documented rule)")
    needs = [entry.plan_need_id for entry in ranking]
    if len(set(needs)) != len(needs):
        raise ValueError("a plan need is ranked more than once")
    return ranking


@register
class PrioritisationMade(CocreationEvent):
    """The ranked result of a prioritisation, from the ballots that counted (RANKED {rank, score})."""

    event_type: ClassVar[str] = "prioritisation.made"
    effective_field: ClassVar[str | None] = "made_on"
    omitted_when_none: ClassVar[frozenset[str]] = frozenset({"made_on"})

    process_id: Id
    prioritisation_id: Id
    method: PrioritisationMethod
    ranking: Annotated[
        tuple[RankedNeed, ...], Field(min_length=1, max_length=ITEMS_MAX), AfterValidator(_ranks_in_order)
    ]
    ballots_counted: int = Field(ge=0)
    counted_ballot_ids: IdSet = ()
    """The ballots that counted (the last one of each participant)."""
    eligible_count: int = Field(ge=1)
    tie_break: Title
    made_on: date | None = None
    """The day the prioritisation was closed and its result made; absent in events sealed before the field existed."""

    @model_validator(mode="after")
    def _counts_agree(self) -> Self:
        if self.counted_ballot_ids and len(self.counted_ballot_ids) != self.ballots_counted:
            raise ValueError("ballots_counted differs from the number of counted_ballot_ids")
        if self.ballots_counted > self.eligible_count:
            raise ValueError("more ballots counted than participants eligible")
        return self


# --- recommendation -------------------------------------------------------------------------


class RecommendedNeed(ValueObject):
    """A plan need put forward to the formal track, as the strategy item it should become."""

    plan_need_id: Id
    action: StrategyAction
    plan_id: Id | None = None
    plan_title: Title
    plan_type: PlanType | None = None
    merge_into_plan_id: Id | None = None
    timing: Title
    rationale: Description = ""
    rank: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _names_its_plans(self) -> Self:
        if self.action is not StrategyAction.NEW and self.plan_id is None:
            raise ValueError(f"action {self.action.value} needs plan_id")
        if self.action is StrategyAction.MERGE and self.merge_into_plan_id is None:
            raise ValueError("action merge needs merge_into_plan_id")
        if self.action is not StrategyAction.MERGE and self.merge_into_plan_id is not None:
            raise ValueError("merge_into_plan_id is only for action merge")
        return self


def _one_item_per_need(items: tuple[RecommendedNeed, ...]) -> tuple[RecommendedNeed, ...]:
    needs = [item.plan_need_id for item in items]
    if len(set(needs)) != len(needs):
        raise ValueError("a plan need is recommended more than once")
    return items


@register
class RecommendationIssued(CocreationEvent):
    """The result of co-creation handed to the formal track, once; the plan registry drafts the strategy from it."""

    event_type: ClassVar[str] = "recommendation.issued"
    effective_field: ClassVar[str | None] = "issued_on"

    process_id: Id
    recommendation_id: Id
    prioritisation_id: Id
    issued_on: date
    election_period: Annotated[ElectionPeriod, AfterValidator(check_election_period)]
    council_constituted_on: date | None = None
    summary: Description = ""
    items: Annotated[
        tuple[RecommendedNeed, ...], Field(min_length=1, max_length=ITEMS_MAX), AfterValidator(_one_item_per_need)
    ]


COCREATION_EVENTS: tuple[type[CocreationEvent], ...] = (
    ProcessStarted,
    ProcessPhaseChanged,
    ParticipantEnrolled,
    WorkshopScheduled,
    WorkshopHeld,
    WorkshopCancelled,
    InputRecorded,
    PlanNeedProposed,
    PrioritisationOpened,
    BallotCast,
    PrioritisationMade,
    RecommendationIssued,
)
