"""``/api/v1/plans`` and ``/api/v1/goals``: the plan lists and counts an analyst asks for.

Plans started outside the adopted strategy, plans not anchored in a goal, plans overdue for
revision, goals with no plan or no indicator, and the number of plans over time.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query

from knowledge.api.params import AsOf, DriverProvider
from knowledge.graph import queries
from planspor_runtime.access import Access, Role
from planspor_runtime.problems import problem_responses


def plans_router(driver_provider: DriverProvider, access: Access, *, database: str | None = None) -> APIRouter:
    router = APIRouter(
        prefix="/api/v1",
        tags=["plans"],
        responses=problem_responses(400, 401, 403, 422, 503),
        dependencies=[Depends(access.require(Role.ANALYST, Role.AUDITOR))],
    )

    @router.get("/plans/outside-strategy")
    async def plans_outside_strategy(
        as_of: AsOf,
        strategy_id: str | None = Query(
            default=None, description="only plans registered since this strategy's adoption"
        ),
    ) -> dict[str, Any]:
        """Plans (not ended) not started through an adopted strategy."""
        return await queries.plans_outside_strategy(driver_provider(), as_of, strategy_id, database=database)

    @router.get("/plans/not-anchored")
    async def plans_not_anchored(as_of: AsOf) -> dict[str, Any]:
        """Plans (not ended, samfunnsdel excluded) with no anchoring in a goal in force."""
        return await queries.plans_not_anchored(driver_provider(), as_of, database=database)

    @router.get("/plans/overdue-revision")
    async def plans_overdue(as_of: AsOf) -> dict[str, Any]:
        """Plans whose scheduled revision date has passed and whose revision has not begun."""
        return await queries.plans_overdue_for_revision(driver_provider(), as_of, database=database)

    @router.get("/goals/without-plan-or-indicator")
    async def goals_gaps(as_of: AsOf) -> dict[str, Any]:
        """Goals in force with no anchored plan or no indicator."""
        return await queries.goals_without_plan_or_indicator(driver_provider(), as_of, database=database)

    @router.get("/plans/count-over-time")
    async def plans_over_time(
        as_of: AsOf,
        interval: Literal["year", "month"] = "year",
        first: date | None = Query(default=None, alias="from", description="first day (default: the first plan)"),
        last: date | None = Query(default=None, alias="to", description="last day (default: as_of)"),
    ) -> dict[str, Any]:
        """Per year or month: plans registered and not ended, in force, proposed and ended."""
        return await queries.plans_over_time(driver_provider(), interval, first, last, as_of, database=database)

    return router
