"""``/api/v1/trace``: what lies behind a decision, strategy or strategy item, and what became of an input."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Query

from knowledge.api.params import AsOf, DriverProvider
from knowledge.graph import queries
from knowledge.graph.queries.trace_back import MAX_TRACE_DEPTH
from knowledge.graph.queries.trace_forward import MAX_FORWARD_DEPTH
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
        kind: Literal["decision", "strategy", "strategy-item"],
        node_id: str,
        as_of: AsOf,
        depth: int | None = Query(
            default=None,
            ge=0,
            le=MAX_TRACE_DEPTH,
            description=f"at most this many hops from the start (0 to {MAX_TRACE_DEPTH}); default the whole trace",
        ),
    ) -> dict[str, Any]:
        """Everything behind a decision, a strategy or a strategy item, in time order, with event ids."""
        return await queries.trace_back(driver_provider(), kind, node_id, as_of, database=database, depth=depth)

    @router.get("/forward/input/{input_id}")
    async def trace_forward(
        input_id: str,
        as_of: AsOf,
        depth: int | None = Query(
            default=None,
            ge=1,
            le=MAX_FORWARD_DEPTH,
            description=(
                "show each plan need this many stages on: 1 the need, 2 its prioritisations, 3 recommendations, "
                "4 strategy items; default all"
            ),
        ),
    ) -> dict[str, Any]:
        """What became of a co-creation input: adopted, pending, or dropped (and where)."""
        return await queries.trace_forward(driver_provider(), input_id, as_of, database=database, depth=depth)

    return router
