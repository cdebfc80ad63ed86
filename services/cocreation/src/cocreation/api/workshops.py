"""``/workshops``: schedule workshops of a process, list and read them, record that one was held."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from cocreation.api.dependencies import READ, Cocreation, ExpectedVersion, FacilitatorMeta, parts_page
from cocreation.api.models import Created, HoldWorkshop, ScheduleWorkshop, answered
from planspor_runtime.http import IdempotencyKey, etag
from planspor_runtime.paging import Paging
from planspor_runtime.problems import COMMAND_PROBLEMS, READ_PROBLEMS

router = APIRouter(tags=["workshops"])


@router.post(
    "/processes/{process_id}/workshops",
    status_code=201,
    response_model=Created,
    responses=COMMAND_PROBLEMS,
    summary="Schedule a workshop",
)
def schedule_workshop(
    process_id: str,
    body: ScheduleWorkshop,
    app: Cocreation,
    meta: FacilitatorMeta,
    response: Response,
    key: IdempotencyKey = None,
) -> dict[str, Any]:
    return answered(app.schedule_workshop(process_id, **body.model_dump(), meta=meta, idempotency_key=key), response)


@router.get(
    "/processes/{process_id}/workshops",
    dependencies=READ,
    responses=READ_PROBLEMS,
    summary="The workshops of a process",
)
def list_workshops(
    process_id: str, app: Cocreation, page: Paging, request: Request, response: Response
) -> dict[str, Any]:
    return parts_page(app, process_id, "workshops", page, request, response)


@router.get("/workshops/{workshop_id}", dependencies=READ, responses=READ_PROBLEMS, summary="A workshop")
def get_workshop(workshop_id: str, app: Cocreation, response: Response) -> dict[str, Any]:
    view = app.get_workshop(workshop_id)
    etag(response, view["version"])
    return view


@router.post(
    "/workshops/{workshop_id}/held",
    response_model=Created,
    responses=COMMAND_PROBLEMS,
    summary="Record that a workshop was held and who attended (enrolled participants only)",
)
def hold_workshop(
    workshop_id: str,
    body: HoldWorkshop,
    app: Cocreation,
    meta: FacilitatorMeta,
    expected: ExpectedVersion,
    response: Response,
    key: IdempotencyKey = None,
) -> dict[str, Any]:
    result = app.hold_workshop(
        workshop_id, **body.model_dump(), meta=meta, expected_version=expected, idempotency_key=key
    )
    return answered(result, response)
