"""``/api/v1/follow-up`` and ``/api/v1/strategies/{id}/follow-up``: the strategy follow-up through the period.

Planners may ask it as well as analysts and auditors: it reads only the register's own facts (the
strategy, its items, the plans and their statuses, the council's decisions), which planners read in
plan-registry already; the portal's follow-up page is theirs too.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from knowledge.api.params import AsOf, DriverProvider
from knowledge.graph import queries
from planspor_runtime.access import Access, Role
from planspor_runtime.problems import problem_responses


def follow_up_router(driver_provider: DriverProvider, access: Access, *, database: str | None = None) -> APIRouter:
    router = APIRouter(
        prefix="/api/v1",
        tags=["follow-up"],
        responses=problem_responses(400, 401, 403, 404, 422, 503),
        dependencies=[Depends(access.require(Role.PLANNER, Role.ANALYST, Role.AUDITOR))],
    )

    @router.get("/follow-up")
    async def follow_up_in_force(as_of: AsOf) -> dict[str, Any]:
        """The strategy in force on ``as_of`` (adopted last on or before it) against what happened since its
        adoption; ``strategy`` is null when none had been adopted by then."""
        return await queries.strategy_follow_up(driver_provider(), None, as_of, database=database)

    @router.get("/strategies/{strategy_id}/follow-up")
    async def follow_up(strategy_id: str, as_of: AsOf) -> dict[str, Any]:
        """Each item's intended timing against the steps its plans took since the adoption (``adopted``,
        ``continued``, ``late``, ``planprogram``, ``work_started``, ``not_started``), the plans started outside
        the strategy since, and the council's amendments; 400 if the strategy was not adopted as of the day."""
        return await queries.strategy_follow_up(driver_provider(), strategy_id, as_of, database=database)

    return router
