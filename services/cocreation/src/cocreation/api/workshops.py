"""``/workshops``: schedule workshops of a process, list and read them, record that one was held."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from planspor_runtime.http import IdempotencyKey, IfMatch, command_meta, expected_version
from planspor_runtime.problems import COMMAND_PROBLEMS, READ_PROBLEMS

from cocreation.api.deps import App, Facilitator, Reader, created, viewed
from cocreation.api.models import Created, HoldWorkshop, ScheduleWorkshop

router = APIRouter(prefix="/api/v1", tags=["workshops"])


@router.post("/processes/{process_id}/workshops", status_code=201, response_model=Created,
             responses=COMMAND_PROBLEMS, summary="Schedule a workshop")
def schedule_workshop(process_id: str, body: ScheduleWorkshop, request: Request, response: Response, app: App,
                      caller: Facilitator, key: IdempotencyKey = None) -> dict[str, Any]:
    result = app.schedule_workshop(process_id, **body.model_dump(), meta=command_meta(request, caller.as_actor()),
                                   idempotency_key=key)
    return created(result, response)


@router.get("/processes/{process_id}/workshops", responses=READ_PROBLEMS, summary="The workshops of a process")
def list_workshops(process_id: str, app: App, caller: Reader) -> list[dict[str, Any]]:
    return app.list_of(process_id, "workshops")


@router.get("/workshops/{workshop_id}", responses=READ_PROBLEMS, summary="A workshop")
def get_workshop(workshop_id: str, response: Response, app: App, caller: Reader) -> dict[str, Any]:
    return viewed(app.get_workshop(workshop_id), response)


@router.post("/workshops/{workshop_id}/held", response_model=Created, responses=COMMAND_PROBLEMS,
             summary="Record that a workshop was held and who attended (enrolled participants only)")
def hold_workshop(workshop_id: str, body: HoldWorkshop, request: Request, response: Response, app: App,
                  caller: Facilitator, key: IdempotencyKey = None, if_match: IfMatch = None) -> dict[str, Any]:
    result = app.hold_workshop(workshop_id, **body.model_dump(), meta=command_meta(request, caller.as_actor()),
                               expected_version=expected_version(if_match), idempotency_key=key)
    return created(result, response)
