"""Indicators of a goal and their measurements; a correction of a period's value is its own event."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response
from pydantic import Field

from plan_registry.api.dependencies import ExpectedVersion, PlannerMeta, Registry
from plan_registry.api.models import CommandAnswer, answered
from plan_registry.domain import IndicatorSource
from planspor_runtime.bodies import Decimal, Description, EffectiveDate, Label, Reference, RequestBody, StrictInt, Title
from planspor_runtime.http import IdempotencyKey
from planspor_runtime.problems import COMMAND_PROBLEMS

router = APIRouter(prefix="/indicators", tags=["indicators"], responses=COMMAND_PROBLEMS)


class IndicatorIn(RequestBody):
    goal_id: UUID
    name: Title = Field(examples=["Andel fysisk aktive"])
    unit: Title = Field(examples=["%"])
    source: IndicatorSource = Field(examples=["KOSTRA"])
    source_reference: Reference = ""
    description: Description = ""
    baseline_value: Decimal | None = None
    baseline_period: Label | None = Field(default=None, examples=["2020"])
    target_value: Decimal | None = None
    target_year: StrictInt | None = Field(default=None, ge=1900, le=2200)
    defined_on: EffectiveDate | None = Field(
        default=None, description="The day the indicator was chosen, YYYY-MM-DD; left out, today (Europe/Oslo)."
    )


class MeasurementIn(RequestBody):
    period: Label = Field(examples=["2023", "2024-Q1"])
    value: Decimal = Field(examples=["62.5"])
    measured_on: EffectiveDate | None = None


class CorrectionIn(RequestBody):
    value: Decimal
    reason: Title = Field(examples=["KOSTRA revised the figure"])


@router.post("", status_code=201, summary="Define an indicator of a goal")
def define_indicator(
    body: IndicatorIn, app: Registry, meta: PlannerMeta, response: Response, key: IdempotencyKey = None
) -> CommandAnswer:
    return answered(app.define_indicator(meta=meta, idempotency_key=key, **body.model_dump()), response)


@router.post("/{indicator_id}/measurements", summary="Record the value for a period")
def measure(
    indicator_id: UUID,
    body: MeasurementIn,
    app: Registry,
    meta: PlannerMeta,
    version: ExpectedVersion,
    response: Response,
    key: IdempotencyKey = None,
) -> CommandAnswer:
    result = app.record_measurement(
        indicator_id, meta=meta, idempotency_key=key, expected_version=version, **body.model_dump()
    )
    return answered(result, response)


@router.post("/{indicator_id}/measurements/{period}/corrections", summary="Correct a period's value (its own event)")
def correct(
    indicator_id: UUID,
    period: str,
    body: CorrectionIn,
    app: Registry,
    meta: PlannerMeta,
    version: ExpectedVersion,
    response: Response,
    key: IdempotencyKey = None,
) -> CommandAnswer:
    result = app.correct_measurement(
        indicator_id, period=period, meta=meta, idempotency_key=key, expected_version=version, **body.model_dump()
    )
    return answered(result, response)
