"""Formal decisions (vedtak): body, case number, meeting date, outcome, votes and amendments."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from fastapi import APIRouter, Response
from pydantic import Field

from plan_registry.api.dependencies import PlannerMeta, Registry
from plan_registry.api.models import CommandAnswer, answered
from plan_registry.domain import Amendment, AmendmentChange, Body, DecisionOutcome, StrategyAction
from planspor_runtime.bodies import LongText, RequestBody, Text
from planspor_runtime.http import IdempotencyKey
from planspor_runtime.problems import COMMAND_PROBLEMS

router = APIRouter(prefix="/decisions", tags=["decisions"], responses=COMMAND_PROBLEMS)


class AmendmentIn(RequestBody):
    text: LongText
    adopted: bool = True
    proposed_by: str | None = Field(default=None, examples=["H, V"])
    change: AmendmentChange | None = Field(default=None, description="Set when it changes a strategy item.")
    item_id: UUID | None = None
    plan_id: UUID | None = None
    plan_name: str | None = None
    action: StrategyAction | None = None
    timing: str | None = None
    rationale: str | None = None
    merge_into_plan_id: UUID | None = None


class DecisionIn(RequestBody):
    body: Body = Field(examples=["municipal_council"])
    body_name: str | None = Field(default=None, examples=["Bærum kommunestyre"])
    case_number: Text = Field(examples=["20/12345"])
    meeting_date: date
    subject: Text = Field(examples=["Kommunal planstrategi 2024-2027"])
    outcome: DecisionOutcome
    text: str = ""
    votes_for: int | None = Field(default=None, ge=0)
    votes_against: int | None = Field(default=None, ge=0)
    votes_blank: int | None = Field(default=None, ge=0)
    unanimous: bool = False
    amendments: list[AmendmentIn] = Field(default_factory=list, max_length=500)
    strategy_id: UUID | None = None
    plan_ids: list[UUID] = Field(default_factory=list, max_length=1000)


@router.post("", status_code=201, summary="Record a formal decision (vedtak)")
def record_decision(
    body: DecisionIn, app: Registry, meta: PlannerMeta, response: Response, key: IdempotencyKey = None
) -> CommandAnswer:
    amendments = [Amendment(**a.model_dump()) for a in body.amendments]
    result = app.record_decision(
        amendments=amendments, meta=meta, idempotency_key=key, **body.model_dump(exclude={"amendments"})
    )
    return answered(result, response)
