"""``/plan-needs``: propose a plan need derived from inputs; list and read plan needs."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from cocreation.api.dependencies import READ, Cocreation, FacilitatorMeta, parts_page
from cocreation.api.models import Created, ProposePlanNeed, answered
from planspor_runtime.http import IdempotencyKey, etag
from planspor_runtime.paging import Paging
from planspor_runtime.problems import COMMAND_PROBLEMS, READ_PROBLEMS

router = APIRouter(tags=["plan needs"])


@router.post(
    "/processes/{process_id}/plan-needs",
    status_code=201,
    response_model=Created,
    responses=COMMAND_PROBLEMS,
    summary="Propose a plan need derived from inputs",
)
def propose_plan_need(
    process_id: str,
    body: ProposePlanNeed,
    app: Cocreation,
    meta: FacilitatorMeta,
    response: Response,
    key: IdempotencyKey = None,
) -> dict[str, Any]:
    return answered(app.propose_plan_need(process_id, **body.model_dump(), meta=meta, idempotency_key=key), response)


@router.get(
    "/processes/{process_id}/plan-needs",
    dependencies=READ,
    responses=READ_PROBLEMS,
    summary="The plan needs of a process",
)
def list_plan_needs(
    process_id: str, app: Cocreation, page: Paging, request: Request, response: Response
) -> dict[str, Any]:
    return parts_page(app, process_id, "plan_needs", page, request, response)


@router.get("/plan-needs/{plan_need_id}", dependencies=READ, responses=READ_PROBLEMS, summary="A plan need")
def get_plan_need(plan_need_id: str, app: Cocreation, response: Response) -> dict[str, Any]:
    view = app.get_plan_need(plan_need_id)
    etag(response, view["version"])
    return view
