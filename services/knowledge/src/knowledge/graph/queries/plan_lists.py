"""The plan lists: plans started outside the adopted strategy, plans not anchored in a goal, plans overdue for revision.

Time in these lists is graph time (``since``/``until``: when the event happened), not the
calendar dates inside payloads, so ``as_of`` means "what the register said then".
Revision dates are calendar dates compared with the date of ``as_of``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import neo4j

from knowledge.errors import QueryRefused
from knowledge.graph.cypher_guard import to_json
from knowledge.graph.queries.reads import Row, fact, live, read, rows
from knowledge.graph.queries.rules import resolve_as_of

PLAN_FIELDS = "p.id AS id, p.title AS title, p.plan_type AS plan_type, p.owning_unit AS owning_unit, p.since AS since"


def plan_row(row: Mapping[str, Any]) -> Row:
    return {name: to_json(value) for name, value in row.items()}


async def plans_outside_strategy(
    driver: neo4j.AsyncDriver,
    as_of: datetime | None = None,
    strategy_id: str | None = None,
    *,
    database: str | None = None,
) -> dict[str, Any]:
    """Plans (not ended) not started through an adopted strategy (Bærum: "planning started outside the strategy").

    A plan is inside when it was INITIATED_THROUGH a strategy, or an item of one, adopted as
    of ``as_of``. With ``strategy_id``: the plans registered since that strategy's adoption
    that were not started through it.
    """
    at = resolve_as_of(as_of)

    async def work(tx: neo4j.AsyncManagedTransaction) -> list[Row]:
        since = None
        if strategy_id is not None:
            adopted = await rows(
                tx,
                """
                MATCH (:Strategy {id: $sid})-[:HAD_STATUS]->(st:StrategyStatus {status: 'adopted'})
                WHERE st.since <= $as_of
                RETURN min(st.since) AS since
                """,
                sid=strategy_id,
                as_of=at,
            )
            since = adopted[0]["since"] if adopted else None
            if since is None:
                raise QueryRefused(
                    "strategy.adopted", f"strategy {strategy_id!r} was not adopted as of {at.isoformat()}"
                )
        return await rows(
            tx,
            f"""
            MATCH (p:Plan) WHERE {live("p")} AND {fact("p")} AND ($since IS NULL OR p.since >= $since)
            OPTIONAL MATCH (p)-[it:INITIATED_THROUGH]->(x) WHERE {live("it")}
            OPTIONAL MATCH (x)<-[:HAS_ITEM]-(xs:Strategy)
            WITH p, collect(DISTINCT CASE WHEN x:Strategy THEN x ELSE xs END) AS through
            WITH p, through,
                 [s IN through WHERE ($sid IS NULL OR s.id = $sid) AND EXISTS {{
                     MATCH (s)-[:HAD_STATUS]->(st:StrategyStatus {{status: 'adopted'}}) WHERE st.since <= $as_of
                 }}] AS adopted
            WHERE size(adopted) = 0
            RETURN {PLAN_FIELDS}, p.initiated_through_strategy AS initiated_through_strategy,
                   [s IN through | s.id] AS named_strategies
            ORDER BY p.since, p.id
            """,
            as_of=at,
            since=since,
            sid=strategy_id,
        )

    found = await read(driver, database, work)
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
    return {"as_of": at.isoformat(), "strategy_id": strategy_id, "plans": plans}


async def plans_not_anchored(
    driver: neo4j.AsyncDriver, as_of: datetime | None = None, *, database: str | None = None
) -> dict[str, Any]:
    """Plans (not ended) with no anchoring in a goal of the samfunnsdel that holds as of ``as_of``.

    The samfunnsdel itself is left out: it is what the others anchor in. An anchoring in
    a retired goal no longer counts.
    """
    at = resolve_as_of(as_of)

    async def work(tx: neo4j.AsyncManagedTransaction) -> list[Row]:
        return await rows(
            tx,
            f"""
            MATCH (p:Plan) WHERE {live("p")} AND {fact("p")} AND p.plan_type <> 'kommuneplan_samfunnsdel'
              AND NOT EXISTS {{ MATCH (p)-[a:ANCHORED_IN]->(g:Goal) WHERE {live("a")} AND {live("g")} }}
            OPTIONAL MATCH (p)-[a:ANCHORED_IN]->(g:Goal) WHERE a.since <= $as_of
            RETURN {PLAN_FIELDS}, collect(DISTINCT g.id) AS former_goals
            ORDER BY p.since, p.id
            """,
            as_of=at,
        )

    found = await read(driver, database, work)
    return {"as_of": at.isoformat(), "plans": [plan_row(r) for r in found]}


async def plans_overdue_for_revision(
    driver: neo4j.AsyncDriver, as_of: datetime | None = None, *, database: str | None = None
) -> dict[str, Any]:
    """Plans (not ended) whose revision date, as scheduled as of ``as_of``, has passed and whose revision has not begun.

    A plan under revision is not overdue: the work the schedule asked for is under way.
    """
    at = resolve_as_of(as_of)

    async def work(tx: neo4j.AsyncManagedTransaction) -> list[Row]:
        return await rows(
            tx,
            f"""
            MATCH (p:Plan)-[r:HAD_REVISION_SCHEDULE]->(rs:RevisionSchedule)
            WHERE {live("p")} AND {fact("p")} AND {live("r")} AND rs.revision_due < $today
            OPTIONAL MATCH (p)-[sr:HAD_STATUS]->(ps:PlanStatus) WHERE {live("sr")}
            WITH p, rs, ps WHERE ps IS NULL OR ps.status <> 'under_revision'
            RETURN {PLAN_FIELDS}, ps.status AS status, rs.revision_due AS revision_due,
                   duration.inDays(rs.revision_due, $today).days AS days_overdue, rs.id AS scheduled_by
            ORDER BY rs.revision_due, p.id
            """,
            as_of=at,
            today=at.date(),
        )

    found = await read(driver, database, work)
    return {"as_of": at.isoformat(), "plans": [plan_row(r) for r in found]}
