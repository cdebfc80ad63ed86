"""``/processes``: start, list and read processes; enroll participants; advance the phase; the participation report."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from cocreation.api.dependencies import READ, Cocreation, ExpectedVersion, FacilitatorMeta
from cocreation.api.models import (
    AdvancePhase,
    Created,
    EnrollParticipant,
    ProcessPage,
    ProcessView,
    StartProcess,
    answered,
)
from planspor_runtime.http import IdempotencyKey, etag
from planspor_runtime.paging import Paging
from planspor_runtime.problems import COMMAND_PROBLEMS, READ_PROBLEMS

router = APIRouter(tags=["processes"])


@router.post(
    "/processes",
    status_code=201,
    response_model=Created,
    responses=COMMAND_PROBLEMS,
    summary="Start a co-creation process (its prerequisites are checked)",
)
def start_process(
    body: StartProcess, app: Cocreation, meta: FacilitatorMeta, response: Response, key: IdempotencyKey = None
) -> dict[str, Any]:
    return answered(app.start_process(**body.model_dump(), meta=meta, idempotency_key=key), response)


@router.get(
    "/processes", response_model=ProcessPage, dependencies=READ, responses=READ_PROBLEMS, summary="List processes"
)
def list_processes(app: Cocreation, page: Paging, request: Request, response: Response) -> dict[str, Any]:
    items, last = app.processes_page(limit=page.limit, after=page.after_position("processes"))
    return page.answer(request, response, "processes", items, last)


@router.get(
    "/processes/{process_id}",
    response_model=ProcessView,
    dependencies=READ,
    responses=READ_PROBLEMS,
    summary="A process: phase, participants and the ids of what it holds",
)
def get_process(process_id: str, app: Cocreation, response: Response) -> dict[str, Any]:
    view = app.get_process(process_id)
    etag(response, view["version"])
    return view


@router.post(
    "/processes/{process_id}/participants",
    status_code=201,
    response_model=Created,
    responses=COMMAND_PROBLEMS,
    summary="Enroll an elected official or a member of the administration",
)
def enroll_participant(
    process_id: str,
    body: EnrollParticipant,
    app: Cocreation,
    meta: FacilitatorMeta,
    expected: ExpectedVersion,
    response: Response,
    key: IdempotencyKey = None,
) -> dict[str, Any]:
    result = app.enroll_participant(
        process_id, **body.model_dump(), meta=meta, expected_version=expected, idempotency_key=key
    )
    return answered(result, response)


@router.post(
    "/processes/{process_id}/phase",
    response_model=Created,
    responses=COMMAND_PROBLEMS,
    summary="Advance to the next phase (hand-over happens by issuing the recommendation)",
)
def advance_phase(
    process_id: str,
    body: AdvancePhase,
    app: Cocreation,
    meta: FacilitatorMeta,
    expected: ExpectedVersion,
    response: Response,
    key: IdempotencyKey = None,
) -> dict[str, Any]:
    result = app.advance_phase(
        process_id, to=body.to, on=body.on, meta=meta, expected_version=expected, idempotency_key=key
    )
    return answered(result, response)


@router.get(
    "/processes/{process_id}/participation",
    tags=["reports"],
    dependencies=READ,
    responses=READ_PROBLEMS,
    summary="Participation report: who took part, by party and body; time from first input",
)
def participation_report(process_id: str, app: Cocreation) -> dict[str, Any]:
    return app.participation_report(process_id)
