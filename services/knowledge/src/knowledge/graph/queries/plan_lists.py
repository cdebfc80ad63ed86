"""The plan lists: plans started outside the adopted strategy, plans not anchored in a goal, plans overdue for revision.

They answer in effective time (``as_of``: what held in the municipality that day, as the
register knew it at ``known_at``): a plan proposed in 2019 but entered today is a plan of
2019, and whether it came before or after a strategy's adoption compares its proposed date
with the adoption date (``adopted_on``), never the order of entry. Revision dates are
calendar dates compared with ``as_of``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import neo4j

from knowledge.errors import QueryRefused
from knowledge.graph.cypher_guard import to_json
from knowledge.graph.queries.reads import (
    Keyset,
    Row,
    after,
    began_keyset,
    ended,
    existed,
    fact,
    fetch,
    first_day,
    known,
    live,
    order_by,
    page_key,
    paged,
    read,
    rows,
    seek_from,
    valid_from,
)
from knowledge.graph.queries.times import TimeFrame, When, resolve_frame

PLAN_FIELDS = (
    "p.id AS id, p.title AS title, p.plan_type AS plan_type, p.owning_unit AS owning_unit, "
    "p.valid_from AS valid_from, p.since AS since"
)
PLAN_KEYSET: Keyset = began_keyset("p")
"""The plan lists' order (the day a plan began, then when it was recorded, then its id), and their page cursor:
read in the order of the index on ``Plan(valid_from, since, id)``, a page costs about a page, however many plans there are."""
PLAN_ORDER = order_by(PLAN_KEYSET)
OVERDUE_KEYSET: Keyset = (("rs.revision_due", "date"), ("rs.plan_id", ""))
"""Read in the order of the index on ``RevisionSchedule (revision_due, plan_id)`` (the schedule's ``plan_id`` is its
plan's id): in full order, so the plans due on one day (a revision date many plans share) are not all read for a
page."""


def plan_row(row: Mapping[str, Any]) -> Row:
    return {name: to_json(value) for name, value in row.items()}


async def plans_outside_strategy(
    driver: neo4j.AsyncDriver,
    as_of: When | TimeFrame = None,
    strategy_id: str | None = None,
    *,
    known_at: When = None,
    database: str | None = None,
    limit: int | None = None,
    after_key: list[Any] | None = None,
) -> dict[str, Any]:
    """Plans (not ended) not started through an adopted strategy (Bærum: "planning started outside the strategy").

    A plan is inside when it was INITIATED_THROUGH a strategy, or an item of one, adopted as
    of ``as_of``. With ``strategy_id``: the plans proposed on or after that strategy's adoption
    day (``adopted_on``, effective) that were not started through it.

    With ``limit``: one page of at most ``limit`` plans after the sort key ``after_key`` (the ``next_after`` of the
    page before; ``PLAN_KEYSET``), and ``next_after`` (None on the last page); without, every plan.
    """
    at = resolve_frame(as_of, known_at)

    async def work(tx: neo4j.AsyncManagedTransaction) -> list[Row]:
        since = None
        if strategy_id is not None:
            adopted = await rows(
                tx,
                f"""
                MATCH (:Strategy {{id: $sid}})-[:HAD_STATUS]->(st:StrategyStatus {{status: 'adopted'}})
                WHERE {existed("st")}
                RETURN min(coalesce(st.on, {valid_from("st")})) AS since
                """,
                sid=strategy_id,
                **at.params,
            )
            since = adopted[0]["since"] if adopted else None
            if since is None:
                raise QueryRefused(
                    "strategy.adopted", f"strategy {strategy_id!r} was not adopted as of {at.as_of.isoformat()}"
                )
        return await rows(
            tx,
            f"""
            MATCH (p:Plan) WHERE {seek_from("p")} AND {live("p")} AND {fact("p")} AND {after(PLAN_KEYSET)}
            WITH p, COLLECT {{
                MATCH (p)-[it:INITIATED_THROUGH]->(x) WHERE {live("it")}
                OPTIONAL MATCH (x)<-[:HAS_ITEM]-(xs:Strategy)
                WITH CASE WHEN x:Strategy THEN x ELSE xs END AS s WHERE s IS NOT NULL
                RETURN DISTINCT s
            }} AS through
            WHERE NONE(s IN through WHERE ($sid IS NULL OR s.id = $sid) AND EXISTS {{
                MATCH (s)-[:HAD_STATUS]->(st:StrategyStatus {{status: 'adopted'}}) WHERE {existed("st")}
            }})
            RETURN {PLAN_FIELDS}, p.initiated_through_strategy AS initiated_through_strategy,
                   [s IN through | s.id] AS named_strategies, {page_key(PLAN_KEYSET)}
            ORDER BY {PLAN_ORDER} LIMIT $fetch
            """,
            **at.params,
            first_day=first_day(after_key, since),
            sid=strategy_id,
            after=after_key,
            fetch=fetch(limit),
        )

    found, next_after = paged(await read(driver, database, work), limit)
    plans = []
    for row in found:
        named = sorted(row.pop("named_strategies"))
        if not named:
            reason = "not initiated through a strategy"
        elif strategy_id is not None and strategy_id not in named:
            reason = f"initiated through {', '.join(named)}, not through {strategy_id}"
        else:
            reason = f"initiated through {', '.join(named)}, not adopted as of the date asked about"
        plans.append({**plan_row(row), "reason": reason})
    return {**at.echo(), "strategy_id": strategy_id, "plans": plans, **_next(limit, next_after)}


async def plans_not_anchored(
    driver: neo4j.AsyncDriver,
    as_of: When | TimeFrame = None,
    *,
    known_at: When = None,
    database: str | None = None,
    limit: int | None = None,
    after_key: list[Any] | None = None,
) -> dict[str, Any]:
    """Plans (not ended) with no anchoring in a goal of the samfunnsdel that holds as of ``as_of``.

    The samfunnsdel itself is left out: it is what the others anchor in. An anchoring in
    a retired goal no longer counts.

    With ``limit``: one page of at most ``limit`` plans after the sort key ``after_key`` (the ``next_after`` of the
    page before; ``PLAN_KEYSET``), and ``next_after`` (None on the last page); without, every plan.
    """
    at = resolve_frame(as_of, known_at)

    async def work(tx: neo4j.AsyncManagedTransaction) -> list[Row]:
        return await rows(
            tx,
            f"""
            MATCH (p:Plan) WHERE {seek_from("p")} AND {live("p")} AND {fact("p")}
              AND p.plan_type <> 'kommuneplan_samfunnsdel' AND {after(PLAN_KEYSET)}
              AND NOT EXISTS {{ MATCH (p)-[a:ANCHORED_IN]->(g:Goal) WHERE {live("a")} AND {live("g")} }}
            WITH p ORDER BY {PLAN_ORDER} LIMIT $fetch
            OPTIONAL MATCH (p)-[a:ANCHORED_IN]->(g:Goal) WHERE {existed("a")}
            WITH p, collect(DISTINCT g.id) AS former_goals
            RETURN {PLAN_FIELDS}, former_goals, {page_key(PLAN_KEYSET)}
            ORDER BY {PLAN_ORDER}
            """,
            **at.params,
            first_day=first_day(after_key),
            after=after_key,
            fetch=fetch(limit),
        )

    found, next_after = paged(await read(driver, database, work), limit)
    return {**at.echo(), "plans": [plan_row(r) for r in found], **_next(limit, next_after)}


async def plans_overdue_for_revision(
    driver: neo4j.AsyncDriver,
    as_of: When | TimeFrame = None,
    *,
    known_at: When = None,
    database: str | None = None,
    limit: int | None = None,
    after_key: list[Any] | None = None,
) -> dict[str, Any]:
    """Plans (not ended) whose revision date has passed by ``as_of`` and whose revision had not begun by then.

    A plan under revision is not overdue: the work the schedule asked for is under way. A
    revision schedule has no effective date of its own (``plan.revision_scheduled`` carries
    only the due date), so a schedule known by ``known_at`` counts whenever it was entered,
    until a replacement ends it; of several, the latest that began by ``as_of`` (else the
    first) applies. So "overdue as of 2024-01-01" lists a plan due 2023-12-31 that was
    entered today.

    In order of the revision date, then the plan's id (``OVERDUE_KEYSET``); paged as the other lists.
    """
    at = resolve_frame(as_of, known_at)

    async def work(tx: neo4j.AsyncManagedTransaction) -> list[Row]:
        return await rows(
            tx,
            f"""
            MATCH (rs:RevisionSchedule)
            WHERE rs.revision_due >= $first_day AND rs.revision_due < $as_of AND rs.plan_id IS NOT NULL
            MATCH (p:Plan)-[r:HAD_REVISION_SCHEDULE]->(rs)
            WHERE {live("p")} AND {fact("p")} AND {known("r")} AND NOT {ended("r")} AND {after(OVERDUE_KEYSET)}
              AND rs = head(COLLECT {{
                  MATCH (p)-[h:HAD_REVISION_SCHEDULE]->(applies:RevisionSchedule) WHERE {known("h")} AND NOT {ended("h")}
                  WITH applies, h ORDER BY {valid_from("h")} <= $as_of DESC,
                       CASE WHEN {valid_from("h")} <= $as_of THEN {valid_from("h")} END DESC, {valid_from("h")}, h.since
                  RETURN applies
              }})
            OPTIONAL MATCH (p)-[sr:HAD_STATUS]->(ps:PlanStatus) WHERE {live("sr")}
            WITH p, rs, ps WHERE ps IS NULL OR ps.status <> 'under_revision'
            RETURN {PLAN_FIELDS}, ps.status AS status, rs.revision_due AS revision_due,
                   duration.inDays(rs.revision_due, $as_of).days AS days_overdue, rs.id AS scheduled_by,
                   {page_key(OVERDUE_KEYSET)}
            ORDER BY {order_by(OVERDUE_KEYSET)} LIMIT $fetch
            """,
            **at.params,
            first_day=first_day(after_key),
            after=after_key,
            fetch=fetch(limit),
        )

    found, next_after = paged(await read(driver, database, work), limit)
    return {**at.echo(), "plans": [plan_row(r) for r in found], **_next(limit, next_after)}


def _next(limit: int | None, next_after: list[Any] | None) -> dict[str, Any]:
    """A page says where the next begins (``next_after``); a whole list (no ``limit``) answers as it always has."""
    return {} if limit is None else {"next_after": next_after}
