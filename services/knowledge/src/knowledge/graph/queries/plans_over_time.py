"""The number of plans over time, per year or month (the municipality wants fewer plans, PBL §3-1).

Periods are counted in effective time: a plan proposed in 2019 but entered today counts in
2019, and one repealed in 2025 ends in 2025, as the register knew it at ``known_at``.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import neo4j

from knowledge.graph.queries.reads import Row, fact, known, live, read, rows, valid_from, valid_to
from knowledge.graph.queries.rules import periods
from knowledge.graph.queries.times import TimeFrame, When, resolve_frame

IN_FORCE_STATUSES: tuple[str, ...] = ("in_force", "under_revision")
"""A plan under revision is still the plan in force until its successor is adopted."""


async def plans_over_time(
    driver: neo4j.AsyncDriver,
    interval: str = "year",
    first: date | None = None,
    last: date | None = None,
    as_of: When | TimeFrame = None,
    *,
    known_at: When = None,
    database: str | None = None,
) -> dict[str, Any]:
    """Per period: ``plans`` in the register and not ended on its last day, ``in_force`` of them (status in force
    or under revision), ``proposed`` and ``ended`` during it. The last period is cut at ``as_of``: nothing after
    it is seen. ``first`` defaults to the day the first plan was proposed."""
    at = resolve_frame(as_of, known_at)

    async def work(tx: neo4j.AsyncManagedTransaction) -> tuple[list[Row], date]:
        start = first
        if start is None:
            earliest = await rows(
                tx,
                f"MATCH (p:Plan) WHERE {fact('p')} AND {known('p')} AND {valid_from('p')} <= $as_of "
                f"RETURN min({valid_from('p')}) AS day",
                **at.params,
            )
            first_day = earliest[0]["day"] if earliest else None
            start = first_day.to_native() if first_day is not None else at.as_of
        table = periods(interval, start, min(last or at.as_of, at.as_of))
        points = [
            {"label": label, "start": max(period_start, start), "last": min(period_end - timedelta(days=1), at.as_of)}
            for label, period_start, period_end in table
        ]
        counted = await rows(
            tx,
            f"""
            UNWIND $points AS pt
            CALL (pt) {{
              OPTIONAL MATCH (p:Plan) WHERE {fact("p")} AND {live("p", "pt.last")}
              OPTIONAL MATCH (p)-[r:HAD_STATUS]->(s:PlanStatus) WHERE {live("r", "pt.last")}
              RETURN count(DISTINCT p) AS plans,
                     count(DISTINCT CASE WHEN s.status IN $in_force THEN p END) AS in_force
            }}
            CALL (pt) {{
              OPTIONAL MATCH (p:Plan) WHERE {fact("p")} AND {known("p")}
                AND {valid_from("p")} >= pt.start AND {valid_from("p")} <= pt.last
              RETURN count(p) AS proposed
            }}
            CALL (pt) {{
              OPTIONAL MATCH (p:Plan) WHERE {fact("p")} AND {known("p")} AND p.until <= $known_at
                AND {valid_to("p")} >= pt.start AND {valid_to("p")} <= pt.last
              RETURN count(p) AS ended
            }}
            RETURN pt.label AS period, plans, in_force, proposed, ended
            ORDER BY pt.start
            """,
            points=points,
            in_force=list(IN_FORCE_STATUSES),
            **at.params,
        )
        return counted, start

    counted, first_used = await read(driver, database, work)
    return {**at.echo(), "interval": interval, "from": first_used.isoformat(), "periods": counted}
