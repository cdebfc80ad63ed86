"""The questions of design.md ("Questions the graph must answer"), read from the graph the projector writes.

Every query is read-only, parameterised, and answers *as of* an instant: a fact node
or relationship counts when ``since <= $as_of AND (until IS NULL OR until > $as_of)``,
an event when ``occurred_at <= $as_of`` (services/knowledge/README.md, "Time"). With
no ``as_of`` the query answers as of now. Labels and relationship types come only from
the fixed tables in this module.

Judgements that are rules rather than graph walks (what became of an input, whether a
strategy passes a legal check, the calendar periods of a count) are pure functions here,
fed with the facts the Cypher fetched, so they are unit-tested without a database.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any, Literal

import neo4j

from knowledge.graph.cypher_guard import to_json

# --- time ----------------------------------------------------------------------------------------


def live(var: str) -> str:
    """True as of ``$as_of`` (``var`` is a variable name from this module, never user input)."""
    return f"({var}.since <= $as_of AND ({var}.until IS NULL OR {var}.until > $as_of))"


def existed(var: str) -> str:
    """Came into being by ``$as_of`` (it may have ended since): what a trace of history shows."""
    return f"({var}.since IS NULL OR {var}.since <= $as_of)"


def fact(var: str) -> str:
    """Not a stub: a node referred to before the event that defines it is not yet a fact."""
    return f"(NOT coalesce({var}.stub, false))"


SEEN = "(e.occurred_at <= $as_of)"


def resolve_as_of(as_of: datetime | None) -> datetime:
    """The instant a query answers for: the given one (naive means UTC) or now."""
    if as_of is None:
        return datetime.now(timezone.utc)
    if as_of.tzinfo is None:
        return as_of.replace(tzinfo=timezone.utc)
    return as_of.astimezone(timezone.utc)


class NotFound(LookupError):
    """The node a query starts from does not exist (as of the instant asked about)."""


class QueryRefused(ValueError):
    """The question cannot be answered as asked; the message says what to change."""


# --- plumbing ------------------------------------------------------------------------------------


async def _read(driver: neo4j.AsyncDriver, database: str | None, work) -> Any:
    async with driver.session(
        database=database, default_access_mode=neo4j.READ_ACCESS, notifications_min_severity="OFF"
    ) as session:
        return await session.execute_read(work)


async def _rows(tx: neo4j.AsyncManagedTransaction, query: str, **params: Any) -> list[dict[str, Any]]:
    result = await tx.run(query, params)
    return [record.data() for record in [r async for r in result]]


def _iso(value: Any) -> Any:
    return to_json(value)


def _props(node_or_map: Any, drop: Iterable[str] = ()) -> dict[str, Any]:
    items = dict(node_or_map.items()) if hasattr(node_or_map, "items") else dict(node_or_map or {})
    return {k: to_json(v) for k, v in sorted(items.items()) if k not in drop}


def _event(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "type": row["type"],
        "source": row["source"],
        "position": row["position"],
        "occurred_at": _iso(row["occurred_at"]),
        **({"link": row["link"]} if row.get("link") else {}),
    }


def _event_sort_key(event: Mapping[str, Any]) -> tuple:
    return (event["occurred_at"], event["source"], event["position"])


async def _events_of(
    tx: neo4j.AsyncManagedTransaction, label: str, ids: list[str], as_of: datetime
) -> dict[str, list[dict[str, Any]]]:
    """The events that CREATED or CHANGED each node, in time order (occurred_at, source, position)."""
    rows = await _rows(
        tx,
        f"""
        UNWIND $ids AS id
        MATCH (n:{label} {{id: id}})<-[c:CREATED|CHANGED]-(e:Event)
        WHERE {SEEN}
        RETURN n.id AS node, e.id AS id, e.type AS type, e.source AS source, e.position AS position,
               e.occurred_at AS occurred_at, type(c) AS link
        ORDER BY e.occurred_at, e.source, e.position
        """,
        ids=ids,
        as_of=as_of,
    )
    events: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        events[row["node"]].append(_event(row))
    return events


# --- trace back ------------------------------------------------------------------------------------

START = "(start)"


@dataclass(frozen=True)
class Hop:
    """One step a trace back may take: from ``source`` along ``types`` to ``target``.

    ``only_from`` limits the step to nodes reached by one of those relationship types
    (or the start): a decision reached from an amended item is a cause of the item, but
    the rest of what that decision adopted is not.
    """

    source: str
    direction: Literal["out", "in"]
    types: tuple[str, ...]
    target: str
    only_from: frozenset[str] | None = None


_STRATEGY_REACH = frozenset({START, "ADOPTED", "CONCERNS"})

BACK_HOPS: tuple[Hop, ...] = (
    Hop("Decision", "out", ("ADOPTED", "CONCERNS"), "Strategy", frozenset({START})),
    Hop("Decision", "out", ("ADOPTED", "CONCERNS", "DECIDED"), "Plan", frozenset({START})),
    Hop("Decision", "in", ("AMENDED_BY",), "StrategyItem", frozenset({START})),
    Hop("Decision", "out", ("REMOVED",), "StrategyItem", frozenset({START})),
    Hop("Decision", "out", ("MADE_BY",), "Body"),
    Hop("Strategy", "out", ("HAS_ITEM",), "StrategyItem", _STRATEGY_REACH),
    Hop("Strategy", "out", ("INFORMED_BY",), "Recommendation", _STRATEGY_REACH),
    Hop("Strategy", "out", ("CITES",), "Evidence", _STRATEGY_REACH),
    Hop("Strategy", "in", ("CONCERNS",), "ExternalInput", _STRATEGY_REACH),
    Hop("Strategy", "out", ("HAD_STATUS",), "StrategyStatus", _STRATEGY_REACH),
    Hop("Strategy", "out", ("HAD_ASSESSMENT",), "KommuneplanAssessment", _STRATEGY_REACH),
    Hop("Strategy", "out", ("FROM_PROCESS",), "Process", _STRATEGY_REACH),
    Hop("StrategyItem", "out", ("HAD_VERSION",), "StrategyItemVersion"),
    Hop("StrategyItem", "out", ("FROM_NEED",), "PlanNeed"),
    Hop("StrategyItem", "out", ("CONCERNS", "MERGE_INTO"), "Plan"),
    Hop("StrategyItem", "out", ("AMENDED_BY",), "Decision"),
    Hop("PlanNeed", "in", ("RECOMMENDS",), "Recommendation"),
    Hop("PlanNeed", "in", ("RANKED",), "Prioritisation"),
    Hop("PlanNeed", "out", ("DERIVED_FROM",), "Input"),
    Hop("Recommendation", "out", ("BASED_ON",), "Prioritisation"),
    Hop("Recommendation", "out", ("RECOMMENDS",), "PlanNeed", frozenset({"INFORMED_BY"})),
    Hop("Prioritisation", "in", ("IN",), "Ballot"),
    Hop("Prioritisation", "out", ("PART_OF",), "Process"),
    Hop("Ballot", "in", ("CAST",), "Participant"),
    Hop("Input", "out", ("RAISED_AT",), "Workshop"),
    Hop("Input", "out", ("RAISED_BY",), "Participant"),
    Hop("Workshop", "in", ("ATTENDED",), "Participant"),
    Hop("Workshop", "out", ("PART_OF",), "Process"),
)
"""What lies behind each kind of node: recommendation, prioritisation and ballots, plan needs,
inputs, workshops, participants (design.md, "Trace back")."""

TRACE_STARTS: dict[str, str] = {"decision": "Decision", "strategy": "Strategy", "strategy-item": "StrategyItem"}

_REL_BOOKKEEPING = ("since", "until", "created_by", "ended_by")
MAX_TRACE_DEPTH = 12


async def trace_back(
    driver: neo4j.AsyncDriver, kind: str, node_id: str, as_of: datetime | None = None, *, database: str | None = None
) -> dict[str, Any]:
    """Everything behind a decision, strategy or strategy item, one step per node, in time order with event ids.

    A step's place in time is its first event; each step lists every edge that led to it
    (``via``, with the event that created the edge), so an auditor can follow the chain
    both ways. It is history: what existed by ``as_of`` is shown, and what had ended by
    then (a removed item, a replaced ballot) carries its ``until`` and ``ended_by``.
    Properties are the node's latest values; its events give its history.
    """
    if kind not in TRACE_STARTS:
        raise QueryRefused(f"trace back starts from one of {', '.join(TRACE_STARTS)}, not {kind!r}")
    label = TRACE_STARTS[kind]
    at = resolve_as_of(as_of)

    async def work(tx: neo4j.AsyncManagedTransaction) -> dict[str, Any]:
        start = await _rows(
            tx, f"MATCH (n:{label} {{id: $id}}) WHERE {fact('n')} AND {existed('n')} RETURN n", id=node_id, as_of=at
        )
        if not start:
            raise NotFound(f"no {label} with id {node_id!r} as of {at.isoformat()}")
        nodes: dict[tuple[str, str], dict[str, Any]] = {
            (label, node_id): {
                "label": label, "id": node_id, "depth": 0, "properties": _as_of_props(start[0]["n"], at), "via": []
            }
        }
        frontier: dict[tuple[str, str], set[str]] = {(label, node_id): {START}}
        depth = 0
        while frontier and depth < MAX_TRACE_DEPTH:
            depth += 1
            reached: dict[tuple[str, str], set[str]] = defaultdict(set)
            by_label: dict[str, list[tuple[str, set[str]]]] = defaultdict(list)
            for (lab, nid), reached_by in frontier.items():
                by_label[lab].append((nid, reached_by))
            for hop in BACK_HOPS:
                ids = [
                    nid
                    for nid, reached_by in by_label.get(hop.source, [])
                    if hop.only_from is None or reached_by & hop.only_from
                ]
                if not ids:
                    continue
                arrow = (
                    f"-[r:{'|'.join(hop.types)}]->(b:{hop.target})"
                    if hop.direction == "out"
                    else f"<-[r:{'|'.join(hop.types)}]-(b:{hop.target})"
                )
                rows = await _rows(
                    tx,
                    f"""
                    UNWIND $ids AS id
                    MATCH (a:{hop.source} {{id: id}}){arrow}
                    WHERE r.since <= $as_of AND {existed('b')}
                    RETURN a.id AS from_id, type(r) AS rel, properties(r) AS rel_props, b AS node
                    ORDER BY from_id, b.id
                    """,
                    ids=ids,
                    as_of=at,
                )
                for row in rows:
                    key = (hop.target, row["node"]["id"])
                    via = {
                        "from": {"label": hop.source, "id": row["from_id"]},
                        "relationship": row["rel"],
                        "direction": hop.direction,
                        "created_by": row["rel_props"].get("created_by"),
                        "since": _iso(row["rel_props"].get("since")),
                        **_ended(row["rel_props"], at),
                        "properties": _props(row["rel_props"], drop=_REL_BOOKKEEPING),
                    }
                    if key not in nodes:
                        nodes[key] = {
                            "label": hop.target,
                            "id": key[1],
                            "depth": depth,
                            "properties": _as_of_props(row["node"], at),
                            "via": [],
                        }
                        reached[key].add(row["rel"])
                    elif key in reached:
                        reached[key].add(row["rel"])
                    if via not in nodes[key]["via"]:
                        nodes[key]["via"].append(via)
            frontier = dict(reached)

        by_label_ids: dict[str, list[str]] = defaultdict(list)
        for lab, nid in nodes:
            by_label_ids[lab].append(nid)
        for lab, ids in by_label_ids.items():
            events = await _events_of(tx, lab, ids, at)
            for nid in ids:
                nodes[(lab, nid)]["events"] = events.get(nid, [])
        return nodes

    nodes = await _read(driver, database, work)
    steps = sorted(nodes.values(), key=_step_sort_key)
    return {"start": {"label": label, "id": node_id}, "as_of": at.isoformat(), "steps": steps}


def _ended(props: Mapping[str, Any], at: datetime) -> dict[str, Any]:
    """``until``/``ended_by`` only if the end had happened by ``at``: a trace as of a date does not see later ends."""
    until = props.get("until")
    if until is None or _native(until) > at:
        return {}
    return {"until": _iso(until), "ended_by": props.get("ended_by")}


def _as_of_props(node: Any, at: datetime) -> dict[str, Any]:
    values = _props(node, drop=("until", "ended_by"))
    values.update(_ended(node, at))
    return values


def _step_sort_key(step: Mapping[str, Any]) -> tuple:
    events = step.get("events") or []
    if events:
        first = events[0]
        return (0, first["occurred_at"], first["source"], first["position"], step["label"], step["id"])
    return (1, "", "", 0, step["label"], step["id"])


# --- trace forward -----------------------------------------------------------------------------------

Outcome = Literal["adopted", "pending", "dropped"]


def judge_need(facts: Mapping[str, Any]) -> dict[str, Any]:
    """What became of one plan need, from the facts as of the instant asked about.

    ``facts``: ``prioritisations`` [{id, made, rank, score}], ``process_prioritisation_made``
    (bool: a prioritisation of the need's process was made), ``recommendations``
    [{id, recommended, action, rank}], ``strategies_from_recommendations`` [ids],
    ``items`` [{id, strategy_id, live, from_need_live, removed_by, strategy_adopted, adopted_by}].
    The need is adopted when a live item drawing on it belongs to an adopted strategy;
    dropped at the first stage it should have passed and did not; pending otherwise.
    """
    items = facts.get("items", [])
    live_items = [i for i in items if i["live"] and i["from_need_live"]]
    adopted = [i for i in live_items if i["strategy_adopted"]]
    if adopted:
        first = adopted[0]
        return {
            "stage": "adopted",
            "outcome": "adopted",
            "where": {"strategy_id": first["strategy_id"], "item_id": first["id"], "decision_id": first["adopted_by"]},
            "explanation": f"item {first['id']} of adopted strategy {first['strategy_id']}",
        }
    if live_items:
        first = live_items[0]
        return {
            "stage": "in_strategy",
            "outcome": "pending",
            "where": {"strategy_id": first["strategy_id"], "item_id": first["id"]},
            "explanation": f"item {first['id']} of strategy {first['strategy_id']}, not adopted yet",
        }
    if items:
        first = items[0]
        if first["removed_by"]:
            why = f"removed from strategy {first['strategy_id']} by decision {first['removed_by']}"
        elif not first["live"]:
            why = f"item {first['id']} was taken out of strategy {first['strategy_id']}"
        else:
            why = f"item {first['id']} of strategy {first['strategy_id']} no longer draws on this need"
        return {
            "stage": "strategy",
            "outcome": "dropped",
            "where": {"strategy_id": first["strategy_id"], "item_id": first["id"], "decision_id": first["removed_by"]},
            "explanation": why,
        }
    recommended = [r for r in facts.get("recommendations", []) if r["recommended"]]
    if recommended:
        first = recommended[0]
        if facts.get("strategies_from_recommendations"):
            strategy = facts["strategies_from_recommendations"][0]
            return {
                "stage": "strategy",
                "outcome": "dropped",
                "where": {"recommendation_id": first["id"], "strategy_id": strategy},
                "explanation": f"recommended in {first['id']} but strategy {strategy} has no item from it",
            }
        return {
            "stage": "recommended",
            "outcome": "pending",
            "where": {"recommendation_id": first["id"]},
            "explanation": f"recommended in {first['id']} ({first['action']}); no strategy drafted from it yet",
        }
    issued = facts.get("recommendations", [])
    ranked = [p for p in facts.get("prioritisations", []) if p["made"] and p["rank"] is not None]
    if issued:
        first = issued[0]
        return {
            "stage": "recommendation",
            "outcome": "dropped",
            "where": {"recommendation_id": first["id"], "prioritisation_id": first.get("prioritisation_id")},
            "explanation": f"not recommended in {first['id']}"
            + (f" (ranked {ranked[0]['rank']} in {ranked[0]['id']})" if ranked else ""),
        }
    if ranked:
        first = ranked[0]
        return {
            "stage": "prioritised",
            "outcome": "pending",
            "where": {"prioritisation_id": first["id"]},
            "explanation": f"ranked {first['rank']} in {first['id']}; no recommendation issued yet",
        }
    candidate = [p for p in facts.get("prioritisations", []) if not p["made"]]
    if candidate:
        return {
            "stage": "in_prioritisation",
            "outcome": "pending",
            "where": {"prioritisation_id": candidate[0]["id"]},
            "explanation": f"candidate in {candidate[0]['id']}, not yet decided",
        }
    made_without = [p for p in facts.get("prioritisations", []) if p["made"]]
    if made_without or facts.get("process_prioritisation_made"):
        where = made_without[0]["id"] if made_without else facts.get("process_prioritisation_made_id")
        return {
            "stage": "prioritisation",
            "outcome": "dropped",
            "where": {"prioritisation_id": where},
            "explanation": f"not ranked in prioritisation {where}",
        }
    return {
        "stage": "proposed",
        "outcome": "pending",
        "where": {},
        "explanation": "proposed; not yet put to a prioritisation",
    }


_OUTCOME_ORDER = {"adopted": 0, "pending": 1, "dropped": 2}


def judge_input(needs: list[Mapping[str, Any]], process_moved_on: str | None) -> dict[str, Any]:
    """The input's fate is the best fate of the needs derived from it; with none, it stopped at the workshop.

    ``process_moved_on``: id of a plan need or prioritisation in the input's process that
    came after it, showing that the process went on without this input.
    """
    if needs:
        best = min(needs, key=lambda n: _OUTCOME_ORDER[n["judgement"]["outcome"]])
        return {
            "outcome": best["judgement"]["outcome"],
            "stage": best["judgement"]["stage"],
            "explanation": f"plan need {best['plan_need']['id']}: {best['judgement']['explanation']}",
        }
    if process_moved_on:
        return {
            "outcome": "dropped",
            "stage": "workshop",
            "explanation": f"no plan need was derived from it; the process went on ({process_moved_on})",
        }
    return {"outcome": "pending", "stage": "input", "explanation": "no plan need derived from it yet"}


async def trace_forward(
    driver: neo4j.AsyncDriver, input_id: str, as_of: datetime | None = None, *, database: str | None = None
) -> dict[str, Any]:
    """What became of a co-creation input: its plan needs, their prioritisation, recommendation, strategy items,
    adoption or the stage where they were dropped, and plans started through them."""
    at = resolve_as_of(as_of)

    async def work(tx: neo4j.AsyncManagedTransaction) -> dict[str, Any]:
        found = await _rows(
            tx,
            f"""
            MATCH (i:Input {{id: $id}}) WHERE {fact('i')} AND {existed('i')}
            OPTIONAL MATCH (i)-[ra:RAISED_AT]->(w:Workshop) WHERE {live('ra')}
            RETURN i, w.id AS workshop_id, i.process_id AS process_id
            """,
            id=input_id,
            as_of=at,
        )
        if not found:
            raise NotFound(f"no Input with id {input_id!r} as of {at.isoformat()}")
        row = found[0]
        needs = await _rows(
            tx,
            f"""
            MATCH (n:PlanNeed)-[d:DERIVED_FROM]->(:Input {{id: $id}})
            WHERE {live('d')} AND {fact('n')} AND {existed('n')}
            RETURN n ORDER BY n.since, n.id
            """,
            id=input_id,
            as_of=at,
        )
        need_ids = [r["n"]["id"] for r in needs]
        prioritisations = await _rows(
            tx,
            f"""
            UNWIND $ids AS nid
            MATCH (p:Prioritisation)-[c:CANDIDATE]->(n:PlanNeed {{id: nid}}) WHERE {live('c')}
            OPTIONAL MATCH (p)-[rk:RANKED]->(n) WHERE {live('rk')}
            RETURN nid, p.id AS id, rk.rank AS rank, rk.score AS score,
                   EXISTS {{ MATCH (e:Event {{type: 'prioritisation.made'}})-[:CHANGED]->(p) WHERE {SEEN} }} AS made
            ORDER BY p.since, p.id
            """,
            ids=need_ids,
            as_of=at,
        )
        recommendations = await _rows(
            tx,
            f"""
            UNWIND $ids AS nid
            MATCH (n:PlanNeed {{id: nid}})
            CALL (n) {{
              MATCH (r:Recommendation)-[rec:RECOMMENDS]->(n) WHERE {live('rec')} AND {existed('r')}
              RETURN r
              UNION
              MATCH (r:Recommendation)-[b:BASED_ON]->(:Prioritisation)-[c:CANDIDATE]->(n)
              WHERE {live('b')} AND {live('c')} AND {existed('r')}
              RETURN r
            }}
            OPTIONAL MATCH (r)-[rec:RECOMMENDS]->(n) WHERE {live('rec')}
            OPTIONAL MATCH (s:Strategy)-[ib:INFORMED_BY]->(r) WHERE {live('ib')} AND {existed('s')}
            WITH nid, r, rec, collect(DISTINCT s.id) AS strategies
            RETURN nid, r.id AS id, r.prioritisation_id AS prioritisation_id, rec IS NOT NULL AS recommended,
                   rec.action AS action, rec.rank AS rank, strategies
            ORDER BY r.since, r.id
            """,
            ids=need_ids,
            as_of=at,
        )
        items = await _rows(
            tx,
            f"""
            UNWIND $ids AS nid
            MATCH (it:StrategyItem)-[f:FROM_NEED]->(:PlanNeed {{id: nid}})
            WHERE f.since <= $as_of AND {existed('it')}
            WITH nid, it, max(f.since) AS latest
            MATCH (it)-[f:FROM_NEED]->(:PlanNeed {{id: nid}}) WHERE f.since = latest
            OPTIONAL MATCH (s:Strategy)-[h:HAS_ITEM]->(it) WHERE h.since <= $as_of
            OPTIONAL MATCH (d:Decision)-[rm:REMOVED]->(it) WHERE {live('rm')}
            OPTIONAL MATCH (s)-[:HAD_STATUS]->(st:StrategyStatus {{status: 'adopted'}}) WHERE st.since <= $as_of
            OPTIONAL MATCH (ad:Decision)-[a:ADOPTED]->(s) WHERE {live('a')}
            OPTIONAL MATCH (pl:Plan)-[x:INITIATED_THROUGH]->(it) WHERE {live('x')} AND {fact('pl')}
            RETURN nid, it.id AS id, s.id AS strategy_id, {live('it')} AS live, {live('f')} AS from_need_live,
                   d.id AS removed_by, st IS NOT NULL AS strategy_adopted, ad.id AS adopted_by,
                   it.action AS action, it.since AS item_since, collect(DISTINCT pl.id) AS plans
            ORDER BY item_since, id
            """,
            ids=need_ids,
            as_of=at,
        )
        moved_on = await _rows(
            tx,
            f"""
            MATCH (i:Input {{id: $id}})
            CALL (i) {{
              MATCH (x:PlanNeed {{process_id: i.process_id}}) RETURN x
              UNION
              MATCH (x:Prioritisation {{process_id: i.process_id}}) RETURN x
            }}
            WITH i, x WHERE {fact('x')} AND x.since > i.since AND x.since <= $as_of
            RETURN x.id AS id ORDER BY x.since, x.id LIMIT 1
            """,
            id=input_id,
            as_of=at,
        )
        process_made = await _rows(
            tx,
            f"""
            MATCH (i:Input {{id: $id}})
            MATCH (p:Prioritisation {{process_id: i.process_id}})<-[:CHANGED]-(e:Event {{type: 'prioritisation.made'}})
            WHERE {SEEN}
            RETURN p.id AS id ORDER BY e.occurred_at LIMIT 1
            """,
            id=input_id,
            as_of=at,
        )
        events = await _events_of(tx, "PlanNeed", need_ids, at)
        input_events = await _events_of(tx, "Input", [input_id], at)
        return row, needs, prioritisations, recommendations, items, moved_on, process_made, events, input_events

    row, needs, prioritisations, recommendations, items, moved_on, process_made, events, input_events = await _read(
        driver, database, work
    )
    judged = []
    for need in needs:
        nid = need["n"]["id"]
        facts = {
            "prioritisations": [
                {"id": p["id"], "rank": p["rank"], "score": to_json(p["score"]), "made": p["made"]}
                for p in prioritisations
                if p["nid"] == nid
            ],
            "process_prioritisation_made": bool(process_made),
            "process_prioritisation_made_id": process_made[0]["id"] if process_made else None,
            "recommendations": [
                {k: r[k] for k in ("id", "prioritisation_id", "recommended", "action", "rank")}
                for r in recommendations
                if r["nid"] == nid
            ],
            "strategies_from_recommendations": sorted(
                {s for r in recommendations if r["nid"] == nid and r["recommended"] for s in r["strategies"]}
            ),
            "items": [
                {k: i[k] for k in ("id", "strategy_id", "live", "from_need_live", "removed_by", "strategy_adopted",
                                   "adopted_by", "action", "plans")}
                for i in items
                if i["nid"] == nid
            ],
        }
        judged.append(
            {
                "plan_need": {"id": nid, **_props(need["n"], drop=("id",))},
                "events": events.get(nid, []),
                **facts,
                "judgement": judge_need(facts),
            }
        )
    verdict = judge_input(judged, moved_on[0]["id"] if moved_on else None)
    return {
        "input": {"id": input_id, **_props(row["i"], drop=("id",))},
        "workshop_id": row["workshop_id"],
        "events": input_events.get(input_id, []),
        "as_of": at.isoformat(),
        **verdict,
        "plan_needs": judged,
    }


# --- plan lists ----------------------------------------------------------------------------------------

_PLAN_FIELDS = "p.id AS id, p.title AS title, p.plan_type AS plan_type, p.owning_unit AS owning_unit, p.since AS since"


def _plan_row(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: to_json(v) for k, v in row.items()}


async def plans_outside_strategy(
    driver: neo4j.AsyncDriver,
    as_of: datetime | None = None,
    strategy_id: str | None = None,
    *,
    database: str | None = None,
) -> dict[str, Any]:
    """Plans (not ended) that were not started through an adopted strategy (Bærum: "planning started outside the strategy").

    A plan is inside when it was INITIATED_THROUGH a strategy, or an item of one, adopted as
    of ``as_of``. With ``strategy_id``: the plans registered since that strategy's adoption
    that were not started through it.
    """
    at = resolve_as_of(as_of)

    async def work(tx: neo4j.AsyncManagedTransaction) -> list[dict[str, Any]]:
        since = None
        if strategy_id is not None:
            adopted = await _rows(
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
                raise QueryRefused(f"strategy {strategy_id!r} was not adopted as of {at.isoformat()}")
        return await _rows(
            tx,
            f"""
            MATCH (p:Plan) WHERE {live('p')} AND {fact('p')} AND ($since IS NULL OR p.since >= $since)
            OPTIONAL MATCH (p)-[it:INITIATED_THROUGH]->(x) WHERE {live('it')}
            OPTIONAL MATCH (x)<-[:HAS_ITEM]-(xs:Strategy)
            WITH p, collect(DISTINCT CASE WHEN x:Strategy THEN x ELSE xs END) AS through
            WITH p, through,
                 [s IN through WHERE ($sid IS NULL OR s.id = $sid) AND EXISTS {{
                     MATCH (s)-[:HAD_STATUS]->(st:StrategyStatus {{status: 'adopted'}}) WHERE st.since <= $as_of
                 }}] AS adopted
            WHERE size(adopted) = 0
            RETURN {_PLAN_FIELDS}, p.initiated_through_strategy AS initiated_through_strategy,
                   [s IN through | s.id] AS named_strategies
            ORDER BY p.since, p.id
            """,
            as_of=at,
            since=since,
            sid=strategy_id,
        )

    rows = await _read(driver, database, work)
    plans = []
    for row in rows:
        named = sorted(row.pop("named_strategies"))
        if not named:
            reason = "not initiated through a strategy"
        elif strategy_id is not None and strategy_id not in named:
            reason = f"initiated through {', '.join(named)}, not through {strategy_id}"
        else:
            reason = f"initiated through {', '.join(named)}, not adopted as of the date asked about"
        plans.append({**_plan_row(row), "reason": reason})
    return {"as_of": at.isoformat(), "strategy_id": strategy_id, "plans": plans}


async def plans_not_anchored(
    driver: neo4j.AsyncDriver, as_of: datetime | None = None, *, database: str | None = None
) -> dict[str, Any]:
    """Plans (not ended) with no anchoring in a goal of the samfunnsdel that holds as of ``as_of``.

    The samfunnsdel itself is left out: it is what the others anchor in. An anchoring in
    a retired goal no longer counts.
    """
    at = resolve_as_of(as_of)

    async def work(tx):
        return await _rows(
            tx,
            f"""
            MATCH (p:Plan) WHERE {live('p')} AND {fact('p')} AND p.plan_type <> 'kommuneplan_samfunnsdel'
              AND NOT EXISTS {{ MATCH (p)-[a:ANCHORED_IN]->(g:Goal) WHERE {live('a')} AND {live('g')} }}
            OPTIONAL MATCH (p)-[a:ANCHORED_IN]->(g:Goal) WHERE a.since <= $as_of
            RETURN {_PLAN_FIELDS}, collect(DISTINCT g.id) AS former_goals
            ORDER BY p.since, p.id
            """,
            as_of=at,
        )

    rows = await _read(driver, database, work)
    return {"as_of": at.isoformat(), "plans": [_plan_row(r) for r in rows]}


async def plans_overdue_for_revision(
    driver: neo4j.AsyncDriver, as_of: datetime | None = None, *, database: str | None = None
) -> dict[str, Any]:
    """Plans (not ended) whose revision date, as scheduled as of ``as_of``, has passed and whose revision has not begun.

    A plan under revision is not overdue: the work the schedule asked for is under way.
    """
    at = resolve_as_of(as_of)

    async def work(tx):
        return await _rows(
            tx,
            f"""
            MATCH (p:Plan)-[r:HAD_REVISION_SCHEDULE]->(rs:RevisionSchedule)
            WHERE {live('p')} AND {fact('p')} AND {live('r')} AND rs.revision_due < $today
            OPTIONAL MATCH (p)-[sr:HAD_STATUS]->(ps:PlanStatus) WHERE {live('sr')}
            WITH p, rs, ps WHERE ps IS NULL OR ps.status <> 'under_revision'
            RETURN {_PLAN_FIELDS}, ps.status AS status, rs.revision_due AS revision_due,
                   duration.inDays(rs.revision_due, $today).days AS days_overdue, rs.id AS scheduled_by
            ORDER BY rs.revision_due, p.id
            """,
            as_of=at,
            today=at.date(),
        )

    rows = await _read(driver, database, work)
    return {"as_of": at.isoformat(), "plans": [_plan_row(r) for r in rows]}


async def goals_without_plan_or_indicator(
    driver: neo4j.AsyncDriver, as_of: datetime | None = None, *, database: str | None = None
) -> dict[str, Any]:
    """Goals in force with no plan anchored in them, or no indicator measuring them (or neither)."""
    at = resolve_as_of(as_of)

    async def work(tx):
        return await _rows(
            tx,
            f"""
            MATCH (g:Goal) WHERE {live('g')} AND {fact('g')}
            WITH g,
                 COUNT {{ MATCH (p:Plan)-[a:ANCHORED_IN]->(g) WHERE {live('a')} AND {live('p')} }} AS plans,
                 COUNT {{ MATCH (g)-[m:MEASURED_BY]->(i:Indicator) WHERE {live('m')} AND {live('i')} }} AS indicators
            WHERE plans = 0 OR indicators = 0
            RETURN g.id AS id, g.title AS title, g.level AS level, plans, indicators,
                   plans = 0 AS no_plan, indicators = 0 AS no_indicator
            ORDER BY g.since, g.id
            """,
            as_of=at,
        )

    rows = await _read(driver, database, work)
    return {"as_of": at.isoformat(), "goals": [dict(r) for r in rows]}


# --- plans over time ---------------------------------------------------------------------------------

IN_FORCE_STATUSES: tuple[str, ...] = ("in_force", "under_revision")
"""A plan under revision is still the plan in force until its successor is adopted."""

MAX_PERIODS = 600


def periods(interval: str, first: date, last: date) -> list[tuple[str, date, date]]:
    """Calendar periods (label, first day, first day of the next) covering ``first`` .. ``last``."""
    if interval not in ("year", "month"):
        raise QueryRefused(f"interval must be 'year' or 'month', not {interval!r}")
    if last < first:
        raise QueryRefused(f"'to' ({last}) is before 'from' ({first})")
    out: list[tuple[str, date, date]] = []
    if interval == "year":
        for year in range(first.year, last.year + 1):
            out.append((f"{year}", date(year, 1, 1), date(year + 1, 1, 1)))
    else:
        year, month = first.year, first.month
        while (year, month) <= (last.year, last.month):
            nxt = (year + (month == 12), 1 if month == 12 else month + 1)
            out.append((f"{year}-{month:02d}", date(year, month, 1), date(nxt[0], nxt[1], 1)))
            year, month = nxt
    if len(out) > MAX_PERIODS:
        raise QueryRefused(f"{len(out)} periods asked for; at most {MAX_PERIODS} (narrow 'from'/'to' or use 'year')")
    return out


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=timezone.utc)


async def plans_over_time(
    driver: neo4j.AsyncDriver,
    interval: str = "year",
    first: date | None = None,
    last: date | None = None,
    as_of: datetime | None = None,
    *,
    database: str | None = None,
) -> dict[str, Any]:
    """The number of plans per year or month (the municipality wants fewer plans, PBL §3-1).

    Per period: ``plans`` registered and not ended at its end, ``in_force`` of them (status
    in force or under revision), ``proposed`` and ``ended`` during it. The end of the last
    period is cut at ``as_of``: nothing after it is seen.
    """
    at = resolve_as_of(as_of)

    async def work(tx):
        nonlocal first
        if first is None:
            earliest = await _rows(
                tx, f"MATCH (p:Plan) WHERE {fact('p')} AND p.since <= $as_of RETURN min(p.since) AS t", as_of=at
            )
            t = earliest[0]["t"] if earliest else None
            first = t.to_native().date() if t is not None else at.date()
        table = periods(interval, first, min(last or at.date(), at.date()))
        points = [
            {
                "label": label,
                "start": max(_midnight(start), _midnight(first)),
                "at": min(_midnight(end) - timedelta(microseconds=1), at),
            }
            for label, start, end in table
        ]
        return await _rows(
            tx,
            f"""
            UNWIND $points AS pt
            CALL (pt) {{
              OPTIONAL MATCH (p:Plan) WHERE {fact('p')} AND p.since <= pt.at AND (p.until IS NULL OR p.until > pt.at)
              OPTIONAL MATCH (p)-[r:HAD_STATUS]->(s:PlanStatus)
                WHERE r.since <= pt.at AND (r.until IS NULL OR r.until > pt.at)
              RETURN count(DISTINCT p) AS plans,
                     count(DISTINCT CASE WHEN s.status IN $in_force THEN p END) AS in_force
            }}
            CALL (pt) {{
              OPTIONAL MATCH (p:Plan) WHERE {fact('p')} AND p.since >= pt.start AND p.since <= pt.at
              RETURN count(p) AS proposed
            }}
            CALL (pt) {{
              OPTIONAL MATCH (p:Plan) WHERE {fact('p')} AND p.until >= pt.start AND p.until <= pt.at
              RETURN count(p) AS ended
            }}
            RETURN pt.label AS period, plans, in_force, proposed, ended
            ORDER BY pt.start
            """,
            points=points,
            in_force=list(IN_FORCE_STATUSES),
        ), first

    rows, first_used = await _read(driver, database, work)
    return {"as_of": at.isoformat(), "interval": interval, "from": first_used.isoformat(), "periods": rows}


# --- compliance ----------------------------------------------------------------------------------------

REQUIRED_PARTIES: tuple[str, ...] = ("state", "regional", "neighbour_municipality")
PUBLIC_HEALTH_OVERVIEW_MAX_AGE_YEARS = 4
PUBLICATION_DAYS = 30


def add_years(day: date, years: int) -> date:
    """The same calendar day ``years`` later (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=calendar.monthrange(day.year + years, day.month)[1])


def _check(check_id: str, paragraph: str, rule: str, status: str, detail: str, evidence: Iterable[str]) -> dict:
    return {
        "id": check_id,
        "paragraph": paragraph,
        "rule": rule,
        "status": status,
        "detail": detail,
        "evidence": sorted({e for e in evidence if e}),
    }


def assess_compliance(facts: Mapping[str, Any], today: date) -> list[dict[str, Any]]:
    """The legal checks of domain.md for one strategy: pass, fail or unknown, each with its evidence (event ids).

    ``facts`` (as of the instant asked about): ``council_constituted_on``, ``drafted``
    {on, event}, ``published`` {on, planned_meeting_on, event} or None, ``adopted``
    {on, event, decision_id, decision_event, meeting_date} or None, ``assessment``
    {samfunnsdel, arealdel, event} or None, ``external_inputs`` [{party_kind, from_party,
    received_on, event}], ``evidence`` [{kind, dated, title, events}], ``work_started_on``
    and ``work_started_event``. ``today`` is the date asked about: a deadline not yet
    passed makes a missing step *unknown*, a passed one makes it *fail*.
    """
    checks = []
    adopted = facts.get("adopted")
    drafted = facts.get("drafted") or {}
    constituted = facts.get("council_constituted_on")

    # PBL §10-1: adopted no later than one year after the council was constituted
    rule = "the council adopts the plan strategy no later than one year after it was constituted"
    if constituted is None:
        checks.append(_check("adopted_within_a_year", "PBL §10-1", rule, "unknown",
                             "the council's constitution date is not on record", [drafted.get("event")]))
    else:
        deadline = add_years(constituted, 1)
        base = [drafted.get("event")]
        if adopted:
            ok = adopted["on"] <= deadline
            checks.append(_check(
                "adopted_within_a_year", "PBL §10-1", rule, "pass" if ok else "fail",
                f"council constituted {constituted}, adopted {adopted['on']}, deadline {deadline}",
                base + [adopted.get("event"), adopted.get("decision_event")],
            ))
        elif today > deadline:
            checks.append(_check("adopted_within_a_year", "PBL §10-1", rule, "fail",
                                 f"not adopted by the deadline {deadline} (council constituted {constituted})", base))
        else:
            checks.append(_check("adopted_within_a_year", "PBL §10-1", rule, "unknown",
                                 f"not adopted yet; deadline {deadline}", base))

    # PBL §10-1: the proposal public at least 30 days before the council treats it
    rule = f"the proposal is made public at least {PUBLICATION_DAYS} days before the council treats it"
    published = facts.get("published")
    treated_on = (adopted or {}).get("meeting_date") or (adopted or {}).get("on")
    if published and treated_on:
        days = (treated_on - published["on"]).days
        checks.append(_check(
            "published_30_days_before_treatment", "PBL §10-1", rule, "pass" if days >= PUBLICATION_DAYS else "fail",
            f"published {published['on']}, treated {treated_on}: {days} days",
            [published.get("event"), (adopted or {}).get("event"), (adopted or {}).get("decision_event")],
        ))
    elif adopted:
        checks.append(_check("published_30_days_before_treatment", "PBL §10-1", rule, "fail",
                             f"adopted {adopted['on']} with no publication on record",
                             [adopted.get("event"), adopted.get("decision_event")]))
    elif published:
        planned = published.get("planned_meeting_on")
        note = f"published {published['on']}; not treated yet"
        if planned:
            days = (planned - published["on"]).days
            note += f"; planned meeting {planned} would be {days} days after"
        checks.append(_check("published_30_days_before_treatment", "PBL §10-1", rule, "unknown", note,
                             [published.get("event")]))
    else:
        checks.append(_check("published_30_days_before_treatment", "PBL §10-1", rule, "unknown",
                             "not published and not treated yet", []))

    # PBL §10-1: decide whether the kommuneplan is revised or continued
    rule = "the strategy decides whether the kommuneplan (samfunnsdel, arealdel) is revised or continued"
    assessment = facts.get("assessment")
    if assessment:
        checks.append(_check("kommuneplan_assessed", "PBL §10-1", rule, "pass",
                             f"samfunnsdel: {assessment['samfunnsdel']}, arealdel: {assessment['arealdel']}",
                             [assessment.get("event")]))
    else:
        checks.append(_check("kommuneplan_assessed", "PBL §10-1", rule, "fail" if adopted else "unknown",
                             "no assessment of the kommuneplan on record"
                             + (" when the strategy was adopted" if adopted else " yet"),
                             [(adopted or {}).get("event")]))

    # PBL §10-1: views of state and regional bodies and neighbouring municipalities
    rule = "state and regional bodies and neighbouring municipalities are asked for their views"
    inputs = facts.get("external_inputs", [])
    kinds = {i["party_kind"] for i in inputs}
    missing = [k for k in REQUIRED_PARTIES if k not in kinds]
    on_record = [i for i in inputs if i["party_kind"] in REQUIRED_PARTIES]
    if not missing:
        status, detail = "pass", "inputs on record from " + ", ".join(
            sorted({f"{i['from_party']} ({i['party_kind']})" for i in on_record}))
    else:
        status = "fail" if adopted else "unknown"
        detail = "no input on record from: " + ", ".join(missing)
    checks.append(_check("external_inputs_on_record", "PBL §10-1", rule, status, detail,
                         [i.get("event") for i in on_record]))

    # folkehelseloven §5 and §6: the public health overview, at most four years old when the work started
    rule = (f"the public health overview (folkehelseoversikt) is part of the basis and at most "
            f"{PUBLIC_HEALTH_OVERVIEW_MAX_AGE_YEARS} years old when the work started")
    started = facts.get("work_started_on")
    overviews = [e for e in facts.get("evidence", []) if e["kind"] == "public_health_overview"]
    if not overviews:
        checks.append(_check("public_health_overview", "folkehelseloven §5, §6", rule,
                             "fail" if adopted else "unknown",
                             "no public health overview cited" + ("" if adopted else " yet"), []))
    elif started is None:
        checks.append(_check("public_health_overview", "folkehelseloven §5, §6", rule, "unknown",
                             "the start of the work is not on record",
                             [ev for e in overviews for ev in e.get("events", [])]))
    else:
        oldest_allowed = add_years(started, -PUBLIC_HEALTH_OVERVIEW_MAX_AGE_YEARS)
        fresh = [e for e in overviews if e["dated"] >= oldest_allowed]
        newest = max(overviews, key=lambda e: e["dated"])
        chosen = fresh or [newest]
        checks.append(_check(
            "public_health_overview", "folkehelseloven §5, §6", rule, "pass" if fresh else "fail",
            f"overview dated {max(e['dated'] for e in chosen)}, work started {started}"
            + ("" if fresh else f": older than {oldest_allowed}"),
            [ev for e in chosen for ev in e.get("events", [])] + [facts.get("work_started_event")],
        ))
    return checks


def _native(value: Any) -> Any:
    return value.to_native() if hasattr(value, "to_native") else value


async def compliance_report(
    driver: neo4j.AsyncDriver, strategy_id: str, as_of: datetime | None = None, *, database: str | None = None
) -> dict[str, Any]:
    """The legal process checks of a plan strategy (domain.md, "Rules"), with the events that are their evidence."""
    at = resolve_as_of(as_of)

    async def work(tx):
        found = await _rows(
            tx,
            f"""
            MATCH (s:Strategy {{id: $id}}) WHERE {fact('s')} AND {existed('s')}
            OPTIONAL MATCH (s)-[hs:HAD_STATUS]->(st:StrategyStatus) WHERE hs.since <= $as_of
            OPTIONAL MATCH (e:Event)-[:CREATED]->(st)
            WITH s, st, e ORDER BY st.since
            RETURN s, collect(CASE WHEN st IS NULL THEN NULL ELSE
                   {{status: st.status, on: st.on, planned_meeting_on: st.planned_meeting_on,
                     decision_id: st.decision_id, event: e.id}} END) AS statuses
            """,
            id=strategy_id,
            as_of=at,
        )
        if not found:
            raise NotFound(f"no Strategy with id {strategy_id!r} as of {at.isoformat()}")
        decision = await _rows(
            tx,
            f"""
            MATCH (d:Decision)-[a:ADOPTED]->(:Strategy {{id: $id}}) WHERE {live('a')}
            OPTIONAL MATCH (e:Event)-[:CREATED]->(d)
            RETURN d.id AS id, d.meeting_date AS meeting_date, e.id AS event ORDER BY a.since LIMIT 1
            """,
            id=strategy_id,
            as_of=at,
        )
        assessment = await _rows(
            tx,
            f"""
            MATCH (:Strategy {{id: $id}})-[h:HAD_ASSESSMENT]->(k:KommuneplanAssessment) WHERE {live('h')}
            OPTIONAL MATCH (e:Event)-[:CREATED]->(k)
            RETURN k.samfunnsdel AS samfunnsdel, k.arealdel AS arealdel, e.id AS event
            """,
            id=strategy_id,
            as_of=at,
        )
        inputs = await _rows(
            tx,
            f"""
            MATCH (x:ExternalInput)-[c:CONCERNS]->(:Strategy {{id: $id}}) WHERE {live('c')} AND {fact('x')}
            OPTIONAL MATCH (e:Event)-[:CREATED]->(x)
            RETURN x.party_kind AS party_kind, x.from_party AS from_party, x.received_on AS received_on, e.id AS event
            ORDER BY x.received_on, x.id
            """,
            id=strategy_id,
            as_of=at,
        )
        evidence = await _rows(
            tx,
            f"""
            MATCH (:Strategy {{id: $id}})-[c:CITES]->(ev:Evidence) WHERE {live('c')} AND {fact('ev')}
            OPTIONAL MATCH (e:Event)-[:CREATED]->(ev)
            WITH ev, c, collect(DISTINCT e.id) AS created
            RETURN ev.kind AS kind, ev.dated AS dated, ev.title AS title,
                   [x IN created + [c.created_by] WHERE x IS NOT NULL] AS events
            ORDER BY ev.dated
            """,
            id=strategy_id,
            as_of=at,
        )
        process_start = await _rows(
            tx,
            f"""
            MATCH (s:Strategy {{id: $id}})
            OPTIONAL MATCH (s)-[f:FROM_PROCESS]->(p1:Process) WHERE {live('f')}
            OPTIONAL MATCH (s)-[i:INFORMED_BY]->(:Recommendation)-[:PART_OF]->(p2:Process) WHERE {live('i')}
            WITH [p IN collect(DISTINCT p1) + collect(DISTINCT p2) WHERE p IS NOT NULL AND {existed('p')}] AS ps
            UNWIND CASE WHEN ps = [] THEN [NULL] ELSE ps END AS p
            OPTIONAL MATCH (e:Event)-[:CREATED]->(p)
            RETURN p.period_start AS on, e.id AS event ORDER BY on LIMIT 1
            """,
            id=strategy_id,
            as_of=at,
        )
        return found[0], decision, assessment, inputs, evidence, process_start

    found, decision, assessment, inputs, evidence, process_start = await _read(driver, database, work)
    strategy = found["s"]
    statuses = {s["status"]: s for s in found["statuses"]}
    drafted = statuses.get("drafted")
    facts: dict[str, Any] = {
        "council_constituted_on": _native(strategy.get("council_constituted_on")),
        "drafted": {"on": _native(drafted["on"]), "event": drafted["event"]} if drafted else None,
        "published": None,
        "adopted": None,
        "assessment": dict(assessment[0]) if assessment else None,
        "external_inputs": [dict(i) for i in inputs],
        "evidence": [{**e, "dated": _native(e["dated"])} for e in evidence],
    }
    if "published" in statuses:
        p = statuses["published"]
        facts["published"] = {"on": _native(p["on"]), "planned_meeting_on": _native(p["planned_meeting_on"]),
                              "event": p["event"]}
    if "adopted" in statuses:
        a = statuses["adopted"]
        d = decision[0] if decision else {}
        facts["adopted"] = {"on": _native(a["on"]), "event": a["event"], "decision_id": a["decision_id"] or d.get("id"),
                            "decision_event": d.get("event"), "meeting_date": _native(d.get("meeting_date"))}
    starts = [(facts["drafted"]["on"], facts["drafted"]["event"])] if facts["drafted"] else []
    if process_start and process_start[0]["on"] is not None:
        starts.append((_native(process_start[0]["on"]), process_start[0]["event"]))
    if starts:
        facts["work_started_on"], facts["work_started_event"] = min(starts, key=lambda s: s[0])
    checks = assess_compliance(facts, at.date())
    return {
        "strategy": {"id": strategy_id, "title": strategy.get("title"), "election_period": strategy.get("election_period")},
        "as_of": at.isoformat(),
        "checks": checks,
        "summary": {status: sum(1 for c in checks if c["status"] == status) for status in ("pass", "fail", "unknown")},
    }
