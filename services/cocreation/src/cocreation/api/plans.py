"""``/plans``: the local plan catalogue, co-creation's copy of the plans plan-registry has published."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from cocreation.api.dependencies import READ, Cocreation
from planspor_runtime.paging import Paging
from planspor_runtime.problems import READ_PROBLEMS

router = APIRouter(tags=["plan catalogue"])


@router.get(
    "/plans", dependencies=READ, responses=READ_PROBLEMS, summary="The local plan catalogue (from plan-registry events)"
)
def list_plans(app: Cocreation, page: Paging, request: Request, response: Response) -> dict[str, Any]:
    items, last = app.plans_page(limit=page.limit, after=page.after_position("plans"))
    return page.answer(request, response, "plans", items, last)


@router.get("/plans/{plan_id}", dependencies=READ, responses=READ_PROBLEMS, summary="A plan as co-creation knows it")
def get_plan(plan_id: str, app: Cocreation) -> dict[str, Any]:
    return app.get_plan(plan_id)
