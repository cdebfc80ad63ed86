"""``POST /api/v1/cypher``: an analyst's own read-only Cypher, within a time and a row limit.

The fences are ``knowledge.graph.cypher_guard``; a refused query is 400 with what was
refused, Neo4j unreachable is 503. Only analysts may send Cypher.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, status
from neo4j import exceptions as neo4j_errors
from pydantic import BaseModel, ConfigDict, Field

from planspor_runtime.access import Access, Role
from planspor_runtime.problems import problem_responses

from knowledge.api.params import DriverProvider
from knowledge.graph.cypher_guard import CypherRefused, run_read_only


class CypherRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str = Field(min_length=1, max_length=20_000, examples=["MATCH (p:Plan) RETURN p.id, p.title LIMIT 10"])
    params: dict[str, Any] = Field(default_factory=dict, examples=[{"id": "plan-1"}])


class CypherResponse(BaseModel):
    columns: list[str]
    rows: list[dict[str, Any]]
    truncated: bool
    row_limit: int


def cypher_router(
    driver_provider: DriverProvider,
    access: Access,
    *,
    database: str | None = None,
    cypher_timeout_seconds: float = 10.0,
    cypher_row_limit: int = 1000,
) -> APIRouter:
    """The Cypher route; ``driver_provider`` gives the service's driver at each request."""
    router = APIRouter(prefix="/api/v1", tags=["queries"], responses=problem_responses(400, 401, 403, 422, 503))
    analysts = Depends(access.require(Role.ANALYST))

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
