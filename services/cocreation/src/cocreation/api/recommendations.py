"""``/recommendations``: issue the recommendation of a process once (this hands it over); read it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from planspor_runtime.http import IdempotencyKey, IfMatch, command_meta, expected_version
from planspor_runtime.problems import COMMAND_PROBLEMS, READ_PROBLEMS

from cocreation.api.deps import App, Facilitator, Reader, created, viewed
from cocreation.api.models import Created, IssueRecommendation

router = APIRouter(prefix="/api/v1", tags=["recommendation"])


@router.post("/processes/{process_id}/recommendation", status_code=201, response_model=Created,
             responses=COMMAND_PROBLEMS,
             summary="Issue the recommendation once; this hands the process over (If-Match: the process's version)")
def issue_recommendation(process_id: str, body: IssueRecommendation, request: Request, response: Response,
                         app: App, caller: Facilitator, key: IdempotencyKey = None,
                         if_match: IfMatch = None) -> dict[str, Any]:
    result = app.issue_recommendation(
        process_id, prioritisation_id=body.prioritisation_id, summary=body.summary,
        council_constituted_on=body.council_constituted_on, items=[i.model_dump() for i in body.items],
        meta=command_meta(request, caller.as_actor()), expected_version=expected_version(if_match),
        idempotency_key=key)
    return created(result, response)


@router.get("/recommendations/{recommendation_id}", responses=READ_PROBLEMS, summary="A recommendation")
def get_recommendation(recommendation_id: str, response: Response, app: App, caller: Reader) -> dict[str, Any]:
    return viewed(app.get_recommendation(recommendation_id), response)
