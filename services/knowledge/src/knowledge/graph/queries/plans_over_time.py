"""The number of plans over time, per year or month (the municipality wants fewer plans, PBL §3-1).

Periods are counted in effective time: a plan proposed in 2019 but entered today counts in
2019, and one repealed in 2025 ends in 2025, as the register knew it at ``known_at``.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from datetime import date, timedelta
from itertools import accumulate
from typing import Any

import neo4j

from knowledge.graph.queries.reads import Row, fact, known, read, rows, valid_from, valid_to
from knowledge.graph.queries.rules import periods
from knowledge.graph.queries.times import TimeFrame, When, resolve_frame

IN_FORCE_STATUSES: tuple[str, ...] = ("in_force", "under_revision")
"""A plan under revision is still the plan in force until its successor is adopted."""


def _end_known(var: str) -> str:
    """Cypher: the day ``var`` ended in effective time if that end was recorded by ``$known_at``, else null."""
    return f"CASE WHEN {var}.until IS NOT NULL AND {var}.until <= $known_at THEN {valid_to(var)} END"


DAY_CHANGES = f"""
MATCH (p:Plan) WHERE {fact("p")} AND {known("p")}
WITH p, {valid_from("p")} AS vf, {_end_known("p")} AS vt
WITH vf, vt, COLLECT {{
       MATCH (p)-[r:HAD_STATUS]->(s:PlanStatus) WHERE {known("r")} AND s.status IN $in_force
       RETURN {{vf: {valid_from("r")}, vt: {_end_known("r")}}}
     }} AS spans
WITH vf, vt, spans,
     reduce(days = [], d IN [vf, vt] + [x IN spans | x.vf] + [x IN spans | x.vt] |
            CASE WHEN d IS NULL OR d IN days THEN days ELSE days + d END) AS days
UNWIND days AS d
WITH d, vf, vt, spans, d - duration({{days: 1}}) AS before
WITH d, vf, vt,
     vf <= d AND NOT coalesce(vt <= d, false) AS live_on,
     vf <= before AND NOT coalesce(vt <= before, false) AS live_before,
     any(x IN spans WHERE x.vf <= d AND NOT coalesce(x.vt <= d, false)) AS status_on,
     any(x IN spans WHERE x.vf <= before AND NOT coalesce(x.vt <= before, false)) AS status_before
RETURN d AS day,
       sum(CASE WHEN live_on THEN 1 ELSE 0 END - CASE WHEN live_before THEN 1 ELSE 0 END) AS plans,
       sum(CASE WHEN live_on AND status_on THEN 1 ELSE 0 END
           - CASE WHEN live_before AND status_before THEN 1 ELSE 0 END) AS in_force,
       sum(CASE WHEN d = vf THEN 1 ELSE 0 END) AS proposed,
       sum(CASE WHEN d = vt THEN 1 ELSE 0 END) AS ended
ORDER BY day
"""
"""Per day on which some plan's count changes: how ``plans`` and ``in_force`` change that day (a plan counts on
the days it is ``live``, in force on those of them with a ``live`` status period of ``IN_FORCE_STATUSES``), and how
many plans were proposed (``valid_from``) and ended (a ``valid_to`` recorded by ``$known_at``) on it.

One read of every plan, whatever the number of periods: a plan's state can change only on the days its own
period or one of its status periods begins or ends, so it is evaluated on each of those days and the day
before; a period's figures are sums of these changes. Asked per period, as before, every plan was read three
times a period (20 years by month: 720 reads of every plan)."""


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

    async def work(tx: neo4j.AsyncManagedTransaction) -> list[Row]:
        return await rows(tx, DAY_CHANGES, in_force=list(IN_FORCE_STATUSES), **at.params)

    changes = [{**row, "day": row["day"].to_native()} for row in await read(driver, database, work)]
    start = first
    if start is None:
        start = min((c["day"] for c in changes if c["proposed"] and c["day"] <= at.as_of), default=at.as_of)
    days = [c["day"] for c in changes]
    totals = {name: [0, *accumulate(c[name] for c in changes)] for name in ("plans", "in_force", "proposed", "ended")}

    def count(label: str, first_day: date, last_day: date) -> Row:
        """A period's figures: the counts on its last day, and what began and ended from its first to its last."""
        before, upto = bisect_left(days, first_day), bisect_right(days, last_day)
        return {
            "period": label,
            "plans": totals["plans"][upto],
            "in_force": totals["in_force"][upto],
            "proposed": totals["proposed"][upto] - totals["proposed"][before],
            "ended": totals["ended"][upto] - totals["ended"][before],
        }

    counted = [
        count(label, max(period_start, start), min(period_end - timedelta(days=1), at.as_of))
        for label, period_start, period_end in periods(interval, start, min(last or at.as_of, at.as_of))
    ]
    return {**at.echo(), "interval": interval, "from": start.isoformat(), "periods": counted}
