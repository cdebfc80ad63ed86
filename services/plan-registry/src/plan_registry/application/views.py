"""The read views: the current state of each aggregate as plain JSON data.

A view is what the API answers and what a replay must reproduce (the lifecycle test
compares the views of an aggregate and of its replayed events). It carries the
aggregate's ``version``: the ETag a caller sends back as ``If-Match``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from plan_registry.domain import (
    PLAN_TYPE_NORWEGIAN,
    Decision,
    Goal,
    Indicator,
    Plan,
    PlanStrategy,
)
from planspor_runtime.application import ServiceApplication, attributes


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _str(value: UUID | None) -> str | None:
    return str(value) if value is not None else None


def _ids_as_text(entry: dict[str, Any]) -> dict[str, Any]:
    return {k: (_str(v) if k.endswith("_id") else v) for k, v in entry.items()}


def _voided(voided: dict[str, Any] | None) -> dict[str, Any] | None:
    if voided is None:
        return None
    return {
        "reason": voided["reason"],
        "voided_on": _iso(voided["voided_on"]),
        "replaced_by": _str(voided["replaced_by"]),
    }


def goal_view(goal: Goal) -> dict[str, Any]:
    return {
        "id": str(goal.id),
        **attributes(goal, "version title description level"),
        "parent_id": _str(goal.parent_id),
        "samfunnsdel_plan_id": _str(goal.samfunnsdel_plan_id),
        "sdg_targets": list(goal.sdg_targets),
    }


def indicator_view(indicator: Indicator) -> dict[str, Any]:
    return {
        "id": str(indicator.id),
        "version": indicator.version,
        "goal_id": str(indicator.goal_id),
        **attributes(indicator, "name unit description source source_reference"),
        "baseline": None
        if indicator.baseline_period is None
        else {"value": str(indicator.baseline_value), "period": indicator.baseline_period},
        "target": None
        if indicator.target_year is None
        else {"value": str(indicator.target_value), "year": indicator.target_year},
        "measurements": [
            {"period": period, "value": str(m.value), "measured_on": _iso(m.measured_on), "corrections": m.corrections}
            for period, m in sorted(indicator.measurements.items())
        ],
    }


def decision_view(decision: Decision) -> dict[str, Any]:
    return {
        "id": str(decision.id),
        **attributes(decision, "version body body_name case_number"),
        "meeting_date": decision.meeting_date.isoformat(),
        **attributes(decision, "subject text outcome"),
        "votes": dict(decision.votes),
        "unanimous": decision.unanimous,
        "amendments": [{"number": n, **_ids_as_text(a.as_dict())} for n, a in enumerate(decision.amendments, start=1)],
        "strategy_id": _str(decision.strategy_id),
        "plan_ids": [str(p) for p in decision.plan_ids],
        "voided": _voided(decision.voided),
    }


def plan_view(plan: Plan) -> dict[str, Any]:
    return {
        "id": str(plan.id),
        **attributes(plan, "version name plan_type"),
        "plan_type_no": PLAN_TYPE_NORWEGIAN[plan.plan_type],
        "statutory": plan.is_statutory,
        **attributes(plan, "legal_basis owning_unit description"),
        "parent_id": _str(plan.parent_id),
        "initiated_through_strategy": plan.initiated_through_strategy,
        "strategy_id": _str(plan.strategy_id),
        "strategy_item_id": _str(plan.strategy_item_id),
        "proposed_on": _iso(plan.proposed_on),
        "status": plan.status.value,
        "goal_ids": [str(g) for g in plan.goal_ids],
        "planprogram_adopted_on": _iso(plan.planprogram_adopted_on),
        "consultations": [
            {"opened_on": _iso(c["opened_on"]), "closed_on": _iso(c["closed_on"])} for c in plan.consultations
        ],
        "adopted_on": _iso(plan.adopted_on),
        "adopted_by_decision_id": _str(plan.adopted_by),
        **attributes(plan, "in_force_from revision_due revision_reason ended_on"),
        "ended_by_decision_id": _str(plan.ended_by),
        "duplicate_of": None
        if plan.duplicate_of is None
        else {
            "kept_plan_id": str(plan.duplicate_of["kept"]),
            "reason": plan.duplicate_of["reason"],
            "merged_on": _iso(plan.duplicate_of["on"]),
        },
        "successor_id": _str(plan.successor_id),
        "status_history": [
            {"status": h["status"], "on": _iso(h["on"]), "decision_id": _str(h["decision_id"])}
            for h in plan.status_history
        ],
    }


def strategy_view(strategy: PlanStrategy) -> dict[str, Any]:
    return {
        "id": str(strategy.id),
        **attributes(strategy, "version title election_period council_constituted_on"),
        "recommendation_id": _str(strategy.recommendation_id),
        "process_id": _str(strategy.process_id),
        "status": strategy.status.value,
        "items": [
            {"item_id": str(item_id), **_ids_as_text(item)}
            for item_id, item in sorted(strategy.items.items(), key=lambda kv: str(kv[0]))
        ],
        "kommuneplan_assessment": {
            "samfunnsdel": strategy.samfunnsdel.value if strategy.samfunnsdel else None,
            "arealdel": strategy.arealdel.value if strategy.arealdel else None,
            "rationale": strategy.assessment_rationale,
        },
        "external_inputs": [
            {
                **i,
                "input_id": str(i["input_id"]),
                "received_on": _iso(i["received_on"]),
                "in_reply_to": _str(i.get("in_reply_to")),
            }
            for i in strategy.external_inputs
        ],
        "view_requests": [
            {"request_id": str(request_id), **request, "sent_on": _iso(request["sent_on"])}
            for request_id, request in strategy.view_requests.items()
        ],
        "evidence": [{**e, "evidence_id": str(e["evidence_id"]), "dated": _iso(e["dated"])} for e in strategy.evidence],
        **attributes(strategy, "published_on planned_meeting_on adopted_on"),
        "adopted_by_decision_id": _str(strategy.adopted_by),
        "adopted_within_a_year": strategy.adopted_within_a_year,
    }


@dataclass(frozen=True)
class Kind:
    """A kind of aggregate as the API names it: its class, the event that creates one, and its view."""

    aggregate: type[Aggregate]
    created: type[Aggregate.Created]
    view: Callable[[Any], dict[str, Any]]


KINDS: dict[str, Kind] = {
    "goal": Kind(Goal, Goal.Defined, goal_view),
    "indicator": Kind(Indicator, Indicator.Defined, indicator_view),
    "plan": Kind(Plan, Plan.Proposed, plan_view),
    "strategy": Kind(PlanStrategy, PlanStrategy.Drafted, strategy_view),
    "decision": Kind(Decision, Decision.Recorded, decision_view),
}
"""The kinds of the read routes (``/goals``, ``/plans``, ...), by the word used in messages."""


class Reads(ServiceApplication):
    """The queries of the register: views of one aggregate or of every one of a kind, and histories."""

    def state(self, kind: str, aggregate_id: UUID | str) -> dict[str, Any]:
        """The current state of a goal, indicator, plan, strategy or decision (404 if it is another kind)."""
        known = KINDS[kind]
        return known.view(self.get(known.aggregate, aggregate_id))

    def states(self, kind: str, *, limit: int | None = None) -> list[dict[str, Any]]:
        """The current state of every aggregate of a kind, in order of creation."""
        known = KINDS[kind]
        return [known.view(self.get(known.aggregate, i)) for i in self.ids_created([known.created], limit=limit)]

    def states_page(self, kind: str, *, limit: int, after: int = 0) -> tuple[list[dict[str, Any]], int | None]:
        """A page of ``states``: at most ``limit`` created after the log position ``after``, and the position to
        continue after (None on the last page)."""
        known = KINDS[kind]
        ids, last = self.created_page([known.created], limit=limit, after=after)
        return [known.view(self.get(known.aggregate, i)) for i in ids], last

    def history_of(self, kind: str, aggregate_id: UUID | str) -> list[dict[str, Any]]:
        """The stored events of one aggregate of ``kind``, oldest first."""
        self.get(KINDS[kind].aggregate, aggregate_id)
        return self.history(aggregate_id)
