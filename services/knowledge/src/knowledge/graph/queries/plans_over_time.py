"""The number of plans over time, per year or month (the municipality wants fewer plans, PBL §3-1)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import neo4j

from knowledge.graph.queries.reads import Row, fact, read, rows
from knowledge.graph.queries.rules import periods, resolve_as_of

IN_FORCE_STATUSES: tuple[str, ...] = ("in_force", "under_revision")
"""A plan under revision is still the plan in force until its successor is adopted."""


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


async def plans_over_time(
    driver: neo4j.AsyncDriver,
    interval: str = "year",
    first: date | None = None,
    last: date | None = None,
    as_of: datetime | None = None,
    *,
    database: str | None = None,
) -> dict[str, Any]:
    """Per period: ``plans`` registered and not ended at its end, ``in_force`` of them (status in force or
    under revision), ``proposed`` and ``ended`` during it. The end of the last period is cut at ``as_of``:
    nothing after it is seen. ``first`` defaults to the day of the first plan."""
    at = resolve_as_of(as_of)

    async def work(tx: neo4j.AsyncManagedTransaction) -> tuple[list[Row], date]:
        start = first
        if start is None:
            earliest = await rows(
                tx, f"MATCH (p:Plan) WHERE {fact('p')} AND p.since <= $as_of RETURN min(p.since) AS t", as_of=at
            )
            first_since = earliest[0]["t"] if earliest else None
            start = first_since.to_native().date() if first_since is not None else at.date()
        table = periods(interval, start, min(last or at.date(), at.date()))
        points = [
            {
                "label": label,
                "start": max(_midnight(period_start), _midnight(start)),
                "at": min(_midnight(period_end) - timedelta(microseconds=1), at),
            }
            for label, period_start, period_end in table
        ]
        counted = await rows(
            tx,
            f"""
            UNWIND $points AS pt
            CALL (pt) {{
              OPTIONAL MATCH (p:Plan) WHERE {fact("p")} AND p.since <= pt.at AND (p.until IS NULL OR p.until > pt.at)
              OPTIONAL MATCH (p)-[r:HAD_STATUS]->(s:PlanStatus)
                WHERE r.since <= pt.at AND (r.until IS NULL OR r.until > pt.at)
              RETURN count(DISTINCT p) AS plans,
                     count(DISTINCT CASE WHEN s.status IN $in_force THEN p END) AS in_force
            }}
            CALL (pt) {{
              OPTIONAL MATCH (p:Plan) WHERE {fact("p")} AND p.since >= pt.start AND p.since <= pt.at
              RETURN count(p) AS proposed
            }}
            CALL (pt) {{
              OPTIONAL MATCH (p:Plan) WHERE {fact("p")} AND p.until >= pt.start AND p.until <= pt.at
              RETURN count(p) AS ended
            }}
            RETURN pt.label AS period, plans, in_force, proposed, ended
            ORDER BY pt.start
            """,
            points=points,
            in_force=list(IN_FORCE_STATUSES),
        )
        return counted, start

    counted, first_used = await read(driver, database, work)
    return {"as_of": at.isoformat(), "interval": interval, "from": first_used.isoformat(), "periods": counted}
