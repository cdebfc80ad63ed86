"""``/prioritisations``: open a vote over plan needs, cast or replace ballots, close it and make the result."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from cocreation.api.dependencies import READ, Cocreation, ExpectedVersion, FacilitatorMeta, parts_page
from cocreation.api.models import CastBallot, ClosePrioritisation, Created, OpenPrioritisation, answered
from planspor_runtime.http import IdempotencyKey, etag
from planspor_runtime.paging import Paging
from planspor_runtime.problems import COMMAND_PROBLEMS, READ_PROBLEMS

router = APIRouter(tags=["prioritisations"])


@router.post(
    "/processes/{process_id}/prioritisations",
    status_code=201,
    response_model=Created,
    responses=COMMAND_PROBLEMS,
    summary="Open a prioritisation (Borda, approval or dot voting)",
)
def open_prioritisation(
    process_id: str,
    body: OpenPrioritisation,
    app: Cocreation,
    meta: FacilitatorMeta,
    response: Response,
    key: IdempotencyKey = None,
) -> dict[str, Any]:
    result = app.open_prioritisation(process_id, **body.model_dump(), meta=meta, idempotency_key=key)
    return answered(result, response)


@router.get(
    "/processes/{process_id}/prioritisations",
    dependencies=READ,
    responses=READ_PROBLEMS,
    summary="The prioritisations of a process",
)
def list_prioritisations(
    process_id: str, app: Cocreation, page: Paging, request: Request, response: Response
) -> dict[str, Any]:
    return parts_page(app, process_id, "prioritisations", page, request, response)


@router.get(
    "/prioritisations/{prioritisation_id}",
    dependencies=READ,
    responses=READ_PROBLEMS,
    summary="A prioritisation: ballots, status, result and the tie-break rule",
)
def get_prioritisation(prioritisation_id: str, app: Cocreation, response: Response) -> dict[str, Any]:
    view = app.get_prioritisation(prioritisation_id)
    etag(response, view["version"])
    return view


@router.post(
    "/prioritisations/{prioritisation_id}/ballots",
    status_code=201,
    response_model=Created,
    responses=COMMAND_PROBLEMS,
    summary="Cast or replace a participant's ballot",
)
def cast_ballot(
    prioritisation_id: str,
    body: CastBallot,
    app: Cocreation,
    meta: FacilitatorMeta,
    expected: ExpectedVersion,
    response: Response,
    key: IdempotencyKey = None,
) -> dict[str, Any]:
    result = app.cast_ballot(
        prioritisation_id, **body.model_dump(), meta=meta, expected_version=expected, idempotency_key=key
    )
    return answered(result, response)


@router.post(
    "/prioritisations/{prioritisation_id}/close",
    response_model=Created,
    responses=COMMAND_PROBLEMS,
    summary="Close: check the quorum and make the result",
)
def close_prioritisation(
    prioritisation_id: str,
    app: Cocreation,
    meta: FacilitatorMeta,
    expected: ExpectedVersion,
    response: Response,
    key: IdempotencyKey = None,
    body: ClosePrioritisation | None = None,
) -> dict[str, Any]:
    made_on = body.made_on if body else None
    result = app.close_prioritisation(
        prioritisation_id, meta=meta, made_on=made_on, expected_version=expected, idempotency_key=key
    )
    return answered(result, response)
