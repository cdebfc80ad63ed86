"""The write side of the graph: one event -> MERGE facts + provenance, inside the batch's transaction.

Every statement is parameterised; labels and relationship types come from the fixed
lists of ``knowledge.graph.schema`` and ``RELATIONSHIPS``. The graph model these
statements write is drawn in services/knowledge/README.md ("The graph model").
Each write is idempotent (MERGE on keys, relationships keyed by ``created_by``) and
independent of how the two sources interleave, so any delivery history ends in the
graph a clean rebuild gives.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
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


async def set_checkpoint(tx: neo4j.AsyncManagedTransaction, source: str, position: int, hash_: str | None) -> None:
    await _run(tx, "MATCH (c:Checkpoint {source: $source}) SET c.position = $position, c.hash = $hash",
               source=source, position=position, hash=hash_)


async def write_event(tx: neo4j.AsyncManagedTransaction, envelope: Envelope, chain_ok: bool) -> None:
    """The Event node (a PROV activity) and its place in the source's chain."""
    e = envelope
    await _run(
        tx,
        "MERGE (e:Event {id: $id}) SET e += $props "
        "WITH e OPTIONAL MATCH (p:Event {source: $source, position: $position - 1}) "
        "FOREACH (_ IN CASE WHEN p IS NULL THEN [] ELSE [1] END | MERGE (e)-[:FOLLOWS]->(p)) "
        "WITH e OPTIONAL MATCH (n:Event {source: $source, position: $position + 1}) "
        "FOREACH (_ IN CASE WHEN n IS NULL THEN [] ELSE [1] END | MERGE (n)-[:FOLLOWS]->(e))",
        id=str(e.event_id), source=e.source, position=e.position,
        props={
            "type": e.event_type, "source": e.source, "position": e.position, "occurred_at": e.occurred_at,
            "actor_id": e.actor.id, "actor_name": e.actor.name, "actor_role": e.actor.role,
            "hash": e.hash, "prev_hash": e.prev_hash, "correlation_id": e.correlation_id,
            "causation_id": e.causation_id, "schema_version": e.schema_version, "aggregate_id": e.aggregate_id,
            "aggregate_version": e.aggregate_version, "payload": canonical_json(e.payload).decode(),
            "chain_ok": chain_ok, "prov_type": "prov:Activity",
        },
    )


async def write_dead_letter(
    tx: neo4j.AsyncManagedTransaction, *, id: str, source: str | None, position: int | None, subject: str,
    reason: str, raw: bytes, first_seen_position: int | None,
) -> None:
    """A dead letter keeps what arrived and why it could not be used; seeing it again changes nothing."""
    await _run(
        tx,
        "MERGE (d:DeadLetter {id: $id}) ON CREATE SET d.source = $source, d.position = $position, "
        "d.subject = $subject, d.reason = $reason, d.raw = $raw, d.first_seen_position = $first_seen, "
        "d.status = 'open'",
        id=id, source=source, position=position, subject=subject, reason=reason,
        raw=raw.decode("utf-8", errors="replace"), first_seen=first_seen_position,
    )


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


class Writer:
    """The write primitives of the graph model for one event: create, change, link, close."""

    def __init__(self, tx: neo4j.AsyncManagedTransaction, envelope: Envelope) -> None:
        self.tx = tx
        self.eid = str(envelope.event_id)
        self.t = envelope.occurred_at

    async def create(self, label: str, id: str, properties: Mapping[str, Any]) -> None:
        """The event brings the node into being: it fills a stub if one was referred to before."""
        await _run(
            self.tx,
            f"MERGE (n:{_label(label)} {{id: $id}}) SET n += $props, n.since = $t, n.prov_type = $pt REMOVE n.stub "
            "WITH n MATCH (e:Event {id: $eid}) MERGE (e)-[:CREATED]->(n)",
            id=id, props=dict(properties), t=self.t, pt=prov_type(label), eid=self.eid,
        )

    async def change(self, label: str, id: str, properties: Mapping[str, Any] | None = None) -> None:
        await _run(
            self.tx,
            f"MERGE (n:{_label(label)} {{id: $id}}) ON CREATE SET n.stub = true SET n += $props "
            "WITH n MATCH (e:Event {id: $eid}) MERGE (e)-[:CHANGED]->(n)",
            id=id, props=dict(properties or {}), eid=self.eid,
        )

    async def link(self, a_label: str, a_id: str, rel: str, b_label: str, b_id: str,
                   properties: Mapping[str, Any] | None = None) -> None:
        """A relationship for the event's period; the ends are stubs until their own events arrive."""
        await _run(
            self.tx,
            f"MERGE (a:{_label(a_label)} {{id: $a}}) ON CREATE SET a.stub = true "
            f"MERGE (b:{_label(b_label)} {{id: $b}}) ON CREATE SET b.stub = true "
            f"MERGE (a)-[r:{_rel(rel)} {{created_by: $eid}}]->(b) ON CREATE SET r += $props, r.since = $t",
            a=a_id, b=b_id, eid=self.eid, t=self.t, props=dict(properties or {}),
        )

    async def close(self, a_label: str, a_id: str, rel: str, b_label: str, b_id: str | None = None,
                    end_target: bool = False) -> None:
        """End the open period(s) of ``rel`` from the node; with ``end_target`` the state node ends too."""
        target_end = ", b.until = $t, b.ended_by = $eid" if end_target else ""
        await _run(
            self.tx,
            f"MATCH (a:{_label(a_label)} {{id: $a}})-[r:{_rel(rel)}]->(b:{_label(b_label)}) "
            f"WHERE r.until IS NULL AND ($b IS NULL OR b.id = $b) AND r.created_by <> $eid "
            f"SET r.until = $t, r.ended_by = $eid{target_end}",
            a=a_id, b=b_id, t=self.t, eid=self.eid,
        )

    async def state(self, owner_label: str, owner_id: str, rel: str, state_label: str,
                    properties: Mapping[str, Any]) -> None:
        """A new period of a changing attribute: close the open state, open a new one keyed by the event id."""
        await self.close(owner_label, owner_id, rel, state_label, end_target=True)
        await self.create(state_label, self.eid, properties)
        await self.link(owner_label, owner_id, rel, state_label, self.eid)

    async def query(self, query: str, **params: Any) -> list[neo4j.Record]:
        return await _run(self.tx, query, eid=self.eid, t=self.t, **params)


# --- one handler per event type (table at the bottom) ---------------------------------------------

Handler = Callable[[Writer, Any], Awaitable[None]]


async def on_goal_defined(w: Writer, p: Any) -> None:
    await w.create("Goal", p.goal_id, props(p, exclude=("goal_id",)))
    if p.parent_goal_id:
        await w.link("Goal", p.goal_id, "SUB_GOAL_OF", "Goal", p.parent_goal_id)
    if p.samfunnsdel_plan_id:
        await w.link("Goal", p.goal_id, "PART_OF", "Plan", p.samfunnsdel_plan_id)


async def on_goal_retired(w: Writer, p: Any) -> None:
    await w.change("Goal", p.goal_id, {"until": w.t, "retired_on": p.retired_on, "retired_reason": p.reason,
                                       "replaced_by_goal_id": p.replaced_by_goal_id})
    if p.replaced_by_goal_id:
        await w.link("Goal", p.goal_id, "REPLACED_BY", "Goal", p.replaced_by_goal_id)


async def on_indicator_defined(w: Writer, p: Any) -> None:
    await w.create("Indicator", p.indicator_id, props(p, exclude=("indicator_id",)))
    await w.link("Goal", p.goal_id, "MEASURED_BY", "Indicator", p.indicator_id)


async def on_indicator_measured(w: Writer, p: Any) -> None:
    if p.corrects:
        await w.query(
            "MATCH (:Indicator {id: $indicator})-[:HAS_MEASUREMENT]->(m:Measurement {period: $period}) "
            "WHERE m.until IS NULL AND m.id <> $eid SET m.until = $t, m.ended_by = $eid",
            indicator=p.indicator_id, period=p.period,
        )
    await w.create("Measurement", w.eid, props(p))
    await w.link("Indicator", p.indicator_id, "HAS_MEASUREMENT", "Measurement", w.eid)
    if p.corrects:
        await w.query(
            "MATCH (new:Measurement {id: $eid}), (:Indicator {id: $indicator})-[:HAS_MEASUREMENT]->(old:Measurement) "
            "WHERE old.ended_by = $eid MERGE (new)-[r:CORRECTS {created_by: $eid}]->(old) ON CREATE SET r.since = $t",
            indicator=p.indicator_id,
        )


async def on_plan_proposed(w: Writer, p: Any) -> None:
    await w.create("Plan", p.plan_id, {**props(p, exclude=("plan_id",)), "status": "proposed"})
    await w.state("Plan", p.plan_id, "HAD_STATUS", "PlanStatus",
                  {"plan_id": p.plan_id, "status": "proposed", "changed_on": p.proposed_on})
    if p.parent_plan_id:
        await w.link("Plan", p.plan_id, "PART_OF", "Plan", p.parent_plan_id)
    if p.strategy_id:
        await w.link("Plan", p.plan_id, "INITIATED_THROUGH", "Strategy", p.strategy_id)
    if p.strategy_item_id:
        await w.link("Plan", p.plan_id, "INITIATED_THROUGH", "StrategyItem", p.strategy_item_id)


async def on_plan_parent_changed(w: Writer, p: Any) -> None:
    await w.change("Plan", p.plan_id, {"parent_plan_id": p.parent_plan_id})
    await w.close("Plan", p.plan_id, "PART_OF", "Plan")
    if p.parent_plan_id:
        await w.link("Plan", p.plan_id, "PART_OF", "Plan", p.parent_plan_id)


async def on_plan_anchored(w: Writer, p: Any) -> None:
    await w.change("Plan", p.plan_id)
    await w.close("Plan", p.plan_id, "ANCHORED_IN", "Goal", p.goal_id)
    await w.link("Plan", p.plan_id, "ANCHORED_IN", "Goal", p.goal_id)


async def on_plan_anchor_removed(w: Writer, p: Any) -> None:
    await w.change("Plan", p.plan_id)
    await w.close("Plan", p.plan_id, "ANCHORED_IN", "Goal", p.goal_id)


ENDING_STATUSES = frozenset({"replaced", "repealed", "merged"})


async def on_plan_status_changed(w: Writer, p: Any) -> None:
    status = p.to_status.value
    changes: dict[str, Any] = {"status": status}
    if status in ENDING_STATUSES:
        changes["until"] = w.t
    await w.change("Plan", p.plan_id, changes)
    await w.state("Plan", p.plan_id, "HAD_STATUS", "PlanStatus",
                  {**props(p, exclude=("to_status",)), "status": status})
    if p.decision_id:
        if status == "adopted":
            await w.link("Decision", p.decision_id, "ADOPTED", "Plan", p.plan_id)
        else:
            await w.link("Decision", p.decision_id, "DECIDED", "Plan", p.plan_id, {"to_status": status})
    if p.replaced_by_plan_id:
        await w.link("Plan", p.replaced_by_plan_id, "REPLACES", "Plan", p.plan_id)
    if p.merged_into_plan_id:
        await w.link("Plan", p.plan_id, "MERGED_INTO", "Plan", p.merged_into_plan_id)


async def on_plan_revision_scheduled(w: Writer, p: Any) -> None:
    await w.change("Plan", p.plan_id, {"revision_due": p.revision_due})
    await w.state("Plan", p.plan_id, "HAD_REVISION_SCHEDULE", "RevisionSchedule", props(p))
    if p.strategy_id:
        await w.link("RevisionSchedule", w.eid, "SET_IN", "Strategy", p.strategy_id)


async def on_strategy_drafted(w: Writer, p: Any) -> None:
    await w.create("Strategy", p.strategy_id, {**props(p, exclude=("strategy_id",)), "status": "drafted"})
    await w.state("Strategy", p.strategy_id, "HAD_STATUS", "StrategyStatus",
                  {"strategy_id": p.strategy_id, "status": "drafted", "on": p.drafted_on})
    if p.recommendation_id:
        await w.link("Strategy", p.strategy_id, "INFORMED_BY", "Recommendation", p.recommendation_id)
    if p.process_id:
        await w.link("Strategy", p.strategy_id, "FROM_PROCESS", "Process", p.process_id)
    if p.replaces_strategy_id:
        await w.link("Strategy", p.strategy_id, "REPLACES", "Strategy", p.replaces_strategy_id)


ITEM_LINKS = (("CONCERNS", "Plan"), ("FROM_NEED", "PlanNeed"), ("MERGE_INTO", "Plan"), ("AMENDED_BY", "Decision"))


async def on_strategy_item_set(w: Writer, p: Any) -> None:
    existing = await w.query("MATCH (i:StrategyItem {id: $id}) WHERE i.stub IS NULL RETURN i.id", id=p.item_id)
    item = props(p, exclude=("item_id",))
    if existing:
        await w.change("StrategyItem", p.item_id, {**item, "until": None, "removed_reason": None})
    else:
        await w.create("StrategyItem", p.item_id, item)
    await w.change("Strategy", p.strategy_id)
    await w.query(
        "MATCH (s:Strategy {id: $s}) MATCH (i:StrategyItem {id: $i}) "
        "WHERE NOT EXISTS { (s)-[r:HAS_ITEM]->(i) WHERE r.until IS NULL } "
        "MERGE (s)-[r:HAS_ITEM {created_by: $eid}]->(i) ON CREATE SET r.since = $t",
        s=p.strategy_id, i=p.item_id,
    )
    for rel, label in ITEM_LINKS:
        await w.close("StrategyItem", p.item_id, rel, label)
    await w.state("StrategyItem", p.item_id, "HAD_VERSION", "StrategyItemVersion", props(p))
    if p.plan_id:
        await w.link("StrategyItem", p.item_id, "CONCERNS", "Plan", p.plan_id)
    if p.plan_need_id:
        await w.link("StrategyItem", p.item_id, "FROM_NEED", "PlanNeed", p.plan_need_id)
    if p.merge_into_plan_id:
        await w.link("StrategyItem", p.item_id, "MERGE_INTO", "Plan", p.merge_into_plan_id)
    if p.decision_id:
        await w.link("StrategyItem", p.item_id, "AMENDED_BY", "Decision", p.decision_id,
                     {"amendment_number": p.amendment_number})


async def on_strategy_item_removed(w: Writer, p: Any) -> None:
    await w.change("StrategyItem", p.item_id, {"until": w.t, "removed_reason": p.reason})
    await w.change("Strategy", p.strategy_id)
    await w.close("Strategy", p.strategy_id, "HAS_ITEM", "StrategyItem", p.item_id)
    for rel, label in ITEM_LINKS:
        await w.close("StrategyItem", p.item_id, rel, label)
    await w.close("StrategyItem", p.item_id, "HAD_VERSION", "StrategyItemVersion", end_target=True)
    if p.decision_id:
        await w.link("Decision", p.decision_id, "REMOVED", "StrategyItem", p.item_id,
                     {"amendment_number": p.amendment_number})


async def on_strategy_kommuneplan_assessed(w: Writer, p: Any) -> None:
    await w.change("Strategy", p.strategy_id, {"samfunnsdel_assessment": p.samfunnsdel.value,
                                               "arealdel_assessment": p.arealdel.value})
    await w.state("Strategy", p.strategy_id, "HAD_ASSESSMENT", "KommuneplanAssessment", props(p))


async def on_strategy_evidence_cited(w: Writer, p: Any) -> None:
    await w.change("Strategy", p.strategy_id)
    await w.link("Strategy", p.strategy_id, "CITES", "Evidence", p.evidence_id)


async def on_strategy_published(w: Writer, p: Any) -> None:
    await w.change("Strategy", p.strategy_id, {"status": "published", "published_on": p.published_on,
                                               "planned_meeting_on": p.planned_meeting_on})
    await w.state("Strategy", p.strategy_id, "HAD_STATUS", "StrategyStatus",
                  {"strategy_id": p.strategy_id, "status": "published", "on": p.published_on,
                   "planned_meeting_on": p.planned_meeting_on})


async def on_strategy_adopted(w: Writer, p: Any) -> None:
    await w.change("Strategy", p.strategy_id, {"status": "adopted", "adopted_on": p.adopted_on,
                                               "decision_id": p.decision_id})
    await w.state("Strategy", p.strategy_id, "HAD_STATUS", "StrategyStatus",
                  {"strategy_id": p.strategy_id, "status": "adopted", "on": p.adopted_on,
                   "decision_id": p.decision_id})
    await w.link("Decision", p.decision_id, "ADOPTED", "Strategy", p.strategy_id)


async def on_decision_recorded(w: Writer, p: Any) -> None:
    votes = p.votes
    await w.create("Decision", p.decision_id, {
        **props(p, exclude=("decision_id", "votes")),
        "votes_in_favour": votes.in_favour if votes else None,
        "votes_against": votes.against if votes else None,
        "votes_blank": votes.blank if votes else None,
    })
    await w.link("Decision", p.decision_id, "MADE_BY", "Body", p.body.value)
    if p.strategy_id:
        await w.link("Decision", p.decision_id, "CONCERNS", "Strategy", p.strategy_id)
    for plan_id in p.plan_ids:
        await w.link("Decision", p.decision_id, "CONCERNS", "Plan", plan_id)


async def on_input_received(w: Writer, p: Any) -> None:
    await w.create("ExternalInput", p.input_id, props(p, exclude=("input_id",)))
    if p.strategy_id:
        await w.link("ExternalInput", p.input_id, "CONCERNS", "Strategy", p.strategy_id)
    if p.plan_id:
        await w.link("ExternalInput", p.input_id, "CONCERNS", "Plan", p.plan_id)


async def on_evidence_recorded(w: Writer, p: Any) -> None:
    await w.create("Evidence", p.evidence_id, props(p, exclude=("evidence_id",)))
    if p.strategy_id:
        await w.link("Strategy", p.strategy_id, "CITES", "Evidence", p.evidence_id)


async def on_process_started(w: Writer, p: Any) -> None:
    await w.create("Process", p.process_id, {**props(p, exclude=("process_id",)), "phase": "preparation"})
    await w.state("Process", p.process_id, "HAD_PHASE", "ProcessPhase",
                  {"process_id": p.process_id, "phase": "preparation", "changed_on": p.period_start})


async def on_process_phase_changed(w: Writer, p: Any) -> None:
    await w.change("Process", p.process_id, {"phase": p.to_phase.value})
    await w.state("Process", p.process_id, "HAD_PHASE", "ProcessPhase",
                  {**props(p, exclude=("to_phase",)), "phase": p.to_phase.value})


async def on_participant_enrolled(w: Writer, p: Any) -> None:
    await w.create("Participant", p.participant_id, props(p, exclude=("participant_id",)))
    await w.link("Participant", p.participant_id, "ENROLLED_IN", "Process", p.process_id)
    if p.body:
        await w.link("Participant", p.participant_id, "MEMBER_OF", "Body", p.body.value)


async def on_workshop_scheduled(w: Writer, p: Any) -> None:
    await w.create("Workshop", p.workshop_id, {**props(p, exclude=("workshop_id",)), "status": "scheduled"})
    await w.link("Workshop", p.workshop_id, "PART_OF", "Process", p.process_id)


async def on_workshop_held(w: Writer, p: Any) -> None:
    await w.change("Workshop", p.workshop_id, {"status": "held", "held_on": p.held_on, "held_at": w.t,
                                               "inputs_until": p.inputs_until})
    for participant_id in p.attendee_ids:
        await w.link("Participant", participant_id, "ATTENDED", "Workshop", p.workshop_id)


async def on_workshop_cancelled(w: Writer, p: Any) -> None:
    await w.change("Workshop", p.workshop_id, {"status": "cancelled", "until": w.t, "cancelled_reason": p.reason})


async def on_input_recorded(w: Writer, p: Any) -> None:
    await w.create("Input", p.input_id, props(p, exclude=("input_id",)))
    await w.link("Input", p.input_id, "RAISED_AT", "Workshop", p.workshop_id)
    await w.link("Input", p.input_id, "RAISED_BY", "Participant", p.author_participant_id)
    for plan_id in p.plan_ids:
        await w.link("Input", p.input_id, "CONCERNS", "Plan", plan_id)
    for goal_id in p.goal_ids:
        await w.link("Input", p.input_id, "CONCERNS", "Goal", goal_id)


async def on_plan_need_proposed(w: Writer, p: Any) -> None:
    await w.create("PlanNeed", p.plan_need_id, props(p, exclude=("plan_need_id", "derived_from_input_ids")))
    for input_id in p.derived_from_input_ids:
        await w.link("PlanNeed", p.plan_need_id, "DERIVED_FROM", "Input", input_id)
    if p.plan_id:
        await w.link("PlanNeed", p.plan_need_id, "CONCERNS", "Plan", p.plan_id)
    if p.merge_into_plan_id:
        await w.link("PlanNeed", p.plan_need_id, "MERGE_INTO", "Plan", p.merge_into_plan_id)
    await w.link("PlanNeed", p.plan_need_id, "PART_OF", "Process", p.process_id)


async def on_prioritisation_opened(w: Writer, p: Any) -> None:
    await w.create("Prioritisation", p.prioritisation_id, {
        **props(p, exclude=("prioritisation_id", "candidate_plan_need_ids", "eligible_participant_ids")),
        "status": "open",
    })
    await w.link("Prioritisation", p.prioritisation_id, "PART_OF", "Process", p.process_id)
    for need_id in p.candidate_plan_need_ids:
        await w.link("Prioritisation", p.prioritisation_id, "CANDIDATE", "PlanNeed", need_id)
    for participant_id in p.eligible_participant_ids:
        await w.link("Prioritisation", p.prioritisation_id, "ELIGIBLE", "Participant", participant_id)


async def on_ballot_cast(w: Writer, p: Any) -> None:
    replaced = await w.query(
        "MATCH (:Participant {id: $participant})-[:CAST]->(old:Ballot)-[:IN]->(:Prioritisation {id: $prio}) "
        "WHERE old.until IS NULL AND old.id <> $ballot "
        "SET old.until = $t, old.ended_by = $eid RETURN old.id AS id",
        participant=p.participant_id, prio=p.prioritisation_id, ballot=p.ballot_id,
    )
    if p.replaces_ballot_id:
        await w.query("MATCH (old:Ballot {id: $old}) WHERE old.until IS NULL SET old.until = $t, old.ended_by = $eid",
                      old=p.replaces_ballot_id)
    await w.create("Ballot", p.ballot_id, props(p, exclude=("ballot_id",)))
    await w.link("Participant", p.participant_id, "CAST", "Ballot", p.ballot_id)
    await w.link("Ballot", p.ballot_id, "IN", "Prioritisation", p.prioritisation_id)
    for rank, need_id in enumerate(p.ranking, start=1):
        await w.link("Ballot", p.ballot_id, "RANKS", "PlanNeed", need_id, {"rank": rank})
    for need_id in p.approved:
        await w.link("Ballot", p.ballot_id, "APPROVES", "PlanNeed", need_id)
    for allocation in p.dots:
        await w.link("Ballot", p.ballot_id, "GIVES_DOTS", "PlanNeed", allocation.plan_need_id, {"dots": allocation.dots})
    for old_id in sorted({r["id"] for r in replaced} | ({p.replaces_ballot_id} if p.replaces_ballot_id else set())):
        await w.change("Ballot", old_id)
        await w.link("Ballot", p.ballot_id, "REPLACES", "Ballot", old_id)


async def on_prioritisation_made(w: Writer, p: Any) -> None:
    await w.change("Prioritisation", p.prioritisation_id, {
        "status": "made", "made_at": w.t, "ballots_counted": p.ballots_counted, "eligible_count": p.eligible_count,
        "tie_break": p.tie_break, "counted_ballot_ids": list(p.counted_ballot_ids),
    })
    for entry in p.ranking:
        await w.link("Prioritisation", p.prioritisation_id, "RANKED", "PlanNeed", entry.plan_need_id,
                     {"rank": entry.rank, "score": canonical_decimal(entry.score)})
    for ballot_id in p.counted_ballot_ids:
        await w.link("Prioritisation", p.prioritisation_id, "COUNTED", "Ballot", ballot_id)


async def on_recommendation_issued(w: Writer, p: Any) -> None:
    await w.create("Recommendation", p.recommendation_id, props(p, exclude=("recommendation_id", "items")))
    await w.link("Recommendation", p.recommendation_id, "BASED_ON", "Prioritisation", p.prioritisation_id)
    await w.link("Recommendation", p.recommendation_id, "PART_OF", "Process", p.process_id)
    for item in p.items:
        await w.link("Recommendation", p.recommendation_id, "RECOMMENDS", "PlanNeed", item.plan_need_id,
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


async def apply_event(tx: neo4j.AsyncManagedTransaction, envelope: Envelope, payload: IntegrationEvent,
                      chain_ok: bool = True) -> None:
    handler = HANDLERS.get(envelope.event_type)
    if handler is None:
        raise UnmappedEvent(f"no graph mapping for event type {envelope.event_type!r}")
    await write_event(tx, envelope, chain_ok)
    await handler(Writer(tx, envelope), payload)
