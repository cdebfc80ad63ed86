"""Plans of the municipality's plan system and their lifecycle (domain.md, "Lifecycle of a statutory plan")."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate, event

from plan_registry.domain.checks import required_text
from plan_registry.domain.decision import Decision
from plan_registry.domain.errors import (
    AlreadyDone,
    HierarchyCycle,
    InvalidMergeTarget,
    InvalidValue,
    StatutoryProcessIncomplete,
    TransitionNotAllowed,
    WrongBody,
)
from plan_registry.domain.goal import Goal
from plan_registry.domain.ids import STORED_TOPIC_MODULE
from plan_registry.domain.lifecycle import CONSULTATION_MINIMUM_DAYS, DATED_STEPS, PLAN_TRANSITIONS
from plan_registry.domain.vocabulary import (
    ENDED_PLAN_STATUSES,
    PLAN_TYPE_NORWEGIAN,
    Body,
    PlanStatus,
    PlanType,
    choice,
    is_kommuneplan,
    is_statutory,
)
from planspor_shared.meta import Meta


def check_no_cycle(plan_id: UUID, parent_id: UUID, ancestors_of_parent: Iterable[UUID]) -> None:
    """The plan hierarchy is a forest: no plan is its own ancestor."""
    if parent_id == plan_id or plan_id in set(ancestors_of_parent):
        raise HierarchyCycle(
            "plan.hierarchy_without_cycles",
            f"plan {plan_id} cannot be part of {parent_id}: that would make it its own ancestor",
        )


class Plan(Aggregate):
    """A plan of the municipality's plan system and its lifecycle."""

    __module__ = STORED_TOPIC_MODULE

    if TYPE_CHECKING:  # the event classes eventsourcing makes of the @event methods below
        Proposed: ClassVar[type[Aggregate.Created]]
        StatusChanged: ClassVar[type[Aggregate.Event]]
        Anchored: ClassVar[type[Aggregate.Event]]
        ParentChanged: ClassVar[type[Aggregate.Event]]
        RevisionScheduled: ClassVar[type[Aggregate.Event]]
        DuplicateMerged: ClassVar[type[Aggregate.Event]]

    @staticmethod
    def create_id(**_: Any) -> UUID:
        return uuid4()

    @classmethod
    def propose(
        cls,
        *,
        name: str,
        plan_type: PlanType | str,
        legal_basis: str,
        owning_unit: str,
        description: str = "",
        parent: Plan | None = None,
        initiated_through_strategy: bool,
        strategy_id: UUID | None = None,
        strategy_item_id: UUID | None = None,
        proposed_on: date | None = None,
        meta: Meta,
    ) -> Plan:
        """Whether the plan was started through the adopted strategy is what the
        proposer says and names (the strategy), never inferred. ``proposed_on`` is the day
        work on it started (effective time), which may be long before it is entered."""
        name = required_text("name", name, "plan.name_required")
        owning_unit = required_text("owning_unit", owning_unit, "plan.owning_unit_required")
        known_type = choice(PlanType, plan_type, "plan.type_known", "plan_type")
        if initiated_through_strategy and strategy_id is None:
            raise InvalidValue(
                "plan.initiating_strategy_named",
                "a plan initiated through the strategy names that strategy (strategy_id)",
            )
        if not initiated_through_strategy and (strategy_id is not None or strategy_item_id is not None):
            raise InvalidValue(
                "plan.initiating_strategy_named",
                "strategy_id / strategy_item_id are given, but initiated_through_strategy is false",
            )
        if parent is not None:
            parent.check_can_be_parent()
        return cls(
            name=name,
            plan_type=known_type.value,
            legal_basis=legal_basis or "",
            owning_unit=owning_unit,
            description=description or "",
            parent_id=parent.id if parent else None,
            initiated_through_strategy=bool(initiated_through_strategy),
            strategy_id=strategy_id,
            strategy_item_id=strategy_item_id,
            proposed_on=proposed_on,
            meta=meta,
        )

    @event("Proposed")
    def __init__(
        self,
        *,
        name: str,
        plan_type: str,
        legal_basis: str,
        owning_unit: str,
        description: str,
        parent_id: UUID | None,
        initiated_through_strategy: bool,
        strategy_id: UUID | None,
        strategy_item_id: UUID | None,
        meta: Meta,
        proposed_on: date | None = None,
    ) -> None:
        self.name = name
        self.proposed_on = proposed_on
        self.plan_type = PlanType(plan_type)
        self.legal_basis = legal_basis
        self.owning_unit = owning_unit
        self.description = description
        self.parent_id = parent_id
        self.initiated_through_strategy = initiated_through_strategy
        self.strategy_id = strategy_id
        self.strategy_item_id = strategy_item_id
        self.status = PlanStatus.PROPOSED
        self.goal_ids: tuple[UUID, ...] = ()
        self.planprogram_adopted_on: date | None = None
        self.consultations: list[dict[str, Any]] = []
        self.adopted_on: date | None = None
        self.adopted_by: UUID | None = None
        self.in_force_from: date | None = None
        self.revision_due: date | None = None
        self.revision_reason: str = ""
        self.ended_on: date | None = None
        self.ended_by: UUID | None = None
        self.successor_id: UUID | None = None
        self.status_history: list[dict[str, Any]] = []
        self.duplicate_of: dict[str, Any] | None = None

    # -- rules

    @property
    def is_ended(self) -> bool:
        return self.status in ENDED_PLAN_STATUSES

    @property
    def is_statutory(self) -> bool:
        """Adopted only with a planprogram and six weeks' consultation on record (PBL §4-1, §11-14)."""
        return is_statutory(self.plan_type)

    def check_transition(self, to: PlanStatus) -> None:
        if to not in PLAN_TRANSITIONS[self.status]:
            allowed = ", ".join(sorted(s.value for s in PLAN_TRANSITIONS[self.status])) or "none (the plan has ended)"
            raise TransitionNotAllowed(
                "plan.lifecycle_transition",
                f"a plan that is {self.status.value} cannot become {to.value}; allowed next: {allowed}",
            )

    def check_not_ended(self, doing: str) -> None:
        if self.is_ended:
            raise TransitionNotAllowed("plan.not_ended", f"the plan is {self.status.value}; it cannot be {doing}")

    def check_can_be_parent(self) -> None:
        if self.is_ended:
            raise InvalidMergeTarget(
                "plan.parent_not_ended", f"plan {self.id} is {self.status.value} and cannot be a parent plan"
            )

    def check_statutory_process(self) -> None:
        """PBL §4-1 and §11-14: an adopted planprogram and six weeks' consultation on record."""
        if not self.is_statutory:
            return
        if self.planprogram_adopted_on is None:
            raise StatutoryProcessIncomplete(
                "plan.planprogram_before_adoption",
                f"PBL §4-1: a {PLAN_TYPE_NORWEGIAN[self.plan_type]} needs an adopted planprogram before adoption",
                paragraph="PBL §4-1",
            )
        long_enough = [
            c
            for c in self.consultations
            if c["closed_on"] is not None and (c["closed_on"] - c["opened_on"]).days >= CONSULTATION_MINIMUM_DAYS
        ]
        if not long_enough:
            held = ", ".join(f"{c['opened_on']} to {c['closed_on'] or 'open'}" for c in self.consultations) or "none"
            raise StatutoryProcessIncomplete(
                "plan.consultation_six_weeks",
                f"PBL §11-14: a {PLAN_TYPE_NORWEGIAN[self.plan_type]} needs a closed consultation of at least "
                f"six weeks ({CONSULTATION_MINIMUM_DAYS} days) on record before adoption; on record: {held}",
                paragraph="PBL §11-14",
            )

    def _check_date(self, on: date) -> None:
        last = self.status_history[-1]["on"] if self.status_history else None
        if last is not None and on < last:
            raise InvalidValue("plan.dates_in_order", f"date {on} is before the last status change ({last})")
        if self.proposed_on is not None and on < self.proposed_on:
            raise InvalidValue("plan.dates_in_order", f"date {on} is before the plan was proposed ({self.proposed_on})")

    # -- commands

    def advance(self, *, to: PlanStatus | str, on: date, decision: Decision | None = None, meta: Meta) -> None:
        """A dated step of the lifecycle; adoption and the ends have their own commands."""
        try:
            step = PlanStatus(to)
        except ValueError:
            raise InvalidValue("plan.status_known", f"status '{to}' is not a plan status") from None
        if step not in DATED_STEPS:
            raise InvalidValue(
                "plan.step_needs_its_command",
                f"'{step.value}' is recorded by its own command (adopt, repeal, replace, merge)",
            )
        self.check_transition(step)
        self._check_date(on)
        if decision is not None:
            decision.check_not_voided()
        if step is PlanStatus.CONSULTATION_OPEN and self.is_statutory and self.planprogram_adopted_on is None:
            raise StatutoryProcessIncomplete(
                "plan.planprogram_before_consultation",
                f"PBL §4-1: a {PLAN_TYPE_NORWEGIAN[self.plan_type]} goes on consultation after its planprogram "
                "is adopted",
                paragraph="PBL §4-1",
            )
        self._record_status(step, on, meta=meta, decision_id=decision.id if decision else None)

    def start_preparation(self, *, on: date, meta: Meta) -> None:
        self.advance(to=PlanStatus.IN_PREPARATION, on=on, meta=meta)

    def adopt_planprogram(self, *, on: date, decision: Decision | None = None, meta: Meta) -> None:
        self.advance(to=PlanStatus.PLANPROGRAM_ADOPTED, on=on, decision=decision, meta=meta)

    def open_consultation(self, *, on: date, meta: Meta) -> None:
        self.advance(to=PlanStatus.CONSULTATION_OPEN, on=on, meta=meta)

    def close_consultation(self, *, on: date, meta: Meta) -> None:
        """Recorded however short it was: the adoption rule judges the length."""
        self.advance(to=PlanStatus.CONSULTATION_CLOSED, on=on, meta=meta)

    def bring_into_force(self, *, on: date, meta: Meta) -> None:
        self.advance(to=PlanStatus.IN_FORCE, on=on, meta=meta)

    def start_revision(self, *, on: date, meta: Meta) -> None:
        self.advance(to=PlanStatus.UNDER_REVISION, on=on, meta=meta)

    def adopt(self, *, decision: Decision, meta: Meta) -> None:
        self.check_transition(PlanStatus.ADOPTED)
        self._check_date(decision.meeting_date)
        decision.check_adopts(self.id, "plan")
        if is_kommuneplan(self.plan_type) and decision.body is not Body.MUNICIPAL_COUNCIL:
            raise WrongBody(
                "plan.kommuneplan_adopted_by_council",
                f"PBL §11-15: the kommuneplan is adopted by the kommunestyre itself, not by {decision.body.value}",
                paragraph="PBL §11-15",
            )
        self.check_statutory_process()
        self._record_status(PlanStatus.ADOPTED, decision.meeting_date, meta=meta, decision_id=decision.id)

    def repeal(self, *, decision: Decision, meta: Meta) -> None:
        self.check_transition(PlanStatus.REPEALED)
        self._check_date(decision.meeting_date)
        decision.check_adopts(self.id, "repeal of the plan")
        self._record_status(PlanStatus.REPEALED, decision.meeting_date, meta=meta, decision_id=decision.id)

    def replace_by(self, *, successor: Plan, decision: Decision, meta: Meta) -> None:
        self._check_successor(successor, "replaced by")
        self.check_transition(PlanStatus.REPLACED)
        self._check_date(decision.meeting_date)
        decision.check_adopts(self.id, "replacement of the plan")
        self._record_status(
            PlanStatus.REPLACED, decision.meeting_date, meta=meta, decision_id=decision.id, related_plan_id=successor.id
        )

    def merge_into(self, *, target: Plan, decision: Decision, meta: Meta) -> None:
        self._check_successor(target, "merged into")
        self.check_transition(PlanStatus.MERGED)
        self._check_date(decision.meeting_date)
        decision.check_adopts(self.id, "merger of the plan")
        self._record_status(
            PlanStatus.MERGED, decision.meeting_date, meta=meta, decision_id=decision.id, related_plan_id=target.id
        )

    def merge_as_duplicate_of(self, *, kept: Plan, reason: str, on: date, meta: Meta) -> None:
        """A plan registered twice is withdrawn in favour of the one kept (a correction of the register, not a
        merger of plans in the municipality: no decision, no status)."""
        if self.duplicate_of is not None:
            raise AlreadyDone(
                "plan.duplicate_merged_once", f"plan {self.id} is already a duplicate of {self.duplicate_of['kept']}"
            )
        reason = required_text("reason", reason, "plan.duplicate_reason_required")
        if kept.id == self.id:
            raise InvalidMergeTarget(
                "plan.duplicate_not_itself", "kept_plan_id: a plan cannot be a duplicate of itself"
            )
        if kept.duplicate_of is not None:
            raise InvalidMergeTarget(
                "plan.duplicate_of_a_kept_plan",
                f"kept_plan_id: plan {kept.id} is itself a duplicate of {kept.duplicate_of['kept']}: name that one",
            )
        self._merge_duplicate(kept_id=kept.id, reason=reason, on=on, meta=meta)

    @event("DuplicateMerged")
    def _merge_duplicate(self, kept_id: UUID, reason: str, on: date, meta: Meta) -> None:
        self.duplicate_of = {"kept": kept_id, "reason": reason, "on": on}

    def _check_successor(self, other: Plan, relation: str) -> None:
        if other.id == self.id:
            raise InvalidMergeTarget("plan.successor_not_itself", f"a plan cannot be {relation} itself")
        if other.is_ended:
            raise InvalidMergeTarget(
                "plan.successor_not_ended",
                f"plan {other.id} is {other.status.value}: a plan cannot be {relation} a plan that has ended",
            )

    def _record_status(
        self,
        to: PlanStatus,
        on: date,
        *,
        meta: Meta,
        decision_id: UUID | None = None,
        related_plan_id: UUID | None = None,
    ) -> None:
        consultation_from = consultation_until = None
        if to is PlanStatus.CONSULTATION_OPEN:
            consultation_from = on
        elif to is PlanStatus.CONSULTATION_CLOSED:
            consultation_from, consultation_until = self.consultations[-1]["opened_on"], on
        self._change_status(
            from_status=self.status.value,
            status=to.value,
            on=on,
            decision_id=decision_id,
            related_plan_id=related_plan_id,
            consultation_from=consultation_from,
            consultation_until=consultation_until,
            meta=meta,
        )

    @event("StatusChanged")
    def _change_status(
        self,
        from_status: str,
        status: str,
        on: date,
        decision_id: UUID | None,
        related_plan_id: UUID | None,
        consultation_from: date | None,
        consultation_until: date | None,
        meta: Meta,
    ) -> None:
        new = PlanStatus(status)
        self.status = new
        self.status_history.append({"status": new.value, "on": on, "decision_id": decision_id})
        if new is PlanStatus.PLANPROGRAM_ADOPTED:
            self.planprogram_adopted_on = on
        elif new is PlanStatus.CONSULTATION_OPEN:
            self.consultations.append({"opened_on": on, "closed_on": None})
        elif new is PlanStatus.CONSULTATION_CLOSED:
            self.consultations[-1]["closed_on"] = on
        elif new is PlanStatus.ADOPTED:
            self.adopted_on, self.adopted_by = on, decision_id
        elif new is PlanStatus.IN_FORCE:
            self.in_force_from = on
        elif new is PlanStatus.UNDER_REVISION:
            self.planprogram_adopted_on = None
            self.consultations = []
        elif new in ENDED_PLAN_STATUSES:
            self.ended_on, self.ended_by, self.successor_id = on, decision_id, related_plan_id

    def anchor_in(self, goal: Goal, *, meta: Meta, on: date | None = None) -> None:
        self.check_not_ended("anchored")
        if goal.id in self.goal_ids:
            raise AlreadyDone("plan.anchored_once", f"the plan is already anchored in goal {goal.id}")
        self._anchor(goal_id=goal.id, meta=meta, on=on)

    @event("Anchored")
    def _anchor(self, goal_id: UUID, meta: Meta, on: date | None = None) -> None:
        self.goal_ids = (*self.goal_ids, goal_id)

    def move_under(self, parent: Plan | None, *, ancestors_of_parent: Iterable[UUID] = (), meta: Meta) -> None:
        """Places the plan in the hierarchy; the application walks ``ancestors_of_parent``."""
        self.check_not_ended("moved in the hierarchy")
        if parent is not None:
            check_no_cycle(self.id, parent.id, ancestors_of_parent)
            parent.check_can_be_parent()
        new_parent = parent.id if parent else None
        if new_parent == self.parent_id:
            raise AlreadyDone("plan.parent_changed", "the plan already has this parent")
        self._move(parent_id=new_parent, previous_parent_id=self.parent_id, meta=meta)

    @event("ParentChanged")
    def _move(self, parent_id: UUID | None, previous_parent_id: UUID | None, meta: Meta) -> None:
        self.parent_id = parent_id

    def schedule_revision(self, *, due: date, reason: str = "", on: date | None = None, meta: Meta) -> None:
        """``on``: the day the revision date was set (effective time)."""
        self.check_not_ended("scheduled for revision")
        self._schedule_revision(due=due, reason=reason or "", meta=meta, on=on)

    @event("RevisionScheduled")
    def _schedule_revision(self, due: date, reason: str, meta: Meta, on: date | None = None) -> None:
        self.revision_due = due
        self.revision_reason = reason
