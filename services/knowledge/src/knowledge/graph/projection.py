"""The write side of the graph: events -> MERGE facts + provenance, inside the batch's transaction.

Every statement is parameterised; labels and relationship types come from the fixed
lists of ``knowledge.graph.schema`` and ``RELATIONSHIPS``. The graph model these
statements write is drawn in services/knowledge/README.md ("The graph model").
Each write is idempotent (MERGE on keys, relationships keyed by ``created_by``) and
independent of how the two sources interleave, so any delivery history ends in the
graph a clean rebuild gives.

Round trips, not Cypher, bound the throughput: a handler does not talk to Neo4j, it
records the event's writes as a fixed sequence of fragments (``Writer``), and the
fragments become ONE statement per event shape. Consecutive events of the same shape
go in one statement (``UNWIND $events``), executed event by event in order: a ``CALL``
subquery runs once per incoming row and each run sees the writes of the runs before
it, so the graph is the one the event-at-a-time writes gave (tests pin its checksum).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from functools import lru_cache
from typing import Any

import neo4j

from planspor_shared.canonical import canonical_decimal, canonical_json
from planspor_shared.envelope import Envelope
from planspor_shared.events import IntegrationEvent, SOURCES

from knowledge.graph.schema import FACT_LABELS

RELATIONSHIPS: frozenset[str] = frozenset({
    "PART_OF", "ANCHORED_IN", "MEASURED_BY", "HAS_MEASUREMENT", "CORRECTS", "HAD_STATUS", "HAD_REVISION_SCHEDULE",
    "SET_IN", "INITIATED_THROUGH", "REPLACES", "MERGED_INTO", "SUB_GOAL_OF", "REPLACED_BY", "ADOPTED", "DECIDED",
    "INFORMED_BY", "FROM_PROCESS", "HAS_ITEM", "HAD_VERSION", "CONCERNS", "FROM_NEED", "MERGE_INTO", "AMENDED_BY",
    "REMOVED", "HAD_ASSESSMENT", "CITES", "MADE_BY", "MEMBER_OF", "ENROLLED_IN", "HAD_PHASE", "ATTENDED",
    "RAISED_AT", "RAISED_BY", "DERIVED_FROM", "CANDIDATE", "ELIGIBLE", "CAST", "IN", "RANKS", "APPROVES",
    "GIVES_DOTS", "RANKED", "COUNTED", "BASED_ON", "RECOMMENDS",
})

ACTIVITIES = frozenset({"Process", "Workshop", "Prioritisation", "Decision"})
AGENTS = frozenset({"Participant", "Body"})


def prov_type(label: str) -> str:
    if label in ACTIVITIES:
        return "prov:Activity"
    if label in AGENTS:
        return "prov:Agent"
    return "prov:Entity"


def value(v: Any) -> Any:
    """A payload value as a Neo4j property: numbers as exact strings, nested objects as canonical JSON."""
    if isinstance(v, Enum):
        return value(v.value)
    if isinstance(v, Decimal):
        return canonical_decimal(v)
    if isinstance(v, (str, bool, int, date, datetime)) or v is None:
        return v
    if isinstance(v, (list, tuple)):
        if all(isinstance(x, (str, int, bool, Enum)) and not isinstance(x, Decimal) for x in v):
            return [value(x) for x in v]
        return canonical_json(list(v)).decode()
    if isinstance(v, Mapping):
        return canonical_json(dict(v)).decode()
    return canonical_json(v).decode()


def props(payload: IntegrationEvent | Mapping[str, Any], *, exclude: tuple[str, ...] = (), rename: Mapping[str, str] | None = None) -> dict[str, Any]:
    data = payload.model_dump(mode="python") if isinstance(payload, IntegrationEvent) else dict(payload)
    rename = rename or {}
    return {rename.get(k, k): value(v) for k, v in data.items() if k not in exclude}


def _label(label: str) -> str:
    if label not in FACT_LABELS:
        raise ValueError(f"label {label!r} is not in the graph model")
    return label


def _rel(rel: str) -> str:
    if rel not in RELATIONSHIPS:
        raise ValueError(f"relationship {rel!r} is not in the graph model")
    return rel


async def _run(tx: neo4j.AsyncManagedTransaction, query: str, **params: Any) -> list[neo4j.Record]:
    result = await tx.run(query, **params)
    return [record async for record in result]


# --- checkpoints, events, dead letters -----------------------------------------------------------


async def lock_checkpoints(tx: neo4j.AsyncManagedTransaction) -> dict[str, tuple[int, str | None]]:
    """Create the checkpoints if missing and write-lock them: two projectors never apply the same positions."""
    records = await _run(
        tx,
        "UNWIND $sources AS source MERGE (c:Checkpoint {source: source}) ON CREATE SET c.position = 0 "
        "SET c.position = c.position RETURN c.source AS source, c.position AS position, c.hash AS hash",
        sources=list(SOURCES),
    )
    return {r["source"]: (r["position"], r["hash"]) for r in records}


async def read_checkpoints(tx: neo4j.AsyncManagedTransaction) -> dict[str, tuple[int, str | None]]:
    records = await _run(tx, "MATCH (c:Checkpoint) RETURN c.source AS source, c.position AS position, c.hash AS hash")
    return {r["source"]: (r["position"], r["hash"]) for r in records}


async def set_checkpoints(tx: neo4j.AsyncManagedTransaction,
                          checkpoints: Mapping[str, tuple[int, str | None]]) -> None:
    """Move the checkpoints of the batch's sources in one statement, in the transaction of the facts."""
    if not checkpoints:
        return
    await _run(tx, "UNWIND $rows AS row MATCH (c:Checkpoint {source: row.source}) "
                   "SET c.position = row.position, c.hash = row.hash",
               rows=[{"source": s, "position": p, "hash": h} for s, (p, h) in sorted(checkpoints.items())])


async def set_checkpoint(tx: neo4j.AsyncManagedTransaction, source: str, position: int, hash_: str | None) -> None:
    await set_checkpoints(tx, {source: (position, hash_)})


EVENT_WRITE = (
    "MERGE (e:Event {id: ev.eid}) SET e += ev.event "
    "WITH ev, e OPTIONAL MATCH (p:Event {source: ev.source, position: ev.position - 1}) "
    "FOREACH (_ IN CASE WHEN p IS NULL THEN [] ELSE [1] END | MERGE (e)-[:FOLLOWS]->(p)) "
    "WITH ev, e OPTIONAL MATCH (n:Event {source: ev.source, position: ev.position + 1}) "
    "FOREACH (_ IN CASE WHEN n IS NULL THEN [] ELSE [1] END | MERGE (n)-[:FOLLOWS]->(e))"
)
"""The Event node (a PROV activity) and its place in the source's chain, both ways (a replayed
dead letter arrives after its successor)."""


def event_row(envelope: Envelope, chain_ok: bool) -> dict[str, Any]:
    e = envelope
    return {
        "eid": str(e.event_id), "t": e.occurred_at, "source": e.source, "position": e.position,
        "event": {
            "type": e.event_type, "source": e.source, "position": e.position, "occurred_at": e.occurred_at,
            "actor_id": e.actor.id, "actor_name": e.actor.name, "actor_role": e.actor.role,
            "hash": e.hash, "prev_hash": e.prev_hash, "correlation_id": e.correlation_id,
            "causation_id": e.causation_id, "schema_version": e.schema_version, "aggregate_id": e.aggregate_id,
            "aggregate_version": e.aggregate_version, "payload": canonical_json(e.payload).decode(),
            "chain_ok": chain_ok, "prov_type": "prov:Activity",
        },
    }


@dataclass(frozen=True)
class DeadLetter:
    id: str
    source: str | None
    position: int | None
    subject: str
    reason: str
    raw: bytes
    first_seen_position: int | None


async def write_dead_letters(tx: neo4j.AsyncManagedTransaction, letters: Sequence[DeadLetter]) -> None:
    """A dead letter keeps what arrived and why it could not be used; seeing it again changes nothing."""
    if not letters:
        return
    await _run(
        tx,
        "UNWIND $rows AS row MERGE (d:DeadLetter {id: row.id}) ON CREATE SET d.source = row.source, "
        "d.position = row.position, d.subject = row.subject, d.reason = row.reason, d.raw = row.raw, "
        "d.first_seen_position = row.first_seen, d.status = 'open'",
        rows=[{"id": d.id, "source": d.source, "position": d.position, "subject": d.subject, "reason": d.reason,
               "raw": d.raw.decode("utf-8", errors="replace"), "first_seen": d.first_seen_position}
              for d in letters],
    )


async def write_dead_letter(
    tx: neo4j.AsyncManagedTransaction, *, id: str, source: str | None, position: int | None, subject: str,
    reason: str, raw: bytes, first_seen_position: int | None,
) -> None:
    await write_dead_letters(tx, [DeadLetter(id, source, position, subject, reason, raw, first_seen_position)])


async def list_dead_letters(tx: neo4j.AsyncManagedTransaction, status: str | None = None) -> list[dict[str, Any]]:
    records = await _run(
        tx,
        "MATCH (d:DeadLetter) WHERE $status IS NULL OR d.status = $status "
        "RETURN d {.*} AS d ORDER BY d.source, d.position, d.id",
        status=status,
    )
    return [dict(r["d"]) for r in records]


async def get_dead_letter(tx: neo4j.AsyncManagedTransaction, id: str) -> dict[str, Any] | None:
    records = await _run(tx, "MATCH (d:DeadLetter {id: $id}) RETURN d {.*} AS d", id=id)
    return dict(records[0]["d"]) if records else None


async def mark_dead_letter_replayed(tx: neo4j.AsyncManagedTransaction, id: str, event_id: str) -> None:
    await _run(tx, "MATCH (d:DeadLetter {id: $id}) SET d.status = 'replayed', d.replayed_event_id = $event_id",
               id=id, event_id=event_id)


# --- the fact writer ---------------------------------------------------------------------------
#
# A fragment is Cypher run once per entry of its parameter list, with ``ev`` (the event:
# ``ev.eid``, ``ev.t``), ``e`` (its Event node) and ``p`` (the entry) in scope. Its text
# depends only on labels and relationship types, so an event's statement text depends only
# on its shape and Neo4j plans it once.


class Writer:
    """Records the writes of the graph model for one event: create, change, link, close."""

    def __init__(self, envelope: Envelope) -> None:
        self.eid = str(envelope.event_id)
        self.t = envelope.occurred_at
        self.fragments: list[str] = []
        self.params: list[list[dict[str, Any]]] = []
        self.touches: set[tuple[str, str]] = set()
        """(label, id) of the nodes the event writes or reads through."""
        self.links_to: set[tuple[str, str]] = set()
        """(label, id) of nodes it only links to (MERGE with a stub on create, an incoming relationship)."""

    def fragment(self, cypher: str, *, touches: Iterable[tuple[str, str | None]] = (), **params: Any) -> None:
        """Consecutive uses of one fragment share its slot (and the statement's shape): their entries run in order.

        ``touches`` names the nodes (label, id) the fragment writes, or reads the neighbourhood
        of; it decides which events of a batch may be written out of their order (``schedule``).
        """
        self.touches.update((label, id) for label, id in touches if id is not None)
        if self.fragments and self.fragments[-1] == cypher:
            self.params[-1].append(params)
        else:
            self.fragments.append(cypher)
            self.params.append([params])

    def create(self, label: str, id: str, properties: Mapping[str, Any]) -> None:
        """The event brings the node into being: it fills a stub if one was referred to before."""
        self.fragment(
            f"MERGE (n:{_label(label)} {{id: p.id}}) SET n += p.props, n.since = ev.t, "
            f"n.prov_type = '{prov_type(label)}' REMOVE n.stub MERGE (e)-[:CREATED]->(n)",
            id=id, props=dict(properties), touches=[(label, id)],
        )

    def change(self, label: str, id: str, properties: Mapping[str, Any] | None = None) -> None:
        self.fragment(
            f"MERGE (n:{_label(label)} {{id: p.id}}) ON CREATE SET n.stub = true SET n += p.props "
            "MERGE (e)-[:CHANGED]->(n)",
            id=id, props=dict(properties or {}), touches=[(label, id)],
        )

    def link(self, a_label: str, a_id: str, rel: str, b_label: str, b_id: str,
             properties: Mapping[str, Any] | None = None) -> None:
        """A relationship for the event's period; the ends are stubs until their own events arrive."""
        self.fragment(
            f"MERGE (a:{_label(a_label)} {{id: p.a}}) ON CREATE SET a.stub = true "
            f"MERGE (b:{_label(b_label)} {{id: p.b}}) ON CREATE SET b.stub = true "
            f"MERGE (a)-[r:{_rel(rel)} {{created_by: ev.eid}}]->(b) ON CREATE SET r += p.props, r.since = ev.t",
            a=a_id, b=b_id, props=dict(properties or {}), touches=[(a_label, a_id)],
        )
        self.links_to.add((b_label, b_id))

    def close(self, a_label: str, a_id: str, rel: str, b_label: str, b_id: str | None = None,
              end_target: bool = False) -> None:
        """End the open period(s) of ``rel`` from the node; with ``end_target`` the state node ends too."""
        target_end = ", b.until = ev.t, b.ended_by = ev.eid" if end_target else ""
        self.fragment(
            f"MATCH (a:{_label(a_label)} {{id: p.a}})-[r:{_rel(rel)}]->(b:{_label(b_label)}) "
            "WHERE r.until IS NULL AND (p.b IS NULL OR b.id = p.b) AND r.created_by <> ev.eid "
            f"SET r.until = ev.t, r.ended_by = ev.eid{target_end}",
            a=a_id, b=b_id, touches=[(a_label, a_id), (b_label, b_id)],
        )

    def state(self, owner_label: str, owner_id: str, rel: str, state_label: str,
              properties: Mapping[str, Any]) -> None:
        """A new period of a changing attribute: close the open state, open a new one keyed by the event id."""
        self.close(owner_label, owner_id, rel, state_label, end_target=True)
        self.create(state_label, self.eid, properties)
        self.link(owner_label, owner_id, rel, state_label, self.eid)


# --- one handler per event type (table at the bottom) ---------------------------------------------

Handler = Callable[[Writer, Any], None]


def on_goal_defined(w: Writer, p: Any) -> None:
    w.create("Goal", p.goal_id, props(p, exclude=("goal_id",)))
    if p.parent_goal_id:
        w.link("Goal", p.goal_id, "SUB_GOAL_OF", "Goal", p.parent_goal_id)
    if p.samfunnsdel_plan_id:
        w.link("Goal", p.goal_id, "PART_OF", "Plan", p.samfunnsdel_plan_id)


def on_goal_retired(w: Writer, p: Any) -> None:
    w.change("Goal", p.goal_id, {"until": w.t, "retired_on": p.retired_on, "retired_reason": p.reason,
                                       "replaced_by_goal_id": p.replaced_by_goal_id})
    if p.replaced_by_goal_id:
        w.link("Goal", p.goal_id, "REPLACED_BY", "Goal", p.replaced_by_goal_id)


def on_indicator_defined(w: Writer, p: Any) -> None:
    w.create("Indicator", p.indicator_id, props(p, exclude=("indicator_id",)))
    w.link("Goal", p.goal_id, "MEASURED_BY", "Indicator", p.indicator_id)


def on_indicator_measured(w: Writer, p: Any) -> None:
    if p.corrects:
        w.fragment(
            "MATCH (:Indicator {id: p.indicator})-[:HAS_MEASUREMENT]->(m:Measurement {period: p.period}) "
            "WHERE m.until IS NULL AND m.id <> ev.eid SET m.until = ev.t, m.ended_by = ev.eid",
            indicator=p.indicator_id, period=p.period, touches=[("Indicator", p.indicator_id)],
        )
    w.create("Measurement", w.eid, props(p))
    w.link("Indicator", p.indicator_id, "HAS_MEASUREMENT", "Measurement", w.eid)
    if p.corrects:
        w.fragment(
            "MATCH (new:Measurement {id: ev.eid}), (:Indicator {id: p.indicator})-[:HAS_MEASUREMENT]->(old:Measurement) "
            "WHERE old.ended_by = ev.eid MERGE (new)-[r:CORRECTS {created_by: ev.eid}]->(old) "
            "ON CREATE SET r.since = ev.t",
            indicator=p.indicator_id, touches=[("Indicator", p.indicator_id)],
        )


def on_plan_proposed(w: Writer, p: Any) -> None:
    w.create("Plan", p.plan_id, {**props(p, exclude=("plan_id",)), "status": "proposed"})
    w.state("Plan", p.plan_id, "HAD_STATUS", "PlanStatus",
                  {"plan_id": p.plan_id, "status": "proposed", "changed_on": p.proposed_on})
    if p.parent_plan_id:
        w.link("Plan", p.plan_id, "PART_OF", "Plan", p.parent_plan_id)
    if p.strategy_id:
        w.link("Plan", p.plan_id, "INITIATED_THROUGH", "Strategy", p.strategy_id)
    if p.strategy_item_id:
        w.link("Plan", p.plan_id, "INITIATED_THROUGH", "StrategyItem", p.strategy_item_id)


def on_plan_parent_changed(w: Writer, p: Any) -> None:
    w.change("Plan", p.plan_id, {"parent_plan_id": p.parent_plan_id})
    w.close("Plan", p.plan_id, "PART_OF", "Plan")
    if p.parent_plan_id:
        w.link("Plan", p.plan_id, "PART_OF", "Plan", p.parent_plan_id)


def on_plan_anchored(w: Writer, p: Any) -> None:
    w.change("Plan", p.plan_id)
    w.close("Plan", p.plan_id, "ANCHORED_IN", "Goal", p.goal_id)
    w.link("Plan", p.plan_id, "ANCHORED_IN", "Goal", p.goal_id)


def on_plan_anchor_removed(w: Writer, p: Any) -> None:
    w.change("Plan", p.plan_id)
    w.close("Plan", p.plan_id, "ANCHORED_IN", "Goal", p.goal_id)


ENDING_STATUSES = frozenset({"replaced", "repealed", "merged"})


def on_plan_status_changed(w: Writer, p: Any) -> None:
    status = p.to_status.value
    changes: dict[str, Any] = {"status": status}
    if status in ENDING_STATUSES:
        changes["until"] = w.t
    w.change("Plan", p.plan_id, changes)
    w.state("Plan", p.plan_id, "HAD_STATUS", "PlanStatus",
                  {**props(p, exclude=("to_status",)), "status": status})
    if p.decision_id:
        if status == "adopted":
            w.link("Decision", p.decision_id, "ADOPTED", "Plan", p.plan_id)
        else:
            w.link("Decision", p.decision_id, "DECIDED", "Plan", p.plan_id, {"to_status": status})
    if p.replaced_by_plan_id:
        w.link("Plan", p.replaced_by_plan_id, "REPLACES", "Plan", p.plan_id)
    if p.merged_into_plan_id:
        w.link("Plan", p.plan_id, "MERGED_INTO", "Plan", p.merged_into_plan_id)


def on_plan_revision_scheduled(w: Writer, p: Any) -> None:
    w.change("Plan", p.plan_id, {"revision_due": p.revision_due})
    w.state("Plan", p.plan_id, "HAD_REVISION_SCHEDULE", "RevisionSchedule", props(p))
    if p.strategy_id:
        w.link("RevisionSchedule", w.eid, "SET_IN", "Strategy", p.strategy_id)


def on_strategy_drafted(w: Writer, p: Any) -> None:
    w.create("Strategy", p.strategy_id, {**props(p, exclude=("strategy_id",)), "status": "drafted"})
    w.state("Strategy", p.strategy_id, "HAD_STATUS", "StrategyStatus",
                  {"strategy_id": p.strategy_id, "status": "drafted", "on": p.drafted_on})
    if p.recommendation_id:
        w.link("Strategy", p.strategy_id, "INFORMED_BY", "Recommendation", p.recommendation_id)
    if p.process_id:
        w.link("Strategy", p.strategy_id, "FROM_PROCESS", "Process", p.process_id)
    if p.replaces_strategy_id:
        w.link("Strategy", p.strategy_id, "REPLACES", "Strategy", p.replaces_strategy_id)


ITEM_LINKS = (("CONCERNS", "Plan"), ("FROM_NEED", "PlanNeed"), ("MERGE_INTO", "Plan"), ("AMENDED_BY", "Decision"))


def on_strategy_item_set(w: Writer, p: Any) -> None:
    item = props(p, exclude=("item_id",))
    # an item set again (after removal, or amended) is CHANGED and open again; a new one (or a stub) is CREATED
    w.fragment(
        "OPTIONAL MATCH (old:StrategyItem {id: p.id}) WHERE old.stub IS NULL "
        "WITH ev, e, p, old IS NOT NULL AS existed "
        "MERGE (n:StrategyItem {id: p.id}) "
        "FOREACH (_ IN CASE WHEN existed THEN [1] ELSE [] END | SET n += p.revived MERGE (e)-[:CHANGED]->(n)) "
        "FOREACH (_ IN CASE WHEN existed THEN [] ELSE [1] END | "
        "  SET n += p.props, n.since = ev.t, n.prov_type = 'prov:Entity' REMOVE n.stub MERGE (e)-[:CREATED]->(n))",
        id=p.item_id, props=item, revived={**item, "until": None, "removed_reason": None},
        touches=[("StrategyItem", p.item_id)],
    )
    w.change("Strategy", p.strategy_id)
    w.fragment(
        "MATCH (s:Strategy {id: p.s}) MATCH (i:StrategyItem {id: p.i}) "
        "WHERE NOT EXISTS { (s)-[r:HAS_ITEM]->(i) WHERE r.until IS NULL } "
        "MERGE (s)-[r:HAS_ITEM {created_by: ev.eid}]->(i) ON CREATE SET r.since = ev.t",
        s=p.strategy_id, i=p.item_id, touches=[("Strategy", p.strategy_id), ("StrategyItem", p.item_id)],
    )
    for rel, label in ITEM_LINKS:
        w.close("StrategyItem", p.item_id, rel, label)
    w.state("StrategyItem", p.item_id, "HAD_VERSION", "StrategyItemVersion", props(p))
    if p.plan_id:
        w.link("StrategyItem", p.item_id, "CONCERNS", "Plan", p.plan_id)
    if p.plan_need_id:
        w.link("StrategyItem", p.item_id, "FROM_NEED", "PlanNeed", p.plan_need_id)
    if p.merge_into_plan_id:
        w.link("StrategyItem", p.item_id, "MERGE_INTO", "Plan", p.merge_into_plan_id)
    if p.decision_id:
        w.link("StrategyItem", p.item_id, "AMENDED_BY", "Decision", p.decision_id,
                     {"amendment_number": p.amendment_number})


def on_strategy_item_removed(w: Writer, p: Any) -> None:
    w.change("StrategyItem", p.item_id, {"until": w.t, "removed_reason": p.reason})
    w.change("Strategy", p.strategy_id)
    w.close("Strategy", p.strategy_id, "HAS_ITEM", "StrategyItem", p.item_id)
    for rel, label in ITEM_LINKS:
        w.close("StrategyItem", p.item_id, rel, label)
    w.close("StrategyItem", p.item_id, "HAD_VERSION", "StrategyItemVersion", end_target=True)
    if p.decision_id:
        w.link("Decision", p.decision_id, "REMOVED", "StrategyItem", p.item_id,
                     {"amendment_number": p.amendment_number})


def on_strategy_kommuneplan_assessed(w: Writer, p: Any) -> None:
    w.change("Strategy", p.strategy_id, {"samfunnsdel_assessment": p.samfunnsdel.value,
                                               "arealdel_assessment": p.arealdel.value})
    w.state("Strategy", p.strategy_id, "HAD_ASSESSMENT", "KommuneplanAssessment", props(p))


def on_strategy_evidence_cited(w: Writer, p: Any) -> None:
    w.change("Strategy", p.strategy_id)
    w.link("Strategy", p.strategy_id, "CITES", "Evidence", p.evidence_id)


def on_strategy_published(w: Writer, p: Any) -> None:
    w.change("Strategy", p.strategy_id, {"status": "published", "published_on": p.published_on,
                                               "planned_meeting_on": p.planned_meeting_on})
    w.state("Strategy", p.strategy_id, "HAD_STATUS", "StrategyStatus",
                  {"strategy_id": p.strategy_id, "status": "published", "on": p.published_on,
                   "planned_meeting_on": p.planned_meeting_on})


def on_strategy_adopted(w: Writer, p: Any) -> None:
    w.change("Strategy", p.strategy_id, {"status": "adopted", "adopted_on": p.adopted_on,
                                               "decision_id": p.decision_id})
    w.state("Strategy", p.strategy_id, "HAD_STATUS", "StrategyStatus",
                  {"strategy_id": p.strategy_id, "status": "adopted", "on": p.adopted_on,
                   "decision_id": p.decision_id})
    w.link("Decision", p.decision_id, "ADOPTED", "Strategy", p.strategy_id)


def on_decision_recorded(w: Writer, p: Any) -> None:
    votes = p.votes
    w.create("Decision", p.decision_id, {
        **props(p, exclude=("decision_id", "votes")),
        "votes_in_favour": votes.in_favour if votes else None,
        "votes_against": votes.against if votes else None,
        "votes_blank": votes.blank if votes else None,
    })
    w.link("Decision", p.decision_id, "MADE_BY", "Body", p.body.value)
    if p.strategy_id:
        w.link("Decision", p.decision_id, "CONCERNS", "Strategy", p.strategy_id)
    for plan_id in p.plan_ids:
        w.link("Decision", p.decision_id, "CONCERNS", "Plan", plan_id)


def on_input_received(w: Writer, p: Any) -> None:
    w.create("ExternalInput", p.input_id, props(p, exclude=("input_id",)))
    if p.strategy_id:
        w.link("ExternalInput", p.input_id, "CONCERNS", "Strategy", p.strategy_id)
    if p.plan_id:
        w.link("ExternalInput", p.input_id, "CONCERNS", "Plan", p.plan_id)


def on_evidence_recorded(w: Writer, p: Any) -> None:
    w.create("Evidence", p.evidence_id, props(p, exclude=("evidence_id",)))
    if p.strategy_id:
        w.link("Strategy", p.strategy_id, "CITES", "Evidence", p.evidence_id)


def on_process_started(w: Writer, p: Any) -> None:
    w.create("Process", p.process_id, {**props(p, exclude=("process_id",)), "phase": "preparation"})
    w.state("Process", p.process_id, "HAD_PHASE", "ProcessPhase",
                  {"process_id": p.process_id, "phase": "preparation", "changed_on": p.period_start})


def on_process_phase_changed(w: Writer, p: Any) -> None:
    w.change("Process", p.process_id, {"phase": p.to_phase.value})
    w.state("Process", p.process_id, "HAD_PHASE", "ProcessPhase",
                  {**props(p, exclude=("to_phase",)), "phase": p.to_phase.value})


def on_participant_enrolled(w: Writer, p: Any) -> None:
    w.create("Participant", p.participant_id, props(p, exclude=("participant_id",)))
    w.link("Participant", p.participant_id, "ENROLLED_IN", "Process", p.process_id)
    if p.body:
        w.link("Participant", p.participant_id, "MEMBER_OF", "Body", p.body.value)


def on_workshop_scheduled(w: Writer, p: Any) -> None:
    w.create("Workshop", p.workshop_id, {**props(p, exclude=("workshop_id",)), "status": "scheduled"})
    w.link("Workshop", p.workshop_id, "PART_OF", "Process", p.process_id)


def on_workshop_held(w: Writer, p: Any) -> None:
    w.change("Workshop", p.workshop_id, {"status": "held", "held_on": p.held_on, "held_at": w.t,
                                               "inputs_until": p.inputs_until})
    for participant_id in p.attendee_ids:
        w.link("Participant", participant_id, "ATTENDED", "Workshop", p.workshop_id)


def on_workshop_cancelled(w: Writer, p: Any) -> None:
    w.change("Workshop", p.workshop_id, {"status": "cancelled", "until": w.t, "cancelled_reason": p.reason})


def on_input_recorded(w: Writer, p: Any) -> None:
    w.create("Input", p.input_id, props(p, exclude=("input_id",)))
    w.link("Input", p.input_id, "RAISED_AT", "Workshop", p.workshop_id)
    w.link("Input", p.input_id, "RAISED_BY", "Participant", p.author_participant_id)
    for plan_id in p.plan_ids:
        w.link("Input", p.input_id, "CONCERNS", "Plan", plan_id)
    for goal_id in p.goal_ids:
        w.link("Input", p.input_id, "CONCERNS", "Goal", goal_id)


def on_plan_need_proposed(w: Writer, p: Any) -> None:
    w.create("PlanNeed", p.plan_need_id, props(p, exclude=("plan_need_id", "derived_from_input_ids")))
    for input_id in p.derived_from_input_ids:
        w.link("PlanNeed", p.plan_need_id, "DERIVED_FROM", "Input", input_id)
    if p.plan_id:
        w.link("PlanNeed", p.plan_need_id, "CONCERNS", "Plan", p.plan_id)
    if p.merge_into_plan_id:
        w.link("PlanNeed", p.plan_need_id, "MERGE_INTO", "Plan", p.merge_into_plan_id)
    w.link("PlanNeed", p.plan_need_id, "PART_OF", "Process", p.process_id)


def on_prioritisation_opened(w: Writer, p: Any) -> None:
    w.create("Prioritisation", p.prioritisation_id, {
        **props(p, exclude=("prioritisation_id", "candidate_plan_need_ids", "eligible_participant_ids")),
        "status": "open",
    })
    w.link("Prioritisation", p.prioritisation_id, "PART_OF", "Process", p.process_id)
    for need_id in p.candidate_plan_need_ids:
        w.link("Prioritisation", p.prioritisation_id, "CANDIDATE", "PlanNeed", need_id)
    for participant_id in p.eligible_participant_ids:
        w.link("Prioritisation", p.prioritisation_id, "ELIGIBLE", "Participant", participant_id)


BALLOTS = ("Ballot", "*")
"""Ballots end each other through patterns (a participant's open ballot, a named one): every
``ballot.cast`` touches this key, so they stay in their order among themselves."""


def on_ballot_cast(w: Writer, p: Any) -> None:
    ballot_keys = [BALLOTS, ("Participant", p.participant_id), ("Prioritisation", p.prioritisation_id),
                   ("Ballot", p.ballot_id), ("Ballot", p.replaces_ballot_id)]
    # a participant's new ballot in a prioritisation ends their open one (and the one it names)
    w.fragment(
        "MATCH (:Participant {id: p.participant})-[:CAST]->(old:Ballot)-[:IN]->(:Prioritisation {id: p.prio}) "
        "WHERE old.until IS NULL AND old.id <> p.ballot SET old.until = ev.t, old.ended_by = ev.eid",
        participant=p.participant_id, prio=p.prioritisation_id, ballot=p.ballot_id, touches=ballot_keys,
    )
    if p.replaces_ballot_id:
        w.fragment("MATCH (old:Ballot {id: p.old}) WHERE old.until IS NULL SET old.until = ev.t, old.ended_by = ev.eid",
                   old=p.replaces_ballot_id, touches=ballot_keys)
    w.create("Ballot", p.ballot_id, props(p, exclude=("ballot_id",)))
    w.link("Participant", p.participant_id, "CAST", "Ballot", p.ballot_id)
    w.link("Ballot", p.ballot_id, "IN", "Prioritisation", p.prioritisation_id)
    for rank, need_id in enumerate(p.ranking, start=1):
        w.link("Ballot", p.ballot_id, "RANKS", "PlanNeed", need_id, {"rank": rank})
    for need_id in p.approved:
        w.link("Ballot", p.ballot_id, "APPROVES", "PlanNeed", need_id)
    for allocation in p.dots:
        w.link("Ballot", p.ballot_id, "GIVES_DOTS", "PlanNeed", allocation.plan_need_id, {"dots": allocation.dots})
    # the ballots this event ended (found again by ended_by) and the named one are CHANGED and REPLACED;
    # both writes are MERGEs, so a ballot found twice is written once
    w.fragment(
        "CALL (ev, p) { OPTIONAL MATCH (:Participant {id: p.participant})-[:CAST]->(old:Ballot)"
        "-[:IN]->(:Prioritisation {id: p.prio}) WHERE old.ended_by = ev.eid AND old.id <> p.ballot "
        "RETURN collect(old.id) AS ended } "
        "UNWIND ended + p.named AS old_id "
        "MERGE (old:Ballot {id: old_id}) ON CREATE SET old.stub = true MERGE (e)-[:CHANGED]->(old) "
        "WITH ev, p, old MERGE (new:Ballot {id: p.ballot}) ON CREATE SET new.stub = true "
        "MERGE (new)-[r:REPLACES {created_by: ev.eid}]->(old) ON CREATE SET r.since = ev.t",
        participant=p.participant_id, prio=p.prioritisation_id, ballot=p.ballot_id,
        named=[p.replaces_ballot_id] if p.replaces_ballot_id else [], touches=ballot_keys,
    )


def on_prioritisation_made(w: Writer, p: Any) -> None:
    w.change("Prioritisation", p.prioritisation_id, {
        "status": "made", "made_at": w.t, "ballots_counted": p.ballots_counted, "eligible_count": p.eligible_count,
        "tie_break": p.tie_break, "counted_ballot_ids": list(p.counted_ballot_ids),
    })
    for entry in p.ranking:
        w.link("Prioritisation", p.prioritisation_id, "RANKED", "PlanNeed", entry.plan_need_id,
                     {"rank": entry.rank, "score": canonical_decimal(entry.score)})
    for ballot_id in p.counted_ballot_ids:
        w.link("Prioritisation", p.prioritisation_id, "COUNTED", "Ballot", ballot_id)


def on_recommendation_issued(w: Writer, p: Any) -> None:
    w.create("Recommendation", p.recommendation_id, props(p, exclude=("recommendation_id", "items")))
    w.link("Recommendation", p.recommendation_id, "BASED_ON", "Prioritisation", p.prioritisation_id)
    w.link("Recommendation", p.recommendation_id, "PART_OF", "Process", p.process_id)
    for item in p.items:
        w.link("Recommendation", p.recommendation_id, "RECOMMENDS", "PlanNeed", item.plan_need_id,
                     props(item, exclude=("plan_need_id",)))


HANDLERS: dict[str, Handler] = {
    "goal.defined": on_goal_defined,
    "goal.retired": on_goal_retired,
    "indicator.defined": on_indicator_defined,
    "indicator.measured": on_indicator_measured,
    "plan.proposed": on_plan_proposed,
    "plan.parent_changed": on_plan_parent_changed,
    "plan.anchored": on_plan_anchored,
    "plan.anchor_removed": on_plan_anchor_removed,
    "plan.status_changed": on_plan_status_changed,
    "plan.revision_scheduled": on_plan_revision_scheduled,
    "strategy.drafted": on_strategy_drafted,
    "strategy.item_set": on_strategy_item_set,
    "strategy.item_removed": on_strategy_item_removed,
    "strategy.kommuneplan_assessed": on_strategy_kommuneplan_assessed,
    "strategy.evidence_cited": on_strategy_evidence_cited,
    "strategy.published": on_strategy_published,
    "strategy.adopted": on_strategy_adopted,
    "decision.recorded": on_decision_recorded,
    "input.received": on_input_received,
    "evidence.recorded": on_evidence_recorded,
    "process.started": on_process_started,
    "process.phase_changed": on_process_phase_changed,
    "participant.enrolled": on_participant_enrolled,
    "workshop.scheduled": on_workshop_scheduled,
    "workshop.held": on_workshop_held,
    "workshop.cancelled": on_workshop_cancelled,
    "input.recorded": on_input_recorded,
    "plan_need.proposed": on_plan_need_proposed,
    "prioritisation.opened": on_prioritisation_opened,
    "ballot.cast": on_ballot_cast,
    "prioritisation.made": on_prioritisation_made,
    "recommendation.issued": on_recommendation_issued,
}


class UnmappedEvent(ValueError):
    """A valid event of a type the graph has no mapping for: kept as a dead letter."""


@dataclass
class Compiled:
    """One event's writes: the statement shape (its fragments) and the row that fills it."""

    shape: tuple[str, ...]
    row: dict[str, Any] = field(repr=False)
    touches: frozenset[tuple[str, str]] = frozenset()
    links_to: frozenset[tuple[str, str]] = frozenset()


def compile_event(envelope: Envelope, payload: IntegrationEvent, chain_ok: bool = True) -> Compiled:
    handler = HANDLERS.get(envelope.event_type)
    if handler is None:
        raise UnmappedEvent(f"no graph mapping for event type {envelope.event_type!r}")
    writer = Writer(envelope)
    handler(writer, payload)
    return Compiled(tuple(writer.fragments), {**event_row(envelope, chain_ok), "ops": writer.params},
                    frozenset(writer.touches), frozenset(writer.links_to - writer.touches))


@lru_cache(maxsize=512)
def statement(shape: tuple[str, ...]) -> str:
    """The statement for a run of events of one shape: per event, in order, its Event node then its fragments."""
    ops = " ".join(
        f"CALL (ev, e) {{ UNWIND ev.ops[{i}] AS p CALL (ev, e, p) {{ {fragment} }} }}"
        for i, fragment in enumerate(shape)
    )
    return (
        "CYPHER replan=skip UNWIND $events AS ev CALL (ev) { "
        f"CALL (ev) {{ {EVENT_WRITE} }} "
        f"WITH ev MATCH (e:Event {{id: ev.eid}}) {ops} }}"
    )


def schedule(compiled: Iterable[Compiled]) -> list[tuple[tuple[str, ...], list[dict[str, Any]]]]:
    """Group the batch's events by shape into as few statements as their dependencies allow.

    Groups run in order, the events of a group in their batch order. An event may join an
    earlier group of its shape only if no event between them depends on it: two events
    depend on each other when one touches a node (writes it, or reads through its
    relationships) that the other touches or links to. Linking to a node (a MERGE that only
    sets ``stub`` on create, and an incoming relationship keyed by the event) commutes with
    other links to it, so vocabulary nodes such as a ``Body`` do not serialise the batch.
    Every pair of dependent events keeps its order, so the graph is the in-order one.
    """
    groups: list[tuple[tuple[str, ...], list[dict[str, Any]]]] = []
    touched: dict[tuple[str, str], int] = {}
    linked: dict[tuple[str, str], int] = {}
    for c in compiled:
        after = max([touched.get(k, -1) for k in c.links_to]
                    + [max(touched.get(k, -1), linked.get(k, -1)) for k in c.touches], default=-1)
        index = next((i for i in range(max(after, 0), len(groups)) if groups[i][0] == c.shape), None)
        if index is None:
            index = len(groups)
            groups.append((c.shape, []))
        groups[index][1].append(c.row)
        for k in c.touches:
            touched[k] = max(touched.get(k, -1), index)
        for k in c.links_to:
            linked[k] = max(linked.get(k, -1), index)
    return groups


async def apply_events(tx: neo4j.AsyncManagedTransaction,
                       events: Sequence[tuple[Envelope, IntegrationEvent, bool]]) -> int:
    """Apply events in the given order (envelope, payload, chain_ok); returns the number of statements run."""
    batches = schedule(compile_event(envelope, payload, chain_ok) for envelope, payload, chain_ok in events)
    for shape, rows in batches:
        await (await tx.run(statement(shape), events=rows)).consume()
    return len(batches)


async def apply_event(tx: neo4j.AsyncManagedTransaction, envelope: Envelope, payload: IntegrationEvent,
                      chain_ok: bool = True) -> None:
    await apply_events(tx, [(envelope, payload, chain_ok)])
