"""Integration events published by the plan registry (source ``plan-registry``).

Plans, goals and indicators of the plan system, the plan strategy (planstrategi) of an election period,
and the formal decisions (vedtak) that adopt and amend them. Together with the co-creation events they
are enough for the knowledge graph to rebuild design.md's graph: every field a query needs is here, so
the projector never has to ask a service.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, ClassVar, Self

from pydantic import AfterValidator, Field, model_validator

from planspor_shared.events.base import (
    Body,
    Description,
    ElectionPeriod,
    Heading,
    Id,
    IdSet,
    IntegrationEvent,
    Label,
    MunicipalityNumber,
    Name,
    NonBlank,
    Number,
    PlanType,
    Reference,
    StrategyAction,
    Text,
    Title,
    Url,
    check_election_period,
    register,
)
from planspor_shared.events.plan_vocabulary import (
    Amendment,
    DecisionOutcome,
    EvidenceKind,
    GoalLevel,
    IndicatorSource,
    ItemOrigin,
    KommuneplanAssessment,
    PartyKind,
    Period,
    PlanStatus,
    SdgTarget,
    Votes,
    _unique_numbers,
    _unique_sdg,
)
from planspor_shared.limits import ITEMS_MAX


class PlanRegistryEvent(IntegrationEvent):
    event_source: ClassVar[str] = "plan-registry"


# --- vocabulary -----------------------------------------------------------------


# --- goals and indicators ------------------------------------------------------------


@register
class GoalDefined(PlanRegistryEvent):
    """A goal (or sub-goal) of kommuneplanens samfunnsdel; the anchor every other plan should have."""

    event_type: ClassVar[str] = "goal.defined"
    effective_field: ClassVar[str | None] = "defined_on"
    omitted_when_none: ClassVar[frozenset[str]] = frozenset({"defined_on"})

    goal_id: Id
    title: Title
    description: Description = ""
    level: GoalLevel = GoalLevel.MAIN_GOAL
    parent_goal_id: Id | None = None
    samfunnsdel_plan_id: Id | None = None
    """The kommuneplan samfunnsdel the goal belongs to, when it is registered as a plan."""
    sdg_targets: Annotated[tuple[SdgTarget, ...], Field(max_length=169), AfterValidator(_unique_sdg)] = ()
    municipality_number: MunicipalityNumber | None = None
    defined_on: date | None = None
    """The day the goal was set (the samfunnsdel's adoption, as a rule); absent in events sealed before the field existed."""

    @model_validator(mode="after")
    def _sub_goal_has_parent(self) -> Self:
        if self.level is GoalLevel.SUB_GOAL and self.parent_goal_id is None:
            raise ValueError("a sub_goal needs parent_goal_id")
        if self.parent_goal_id == self.goal_id:
            raise ValueError("a goal cannot be its own parent")
        return self


@register
class GoalRetired(PlanRegistryEvent):
    """A goal that no longer applies, e.g. replaced in a new samfunnsdel; its history stays queryable as of earlier dates."""

    event_type: ClassVar[str] = "goal.retired"
    effective_field: ClassVar[str | None] = "retired_on"

    goal_id: Id
    retired_on: date
    replaced_by_goal_id: Id | None = None
    reason: Description = ""


@register
class IndicatorDefined(PlanRegistryEvent):
    """What measures a goal: unit, baseline, target and target year, and the statistics source."""

    event_type: ClassVar[str] = "indicator.defined"
    effective_field: ClassVar[str | None] = "defined_on"
    omitted_when_none: ClassVar[frozenset[str]] = frozenset({"defined_on"})

    indicator_id: Id
    goal_id: Id
    name: Title
    unit: Title
    description: Description = ""
    source: IndicatorSource
    source_reference: Reference | None = None
    """E.g. the KOSTRA or SSB table id."""
    baseline: Number | None = None
    baseline_period: Label | None = None
    target: Number | None = None
    target_year: int | None = Field(default=None, ge=1900, le=2200)
    defined_on: date | None = None
    """The day the indicator was chosen for the goal; absent in events sealed before the field existed."""

    @model_validator(mode="after")
    def _target_year_with_target(self) -> Self:
        if (self.target is None) != (self.target_year is None):
            raise ValueError("target and target_year go together")
        return self


@register
class IndicatorMeasured(PlanRegistryEvent):
    """A value of an indicator for a period; a correction of an earlier value is its own event (``corrects``)."""

    event_type: ClassVar[str] = "indicator.measured"
    effective_field: ClassVar[str | None] = "measured_on"

    indicator_id: Id
    period: Period
    value: Number
    source: IndicatorSource
    measured_on: date | None = None
    corrects: bool = False
    previous_value: Number | None = None
    correction_reason: Description | None = None

    @model_validator(mode="after")
    def _correction_names_previous_value(self) -> Self:
        if self.corrects and self.previous_value is None:
            raise ValueError("a correction (corrects=true) needs previous_value")
        if not self.corrects and (self.previous_value is not None or self.correction_reason is not None):
            raise ValueError("previous_value and correction_reason are only for corrections (corrects=true)")
        return self


# --- plans ----------------------------------------------------------------------------


@register
class PlanProposed(PlanRegistryEvent):
    """A new plan in the register. Whether it was started through the adopted strategy is recorded, not guessed."""

    event_type: ClassVar[str] = "plan.proposed"
    effective_field: ClassVar[str | None] = "proposed_on"

    plan_id: Id
    title: Title
    plan_type: PlanType
    legal_basis: Label | None = Field(default=None, examples=["PBL §11-1"])
    owning_unit: Title
    description: Description = ""
    parent_plan_id: Id | None = None
    initiated_through_strategy: bool
    strategy_id: Id | None = None
    strategy_item_id: Id | None = None
    proposed_on: date
    municipality_number: MunicipalityNumber | None = None

    @model_validator(mode="after")
    def _strategy_named_when_initiated_through_it(self) -> Self:
        if self.initiated_through_strategy and self.strategy_id is None:
            raise ValueError("initiated_through_strategy=true needs strategy_id")
        if self.strategy_item_id is not None and self.strategy_id is None:
            raise ValueError("strategy_item_id needs strategy_id")
        if self.parent_plan_id == self.plan_id:
            raise ValueError("a plan cannot be its own parent")
        return self


@register
class PlanParentChanged(PlanRegistryEvent):
    """The plan's place in the plan hierarchy changed (PART_OF); ``parent_plan_id`` None makes it a top plan."""

    event_type: ClassVar[str] = "plan.parent_changed"

    plan_id: Id
    parent_plan_id: Id | None
    previous_parent_plan_id: Id | None = None

    @model_validator(mode="after")
    def _not_own_parent(self) -> Self:
        if self.parent_plan_id == self.plan_id:
            raise ValueError("a plan cannot be its own parent")
        return self


@register
class PlanAnchored(PlanRegistryEvent):
    """A plan linked to a samfunnsdel goal (ANCHORED_IN)."""

    event_type: ClassVar[str] = "plan.anchored"
    effective_field: ClassVar[str | None] = "anchored_on"
    omitted_when_none: ClassVar[frozenset[str]] = frozenset({"anchored_on"})

    plan_id: Id
    goal_id: Id
    anchored_on: date | None = None
    """The day the plan was anchored in the goal; absent in events sealed before the field existed."""


@register
class PlanAnchorRemoved(PlanRegistryEvent):
    """An anchoring withdrawn; queries as of an earlier date still see it."""

    event_type: ClassVar[str] = "plan.anchor_removed"

    plan_id: Id
    goal_id: Id


@register
class PlanStatusChanged(PlanRegistryEvent):
    """A step in the plan's lifecycle, with the decision and consultation dates that the law asks about."""

    event_type: ClassVar[str] = "plan.status_changed"
    effective_field: ClassVar[str | None] = "changed_on"

    plan_id: Id
    from_status: PlanStatus
    to_status: PlanStatus
    changed_on: date
    decision_id: Id | None = None
    consultation_from: date | None = None
    """First day of consultation and public inspection (høring, offentlig ettersyn)."""
    consultation_until: date | None = None
    """Last day of the consultation; PBL §11-14 asks for at least six weeks."""
    replaced_by_plan_id: Id | None = None
    merged_into_plan_id: Id | None = None
    note: Description = ""

    @model_validator(mode="after")
    def _end_names_successor(self) -> Self:
        if self.from_status == self.to_status:
            raise ValueError(f"from_status and to_status are both {self.to_status.value}")
        if self.to_status is PlanStatus.REPLACED and self.replaced_by_plan_id is None:
            raise ValueError("to_status replaced needs replaced_by_plan_id")
        if self.to_status is PlanStatus.MERGED and self.merged_into_plan_id is None:
            raise ValueError("to_status merged needs merged_into_plan_id")
        if self.replaced_by_plan_id is not None and self.to_status is not PlanStatus.REPLACED:
            raise ValueError("replaced_by_plan_id is only for to_status replaced")
        if self.merged_into_plan_id is not None and self.to_status is not PlanStatus.MERGED:
            raise ValueError("merged_into_plan_id is only for to_status merged")
        if self.plan_id in (self.replaced_by_plan_id, self.merged_into_plan_id):
            raise ValueError("a plan cannot be replaced by or merged into itself")
        if self.consultation_from and self.consultation_until and self.consultation_until < self.consultation_from:
            raise ValueError("consultation_until is before consultation_from")
        return self


@register
class PlanDuplicateMerged(PlanRegistryEvent):
    """A plan registered twice: the duplicate is withdrawn (never deleted) in favour of the plan kept."""

    event_type: ClassVar[str] = "plan.duplicate_merged"
    effective_field: ClassVar[str | None] = "merged_on"

    plan_id: Id
    kept_plan_id: Id
    reason: Text
    merged_on: date

    @model_validator(mode="after")
    def _kept_is_another(self) -> Self:
        if self.kept_plan_id == self.plan_id:
            raise ValueError("a plan cannot be a duplicate of itself")
        return self


@register
class PlanRevisionScheduled(PlanRegistryEvent):
    """When the plan is next to be revised; a plan past this date is overdue."""

    event_type: ClassVar[str] = "plan.revision_scheduled"
    effective_field: ClassVar[str | None] = "scheduled_on"
    omitted_when_none: ClassVar[frozenset[str]] = frozenset({"scheduled_on"})

    plan_id: Id
    revision_due: date
    strategy_id: Id | None = None
    reason: Description = ""
    scheduled_on: date | None = None
    """The day the revision date was set; absent in events sealed before the field existed."""


# --- the plan strategy -------------------------------------------------------------------


@register
class StrategyDrafted(PlanRegistryEvent):
    """A plan strategy (planstrategi) for an election period; PBL §10-1 counts its year from ``council_constituted_on``."""

    event_type: ClassVar[str] = "strategy.drafted"
    effective_field: ClassVar[str | None] = "drafted_on"

    strategy_id: Id
    title: Title
    election_period: Annotated[ElectionPeriod, AfterValidator(check_election_period)]
    council_constituted_on: date
    drafted_on: date
    recommendation_id: Id | None = None
    """The co-creation recommendation the draft is based on (INFORMED_BY)."""
    process_id: Id | None = None
    replaces_strategy_id: Id | None = None
    municipality_number: MunicipalityNumber | None = None


@register
class StrategyItemSet(PlanRegistryEvent):
    """One item of the strategy, created or changed: what is done with a plan, when, why, and where it came from.

    The same ``item_id`` set again replaces the item (for example by a council amendment,
    then with ``origin=council_amendment`` and the ``decision_id``).
    """

    event_type: ClassVar[str] = "strategy.item_set"
    effective_field: ClassVar[str | None] = "set_on"
    omitted_when_none: ClassVar[frozenset[str]] = frozenset({"set_on"})

    strategy_id: Id
    item_id: Id
    action: StrategyAction
    plan_id: Id | None = None
    """The plan the item concerns; None only for a new plan not yet in the register."""
    plan_title: Heading | None = None
    plan_type: PlanType | None = None
    merge_into_plan_id: Id | None = None
    timing: Title = Field(examples=["2025", "2025-2026", "revised yearly"])
    rationale: Text
    origin: ItemOrigin
    plan_need_id: Id | None = None
    decision_id: Id | None = None
    amendment_number: int | None = Field(default=None, ge=1)
    set_on: date | None = None
    """The day the item was written or changed (a draft's day, a council amendment's meeting); absent in events sealed before the field existed."""

    @model_validator(mode="after")
    def _item_is_complete(self) -> Self:
        if self.action is StrategyAction.NEW:
            if self.plan_id is None and not self.plan_title:
                raise ValueError("a new plan needs plan_id or plan_title")
        elif self.plan_id is None:
            raise ValueError(f"action {self.action.value} needs plan_id")
        if self.action is StrategyAction.MERGE:
            if self.merge_into_plan_id is None:
                raise ValueError("action merge needs merge_into_plan_id")
            if self.merge_into_plan_id == self.plan_id:
                raise ValueError("a plan cannot be merged into itself")
        elif self.merge_into_plan_id is not None:
            raise ValueError("merge_into_plan_id is only for action merge")
        if self.origin is ItemOrigin.PLAN_NEED and self.plan_need_id is None:
            raise ValueError("origin plan_need needs plan_need_id")
        if self.origin is ItemOrigin.COUNCIL_AMENDMENT and self.decision_id is None:
            raise ValueError("origin council_amendment needs decision_id")
        return self


@register
class StrategyItemRemoved(PlanRegistryEvent):
    """An item taken out of the strategy, e.g. by a council amendment (then with ``decision_id``)."""

    event_type: ClassVar[str] = "strategy.item_removed"

    strategy_id: Id
    item_id: Id
    decision_id: Id | None = None
    amendment_number: int | None = Field(default=None, ge=1)
    reason: Description = ""


@register
class StrategyKommuneplanAssessed(PlanRegistryEvent):
    """PBL §10-1: the strategy decides whether the samfunnsdel and the arealdel are revised or continued."""

    event_type: ClassVar[str] = "strategy.kommuneplan_assessed"
    effective_field: ClassVar[str | None] = "assessed_on"
    omitted_when_none: ClassVar[frozenset[str]] = frozenset({"assessed_on"})

    strategy_id: Id
    samfunnsdel: KommuneplanAssessment
    arealdel: KommuneplanAssessment
    rationale: Description = ""
    assessed_on: date | None = None
    """The day of the assessment; absent in events sealed before the field existed."""


@register
class StrategyEvidenceCited(PlanRegistryEvent):
    """The strategy builds on a document of the knowledge base recorded earlier (CITES)."""

    event_type: ClassVar[str] = "strategy.evidence_cited"
    effective_field: ClassVar[str | None] = "cited_on"
    omitted_when_none: ClassVar[frozenset[str]] = frozenset({"cited_on"})

    strategy_id: Id
    evidence_id: Id
    cited_on: date | None = None
    """The day the strategy cited the document; absent in events sealed before the field existed."""


@register
class StrategyPublished(PlanRegistryEvent):
    """The proposal made public; PBL §10-1 asks for at least 30 days before the council treats it."""

    event_type: ClassVar[str] = "strategy.published"
    effective_field: ClassVar[str | None] = "published_on"

    strategy_id: Id
    published_on: date
    planned_meeting_on: date | None = None

    @model_validator(mode="after")
    def _meeting_after_publication(self) -> Self:
        if self.planned_meeting_on is not None and self.planned_meeting_on < self.published_on:
            raise ValueError("planned_meeting_on is before published_on")
        return self


@register
class StrategyAdopted(PlanRegistryEvent):
    """The municipal council adopted the strategy by a decision."""

    event_type: ClassVar[str] = "strategy.adopted"
    effective_field: ClassVar[str | None] = "adopted_on"

    strategy_id: Id
    decision_id: Id
    adopted_on: date


# --- decisions, external inputs, evidence ------------------------------------------------


@register
class DecisionRecorded(PlanRegistryEvent):
    """A formal decision (vedtak) with its archive reference (saksnummer), votes and amendments."""

    event_type: ClassVar[str] = "decision.recorded"
    effective_field: ClassVar[str | None] = "meeting_date"

    decision_id: Id
    body: Body
    body_name: Name | None = Field(default=None, examples=["Bærum kommunestyre"])
    case_number: Annotated[Reference, NonBlank] = Field(examples=["20/12345"])
    meeting_date: date
    subject: Title
    outcome: DecisionOutcome
    text: Description = ""
    votes: Votes | None = None
    """None when the decision was unanimous or the votes were not recorded."""
    unanimous: bool = False
    amendments: Annotated[tuple[Amendment, ...], Field(max_length=ITEMS_MAX), AfterValidator(_unique_numbers)] = ()
    strategy_id: Id | None = None
    plan_ids: IdSet = ()

    @model_validator(mode="after")
    def _unanimous_has_no_votes_against(self) -> Self:
        if self.unanimous and self.votes is not None and self.votes.against:
            raise ValueError("a unanimous decision has no votes against")
        return self


@register
class DecisionVoided(PlanRegistryEvent):
    """A decision recorded by mistake withdrawn (never deleted): ``voided_on`` the day it was found wrong."""

    event_type: ClassVar[str] = "decision.voided"
    effective_field: ClassVar[str | None] = "voided_on"

    decision_id: Id
    reason: Text
    voided_on: date
    replaced_by_decision_id: Id | None = None

    @model_validator(mode="after")
    def _not_replaced_by_itself(self) -> Self:
        if self.replaced_by_decision_id == self.decision_id:
            raise ValueError("a decision cannot be replaced by itself")
        return self


@register
class ViewsRequested(PlanRegistryEvent):
    """PBL §10-1 second paragraph: the municipality asks (innhenter synspunkter) a body for its views on the strategy."""

    event_type: ClassVar[str] = "views.requested"
    effective_field: ClassVar[str | None] = "sent_on"

    request_id: Id
    strategy_id: Id
    party_kind: PartyKind
    party_name: Title = Field(examples=["Viken fylkeskommune"])
    sent_on: date


@register
class InputReceived(PlanRegistryEvent):
    """An external input (innspill) from the state, a regional body, a neighbour or others, to a strategy or a plan."""

    event_type: ClassVar[str] = "input.received"
    effective_field: ClassVar[str | None] = "received_on"
    omitted_when_none: ClassVar[frozenset[str]] = frozenset({"in_reply_to"})

    input_id: Id
    from_party: Title = Field(examples=["Statsforvalteren i Oslo og Viken"])
    party_kind: PartyKind
    received_on: date
    strategy_id: Id | None = None
    plan_id: Id | None = None
    summary: Text
    document_reference: Reference | None = None
    in_reply_to: Id | None = None  # the views.requested it answers; absent in events sealed before it existed

    @model_validator(mode="after")
    def _concerns_something(self) -> Self:
        if self.strategy_id is None and self.plan_id is None:
            raise ValueError("an external input concerns a strategy_id or a plan_id")
        return self


@register
class EvidenceRecorded(PlanRegistryEvent):
    """A document of the knowledge base with its date; ``strategy_id`` when recorded for a strategy that cites it."""

    event_type: ClassVar[str] = "evidence.recorded"
    effective_field: ClassVar[str | None] = "dated"

    evidence_id: Id
    kind: EvidenceKind
    title: Title
    dated: date
    """The document's own date: folkehelseloven asks that the public health overview be at most four years old."""
    url: Url | None = None
    strategy_id: Id | None = None


PLAN_REGISTRY_EVENTS: tuple[type[PlanRegistryEvent], ...] = (
    GoalDefined,
    GoalRetired,
    IndicatorDefined,
    IndicatorMeasured,
    PlanProposed,
    PlanParentChanged,
    PlanAnchored,
    PlanAnchorRemoved,
    PlanStatusChanged,
    PlanDuplicateMerged,
    PlanRevisionScheduled,
    StrategyDrafted,
    StrategyItemSet,
    StrategyItemRemoved,
    StrategyKommuneplanAssessed,
    StrategyEvidenceCited,
    StrategyPublished,
    StrategyAdopted,
    DecisionRecorded,
    DecisionVoided,
    ViewsRequested,
    InputReceived,
    EvidenceRecorded,
)
