"""The graph as a whole: its canonical checksum (to compare with a rebuild) and its PROV JSON-LD export."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query

from knowledge.api.params import DriverProvider
from knowledge.graph.checksum import effective_checksum, graph_checksum
from knowledge.graph.export import export_prov
from planspor_runtime.access import Access, Role
from planspor_runtime.problems import problem_responses


def export_router(driver_provider: DriverProvider, access: Access, *, database: str | None = None) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["export"], responses=problem_responses(401, 403, 503))

    @router.get("/checksum", dependencies=[Depends(access.require(Role.OPERATOR, Role.ANALYST, Role.AUDITOR))])
    async def checksum(
        effective: bool = Query(
            default=False, description="leave out recorded time and the order of entry (same history, any order)"
        ),
    ) -> dict[str, Any]:
        """``{checksum, algorithm, nodes, relationships}``: equal for two graphs with the same facts; with
        ``effective=true``, for two entries of the same history in any causal order (``effective_checksum``)."""
        if effective:
            return await effective_checksum(driver_provider(), database)
        return await graph_checksum(driver_provider(), database)

    @router.get("/export/prov", dependencies=[Depends(access.require(Role.AUDITOR, Role.ANALYST))])
    async def prov() -> dict[str, Any]:
        """The graph as PROV JSON-LD."""
        return await export_prov(driver_provider(), database)

    return router
