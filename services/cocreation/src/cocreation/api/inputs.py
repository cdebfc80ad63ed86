"""``/inputs``: record an input raised at a held workshop; list and read inputs."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from planspor_runtime.http import IdempotencyKey, command_meta
from planspor_runtime.problems import COMMAND_PROBLEMS, READ_PROBLEMS

from cocreation.api.deps import App, Facilitator, Reader, created, viewed
from cocreation.api.models import Created, RecordInput

router = APIRouter(prefix="/api/v1", tags=["inputs"])


@router.post("/workshops/{workshop_id}/inputs", status_code=201, response_model=Created,
             responses=COMMAND_PROBLEMS,
             summary="Record an input raised at a held workshop (within the follow-up window)")
def record_input(workshop_id: str, body: RecordInput, request: Request, response: Response, app: App,
                 caller: Facilitator, key: IdempotencyKey = None) -> dict[str, Any]:
    result = app.record_input(workshop_id, **body.model_dump(), meta=command_meta(request, caller.as_actor()),
                              idempotency_key=key)
    return created(result, response)


@router.get("/processes/{process_id}/inputs", responses=READ_PROBLEMS, summary="The inputs of a process")
def list_inputs(process_id: str, app: App, caller: Reader) -> list[dict[str, Any]]:
    return app.list_of(process_id, "inputs")


@router.get("/inputs/{input_id}", responses=READ_PROBLEMS, summary="An input")
def get_input(input_id: str, response: Response, app: App, caller: Reader) -> dict[str, Any]:
    return viewed(app.get_input(input_id), response)
