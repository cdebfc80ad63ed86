"""The query routes of the knowledge service: trace, analytics, compliance, read-only Cypher (design.md, "Access").

Analysts and auditors may ask every query; only analysts may send their own Cypher.
Every query takes ``as_of`` (an ISO date or datetime; without a zone it is UTC). A
user's mistake is a 4xx that says what to change, never a 500: an unknown start
node is 404, a refused Cypher query or an impossible question is 400, a malformed
parameter is 422; Neo4j unreachable is 503.

``query_router(driver_provider, access)`` is included by ``knowledge.api``; the
provider returns the service's ``neo4j.AsyncDriver``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any, Literal

import neo4j
from fastapi import APIRouter, Depends, HTTPException, Query, status
from neo4j import exceptions as neo4j_errors
from pydantic import BaseModel, ConfigDict, Field

from planspor_runtime.access import Access, Role

from knowledge.graph import queries
from knowledge.graph.cypher_guard import CypherRefused, run_read_only

DriverProvider = Callable[[], neo4j.AsyncDriver]

AS_OF_HELP = "answer as of this instant (ISO date or datetime, e.g. 2024-06-30 or 2024-06-30T12:00:00Z; no zone = UTC)"


def parse_as_of(as_of: str | None = Query(default=None, description=AS_OF_HELP)) -> datetime | None:
    if as_of is None or not as_of.strip():
        return None
    text = as_of.strip()
    try:
        return queries.resolve_as_of(datetime.fromisoformat(text))
    except ValueError:
        pass
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise HTTPException(
            422,
            detail=f"as_of: {as_of!r} is not an ISO date or datetime, e.g. 2024-06-30 or 2024-06-30T12:00:00Z",
        ) from None
    return queries.resolve_as_of(datetime(day.year, day.month, day.day))


class CypherRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str = Field(min_length=1, max_length=20_000, examples=["MATCH (p:Plan) RETURN p.id, p.title LIMIT 10"])
    params: dict[str, Any] = Field(default_factory=dict, examples=[{"id": "plan-1"}])


class CypherResponse(BaseModel):
    columns: list[str]
    rows: list[dict[str, Any]]
    truncated: bool
    row_limit: int


def query_router(
    driver_provider: DriverProvider,
    access: Access,
    *,
    database: str | None = None,
    cypher_timeout_seconds: float = 10.0,
    cypher_row_limit: int = 1000,
) -> APIRouter:
    """The read-only query API under ``/api/v1``."""
    router = APIRouter(prefix="/api/v1", tags=["queries"])
    readers = Depends(access.require(Role.ANALYST, Role.AUDITOR))
    analysts = Depends(access.require(Role.ANALYST))

    async def answer(call: Awaitable[dict[str, Any]]) -> dict[str, Any]:
        try:
            return await call
        except queries.NotFound as error:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(error)) from None
        except queries.QueryRefused as error:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, detail=str(error)) from None
        except (neo4j_errors.ServiceUnavailable, neo4j_errors.SessionExpired) as error:
            raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail=f"the graph is not reachable: {error}") from None

    @router.get("/trace/back/{kind}/{node_id}", dependencies=[readers])
    async def trace_back(
        kind: Literal["decision", "strategy", "strategy-item"], node_id: str, as_of=Depends(parse_as_of)
    ) -> dict[str, Any]:
        """Everything behind a decision, a strategy or a strategy item, in time order, with event ids."""
        return await answer(queries.trace_back(driver_provider(), kind, node_id, as_of, database=database))

    @router.get("/trace/forward/input/{input_id}", dependencies=[readers])
    async def trace_forward(input_id: str, as_of=Depends(parse_as_of)) -> dict[str, Any]:
        """What became of a co-creation input: adopted, pending, or dropped (and where)."""
        return await answer(queries.trace_forward(driver_provider(), input_id, as_of, database=database))

    @router.get("/plans/outside-strategy", dependencies=[readers])
    async def plans_outside_strategy(
        strategy_id: str | None = Query(default=None, description="only plans registered since this strategy's adoption"),
        as_of=Depends(parse_as_of),
    ) -> dict[str, Any]:
        return await answer(queries.plans_outside_strategy(driver_provider(), as_of, strategy_id, database=database))

    @router.get("/plans/not-anchored", dependencies=[readers])
    async def plans_not_anchored(as_of=Depends(parse_as_of)) -> dict[str, Any]:
        return await answer(queries.plans_not_anchored(driver_provider(), as_of, database=database))

    @router.get("/plans/overdue-revision", dependencies=[readers])
    async def plans_overdue(as_of=Depends(parse_as_of)) -> dict[str, Any]:
        return await answer(queries.plans_overdue_for_revision(driver_provider(), as_of, database=database))

    @router.get("/goals/without-plan-or-indicator", dependencies=[readers])
    async def goals_gaps(as_of=Depends(parse_as_of)) -> dict[str, Any]:
        return await answer(queries.goals_without_plan_or_indicator(driver_provider(), as_of, database=database))

    @router.get("/plans/count-over-time", dependencies=[readers])
    async def plans_over_time(
        interval: Literal["year", "month"] = "year",
        first: date | None = Query(default=None, alias="from", description="first day (default: the first plan)"),
        last: date | None = Query(default=None, alias="to", description="last day (default: as_of)"),
        as_of=Depends(parse_as_of),
    ) -> dict[str, Any]:
        return await answer(queries.plans_over_time(driver_provider(), interval, first, last, as_of, database=database))

    @router.get("/strategies/{strategy_id}/compliance", dependencies=[readers])
    async def compliance(strategy_id: str, as_of=Depends(parse_as_of)) -> dict[str, Any]:
        """PBL §10-1 and folkehelseloven §5/§6 checks: pass, fail or unknown, with the events as evidence."""
        return await answer(queries.compliance_report(driver_provider(), strategy_id, as_of, database=database))

    @router.post("/cypher", dependencies=[analysts], response_model=CypherResponse)
    async def cypher(request: CypherRequest) -> CypherResponse:
        """Read-only Cypher: refused unless it only reads; a READ transaction with a time and a row limit."""
        try:
            result = await run_read_only(
                driver_provider(),
                request.query,
                request.params,
                database=database,
                timeout_seconds=cypher_timeout_seconds,
                row_limit=cypher_row_limit,
            )
        except CypherRefused as error:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, detail=error.reason) from None
        except (neo4j_errors.ServiceUnavailable, neo4j_errors.SessionExpired) as error:
            raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail=f"the graph is not reachable: {error}") from None
        return CypherResponse(columns=result.columns, rows=result.rows, truncated=result.truncated,
                              row_limit=result.row_limit)

    return router


def build_router(container: Any) -> APIRouter:
    """The hook ``knowledge.api`` looks for: the query routes wired from the service's container."""
    settings = container.settings
    return query_router(
        lambda: container.driver,
        container.access,
        database=settings.neo4j_database,
        cypher_timeout_seconds=getattr(settings, "knowledge_cypher_timeout_seconds", 10.0),
        cypher_row_limit=getattr(settings, "knowledge_cypher_row_limit", 1000),
    )
