"""``POST /api/v1/cypher``: an analyst's own read-only Cypher, behind the fences of ``knowledge.graph.analyst``.

An allow-list of read clauses (``knowledge.graph.cypher_guard``), ``EXPLAIN`` must say read,
a READ transaction on the analysts' own driver within time, row, byte and per-token
concurrency limits. A refused or over-limit query is 400 saying what and where, a token
running its share already 429, Neo4j unreachable or silent 503. Only analysts may send Cypher.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException, status
from pydantic import BaseModel, ConfigDict, Field

from knowledge.graph.analyst import AnalystError, AnalystLimits, AnalystQueries
from knowledge.graph.cypher_guard import Limits
from planspor_runtime.access import Access, Principal, Role
from planspor_runtime.problems import problem_responses


class CypherRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str = Field(
        min_length=1,
        max_length=100_000,
        examples=["MATCH (p:Plan) RETURN p.id, p.title LIMIT 10"],
        description="one read-only statement; its limits are in the knowledge service's README",
    )
    params: dict[str, Any] = Field(
        default_factory=dict, max_length=100, examples=[{"id": "plan-1"}], description="at most 100 parameters"
    )


class CypherResponse(BaseModel):
    columns: list[str]
    rows: list[dict[str, Any]]
    truncated: bool
    """True when more rows existed than came back."""
    row_limit: int
    byte_limit: int
    limited_by: Literal["rows", "bytes"] | None = None


def cypher_router(access: Access, analyst: AnalystQueries | None) -> APIRouter:
    """The Cypher route, running on ``analyst`` (its own driver and limits)."""
    router = APIRouter(prefix="/api/v1", tags=["queries"], responses=problem_responses(400, 401, 403, 422, 429, 503))
    analysts = Depends(access.require(Role.ANALYST))

    @router.post("/cypher", response_model=CypherResponse)
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
        return CypherResponse(
            columns=answer.columns,
            rows=answer.rows,
            truncated=answer.truncated,
            row_limit=answer.row_limit,
            byte_limit=answer.byte_limit,
            limited_by=answer.limited_by,
        )

    return router


def analyst_queries(settings: Any) -> AnalystQueries:
    """The analysts' runner from the service's settings: its own driver, pool and limits."""
    limits = AnalystLimits(
        timeout_seconds=settings.knowledge_cypher_timeout_seconds,
        row_limit=settings.knowledge_cypher_row_limit,
        max_bytes=settings.knowledge_cypher_max_bytes,
        per_token=settings.knowledge_cypher_per_token,
        guard=Limits(
            max_length=settings.knowledge_cypher_max_query_length, max_depth=settings.knowledge_cypher_max_depth
        ),
    )
    return AnalystQueries.connect(
        settings.neo4j_uri,
        settings.cypher_neo4j_auth,
        database=settings.neo4j_database,
        pool_size=settings.knowledge_cypher_pool_size,
        acquire_seconds=settings.knowledge_cypher_acquire_seconds,
        limits=limits,
    )


@contextlib.asynccontextmanager
async def closing(analyst: AnalystQueries) -> AsyncIterator[None]:
    """The analysts' driver lives as long as the app."""
    try:
        yield
    finally:
        await analyst.aclose()
