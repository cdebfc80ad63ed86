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

import contextlib
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any, Literal

import neo4j
from fastapi import APIRouter, Depends, HTTPException, Query, status
from neo4j import exceptions as neo4j_errors
from pydantic import BaseModel, ConfigDict, Field

from planspor_runtime.access import Access, Principal, Role

from knowledge.graph import queries
from knowledge.graph.analyst import AnalystError, AnalystLimits, AnalystQueries
from knowledge.graph.cypher_guard import Limits

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

    query: str = Field(min_length=1, max_length=100_000,
                       examples=["MATCH (p:Plan) RETURN p.id, p.title LIMIT 10"],
                       description="one read-only statement; its limits are in the knowledge service's README")
    params: dict[str, Any] = Field(default_factory=dict, examples=[{"id": "plan-1"}])


class CypherResponse(BaseModel):
    columns: list[str]
    rows: list[dict[str, Any]]
    truncated: bool
    """True when more rows existed than came back."""
    row_limit: int
    byte_limit: int
    limited_by: Literal["rows", "bytes"] | None = None


def query_router(
    driver_provider: DriverProvider,
    access: Access,
    *,
    database: str | None = None,
    analyst: AnalystQueries | None = None,
) -> APIRouter:
    """The read-only query API under ``/api/v1``; ``/cypher`` runs on ``analyst`` (its own driver and limits)."""
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

    @router.post("/cypher", response_model=CypherResponse,
                 responses={400: {"description": "refused, or over a limit: the detail says what and where"},
                            429: {"description": "this token already runs its share of queries"},
                            503: {"description": "the graph is unreachable or busy"}})
    async def cypher(request: CypherRequest, principal: Principal = analysts) -> CypherResponse:
        """Read-only Cypher: an allow-list of read clauses, run in a READ transaction within time, row, byte and
        concurrency limits (knowledge.graph.analyst)."""
        if analyst is None:
            raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail="the Cypher endpoint is not configured")
        try:
            answer = await analyst.run(principal.id, request.query, request.params)
        except AnalystError as error:
            headers = {"Retry-After": str(error.retry_after)} if error.retry_after else None
            raise HTTPException(error.status, detail=error.detail, headers=headers) from None
        return CypherResponse(columns=answer.columns, rows=answer.rows, truncated=answer.truncated,
                              row_limit=answer.row_limit, byte_limit=answer.byte_limit, limited_by=answer.limited_by)

    return router


def analyst_queries(settings: Any) -> AnalystQueries:
    """The analysts' runner from the service's settings: its own driver, pool and limits."""
    limits = AnalystLimits(
        timeout_seconds=settings.knowledge_cypher_timeout_seconds,
        row_limit=settings.knowledge_cypher_row_limit,
        max_bytes=settings.knowledge_cypher_max_bytes,
        per_token=settings.knowledge_cypher_per_token,
        guard=Limits(max_length=settings.knowledge_cypher_max_query_length,
                     max_depth=settings.knowledge_cypher_max_depth),
    )
    return AnalystQueries.connect(settings.neo4j_uri, settings.cypher_neo4j_auth, database=settings.neo4j_database,
                                  pool_size=settings.knowledge_cypher_pool_size,
                                  acquire_seconds=settings.knowledge_cypher_acquire_seconds, limits=limits)


def build_router(container: Any) -> APIRouter:
    """The hook ``knowledge.api`` looks for: the query routes wired from the service's container.

    The analysts' driver lives as long as the app: the router's lifespan closes it.
    """
    settings = container.settings
    analyst = analyst_queries(settings)
    router = query_router(lambda: container.driver, container.access, database=settings.neo4j_database,
                          analyst=analyst)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Any):
        try:
            yield
        finally:
            await analyst.aclose()

    router.lifespan_context = lifespan
    return router
