"""Formal decisions (vedtak): body, case number, meeting date, outcome, votes and amendments."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Response
from pydantic import Field

from plan_registry.api.dependencies import PlannerMeta, Registry
from plan_registry.api.models import CommandAnswer, answered
from plan_registry.domain import Amendment, AmendmentChange, Body, DecisionOutcome, StrategyAction
from planspor_runtime.bodies import (
    Description,
    EffectiveDate,
    Heading,
    Name,
    NonBlank,
    Reference,
    RequestBody,
    StrictBool,
    StrictInt,
    Text,
    Title,
)
from planspor_runtime.http import IdempotencyKey
from planspor_runtime.problems import COMMAND_PROBLEMS

router = APIRouter(prefix="/decisions", tags=["decisions"], responses=COMMAND_PROBLEMS)


class AmendmentIn(RequestBody):
    text: Text
    adopted: StrictBool = True
    proposed_by: Name | None = Field(default=None, examples=["H, V"])
    change: AmendmentChange | None = Field(default=None, description="Set when it changes a strategy item.")
    item_id: UUID | None = None
    plan_id: UUID | None = None
    plan_name: Heading | None = None
    action: StrategyAction | None = None
    timing: Title | None = None
    rationale: Description | None = None
    merge_into_plan_id: UUID | None = None


class DecisionIn(RequestBody):
    body: Body = Field(examples=["municipal_council"])
    body_name: Name | None = Field(default=None, examples=["Bærum kommunestyre"])
    case_number: Annotated[Reference, NonBlank] = Field(examples=["20/12345"])
    meeting_date: EffectiveDate
    subject: Title = Field(examples=["Kommunal planstrategi 2024-2027"])
    outcome: DecisionOutcome
    text: Description = ""
    votes_for: StrictInt | None = Field(default=None, ge=0)
    votes_against: StrictInt | None = Field(default=None, ge=0)
    votes_blank: StrictInt | None = Field(default=None, ge=0)
    unanimous: StrictBool = False
    amendments: list[AmendmentIn] = Field(default_factory=list, max_length=500)
    strategy_id: UUID | None = None
    plan_ids: list[UUID] = Field(default_factory=list, max_length=1000)
    corrects: UUID | None = Field(
        default=None, description="The decision this one corrects: it is voided, with correction_reason."
    )
    correction_reason: Description | None = Field(
        default=None, description="Why the corrected decision was wrong; required with corrects."
    )
    voided_on: EffectiveDate | None = Field(
        default=None, description="With corrects: when the record was found wrong, YYYY-MM-DD; left out, today."
    )


class VoidIn(RequestBody):
    reason: Text = Field(examples=["recorded under the wrong meeting"])
    voided_on: EffectiveDate | None = Field(
        default=None,
        description="When the body or the archive found the record wrong, YYYY-MM-DD; left out, today (Europe/Oslo).",
    )
    replaced_by: UUID | None = Field(default=None, description="The decision recorded in its place, if any.")


@router.post("", status_code=201, summary="Record a formal decision (vedtak)")
def record_decision(
    body: DecisionIn, app: Registry, meta: PlannerMeta, response: Response, key: IdempotencyKey = None
) -> CommandAnswer:
    amendments = [Amendment(**a.model_dump()) for a in body.amendments]
    result = app.record_decision(
        amendments=amendments, meta=meta, idempotency_key=key, **body.model_dump(exclude={"amendments"})
    )
    return answered(result, response)


@router.post(
    "/{decision_id}/void",
    summary="Void a decision recorded by mistake (never deleted)",
    description="404 for an unknown decision, 409 when it is already voided.",
)
def void_decision(
    decision_id: UUID, body: VoidIn, app: Registry, meta: PlannerMeta, response: Response, key: IdempotencyKey = None
) -> CommandAnswer:
    result = app.void_decision(decision_id, meta=meta, idempotency_key=key, **body.model_dump())
    return answered(result, response)
