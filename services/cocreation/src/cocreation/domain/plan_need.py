"""The plan need (planbehov): a need for a new plan, or to revise, repeal or merge one."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, ClassVar

from eventsourcing.domain import Aggregate, event

from cocreation.domain.checks import UnknownPlans, blank, check_plans_known, duplicates
from cocreation.domain.errors import InvalidPlanNeed
from cocreation.domain.ids import STORED_TOPIC_MODULE
from cocreation.domain.phases import Activity
from cocreation.domain.process import Process
from cocreation.domain.vocabulary import PlanNeedKind, PlanType
from planspor_shared.meta import Meta


class PlanNeed(Aggregate):
    """A need derived from one or more inputs. The plans named must fit the kind: none for
    new (a plan type may be proposed), ``plan_id`` for revise or repeal, and ``plan_id``
    merged into another ``merge_into_plan_id`` for merge."""

    __module__ = STORED_TOPIC_MODULE

    if TYPE_CHECKING:  # the event classes eventsourcing makes of the @event methods below
        Proposed: ClassVar[type[Aggregate.Created]]

    @classmethod
    def propose(
        cls,
        *,
        process: Process,
        input_ids: Sequence[str],
        kind: PlanNeedKind | str,
        title: str,
        rationale: str,
        plan_id: str | None,
        unknown_plans: UnknownPlans,
        meta: Meta,
        merge_into_plan_id: str | None = None,
        plan_type: str | None = None,
        proposed_on: date | None = None,
    ) -> PlanNeed:
        process.check_phase(Activity.PROPOSE_PLAN_NEED)
        need_kind = PlanNeedKind(kind)
        if blank(title):
            raise InvalidPlanNeed("plan_need.details", "a plan need needs a title")
        if not input_ids:
            raise InvalidPlanNeed("plan_need.derived_from_inputs", "a plan need is derived from at least one input")
        if duplicates(input_ids):
            raise InvalidPlanNeed("plan_need.details", "an input is listed twice")
        process.check_owns("input", input_ids, process.input_ids)
        cls.check_plans_fit_kind(need_kind, plan_id, merge_into_plan_id, plan_type)
        check_plans_known("plan_need.plan_known", [p for p in (plan_id, merge_into_plan_id) if p], unknown_plans)
        need = cls(
            process_id=str(process.id),
            input_ids=list(input_ids),
            kind=need_kind.value,
            title=title.strip(),
            rationale=(rationale or "").strip(),
            plan_id=plan_id,
            merge_into_plan_id=merge_into_plan_id,
            plan_type=plan_type,
            proposed_on=proposed_on,
            meta=meta,
        )
        process.add_plan_need(plan_need_id=str(need.id), meta=meta)
        return need

    @staticmethod
    def check_plans_fit_kind(
        kind: PlanNeedKind, plan_id: str | None, merge_into_plan_id: str | None, plan_type: str | None
    ) -> None:
        known_types = sorted(t.value for t in PlanType)
        if plan_type and plan_type not in known_types:
            raise InvalidPlanNeed(
                "plan_need.plan_type", f"plan_type '{plan_type}' is not one of: " + ", ".join(known_types)
            )
        rule = "plan_need.plans_match_kind"
        if kind is PlanNeedKind.NEW:
            if plan_id or merge_into_plan_id:
                raise InvalidPlanNeed(rule, "a need for a new plan names no existing plan: leave plan_id empty")
            return
        if not plan_id:
            raise InvalidPlanNeed(rule, f"a need to {kind.value} a plan names the plan: plan_id is required")
        if plan_type:
            raise InvalidPlanNeed(rule, "plan_type is proposed only for a new plan")
        if kind is PlanNeedKind.MERGE:
            if not merge_into_plan_id:
                raise InvalidPlanNeed(rule, "a need to merge names the plan to merge into: merge_into_plan_id")
            if merge_into_plan_id == plan_id:
                raise InvalidPlanNeed(rule, "a plan cannot be merged into itself")
        elif merge_into_plan_id:
            raise InvalidPlanNeed(rule, "merge_into_plan_id is only for a need to merge")

    @event("Proposed")
    def __init__(
        self,
        process_id: str,
        input_ids: list[str],
        kind: str,
        title: str,
        rationale: str,
        plan_id: str | None,
        merge_into_plan_id: str | None,
        plan_type: str | None,
        meta: Meta,
        proposed_on: date | None = None,
    ) -> None:
        self.process_id = process_id
        self.input_ids = list(input_ids)
        self.kind = PlanNeedKind(kind)
        self.title = title
        self.rationale = rationale
        self.plan_id = plan_id
        self.merge_into_plan_id = merge_into_plan_id
        self.plan_type = plan_type
