"""``/plan-needs``: propose a plan need derived from inputs; list and read plan needs."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from planspor_runtime.http import IdempotencyKey, command_meta
from planspor_runtime.problems import COMMAND_PROBLEMS, READ_PROBLEMS

from cocreation.api.deps import App, Facilitator, Reader, created, viewed
from cocreation.api.models import Created, ProposePlanNeed

router = APIRouter(prefix="/api/v1", tags=["plan needs"])


@router.post("/processes/{process_id}/plan-needs", status_code=201, response_model=Created,
             responses=COMMAND_PROBLEMS, summary="Propose a plan need derived from inputs")
def propose_plan_need(process_id: str, body: ProposePlanNeed, request: Request, response: Response, app: App,
                      caller: Facilitator, key: IdempotencyKey = None) -> dict[str, Any]:
    result = app.propose_plan_need(process_id, **body.model_dump(), meta=command_meta(request, caller.as_actor()),
                                   idempotency_key=key)
    return created(result, response)


@router.get("/processes/{process_id}/plan-needs", responses=READ_PROBLEMS, summary="The plan needs of a process")
def list_plan_needs(process_id: str, app: App, caller: Reader) -> list[dict[str, Any]]:
    return app.list_of(process_id, "plan_needs")


@router.get("/plan-needs/{plan_need_id}", responses=READ_PROBLEMS, summary="A plan need")
def get_plan_need(plan_need_id: str, response: Response, app: App, caller: Reader) -> dict[str, Any]:
    return viewed(app.get_plan_need(plan_need_id), response)
