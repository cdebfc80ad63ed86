"""Goals of the samfunnsdel (hovedmål, delmål)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response
from pydantic import Field

from plan_registry.api.dependencies import PlannerMeta, Registry
from plan_registry.api.models import CommandAnswer, answered
from planspor_runtime.bodies import Description, EffectiveDate, Label, RequestBody, Title
from planspor_runtime.http import IdempotencyKey
from planspor_runtime.problems import COMMAND_PROBLEMS

router = APIRouter(prefix="/goals", tags=["goals"], responses=COMMAND_PROBLEMS)


class GoalIn(RequestBody):
    title: Title = Field(examples=["Gode liv i Bærum"])
    description: Description = ""
    parent_goal_id: UUID | None = Field(default=None, description="Makes it a sub-goal (delmål).")
    samfunnsdel_plan_id: UUID | None = None
    sdg_targets: list[Label] = Field(default_factory=list, max_length=169, examples=[["3.4", "11.a"]])
    defined_on: EffectiveDate | None = Field(
        default=None, description="The day the goal was set, YYYY-MM-DD; left out, today (Europe/Oslo)."
    )


@router.post("", status_code=201, summary="Define a goal of the samfunnsdel")
def define_goal(
    body: GoalIn, app: Registry, meta: PlannerMeta, response: Response, key: IdempotencyKey = None
) -> CommandAnswer:
    return answered(app.define_goal(meta=meta, idempotency_key=key, **body.model_dump()), response)
