"""The writes of plan-registry's events: goals, indicators, plans, strategies, decisions, inputs, evidence.

Each handler is typed with the contract model it handles and records its writes on an
``EventWrites``; what each event writes is the table "What each event writes" of
services/knowledge/README.md.
"""

from __future__ import annotations

from typing import Any

from knowledge.graph.writes import EventWrites, properties_of
from planspor_shared.events import plan_registry as pr


def on_goal_defined(writes: EventWrites, event: pr.GoalDefined) -> None:
    writes.create("Goal", event.goal_id, properties_of(event, exclude=("goal_id",)))
    if event.parent_goal_id:
        writes.link("Goal", event.goal_id, "SUB_GOAL_OF", "Goal", event.parent_goal_id)
    if event.samfunnsdel_plan_id:
        writes.link("Goal", event.goal_id, "PART_OF", "Plan", event.samfunnsdel_plan_id)


def on_goal_retired(writes: EventWrites, event: pr.GoalRetired) -> None:
    writes.change(
        "Goal",
        event.goal_id,
        {
            "until": writes.occurred_at,
            "valid_to": writes.valid_on,
            "retired_on": event.retired_on,
            "retired_reason": event.reason,
            "replaced_by_goal_id": event.replaced_by_goal_id,
        },
    )
    if event.replaced_by_goal_id:
        writes.link("Goal", event.goal_id, "REPLACED_BY", "Goal", event.replaced_by_goal_id)


def on_indicator_defined(writes: EventWrites, event: pr.IndicatorDefined) -> None:
    writes.create("Indicator", event.indicator_id, properties_of(event, exclude=("indicator_id",)))
    writes.link("Goal", event.goal_id, "MEASURED_BY", "Indicator", event.indicator_id)


def on_indicator_measured(writes: EventWrites, event: pr.IndicatorMeasured) -> None:
    """A correction supersedes the open value of the period in recorded time only: the old Measurement and its
    HAS_MEASUREMENT are retracted (``retracted_at``/``retracted_by``), their valid time untouched."""
    if event.corrects:
        writes.fragment(
            "MATCH (:Indicator {id: p.indicator})-[h:HAS_MEASUREMENT]->(m:Measurement {period: p.period}) "
            "WHERE m.retracted_at IS NULL AND m.id <> ev.eid "
            "SET m.retracted_at = ev.t, m.retracted_by = ev.eid, h.retracted_at = ev.t, h.retracted_by = ev.eid",
            indicator=event.indicator_id,
            period=event.period,
            touches=[("Indicator", event.indicator_id)],
        )
    writes.create("Measurement", writes.event_id, properties_of(event))
    writes.link("Indicator", event.indicator_id, "HAS_MEASUREMENT", "Measurement", writes.event_id)
    if event.corrects:
        writes.fragment(
            "MATCH (new:Measurement {id: ev.eid}), "
            "(:Indicator {id: p.indicator})-[:HAS_MEASUREMENT]->(old:Measurement) "
            "WHERE old.retracted_by = ev.eid MERGE (new)-[r:CORRECTS {created_by: ev.eid}]->(old) "
            "ON CREATE SET r.since = ev.t, r.valid_from = ev.vt",
            indicator=event.indicator_id,
            touches=[("Indicator", event.indicator_id)],
        )


def on_plan_proposed(writes: EventWrites, event: pr.PlanProposed) -> None:
    writes.create("Plan", event.plan_id, {**properties_of(event, exclude=("plan_id",)), "status": "proposed"})
    writes.state(
        "Plan",
        event.plan_id,
        "HAD_STATUS",
        "PlanStatus",
        {"plan_id": event.plan_id, "status": "proposed", "changed_on": event.proposed_on},
    )
    if event.parent_plan_id:
        writes.link("Plan", event.plan_id, "PART_OF", "Plan", event.parent_plan_id)
    if event.strategy_id:
        writes.link("Plan", event.plan_id, "INITIATED_THROUGH", "Strategy", event.strategy_id)
    if event.strategy_item_id:
        writes.link("Plan", event.plan_id, "INITIATED_THROUGH", "StrategyItem", event.strategy_item_id)


def on_plan_parent_changed(writes: EventWrites, event: pr.PlanParentChanged) -> None:
    writes.change("Plan", event.plan_id, {"parent_plan_id": event.parent_plan_id})
    writes.close("Plan", event.plan_id, "PART_OF", "Plan")
    if event.parent_plan_id:
        writes.link("Plan", event.plan_id, "PART_OF", "Plan", event.parent_plan_id)


def on_plan_anchored(writes: EventWrites, event: pr.PlanAnchored) -> None:
    writes.change("Plan", event.plan_id)
    writes.close("Plan", event.plan_id, "ANCHORED_IN", "Goal", event.goal_id)
    writes.link("Plan", event.plan_id, "ANCHORED_IN", "Goal", event.goal_id)


def on_plan_anchor_removed(writes: EventWrites, event: pr.PlanAnchorRemoved) -> None:
    writes.change("Plan", event.plan_id)
    writes.close("Plan", event.plan_id, "ANCHORED_IN", "Goal", event.goal_id)


ENDING_STATUSES = frozenset({"replaced", "repealed", "merged"})
"""After these the plan no longer holds: it gets its ``until``."""


def on_plan_status_changed(writes: EventWrites, event: pr.PlanStatusChanged) -> None:
    status = event.to_status.value
    changes: dict[str, Any] = {"status": status}
    if status in ENDING_STATUSES:
        changes["until"] = writes.occurred_at
        changes["valid_to"] = writes.valid_on
    writes.change("Plan", event.plan_id, changes)
    writes.state(
        "Plan",
        event.plan_id,
        "HAD_STATUS",
        "PlanStatus",
        {**properties_of(event, exclude=("to_status",)), "status": status},
    )
    if event.decision_id:
        if status == "adopted":
            writes.link("Decision", event.decision_id, "ADOPTED", "Plan", event.plan_id)
        else:
            writes.link("Decision", event.decision_id, "DECIDED", "Plan", event.plan_id, {"to_status": status})
    if event.replaced_by_plan_id:
        writes.link("Plan", event.replaced_by_plan_id, "REPLACES", "Plan", event.plan_id)
    if event.merged_into_plan_id:
        writes.link("Plan", event.plan_id, "MERGED_INTO", "Plan", event.merged_into_plan_id)


def on_plan_duplicate_merged(writes: EventWrites, event: pr.PlanDuplicateMerged) -> None:
    """A plan registered twice is retracted with its relationships (both ways; provenance and DUPLICATE_OF
    stay), never deleted, and linked to the plan kept; its valid time is untouched (it never existed apart)."""
    writes.change(
        "Plan",
        event.plan_id,
        {
            "retracted_at": writes.occurred_at,
            "retracted_by": writes.event_id,
            "duplicate_of": event.kept_plan_id,
            "duplicate_reason": event.reason,
            "duplicate_found_on": event.merged_on,
        },
    )
    writes.fragment(
        "MATCH (:Plan {id: p.id})-[r]-(x) WHERE NOT x:Event AND NOT type(r) IN ['DUPLICATE_OF', 'CORRECTS'] "
        "AND r.retracted_at IS NULL AND r.created_by <> ev.eid SET r.retracted_at = ev.t, r.retracted_by = ev.eid",
        id=event.plan_id,
        touches=[("Plan", event.plan_id)],
    )
    writes.link("Plan", event.plan_id, "DUPLICATE_OF", "Plan", event.kept_plan_id, {"reason": event.reason})


def on_plan_revision_scheduled(writes: EventWrites, event: pr.PlanRevisionScheduled) -> None:
    writes.change("Plan", event.plan_id, {"revision_due": event.revision_due})
    writes.state("Plan", event.plan_id, "HAD_REVISION_SCHEDULE", "RevisionSchedule", properties_of(event))
    if event.strategy_id:
        writes.link("RevisionSchedule", writes.event_id, "SET_IN", "Strategy", event.strategy_id)


def on_strategy_drafted(writes: EventWrites, event: pr.StrategyDrafted) -> None:
    writes.create(
        "Strategy", event.strategy_id, {**properties_of(event, exclude=("strategy_id",)), "status": "drafted"}
    )
    writes.state(
        "Strategy",
        event.strategy_id,
        "HAD_STATUS",
        "StrategyStatus",
        {"strategy_id": event.strategy_id, "status": "drafted", "on": event.drafted_on},
    )
    if event.recommendation_id:
        writes.link("Strategy", event.strategy_id, "INFORMED_BY", "Recommendation", event.recommendation_id)
    if event.process_id:
        writes.link("Strategy", event.strategy_id, "FROM_PROCESS", "Process", event.process_id)
    if event.replaces_strategy_id:
        writes.link("Strategy", event.strategy_id, "REPLACES", "Strategy", event.replaces_strategy_id)


ITEM_LINKS = (("CONCERNS", "Plan"), ("FROM_NEED", "PlanNeed"), ("MERGE_INTO", "Plan"), ("AMENDED_BY", "Decision"))
"""What a strategy item points at; setting it again or removing it closes them all."""


def on_strategy_item_set(writes: EventWrites, event: pr.StrategyItemSet) -> None:
    item = properties_of(event, exclude=("item_id",))
    # an item set again (after removal, or amended) is CHANGED and open again; a new one (or a stub) is CREATED
    writes.fragment(
        "OPTIONAL MATCH (old:StrategyItem {id: p.id}) WHERE old.stub IS NULL "
        "WITH ev, e, p, old IS NOT NULL AS existed "
        "MERGE (n:StrategyItem {id: p.id}) "
        "FOREACH (_ IN CASE WHEN existed THEN [1] ELSE [] END | SET n += p.revived MERGE (e)-[:CHANGED]->(n)) "
        "FOREACH (_ IN CASE WHEN existed THEN [] ELSE [1] END | "
        "  SET n += p.props, n.since = ev.t, n.valid_from = ev.vt, n.prov_type = 'prov:Entity' REMOVE n.stub MERGE (e)-[:CREATED]->(n))",
        id=event.item_id,
        props=item,
        revived={**item, "until": None, "valid_to": None, "removed_reason": None},
        touches=[("StrategyItem", event.item_id)],
    )
    writes.change("Strategy", event.strategy_id)
    writes.fragment(
        "MATCH (s:Strategy {id: p.s}) MATCH (i:StrategyItem {id: p.i}) "
        "WHERE NOT EXISTS { (s)-[r:HAS_ITEM]->(i) WHERE r.until IS NULL } "
        "MERGE (s)-[r:HAS_ITEM {created_by: ev.eid}]->(i) ON CREATE SET r.since = ev.t, r.valid_from = ev.vt",
        s=event.strategy_id,
        i=event.item_id,
        touches=[("Strategy", event.strategy_id), ("StrategyItem", event.item_id)],
    )
    for relationship, label in ITEM_LINKS:
        writes.close("StrategyItem", event.item_id, relationship, label)
    writes.state("StrategyItem", event.item_id, "HAD_VERSION", "StrategyItemVersion", properties_of(event))
    if event.plan_id:
        writes.link("StrategyItem", event.item_id, "CONCERNS", "Plan", event.plan_id)
    if event.plan_need_id:
        writes.link("StrategyItem", event.item_id, "FROM_NEED", "PlanNeed", event.plan_need_id)
    if event.merge_into_plan_id:
        writes.link("StrategyItem", event.item_id, "MERGE_INTO", "Plan", event.merge_into_plan_id)
    if event.decision_id:
        writes.link(
            "StrategyItem",
            event.item_id,
            "AMENDED_BY",
            "Decision",
            event.decision_id,
            {"amendment_number": event.amendment_number},
        )


def on_strategy_item_removed(writes: EventWrites, event: pr.StrategyItemRemoved) -> None:
    writes.change(
        "StrategyItem",
        event.item_id,
        {"until": writes.occurred_at, "valid_to": writes.valid_on, "removed_reason": event.reason},
    )
    writes.change("Strategy", event.strategy_id)
    writes.close("Strategy", event.strategy_id, "HAS_ITEM", "StrategyItem", event.item_id)
    for relationship, label in ITEM_LINKS:
        writes.close("StrategyItem", event.item_id, relationship, label)
    writes.close("StrategyItem", event.item_id, "HAD_VERSION", "StrategyItemVersion", end_target=True)
    if event.decision_id:
        writes.link(
            "Decision",
            event.decision_id,
            "REMOVED",
            "StrategyItem",
            event.item_id,
            {"amendment_number": event.amendment_number},
        )


def on_strategy_kommuneplan_assessed(writes: EventWrites, event: pr.StrategyKommuneplanAssessed) -> None:
    writes.change(
        "Strategy",
        event.strategy_id,
        {"samfunnsdel_assessment": event.samfunnsdel.value, "arealdel_assessment": event.arealdel.value},
    )
    writes.state("Strategy", event.strategy_id, "HAD_ASSESSMENT", "KommuneplanAssessment", properties_of(event))


def on_strategy_evidence_cited(writes: EventWrites, event: pr.StrategyEvidenceCited) -> None:
    writes.change("Strategy", event.strategy_id)
    writes.link("Strategy", event.strategy_id, "CITES", "Evidence", event.evidence_id)


def on_strategy_published(writes: EventWrites, event: pr.StrategyPublished) -> None:
    writes.change(
        "Strategy",
        event.strategy_id,
        {"status": "published", "published_on": event.published_on, "planned_meeting_on": event.planned_meeting_on},
    )
    writes.state(
        "Strategy",
        event.strategy_id,
        "HAD_STATUS",
        "StrategyStatus",
        {
            "strategy_id": event.strategy_id,
            "status": "published",
            "on": event.published_on,
            "planned_meeting_on": event.planned_meeting_on,
        },
    )


def on_strategy_adopted(writes: EventWrites, event: pr.StrategyAdopted) -> None:
    writes.change(
        "Strategy",
        event.strategy_id,
        {"status": "adopted", "adopted_on": event.adopted_on, "decision_id": event.decision_id},
    )
    writes.state(
        "Strategy",
        event.strategy_id,
        "HAD_STATUS",
        "StrategyStatus",
        {
            "strategy_id": event.strategy_id,
            "status": "adopted",
            "on": event.adopted_on,
            "decision_id": event.decision_id,
        },
    )
    writes.link("Decision", event.decision_id, "ADOPTED", "Strategy", event.strategy_id)


def on_decision_recorded(writes: EventWrites, event: pr.DecisionRecorded) -> None:
    votes = event.votes
    writes.create(
        "Decision",
        event.decision_id,
        {
            **properties_of(event, exclude=("decision_id", "votes")),
            "votes_in_favour": votes.in_favour if votes else None,
            "votes_against": votes.against if votes else None,
            "votes_blank": votes.blank if votes else None,
        },
    )
    writes.link("Decision", event.decision_id, "MADE_BY", "Body", event.body.value)
    if event.strategy_id:
        writes.link("Decision", event.decision_id, "CONCERNS", "Strategy", event.strategy_id)
    for plan_id in event.plan_ids:
        writes.link("Decision", event.decision_id, "CONCERNS", "Plan", plan_id)


def on_input_received(writes: EventWrites, event: pr.InputReceived) -> None:
    writes.create("ExternalInput", event.input_id, properties_of(event, exclude=("input_id",)))
    if event.strategy_id:
        writes.link("ExternalInput", event.input_id, "CONCERNS", "Strategy", event.strategy_id)
    if event.plan_id:
        writes.link("ExternalInput", event.input_id, "CONCERNS", "Plan", event.plan_id)
    if event.in_reply_to:
        writes.link("ExternalInput", event.input_id, "ANSWERS", "ViewRequest", event.in_reply_to)


def on_views_requested(writes: EventWrites, event: pr.ViewsRequested) -> None:
    writes.create("ViewRequest", event.request_id, properties_of(event, exclude=("request_id",)))
    writes.link("ViewRequest", event.request_id, "CONCERNS", "Strategy", event.strategy_id)


VOIDED_DECISION_LINKS = "MADE_BY|CONCERNS|ADOPTED|DECIDED|REMOVED|AMENDED_BY"
"""The relationships a voided decision withdraws with it, both ways (a CORRECTS link stays: it is the correction)."""


def on_decision_voided(writes: EventWrites, event: pr.DecisionVoided) -> None:
    """Never deleted: the decision and its relationships are retracted (``retracted_at`` = the voiding's
    ``occurred_at``, ``retracted_by`` = its event id), the Event CHANGED it, and the decision recorded in its
    place CORRECTS it."""
    writes.change(
        "Decision",
        event.decision_id,
        {
            "retracted_at": writes.occurred_at,
            "retracted_by": writes.event_id,
            "voided_reason": event.reason,
            "voided_on": event.voided_on,
            "replaced_by_decision_id": event.replaced_by_decision_id,
        },
    )
    writes.fragment(
        f"MATCH (:Decision {{id: p.id}})-[r:{VOIDED_DECISION_LINKS}]-() "
        "WHERE r.retracted_at IS NULL AND r.created_by <> ev.eid SET r.retracted_at = ev.t, r.retracted_by = ev.eid",
        id=event.decision_id,
        touches=[("Decision", event.decision_id)],
    )
    if event.replaced_by_decision_id:
        writes.link(
            "Decision",
            event.replaced_by_decision_id,
            "CORRECTS",
            "Decision",
            event.decision_id,
            {"reason": event.reason},
        )


def on_evidence_recorded(writes: EventWrites, event: pr.EvidenceRecorded) -> None:
    writes.create("Evidence", event.evidence_id, properties_of(event, exclude=("evidence_id",)))
    if event.strategy_id:
        writes.link("Strategy", event.strategy_id, "CITES", "Evidence", event.evidence_id)
