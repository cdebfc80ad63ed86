"""``/api/v1/trace``: what lies behind a decision, strategy or strategy item, and what became of an input."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends

from knowledge.api.params import AsOf, DriverProvider
from knowledge.graph import queries
from planspor_runtime.access import Access, Role
from planspor_runtime.problems import problem_responses


def trace_router(driver_provider: DriverProvider, access: Access, *, database: str | None = None) -> APIRouter:
    router = APIRouter(
        prefix="/api/v1/trace",
        tags=["trace"],
        responses=problem_responses(401, 403, 404, 422, 503),
        dependencies=[Depends(access.require(Role.ANALYST, Role.AUDITOR))],
    )

    @router.get("/back/{kind}/{node_id}")
    async def trace_back(
        kind: Literal["decision", "strategy", "strategy-item"], node_id: str, as_of: AsOf
    ) -> dict[str, Any]:
        """Everything behind a decision, a strategy or a strategy item, in time order, with event ids."""
        return await queries.trace_back(driver_provider(), kind, node_id, as_of, database=database)

    @router.get("/forward/input/{input_id}")
    async def trace_forward(input_id: str, as_of: AsOf) -> dict[str, Any]:
        """What became of a co-creation input: adopted, pending, or dropped (and where)."""
        return await queries.trace_forward(driver_provider(), input_id, as_of, database=database)

    return router
