"""Goal gaps: goals in force with no plan anchored in them, or no indicator measuring them (or neither)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import neo4j

from knowledge.graph.queries.reads import Row, fact, live, read, rows
from knowledge.graph.queries.rules import resolve_as_of


async def goals_without_plan_or_indicator(
    driver: neo4j.AsyncDriver, as_of: datetime | None = None, *, database: str | None = None
) -> dict[str, Any]:
    """Goals in force with no plan anchored in them, or no indicator measuring them (or neither)."""
    at = resolve_as_of(as_of)

    async def work(tx: neo4j.AsyncManagedTransaction) -> list[Row]:
        return await rows(
            tx,
            f"""
            MATCH (g:Goal) WHERE {live("g")} AND {fact("g")}
            WITH g,
                 COUNT {{ MATCH (p:Plan)-[a:ANCHORED_IN]->(g) WHERE {live("a")} AND {live("p")} }} AS plans,
                 COUNT {{ MATCH (g)-[m:MEASURED_BY]->(i:Indicator) WHERE {live("m")} AND {live("i")} }} AS indicators
            WHERE plans = 0 OR indicators = 0
            RETURN g.id AS id, g.title AS title, g.level AS level, plans, indicators,
                   plans = 0 AS no_plan, indicators = 0 AS no_indicator
            ORDER BY g.since, g.id
            """,
            as_of=at,
        )

    found = await read(driver, database, work)
    return {"as_of": at.isoformat(), "goals": [dict(r) for r in found]}
