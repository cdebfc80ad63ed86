"""``/api/v1/plans`` and ``/api/v1/goals``: the plan lists and counts an analyst asks for.

Plans started outside the adopted strategy, plans not anchored in a goal, plans overdue for
revision, goals with no plan or no indicator, and the number of plans over time. The four lists
page (``planspor_runtime.paging``, ``params.Listing``): ``limit`` and ``cursor`` in, ``next`` and
``Link`` out; the count over time is one answer per period and does not.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from knowledge.api.params import AsOf, DriverProvider, Listing, listing
from knowledge.graph import queries
from knowledge.graph.queries.goals import GOAL_KEYSET
from knowledge.graph.queries.plan_lists import OVERDUE_KEYSET, PLAN_KEYSET
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
        request: Request,
        response: Response,
        asked: Listing = Depends(listing("plans/outside-strategy", PLAN_KEYSET)),
        strategy_id: str | None = Query(
            default=None, description="only plans registered since this strategy's adoption"
        ),
    ) -> dict[str, Any]:
        """Plans (not ended) not started through an adopted strategy."""
        answer = await queries.plans_outside_strategy(
            driver_provider(),
            asked.frame,
            strategy_id,
            database=database,
            limit=asked.limit,
            after_key=asked.after(strategy_id=strategy_id),
        )
        return _paged(answer, asked, request, response, strategy_id=strategy_id)

    @router.get("/plans/not-anchored")
    async def plans_not_anchored(
        request: Request,
        response: Response,
        asked: Listing = Depends(listing("plans/not-anchored", PLAN_KEYSET)),
    ) -> dict[str, Any]:
        """Plans (not ended, samfunnsdel excluded) with no anchoring in a goal in force."""
        answer = await queries.plans_not_anchored(
            driver_provider(), asked.frame, database=database, limit=asked.limit, after_key=asked.after()
        )
        return _paged(answer, asked, request, response)

    @router.get("/plans/overdue-revision")
    async def plans_overdue(
        request: Request,
        response: Response,
        asked: Listing = Depends(listing("plans/overdue-revision", OVERDUE_KEYSET)),
    ) -> dict[str, Any]:
        """Plans whose scheduled revision date has passed and whose revision has not begun."""
        answer = await queries.plans_overdue_for_revision(
            driver_provider(), asked.frame, database=database, limit=asked.limit, after_key=asked.after()
        )
        return _paged(answer, asked, request, response)

    @router.get("/goals/without-plan-or-indicator")
    async def goals_gaps(
        request: Request,
        response: Response,
        asked: Listing = Depends(listing("goals/without-plan-or-indicator", GOAL_KEYSET)),
    ) -> dict[str, Any]:
        """Goals in force with no anchored plan or no indicator."""
        answer = await queries.goals_without_plan_or_indicator(
            driver_provider(), asked.frame, database=database, limit=asked.limit, after_key=asked.after()
        )
        return _paged(answer, asked, request, response)

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


def _paged(
    answer: dict[str, Any], asked: Listing, request: Request, response: Response, **filters: str | None
) -> dict[str, Any]:
    """The query's page with ``next`` (the cursor, or null on the last page) in place of its ``next_after``."""
    answer["next"] = asked.next(request, response, answer.pop("next_after"), **filters)
    return answer
