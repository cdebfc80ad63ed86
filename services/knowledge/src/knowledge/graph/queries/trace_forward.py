"""Trace forward: from a co-creation input, what became of it (adopted, pending, or dropped and where).

The Cypher here fetches, per plan need derived from the input, its prioritisations, the
recommendations, the strategy items that draw on it and their adoption; the judgement
of each need and of the input is ``rules.judge_need`` / ``rules.judge_input``.
"""

from __future__ import annotations

from typing import Any

import neo4j

from knowledge.errors import NotFound, QueryRefused
from knowledge.graph.cypher_guard import to_json
from knowledge.graph.queries.reads import (
    SEEN,
    Row,
    events_of_nodes,
    existed,
    fact,
    live,
    properties,
    read,
    rows,
    valid_from,
)
from knowledge.graph.queries.rules import (
    ItemFact,
    NeedFacts,
    PrioritisationFact,
    RecommendationFact,
    judge_input,
    judge_need,
)
from knowledge.graph.queries.times import TimeFrame, When, resolve_frame

FORWARD_STAGES: tuple[tuple[str, ...], ...] = (
    (),
    ("prioritisations", "process_prioritisation_made", "process_prioritisation_made_id"),
    ("recommendations", "strategies_from_recommendations"),
    ("items",),
)
"""What a trace forward shows of each plan need at each depth: 1 the need and its judgement, 2 its prioritisations,
3 the recommendations, 4 the strategy items (with their adoption and the plans started through them)."""
MAX_FORWARD_DEPTH = len(FORWARD_STAGES)


async def trace_forward(
    driver: neo4j.AsyncDriver,
    input_id: str,
    as_of: When | TimeFrame = None,
    *,
    known_at: When = None,
    database: str | None = None,
    depth: int | None = None,
) -> dict[str, Any]:
    """What became of a co-creation input: its plan needs, their prioritisation, recommendation, strategy items,
    adoption or the stage where they were dropped, and plans started through them; in effective time (the stage
    reached by ``as_of``, as the register knew it at ``known_at``).

    ``depth`` (1 to ``MAX_FORWARD_DEPTH``, ``FORWARD_STAGES``) shows each need only so many stages on; the
    judgements are those of the whole trace (a verdict on part of the facts would be wrong). Without it, all."""
    if depth is not None and not 1 <= depth <= MAX_FORWARD_DEPTH:
        raise QueryRefused("query.trace_depth", f"a trace forward's depth is 1 to {MAX_FORWARD_DEPTH}, not {depth}")
    at = resolve_frame(as_of, known_at)
    hidden = {name for stage in FORWARD_STAGES[depth or MAX_FORWARD_DEPTH :] for name in stage}

    async def work(tx: neo4j.AsyncManagedTransaction) -> dict[str, Any]:
        found = await rows(
            tx,
            f"""
            MATCH (i:Input {{id: $id}}) WHERE {fact("i")} AND {existed("i")}
            OPTIONAL MATCH (i)-[ra:RAISED_AT]->(w:Workshop) WHERE {live("ra")}
            RETURN i, w.id AS workshop_id, i.process_id AS process_id
            """,
            id=input_id,
            **at.params,
        )
        if not found:
            raise NotFound.node("Input", input_id, at.as_of.isoformat())
        needs = await rows(
            tx,
            f"""
            MATCH (n:PlanNeed)-[d:DERIVED_FROM]->(:Input {{id: $id}})
            WHERE {live("d")} AND {fact("n")} AND {existed("n")}
            RETURN n ORDER BY n.valid_from, n.since, n.id
            """,
            id=input_id,
            **at.params,
        )
        need_ids = [r["n"]["id"] for r in needs]
        events = await events_of_nodes(tx, {"PlanNeed": need_ids, "Input": [input_id]}, at)
        return {
            "input": found[0],
            "needs": needs,
            "prioritisations": await _prioritisations(tx, need_ids, at),
            "recommendations": await _recommendations(tx, need_ids, at),
            "items": await _items(tx, need_ids, at),
            "moved_on": await _process_moved_on(tx, input_id, at),
            "process_made": await _process_prioritisation_made(tx, input_id, at),
            "events": {node_id: found for (label, node_id), found in events.items() if label == "PlanNeed"},
            "input_events": {input_id: events.get(("Input", input_id), [])},
        }

    graph = await read(driver, database, work)
    process_made = graph["process_made"]
    judged = []
    for need in graph["needs"]:
        need_id = need["n"]["id"]
        facts = _need_facts(need_id, graph, process_made)
        judged.append(
            {
                "plan_need": {"id": need_id, **properties(need["n"], drop=("id",))},
                "events": graph["events"].get(need_id, []),
                **{name: value for name, value in facts.items() if name not in hidden},
                "judgement": judge_need(facts),
            }
        )
    moved_on = graph["moved_on"]
    verdict = judge_input(judged, moved_on[0]["id"] if moved_on else None)
    row = graph["input"]
    return {
        "input": {"id": input_id, **properties(row["i"], drop=("id",))},
        "workshop_id": row["workshop_id"],
        "events": graph["input_events"].get(input_id, []),
        **at.echo(),
        **({} if depth is None else {"depth": depth}),
        **verdict,
        "plan_needs": judged,
    }


def _need_facts(need_id: str, graph: dict[str, Any], process_made: list[Row]) -> NeedFacts:
    """The facts ``judge_need`` reads, for one need, from what the queries fetched."""
    prioritisations: list[PrioritisationFact] = [
        {"id": p["id"], "rank": p["rank"], "score": to_json(p["score"]), "made": p["made"]}
        for p in graph["prioritisations"]
        if p["nid"] == need_id
    ]
    recommendations: list[RecommendationFact] = [
        {
            "id": r["id"],
            "prioritisation_id": r["prioritisation_id"],
            "recommended": r["recommended"],
            "action": r["action"],
            "rank": r["rank"],
        }
        for r in graph["recommendations"]
        if r["nid"] == need_id
    ]
    items: list[ItemFact] = [
        {
            "id": i["id"],
            "strategy_id": i["strategy_id"],
            "live": i["live"],
            "from_need_live": i["from_need_live"],
            "removed_by": i["removed_by"],
            "strategy_adopted": i["strategy_adopted"],
            "adopted_by": i["adopted_by"],
            "action": i["action"],
            "plans": i["plans"],
        }
        for i in graph["items"]
        if i["nid"] == need_id
    ]
    return {
        "prioritisations": prioritisations,
        "process_prioritisation_made": bool(process_made),
        "process_prioritisation_made_id": process_made[0]["id"] if process_made else None,
        "recommendations": recommendations,
        "strategies_from_recommendations": sorted(
            {s for r in graph["recommendations"] if r["nid"] == need_id and r["recommended"] for s in r["strategies"]}
        ),
        "items": items,
    }


async def _prioritisations(tx: neo4j.AsyncManagedTransaction, need_ids: list[str], at: TimeFrame) -> list[Row]:
    return await rows(
        tx,
        f"""
        UNWIND $ids AS nid
        MATCH (p:Prioritisation)-[c:CANDIDATE]->(n:PlanNeed {{id: nid}}) WHERE {live("c")}
        OPTIONAL MATCH (p)-[rk:RANKED]->(n) WHERE {live("rk")}
        RETURN nid, p.id AS id, rk.rank AS rank, rk.score AS score,
               EXISTS {{ MATCH (e:Event {{type: 'prioritisation.made'}})-[:CHANGED]->(p) WHERE {SEEN} }} AS made
        ORDER BY p.valid_from, p.since, p.id
        """,
        ids=need_ids,
        **at.params,
    )


async def _recommendations(tx: neo4j.AsyncManagedTransaction, need_ids: list[str], at: TimeFrame) -> list[Row]:
    return await rows(
        tx,
        f"""
        UNWIND $ids AS nid
        MATCH (n:PlanNeed {{id: nid}})
        CALL (n) {{
          MATCH (r:Recommendation)-[rec:RECOMMENDS]->(n) WHERE {live("rec")} AND {existed("r")}
          RETURN r
          UNION
          MATCH (r:Recommendation)-[b:BASED_ON]->(:Prioritisation)-[c:CANDIDATE]->(n)
          WHERE {live("b")} AND {live("c")} AND {existed("r")}
          RETURN r
        }}
        OPTIONAL MATCH (r)-[rec:RECOMMENDS]->(n) WHERE {live("rec")}
        OPTIONAL MATCH (s:Strategy)-[ib:INFORMED_BY]->(r) WHERE {live("ib")} AND {existed("s")}
        WITH nid, r, rec, collect(DISTINCT s.id) AS strategies
        RETURN nid, r.id AS id, r.prioritisation_id AS prioritisation_id, rec IS NOT NULL AS recommended,
               rec.action AS action, rec.rank AS rank, strategies
        ORDER BY r.valid_from, r.since, r.id
        """,
        ids=need_ids,
        **at.params,
    )


async def _items(tx: neo4j.AsyncManagedTransaction, need_ids: list[str], at: TimeFrame) -> list[Row]:
    return await rows(
        tx,
        f"""
        UNWIND $ids AS nid
        MATCH (it:StrategyItem)-[f:FROM_NEED]->(:PlanNeed {{id: nid}})
        WHERE {existed("f")} AND {existed("it")}
        WITH nid, it, f ORDER BY {valid_from("f")} DESC, f.since DESC
        WITH nid, it, head(collect(f)) AS f
        OPTIONAL MATCH (s:Strategy)-[h:HAS_ITEM]->(it) WHERE {existed("h")}
        OPTIONAL MATCH (d:Decision)-[rm:REMOVED]->(it) WHERE {live("rm")}
        OPTIONAL MATCH (s)-[:HAD_STATUS]->(st:StrategyStatus {{status: 'adopted'}}) WHERE {existed("st")}
        OPTIONAL MATCH (ad:Decision)-[a:ADOPTED]->(s) WHERE {live("a")}
        OPTIONAL MATCH (pl:Plan)-[x:INITIATED_THROUGH]->(it) WHERE {live("x")} AND {fact("pl")}
        RETURN nid, it.id AS id, s.id AS strategy_id, {live("it")} AS live, {live("f")} AS from_need_live,
               d.id AS removed_by, st IS NOT NULL AS strategy_adopted, ad.id AS adopted_by,
               it.action AS action, it.valid_from AS item_valid_from, it.since AS item_since,
               collect(DISTINCT pl.id) AS plans
        ORDER BY item_valid_from, item_since, id
        """,
        ids=need_ids,
        **at.params,
    )


async def _process_moved_on(tx: neo4j.AsyncManagedTransaction, input_id: str, at: TimeFrame) -> list[Row]:
    """A plan need or prioritisation of the input's process that came after it (on a later day, effective): the
    process went on."""
    return await rows(
        tx,
        f"""
        MATCH (i:Input {{id: $id}})
        CALL (i) {{
          MATCH (x:PlanNeed {{process_id: i.process_id}}) RETURN x
          UNION
          MATCH (x:Prioritisation {{process_id: i.process_id}}) RETURN x
        }}
        WITH i, x WHERE {fact("x")} AND {existed("x")}
          AND {valid_from("x")} > {valid_from("i")}
        RETURN x.id AS id ORDER BY x.valid_from, x.since, x.id LIMIT 1
        """,
        id=input_id,
        **at.params,
    )


async def _process_prioritisation_made(tx: neo4j.AsyncManagedTransaction, input_id: str, at: TimeFrame) -> list[Row]:
    return await rows(
        tx,
        f"""
        MATCH (i:Input {{id: $id}})
        MATCH (p:Prioritisation {{process_id: i.process_id}})<-[:CHANGED]-(e:Event {{type: 'prioritisation.made'}})
        WHERE {SEEN}
        RETURN p.id AS id ORDER BY e.occurred_at LIMIT 1
        """,
        id=input_id,
        **at.params,
    )
