"""``/api/v1/strategies/{id}/compliance``: the legal process checks of a plan strategy."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from knowledge.api.params import AsOf, DriverProvider
from knowledge.graph import queries
from planspor_runtime.access import Access, Role
from planspor_runtime.problems import problem_responses


def compliance_router(driver_provider: DriverProvider, access: Access, *, database: str | None = None) -> APIRouter:
    router = APIRouter(
        prefix="/api/v1",
        tags=["compliance"],
        responses=problem_responses(401, 403, 404, 422, 503),
        dependencies=[Depends(access.require(Role.ANALYST, Role.AUDITOR))],
    )

    @router.get("/strategies/{strategy_id}/compliance")
    async def compliance(strategy_id: str, as_of: AsOf) -> dict[str, Any]:
        """PBL §10-1 and folkehelseloven §5/§6 checks: pass, fail or unknown, with the events as evidence."""
        return await queries.compliance_report(driver_provider(), strategy_id, as_of, database=database)

    return router
