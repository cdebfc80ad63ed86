"""``/prioritisations``: open a vote over plan needs, cast or replace ballots, close it and make the result."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from planspor_runtime.http import IdempotencyKey, IfMatch, command_meta, expected_version
from planspor_runtime.problems import COMMAND_PROBLEMS, READ_PROBLEMS

from cocreation.api.deps import App, Facilitator, Reader, created, viewed
from cocreation.api.models import CastBallot, Created, OpenPrioritisation

router = APIRouter(prefix="/api/v1", tags=["prioritisations"])


@router.post("/processes/{process_id}/prioritisations", status_code=201, response_model=Created,
             responses=COMMAND_PROBLEMS, summary="Open a prioritisation (Borda, approval or dot voting)")
def open_prioritisation(process_id: str, body: OpenPrioritisation, request: Request, response: Response, app: App,
                        caller: Facilitator, key: IdempotencyKey = None) -> dict[str, Any]:
    result = app.open_prioritisation(process_id, **body.model_dump(), meta=command_meta(request, caller.as_actor()),
                                     idempotency_key=key)
    return created(result, response)


@router.get("/processes/{process_id}/prioritisations", responses=READ_PROBLEMS,
            summary="The prioritisations of a process")
def list_prioritisations(process_id: str, app: App, caller: Reader) -> list[dict[str, Any]]:
    return app.list_of(process_id, "prioritisations")


@router.get("/prioritisations/{prioritisation_id}", responses=READ_PROBLEMS,
            summary="A prioritisation: ballots, status, result and the tie-break rule")
def get_prioritisation(prioritisation_id: str, response: Response, app: App, caller: Reader) -> dict[str, Any]:
    return viewed(app.get_prioritisation(prioritisation_id), response)


@router.post("/prioritisations/{prioritisation_id}/ballots", status_code=201, response_model=Created,
             responses=COMMAND_PROBLEMS, summary="Cast or replace a participant's ballot")
def cast_ballot(prioritisation_id: str, body: CastBallot, request: Request, response: Response, app: App,
                caller: Facilitator, key: IdempotencyKey = None, if_match: IfMatch = None) -> dict[str, Any]:
    result = app.cast_ballot(prioritisation_id, **body.model_dump(), meta=command_meta(request, caller.as_actor()),
                             expected_version=expected_version(if_match), idempotency_key=key)
    return created(result, response)


@router.post("/prioritisations/{prioritisation_id}/close", response_model=Created, responses=COMMAND_PROBLEMS,
             summary="Close: check the quorum and make the result")
def close_prioritisation(prioritisation_id: str, request: Request, response: Response, app: App,
                         caller: Facilitator, key: IdempotencyKey = None, if_match: IfMatch = None) -> dict[str, Any]:
    result = app.close_prioritisation(prioritisation_id, meta=command_meta(request, caller.as_actor()),
                                      expected_version=expected_version(if_match), idempotency_key=key)
    return created(result, response)
