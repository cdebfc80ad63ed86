"""``/recommendations``: issue the recommendation of a process once (this hands it over); read it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from cocreation.api.dependencies import READ, Cocreation, ExpectedVersion, FacilitatorMeta
from cocreation.api.models import Created, IssueRecommendation, answered
from planspor_runtime.http import IdempotencyKey, etag
from planspor_runtime.problems import COMMAND_PROBLEMS, READ_PROBLEMS

router = APIRouter(tags=["recommendation"])


@router.post(
    "/processes/{process_id}/recommendation",
    status_code=201,
    response_model=Created,
    responses=COMMAND_PROBLEMS,
    summary="Issue the recommendation once; this hands the process over (If-Match: the process's version)",
)
def issue_recommendation(
    process_id: str,
    body: IssueRecommendation,
    app: Cocreation,
    meta: FacilitatorMeta,
    expected: ExpectedVersion,
    response: Response,
    key: IdempotencyKey = None,
) -> dict[str, Any]:
    result = app.issue_recommendation(
        process_id,
        prioritisation_id=body.prioritisation_id,
        summary=body.summary,
        council_constituted_on=body.council_constituted_on,
        issued_on=body.issued_on,
        items=[i.model_dump() for i in body.items],
        meta=meta,
        expected_version=expected,
        idempotency_key=key,
    )
    return answered(result, response)


@router.get(
    "/recommendations/{recommendation_id}", dependencies=READ, responses=READ_PROBLEMS, summary="A recommendation"
)
def get_recommendation(recommendation_id: str, app: Cocreation, response: Response) -> dict[str, Any]:
    view = app.get_recommendation(recommendation_id)
    etag(response, view["version"])
    return view
