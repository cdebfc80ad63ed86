"""Goal gaps: goals in force with no plan anchored in them, or no indicator measuring them (or neither)."""

from __future__ import annotations

from typing import Any

import neo4j

from knowledge.graph.queries.reads import (
    Keyset,
    Row,
    after,
    began_keyset,
    fact,
    fetch,
    first_day,
    live,
    order_by,
    page_key,
    paged,
    read,
    rows,
    seek_from,
)
from knowledge.graph.queries.times import TimeFrame, When, resolve_frame

GOAL_KEYSET: Keyset = began_keyset("g")
"""Read in the order of the index on ``Goal(valid_from, since, id)``, as the plan lists."""


async def goals_without_plan_or_indicator(
    driver: neo4j.AsyncDriver,
    as_of: When | TimeFrame = None,
    *,
    known_at: When = None,
    database: str | None = None,
    limit: int | None = None,
    after_key: list[Any] | None = None,
) -> dict[str, Any]:
    """Goals in force with no plan anchored in them, or no indicator measuring them (or neither).

    Paged as the plan lists (``plan_lists``), in the order of ``GOAL_KEYSET``."""
    at = resolve_frame(as_of, known_at)

    async def work(tx: neo4j.AsyncManagedTransaction) -> list[Row]:
        return await rows(
            tx,
            f"""
            MATCH (g:Goal) WHERE {seek_from("g")} AND {live("g")} AND {fact("g")} AND {after(GOAL_KEYSET)}
            WITH g,
                 COUNT {{ MATCH (p:Plan)-[a:ANCHORED_IN]->(g) WHERE {live("a")} AND {live("p")} }} AS plans,
                 COUNT {{ MATCH (g)-[m:MEASURED_BY]->(i:Indicator) WHERE {live("m")} AND {live("i")} }} AS indicators
            WHERE plans = 0 OR indicators = 0
            RETURN g.id AS id, g.title AS title, g.level AS level, plans, indicators,
                   plans = 0 AS no_plan, indicators = 0 AS no_indicator, {page_key(GOAL_KEYSET)}
            ORDER BY {order_by(GOAL_KEYSET)} LIMIT $fetch
            """,
            **at.params,
            first_day=first_day(after_key),
            after=after_key,
            fetch=fetch(limit),
        )

    found, next_after = paged(await read(driver, database, work), limit)
    return {**at.echo(), "goals": [dict(r) for r in found], **({} if limit is None else {"next_after": next_after})}
