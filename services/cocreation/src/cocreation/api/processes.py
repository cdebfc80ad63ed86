"""``/processes``: start, list and read processes; enroll participants; advance the phase; the participation report."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from planspor_runtime.http import IdempotencyKey, IfMatch, command_meta, expected_version
from planspor_runtime.problems import COMMAND_PROBLEMS, READ_PROBLEMS

from cocreation.api.deps import App, Facilitator, Reader, created, viewed
from cocreation.api.models import AdvancePhase, Created, EnrollParticipant, ProcessView, StartProcess

router = APIRouter(prefix="/api/v1", tags=["processes"])


@router.post("/processes", status_code=201, response_model=Created, responses=COMMAND_PROBLEMS,
             summary="Start a co-creation process (its prerequisites are checked)")
def start_process(body: StartProcess, request: Request, response: Response, app: App, caller: Facilitator,
                  key: IdempotencyKey = None) -> dict[str, Any]:
    result = app.start_process(**body.model_dump(), meta=command_meta(request, caller.as_actor()),
                               idempotency_key=key)
    return created(result, response)


@router.get("/processes", response_model=list[ProcessView], responses=READ_PROBLEMS, summary="List processes")
def list_processes(app: App, caller: Reader) -> list[dict[str, Any]]:
    return app.list_processes()


@router.get("/processes/{process_id}", response_model=ProcessView, responses=READ_PROBLEMS,
            summary="A process: phase, participants and the ids of what it holds")
def get_process(process_id: str, response: Response, app: App, caller: Reader) -> dict[str, Any]:
    return viewed(app.get_process(process_id), response)


@router.post("/processes/{process_id}/participants", status_code=201, response_model=Created,
             responses=COMMAND_PROBLEMS, summary="Enroll an elected official or a member of the administration")
def enroll_participant(process_id: str, body: EnrollParticipant, request: Request, response: Response, app: App,
                       caller: Facilitator, key: IdempotencyKey = None, if_match: IfMatch = None) -> dict[str, Any]:
    result = app.enroll_participant(process_id, **body.model_dump(), meta=command_meta(request, caller.as_actor()),
                                    expected_version=expected_version(if_match), idempotency_key=key)
    return created(result, response)


@router.post("/processes/{process_id}/phase", response_model=Created, responses=COMMAND_PROBLEMS,
             summary="Advance to the next phase (hand-over happens by issuing the recommendation)")
def advance_phase(process_id: str, body: AdvancePhase, request: Request, response: Response, app: App,
                  caller: Facilitator, key: IdempotencyKey = None, if_match: IfMatch = None) -> dict[str, Any]:
    result = app.advance_phase(process_id, to=body.to, meta=command_meta(request, caller.as_actor()),
                               expected_version=expected_version(if_match), idempotency_key=key)
    return created(result, response)


@router.get("/processes/{process_id}/participation", tags=["reports"], responses=READ_PROBLEMS,
            summary="Participation report: who took part, by party and body; time from first input")
def participation_report(process_id: str, app: App, caller: Reader) -> dict[str, Any]:
    return app.participation_report(process_id)
