"""Trace back: from a decision, a strategy or a strategy item, every step behind it in effective order.

The walk follows fixed hops (``BACK_HOPS``): recommendation, prioritisation and ballots,
plan needs, inputs, workshops, participants (design.md, "Questions the graph must
answer"). It is history: relationships that began by ``as_of`` (as known at ``known_at``) are
followed even if they ended later, and what had ended by then carries its ``until`` and
``ended_by``. Steps are in effective order (the valid day of their first event, then its
recorded time), and each event shows both (``valid_on``, ``occurred_at``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal

import neo4j

from knowledge.errors import NotFound, QueryRefused
from knowledge.graph.cypher_guard import to_json
from knowledge.graph.queries.reads import (
    Row,
    event_entry,
    events_of_nodes,
    fact,
    native,
    on_record,
    properties,
    read,
    rows,
    union_all,
)
from knowledge.graph.queries.times import TimeFrame, When, resolve_frame
from planspor_shared.events.base import municipal_day

START = "(start)"
"""What the start node was "reached by"."""


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
    Hop("Decision", "out", ("CORRECTS",), "Decision", frozenset({START})),
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

_RELATIONSHIP_BOOKKEEPING = ("since", "until", "valid_from", "valid_to", "created_by", "ended_by")
MAX_TRACE_DEPTH = 12

NodeKey = tuple[str, str]


async def trace_back(
    driver: neo4j.AsyncDriver,
    kind: str,
    node_id: str,
    as_of: When | TimeFrame = None,
    *,
    known_at: When = None,
    database: str | None = None,
    depth: int | None = None,
) -> dict[str, Any]:
    """Everything behind a decision, strategy or strategy item, one step per node, in effective order with event ids.

    ``depth`` stops the walk that many hops from the start (a step's ``depth``; 0 is the start alone); without
    it the walk goes as far as the hops lead (at most ``MAX_TRACE_DEPTH``). The answer then says ``depth`` and
    whether the walk stopped with steps still to follow (``truncated``: the last reached may lead further); a
    voiding of a decision in the trace is shown with it.

    A step's place in time is its first event (its valid day, then when it was recorded: the step's ``valid_on``
    and ``occurred_at``); each step lists every edge that led to it
    (``via``, with the event that created the edge), so an auditor can follow the chain
    both ways. Properties are the node's latest values; its events give its history.
    """
    if kind not in TRACE_STARTS:
        raise QueryRefused(
            "query.trace_start", f"trace back starts from one of {', '.join(TRACE_STARTS)}, not {kind!r}"
        )
    if depth is not None and not 0 <= depth <= MAX_TRACE_DEPTH:
        raise QueryRefused("query.trace_depth", f"a trace's depth is 0 to {MAX_TRACE_DEPTH}, not {depth}")
    label = TRACE_STARTS[kind]
    at = resolve_frame(as_of, known_at)
    deepest = MAX_TRACE_DEPTH if depth is None else depth
    truncated: list[bool] = []

    async def work(tx: neo4j.AsyncManagedTransaction) -> dict[NodeKey, Row]:
        start = await rows(
            tx,
            f"MATCH (n:{label} {{id: $id}}) WHERE {fact('n')} AND {on_record('n')} RETURN n",
            id=node_id,
            **at.params,
        )
        if not start:
            raise NotFound.node(label, node_id, at.as_of.isoformat())
        nodes: dict[NodeKey, Row] = {
            (label, node_id): {
                "label": label,
                "id": node_id,
                "depth": 0,
                "properties": _as_of_properties(start[0]["n"], at),
                "via": [],
            }
        }
        frontier: dict[NodeKey, set[str]] = {(label, node_id): {START}}
        reached = 0
        while frontier and reached < deepest:
            reached += 1
            frontier = await _step(tx, nodes, frontier, reached, at)
        truncated.append(bool(frontier) and reached == depth)
        ids_by_label: dict[str, list[str]] = defaultdict(list)
        for node_label, found_id in nodes:
            ids_by_label[node_label].append(found_id)
        events = await events_of_nodes(tx, ids_by_label, at)
        for key, step in nodes.items():
            step["events"] = events.get(key, [])
            first = step["events"][0] if step["events"] else {}
            step["valid_on"], step["occurred_at"] = first.get("valid_on"), first.get("occurred_at")
        await _with_voidings(tx, nodes, at)
        return nodes

    nodes = await read(driver, database, work)
    steps = sorted(nodes.values(), key=_step_sort_key)
    bounded = {} if depth is None else {"depth": depth, "truncated": truncated[-1]}
    return {"start": {"label": label, "id": node_id}, **at.echo(), **bounded, "steps": steps}


async def _step(
    tx: neo4j.AsyncManagedTransaction,
    nodes: dict[NodeKey, Row],
    frontier: dict[NodeKey, set[str]],
    depth: int,
    at: TimeFrame,
) -> dict[NodeKey, set[str]]:
    """Take every hop from the frontier; the nodes first reached now (and by what) are the next frontier.

    The level's hops are one statement (a ``UNION ALL`` of one part per hop), not one round trip each; its rows
    come back in hop order, so a node two hops reach is recorded as the first reached it, as one by one."""
    reached: dict[NodeKey, set[str]] = defaultdict(set)
    by_label: dict[str, list[tuple[str, set[str]]]] = defaultdict(list)
    for (frontier_label, frontier_id), reached_by in frontier.items():
        by_label[frontier_label].append((frontier_id, reached_by))
    parts: list[str] = []
    params: dict[str, Any] = {}
    for index, hop in enumerate(BACK_HOPS):
        ids = [
            frontier_id
            for frontier_id, reached_by in by_label.get(hop.source, [])
            if hop.only_from is None or reached_by & hop.only_from
        ]
        if not ids:
            continue
        arrow = (
            f"-[r:{'|'.join(hop.types)}]->(b:{hop.target})"
            if hop.direction == "out"
            else f"<-[r:{'|'.join(hop.types)}]-(b:{hop.target})"
        )
        params[f"ids{index}"] = ids
        parts.append(
            f"UNWIND $ids{index} AS id MATCH (a:{hop.source} {{id: id}}){arrow} "
            f"WHERE {on_record('r')} AND {on_record('b')} "
            f"RETURN {index} AS hop, a.id AS from_id, type(r) AS rel, properties(r) AS rel_props, b AS node"
        )
    if not parts:
        return {}
    found = await rows(
        tx,
        union_all(parts) + "RETURN hop, from_id, rel, rel_props, node ORDER BY hop, from_id, node.id",
        **params,
        **at.params,
    )
    for row in found:
        hop = BACK_HOPS[row["hop"]]
        key = (hop.target, row["node"]["id"])
        via = {
            "from": {"label": hop.source, "id": row["from_id"]},
            "relationship": row["rel"],
            "direction": hop.direction,
            "created_by": row["rel_props"].get("created_by"),
            "since": to_json(row["rel_props"].get("since")),
            "valid_from": to_json(row["rel_props"].get("valid_from")),
            **_ended(row["rel_props"], at),
            "properties": properties(row["rel_props"], drop=_RELATIONSHIP_BOOKKEEPING),
        }
        if key not in nodes:
            nodes[key] = {
                "label": hop.target,
                "id": key[1],
                "depth": depth,
                "properties": _as_of_properties(row["node"], at),
                "via": [],
            }
            reached[key].add(row["rel"])
        elif key in reached:
            reached[key].add(row["rel"])
        if via not in nodes[key]["via"]:
            nodes[key]["via"].append(via)
    return dict(reached)


VOIDING_PROPERTIES = ("retracted_at", "retracted_by", "voided_reason", "voided_on", "replaced_by_decision_id")
"""What a voiding writes on a decision: a trace as of an instant before the voiding does not show it."""


async def _with_voidings(tx: neo4j.AsyncManagedTransaction, nodes: dict[NodeKey, Row], at: TimeFrame) -> None:
    """Each decision of the trace voided by ``at.known_at`` gets a step after it: the voiding event, with its reason,
    when the body or the archive found the record wrong (``voided_on``, effective) and when the register learnt
    it (``recorded_at``), and the decision recorded in its place; a decision not yet voided then shows no trace
    of the later voiding."""
    decisions = {node_id: step for (label, node_id), step in nodes.items() if label == "Decision"}
    if not decisions:
        return
    found = await rows(
        tx,
        """
        UNWIND $ids AS id
        MATCH (d:Decision {id: id})<-[:CHANGED]-(e:Event)
        WHERE e.id = d.retracted_by AND e.occurred_at <= $as_of
        RETURN d.id AS decision, d.voided_reason AS reason, d.voided_on AS voided_on, d.voided_on AS valid_on,
               d.retracted_at AS recorded_at, d.replaced_by_decision_id AS replaced_by,
               e.id AS id, e.type AS type, e.source AS source, e.position AS position, e.occurred_at AS occurred_at
        """,
        ids=sorted(decisions),
        as_of=at.known_at,
    )
    voided = {row["decision"] for row in found}
    for decision_id, step in decisions.items():
        if decision_id not in voided and "retracted_at" not in step["properties"]:  # voided after known_at
            for name in VOIDING_PROPERTIES:
                step["properties"].pop(name, None)
    for row in found:
        nodes[("Event", row["id"])] = {
            "label": "Event",
            "id": row["id"],
            "depth": decisions[row["decision"]]["depth"] + 1,
            "properties": {
                "type": row["type"],
                "decision_id": row["decision"],
                "reason": row["reason"],
                "voided_on": to_json(row["voided_on"]),
                "recorded_at": to_json(row["recorded_at"]),
                "replaced_by_decision_id": row["replaced_by"],
            },
            "via": [
                {
                    "from": {"label": "Decision", "id": row["decision"]},
                    "relationship": "CHANGED",
                    "direction": "in",
                    "created_by": row["id"],
                    "since": to_json(row["recorded_at"]),
                    "valid_from": to_json(row["voided_on"]),
                    "properties": {},
                }
            ],
            "events": [event_entry(row)],
            "valid_on": to_json(row["voided_on"]),
            "occurred_at": to_json(row["occurred_at"]),
        }


def _ended(props: Mapping[str, Any], at: TimeFrame) -> dict[str, Any]:
    """``until``/``valid_to``/``ended_by`` only if the end counts in ``at`` (``reads.ended``): a trace as of a
    date does not see later ends, nor ends recorded after ``known_at``."""
    until = props.get("until")
    if until is None or native(until) > at.known_at:
        return {}
    valid_to = native(props.get("valid_to"))
    end_day = valid_to if isinstance(valid_to, date) else municipal_day(native(until))
    if end_day > at.as_of:
        return {}
    return {"until": to_json(until), "valid_to": to_json(props.get("valid_to")), "ended_by": props.get("ended_by")}


RETRACTION = ("retracted_at", "retracted_by")
"""What a correction writes on the facts it withdraws: a trace shows them marked so, once the correction is known."""


def _as_of_properties(node: Any, at: TimeFrame) -> Row:
    """A step's properties as the record stood at ``at``: no end it did not know yet, no later retraction."""
    retracted = node.get("retracted_at") if hasattr(node, "get") else None
    unknown_yet = retracted is not None and native(retracted) > at.known_at
    values = properties(node, drop=("until", "valid_to", "ended_by") + (RETRACTION if unknown_yet else ()))
    values.update(_ended(node, at))
    return values


def _step_sort_key(step: Mapping[str, Any]) -> tuple[int, str, datetime, str, int, str, str]:
    """Effective order: the valid day of the step's first event, then its recorded time (a tiebreak)."""
    events = step.get("events") or []
    if events:
        first = events[0]
        recorded = datetime.fromisoformat(first["occurred_at"])
        return (0, first["valid_on"], recorded, first["source"], first["position"], step["label"], step["id"])
    return (1, "", datetime.min.replace(tzinfo=UTC), "", 0, step["label"], step["id"])
