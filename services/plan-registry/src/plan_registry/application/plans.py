"""Commands on plans: propose, the lifecycle (steps, adoption, the ends), anchoring, hierarchy, revision.

Every command on an existing plan goes the same way (``_change_plan``): load the plan
at the version the caller read, let the aggregate judge, save. The other aggregates a
rule needs (the decision, the goal, the successor) are loaded first, so an unknown
one is a 404 before any rule runs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any
from uuid import UUID

from plan_registry.domain import Decision, Goal, Plan, PlanStatus, PlanStrategy
from planspor_runtime.application import Changed, CommandResult, ServiceApplication, request_of
from planspor_runtime.bodies import municipal_today
from planspor_shared.meta import Meta

MAX_HIERARCHY_DEPTH = 10_000
"""How far ``_ancestors`` walks up, in case stored data loops."""


class PlanCommands(ServiceApplication):
    def propose_plan(
        self,
        *,
        name: str,
        plan_type: str,
        legal_basis: str,
        owning_unit: str,
        initiated_through_strategy: bool,
        description: str = "",
        parent_plan_id: UUID | None = None,
        strategy_id: UUID | None = None,
        strategy_item_id: UUID | None = None,
        proposed_on: date | None = None,
        meta: Meta,
        idempotency_key: str | None = None,
    ) -> CommandResult:
        """The parent plan and the initiating strategy, when named, must be in the register. ``proposed_on``
        is the day work on the plan started (effective time); left out, the day it is
        recorded (in Norway) stands in, and no rule is judged against it."""
        request = request_of(locals(), omit=("proposed_on",) if proposed_on is None else ())

        def run() -> Changed:
            parent = self.get(Plan, parent_plan_id) if parent_plan_id else None
            if strategy_id:
                self.get(PlanStrategy, strategy_id)
            return Changed(
                Plan.propose(
                    name=name,
                    plan_type=plan_type,
                    legal_basis=legal_basis,
                    owning_unit=owning_unit,
                    description=description,
                    parent=parent,
                    initiated_through_strategy=initiated_through_strategy,
                    strategy_id=strategy_id,
                    strategy_item_id=strategy_item_id,
                    proposed_on=proposed_on,
                    meta=meta,
                )
            )

        return self.command("propose_plan", request, run, idempotency_key=idempotency_key)

    def advance_plan(
        self,
        plan_id: UUID,
        *,
        to: PlanStatus | str,
        on: date | None = None,
        decision_id: UUID | None = None,
        expected_version: int | None = None,
        meta: Meta,
        idempotency_key: str | None = None,
    ) -> CommandResult:
        def act(plan: Plan) -> None:
            decision = self.get(Decision, decision_id) if decision_id else None
            plan.advance(to=to, on=on or municipal_today(), decision=decision, meta=meta)

        return self._change_plan(
            "advance_plan",
            plan_id,
            dict(to=str(to), on=on, decision_id=decision_id),
            act,
            expected_version=expected_version,
            idempotency_key=idempotency_key,
        )

    def adopt_plan(
        self,
        plan_id: UUID,
        *,
        decision_id: UUID,
        expected_version: int | None = None,
        meta: Meta,
        idempotency_key: str | None = None,
    ) -> CommandResult:
        def act(plan: Plan) -> None:
            plan.adopt(decision=self.get(Decision, decision_id), meta=meta)

        return self._change_plan(
            "adopt_plan",
            plan_id,
            dict(decision_id=decision_id),
            act,
            expected_version=expected_version,
            idempotency_key=idempotency_key,
        )

    def repeal_plan(
        self,
        plan_id: UUID,
        *,
        decision_id: UUID,
        expected_version: int | None = None,
        meta: Meta,
        idempotency_key: str | None = None,
    ) -> CommandResult:
        def act(plan: Plan) -> None:
            plan.repeal(decision=self.get(Decision, decision_id), meta=meta)

        return self._change_plan(
            "repeal_plan",
            plan_id,
            dict(decision_id=decision_id),
            act,
            expected_version=expected_version,
            idempotency_key=idempotency_key,
        )

    def replace_plan(
        self,
        plan_id: UUID,
        *,
        successor_id: UUID,
        decision_id: UUID,
        expected_version: int | None = None,
        meta: Meta,
        idempotency_key: str | None = None,
    ) -> CommandResult:
        def act(plan: Plan) -> None:
            plan.replace_by(successor=self.get(Plan, successor_id), decision=self.get(Decision, decision_id), meta=meta)

        return self._change_plan(
            "replace_plan",
            plan_id,
            dict(successor_id=successor_id, decision_id=decision_id),
            act,
            expected_version=expected_version,
            idempotency_key=idempotency_key,
        )

    def merge_plan(
        self,
        plan_id: UUID,
        *,
        target_id: UUID,
        decision_id: UUID,
        expected_version: int | None = None,
        meta: Meta,
        idempotency_key: str | None = None,
    ) -> CommandResult:
        def act(plan: Plan) -> None:
            plan.merge_into(target=self.get(Plan, target_id), decision=self.get(Decision, decision_id), meta=meta)

        return self._change_plan(
            "merge_plan",
            plan_id,
            dict(target_id=target_id, decision_id=decision_id),
            act,
            expected_version=expected_version,
            idempotency_key=idempotency_key,
        )

    def merge_duplicate_plan(
        self,
        plan_id: UUID,
        *,
        kept_plan_id: UUID,
        reason: str,
        merged_on: date | None = None,
        expected_version: int | None = None,
        meta: Meta,
        idempotency_key: str | None = None,
    ) -> CommandResult:
        """``merged_on`` is the day the duplicate was found (effective time; left out, today in Norway)."""

        def act(plan: Plan) -> None:
            kept = self.get(Plan, kept_plan_id)
            plan.merge_as_duplicate_of(kept=kept, reason=reason, on=merged_on or municipal_today(), meta=meta)

        return self._change_plan(
            "merge_duplicate_plan",
            plan_id,
            dict(kept_plan_id=kept_plan_id, reason=reason, merged_on=merged_on),
            act,
            expected_version=expected_version,
            idempotency_key=idempotency_key,
        )

    def anchor_plan(
        self,
        plan_id: UUID,
        *,
        goal_id: UUID,
        expected_version: int | None = None,
        meta: Meta,
        anchored_on: date | None = None,
        idempotency_key: str | None = None,
    ) -> CommandResult:
        def act(plan: Plan) -> None:
            plan.anchor_in(self.get(Goal, goal_id), meta=meta, on=anchored_on)

        return self._change_plan(
            "anchor_plan",
            plan_id,
            dict(goal_id=goal_id) | ({"anchored_on": anchored_on} if anchored_on else {}),
            act,
            expected_version=expected_version,
            idempotency_key=idempotency_key,
        )

    def move_plan(
        self,
        plan_id: UUID,
        *,
        parent_plan_id: UUID | None,
        expected_version: int | None = None,
        meta: Meta,
        idempotency_key: str | None = None,
    ) -> CommandResult:
        """The hierarchy stays a forest: the new parent's ancestors are walked for a cycle."""

        def act(plan: Plan) -> None:
            if parent_plan_id is None:
                plan.move_under(None, meta=meta)
                return
            parent = self.get(Plan, parent_plan_id)
            plan.move_under(parent, ancestors_of_parent=self._ancestors(parent), meta=meta)

        return self._change_plan(
            "move_plan",
            plan_id,
            dict(parent_plan_id=parent_plan_id),
            act,
            expected_version=expected_version,
            idempotency_key=idempotency_key,
        )

    def schedule_revision(
        self,
        plan_id: UUID,
        *,
        due: date,
        reason: str = "",
        on: date | None = None,
        expected_version: int | None = None,
        meta: Meta,
        idempotency_key: str | None = None,
    ) -> CommandResult:
        def act(plan: Plan) -> None:
            plan.schedule_revision(due=due, reason=reason, on=on, meta=meta)

        return self._change_plan(
            "schedule_revision",
            plan_id,
            dict(due=due, reason=reason) | ({"on": on} if on else {}),
            act,
            expected_version=expected_version,
            idempotency_key=idempotency_key,
        )

    def _change_plan(
        self,
        name: str,
        plan_id: UUID,
        request: Mapping[str, Any],
        act: Callable[[Plan], None],
        *,
        expected_version: int | None,
        idempotency_key: str | None,
    ) -> CommandResult:
        def run() -> Changed:
            plan = self.get(Plan, plan_id, expected_version)
            act(plan)
            return Changed(plan)

        return self.command(
            name,
            {"plan_id": plan_id, **request},
            run,
            idempotency_key=idempotency_key,
            expected_version=expected_version,
        )

    def _ancestors(self, plan: Plan) -> list[UUID]:
        """The plan's parent, its parent, and so on up to the top."""
        chain: list[UUID] = []
        current = plan
        while current.parent_id is not None and current.parent_id not in chain and len(chain) < MAX_HIERARCHY_DEPTH:
            chain.append(current.parent_id)
            current = self.get(Plan, current.parent_id)
        return chain
