"""``/history``: the stored events of any aggregate, oldest first, with who caused each and why."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from cocreation.api.dependencies import READ, Cocreation
from planspor_runtime.problems import READ_PROBLEMS

router = APIRouter(tags=["history"])


@router.get(
    "/history/{aggregate_id}",
    dependencies=READ,
    responses=READ_PROBLEMS,
    summary="The stored events of any aggregate, oldest first",
)
def history(aggregate_id: str, app: Cocreation) -> list[dict[str, Any]]:
    return app.history(aggregate_id)
