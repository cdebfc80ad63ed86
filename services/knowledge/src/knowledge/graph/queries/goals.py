"""Goal gaps: goals in force with no plan anchored in them, or no indicator measuring them (or neither)."""

from __future__ import annotations

from typing import Any

import neo4j

from knowledge.graph.queries.reads import Row, fact, live, read, rows
from knowledge.graph.queries.times import TimeFrame, When, resolve_frame


async def goals_without_plan_or_indicator(
    driver: neo4j.AsyncDriver, as_of: When | TimeFrame = None, *, known_at: When = None, database: str | None = None
) -> dict[str, Any]:
    """Goals in force with no plan anchored in them, or no indicator measuring them (or neither)."""
    at = resolve_frame(as_of, known_at)

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
            ORDER BY g.valid_from, g.since, g.id
            """,
            **at.params,
        )

    found = await read(driver, database, work)
    return {**at.echo(), "goals": [dict(r) for r in found]}
