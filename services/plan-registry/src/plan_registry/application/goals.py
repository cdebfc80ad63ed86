"""Commands on goals and indicators: define a goal, define an indicator, measure, correct."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from uuid import UUID

from plan_registry.domain import Goal, Indicator, Plan
from planspor_runtime.application import Changed, CommandResult, ServiceApplication, request_of
from planspor_shared.meta import Meta


class GoalCommands(ServiceApplication):
    def define_goal(
        self,
        *,
        title: str,
        description: str = "",
        parent_goal_id: UUID | None = None,
        samfunnsdel_plan_id: UUID | None = None,
        sdg_targets: Iterable[str] = (),
        defined_on: date | None = None,
        meta: Meta,
        idempotency_key: str | None = None,
    ) -> CommandResult:
        """The parent goal and the samfunnsdel plan, when named, must be in the register."""
        request = request_of(
            locals(), omit=("defined_on",) if defined_on is None else (), sdg_targets=list(sdg_targets)
        )
        targets: list[str] = request["sdg_targets"]

        def run() -> Changed:
            parent = self.get(Goal, parent_goal_id) if parent_goal_id else None
            if samfunnsdel_plan_id:
                self.get(Plan, samfunnsdel_plan_id)
            return Changed(
                Goal.define(
                    title=title,
                    description=description,
                    parent=parent,
                    samfunnsdel_plan_id=samfunnsdel_plan_id,
                    sdg_targets=targets,
                    defined_on=defined_on,
                    meta=meta,
                )
            )

        return self.command("define_goal", request, run, idempotency_key=idempotency_key)

    def define_indicator(
        self,
        *,
        goal_id: UUID,
        name: str,
        unit: str,
        source: str,
        source_reference: str = "",
        description: str = "",
        baseline_value: Decimal | None = None,
        baseline_period: str | None = None,
        target_value: Decimal | None = None,
        target_year: int | None = None,
        defined_on: date | None = None,
        meta: Meta,
        idempotency_key: str | None = None,
    ) -> CommandResult:
        request = request_of(locals(), omit=("defined_on",) if defined_on is None else ())

        def run() -> Changed:
            return Changed(
                Indicator.define(
                    goal=self.get(Goal, goal_id),
                    name=name,
                    unit=unit,
                    source=source,
                    source_reference=source_reference,
                    description=description,
                    baseline_value=baseline_value,
                    baseline_period=baseline_period,
                    target_value=target_value,
                    target_year=target_year,
                    defined_on=defined_on,
                    meta=meta,
                )
            )

        return self.command("define_indicator", request, run, idempotency_key=idempotency_key)

    def record_measurement(
        self,
        indicator_id: UUID,
        *,
        period: str,
        value: Decimal,
        measured_on: date | None = None,
        expected_version: int | None = None,
        meta: Meta,
        idempotency_key: str | None = None,
    ) -> CommandResult:
        request = request_of(locals())

        def run() -> Changed:
            indicator = self.get(Indicator, indicator_id, expected_version)
            indicator.measure(period=period, value=value, measured_on=measured_on, meta=meta)
            return Changed(indicator)

        return self.command(
            "record_measurement", request, run, idempotency_key=idempotency_key, expected_version=expected_version
        )

    def correct_measurement(
        self,
        indicator_id: UUID,
        *,
        period: str,
        value: Decimal,
        reason: str,
        expected_version: int | None = None,
        meta: Meta,
        idempotency_key: str | None = None,
    ) -> CommandResult:
        request = request_of(locals())

        def run() -> Changed:
            indicator = self.get(Indicator, indicator_id, expected_version)
            indicator.correct_measurement(period=period, value=value, reason=reason, meta=meta)
            return Changed(indicator)

        return self.command(
            "correct_measurement", request, run, idempotency_key=idempotency_key, expected_version=expected_version
        )
