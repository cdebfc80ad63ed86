"""``/inputs``: record an input raised at a held workshop; list and read inputs."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from cocreation.api.dependencies import READ, Cocreation, FacilitatorMeta, parts_page
from cocreation.api.models import Created, RecordInput, answered
from planspor_runtime.http import IdempotencyKey, etag
from planspor_runtime.paging import Paging
from planspor_runtime.problems import COMMAND_PROBLEMS, READ_PROBLEMS

router = APIRouter(tags=["inputs"])


@router.post(
    "/workshops/{workshop_id}/inputs",
    status_code=201,
    response_model=Created,
    responses=COMMAND_PROBLEMS,
    summary="Record an input raised at a held workshop (within the follow-up window)",
)
def record_input(
    workshop_id: str,
    body: RecordInput,
    app: Cocreation,
    meta: FacilitatorMeta,
    response: Response,
    key: IdempotencyKey = None,
) -> dict[str, Any]:
    return answered(app.record_input(workshop_id, **body.model_dump(), meta=meta, idempotency_key=key), response)


@router.get(
    "/processes/{process_id}/inputs", dependencies=READ, responses=READ_PROBLEMS, summary="The inputs of a process"
)
def list_inputs(process_id: str, app: Cocreation, page: Paging, request: Request, response: Response) -> dict[str, Any]:
    return parts_page(app, process_id, "inputs", page, request, response)


@router.get("/inputs/{input_id}", dependencies=READ, responses=READ_PROBLEMS, summary="An input")
def get_input(input_id: str, app: Cocreation, response: Response) -> dict[str, Any]:
    view = app.get_input(input_id)
    etag(response, view["version"])
    return view
