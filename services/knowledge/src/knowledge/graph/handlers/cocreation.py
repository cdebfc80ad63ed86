"""The writes of co-creation's events: processes, participants, workshops, inputs, plan needs,
prioritisations and their ballots, recommendations.

Each handler is typed with the contract model it handles and records its writes on an
``EventWrites``; what each event writes is the table "What each event writes" of
services/knowledge/README.md.
"""

from __future__ import annotations

from knowledge.graph.writes import EventWrites, properties_of
from planspor_shared.canonical import canonical_decimal
from planspor_shared.events import cocreation as cc


def on_process_started(writes: EventWrites, event: cc.ProcessStarted) -> None:
    writes.create(
        "Process", event.process_id, {**properties_of(event, exclude=("process_id",)), "phase": "preparation"}
    )
    writes.state(
        "Process",
        event.process_id,
        "HAD_PHASE",
        "ProcessPhase",
        {"process_id": event.process_id, "phase": "preparation", "changed_on": event.period_start},
    )


def on_process_phase_changed(writes: EventWrites, event: cc.ProcessPhaseChanged) -> None:
    writes.change("Process", event.process_id, {"phase": event.to_phase.value})
    writes.state(
        "Process",
        event.process_id,
        "HAD_PHASE",
        "ProcessPhase",
        {**properties_of(event, exclude=("to_phase",)), "phase": event.to_phase.value},
    )


def on_participant_enrolled(writes: EventWrites, event: cc.ParticipantEnrolled) -> None:
    writes.create("Participant", event.participant_id, properties_of(event, exclude=("participant_id",)))
    writes.link("Participant", event.participant_id, "ENROLLED_IN", "Process", event.process_id)
    if event.body:
        writes.link("Participant", event.participant_id, "MEMBER_OF", "Body", event.body.value)


def on_workshop_scheduled(writes: EventWrites, event: cc.WorkshopScheduled) -> None:
    writes.create(
        "Workshop", event.workshop_id, {**properties_of(event, exclude=("workshop_id",)), "status": "scheduled"}
    )
    writes.link("Workshop", event.workshop_id, "PART_OF", "Process", event.process_id)


def on_workshop_held(writes: EventWrites, event: cc.WorkshopHeld) -> None:
    writes.change(
        "Workshop",
        event.workshop_id,
        {"status": "held", "held_on": event.held_on, "held_at": writes.occurred_at, "inputs_until": event.inputs_until},
    )
    for participant_id in event.attendee_ids:
        writes.link("Participant", participant_id, "ATTENDED", "Workshop", event.workshop_id)


def on_workshop_cancelled(writes: EventWrites, event: cc.WorkshopCancelled) -> None:
    writes.change(
        "Workshop",
        event.workshop_id,
        {
            "status": "cancelled",
            "until": writes.occurred_at,
            "valid_to": writes.valid_on,
            "cancelled_reason": event.reason,
        },
    )


def on_input_recorded(writes: EventWrites, event: cc.InputRecorded) -> None:
    writes.create("Input", event.input_id, properties_of(event, exclude=("input_id",)))
    writes.link("Input", event.input_id, "RAISED_AT", "Workshop", event.workshop_id)
    writes.link("Input", event.input_id, "RAISED_BY", "Participant", event.author_participant_id)
    for plan_id in event.plan_ids:
        writes.link("Input", event.input_id, "CONCERNS", "Plan", plan_id)
    for goal_id in event.goal_ids:
        writes.link("Input", event.input_id, "CONCERNS", "Goal", goal_id)


def on_plan_need_proposed(writes: EventWrites, event: cc.PlanNeedProposed) -> None:
    writes.create(
        "PlanNeed", event.plan_need_id, properties_of(event, exclude=("plan_need_id", "derived_from_input_ids"))
    )
    for input_id in event.derived_from_input_ids:
        writes.link("PlanNeed", event.plan_need_id, "DERIVED_FROM", "Input", input_id)
    if event.plan_id:
        writes.link("PlanNeed", event.plan_need_id, "CONCERNS", "Plan", event.plan_id)
    if event.merge_into_plan_id:
        writes.link("PlanNeed", event.plan_need_id, "MERGE_INTO", "Plan", event.merge_into_plan_id)
    writes.link("PlanNeed", event.plan_need_id, "PART_OF", "Process", event.process_id)


def on_prioritisation_opened(writes: EventWrites, event: cc.PrioritisationOpened) -> None:
    writes.create(
        "Prioritisation",
        event.prioritisation_id,
        {
            **properties_of(
                event, exclude=("prioritisation_id", "candidate_plan_need_ids", "eligible_participant_ids")
            ),
            "status": "open",
        },
    )
    writes.link("Prioritisation", event.prioritisation_id, "PART_OF", "Process", event.process_id)
    for need_id in event.candidate_plan_need_ids:
        writes.link("Prioritisation", event.prioritisation_id, "CANDIDATE", "PlanNeed", need_id)
    for participant_id in event.eligible_participant_ids:
        writes.link("Prioritisation", event.prioritisation_id, "ELIGIBLE", "Participant", participant_id)


def on_ballot_cast(writes: EventWrites, event: cc.BallotCast) -> None:
    """A ballot ends only ballots of its own prioritisation: the caster's open one, found through the pattern,
    and the one it names if that one is in the prioritisation too (the domain names the caster's own earlier
    ballot there). So the prioritisation's key orders every ballot.cast that could end the same ballot, and the
    ballots of different prioritisations are written side by side (``knowledge.graph.batch.schedule``); a
    key for every ballot serialised all of them, and about 40% of a batch's statements with them."""
    ballot_keys = [
        ("Participant", event.participant_id),
        ("Prioritisation", event.prioritisation_id),
        ("Ballot", event.ballot_id),
        ("Ballot", event.replaces_ballot_id),
    ]
    # a participant's new ballot in a prioritisation ends their open one (and the one it names)
    writes.fragment(
        "MATCH (:Participant {id: p.participant})-[:CAST]->(old:Ballot)-[:IN]->(:Prioritisation {id: p.prio}) "
        "WHERE old.until IS NULL AND old.id <> p.ballot SET old.until = ev.t, old.valid_to = ev.vt, old.ended_by = ev.eid",
        participant=event.participant_id,
        prio=event.prioritisation_id,
        ballot=event.ballot_id,
        touches=ballot_keys,
    )
    if event.replaces_ballot_id:
        writes.fragment(
            "MATCH (old:Ballot {id: p.old})-[:IN]->(:Prioritisation {id: p.prio}) WHERE old.until IS NULL "
            "SET old.until = ev.t, old.valid_to = ev.vt, old.ended_by = ev.eid",
            old=event.replaces_ballot_id,
            prio=event.prioritisation_id,
            touches=ballot_keys,
        )
    writes.create("Ballot", event.ballot_id, properties_of(event, exclude=("ballot_id",)))
    writes.link("Participant", event.participant_id, "CAST", "Ballot", event.ballot_id)
    writes.link("Ballot", event.ballot_id, "IN", "Prioritisation", event.prioritisation_id)
    for rank, need_id in enumerate(event.ranking, start=1):
        writes.link("Ballot", event.ballot_id, "RANKS", "PlanNeed", need_id, {"rank": rank})
    for need_id in event.approved:
        writes.link("Ballot", event.ballot_id, "APPROVES", "PlanNeed", need_id)
    for allocation in event.dots:
        writes.link(
            "Ballot", event.ballot_id, "GIVES_DOTS", "PlanNeed", allocation.plan_need_id, {"dots": allocation.dots}
        )
    # the ballots this event ended (found again by ended_by) and the named one are CHANGED and REPLACED;
    # both writes are MERGEs, so a ballot found twice is written once
    writes.fragment(
        "CALL (ev, p) { OPTIONAL MATCH (:Participant {id: p.participant})-[:CAST]->(old:Ballot)"
        "-[:IN]->(:Prioritisation {id: p.prio}) WHERE old.ended_by = ev.eid AND old.id <> p.ballot "
        "RETURN collect(old.id) AS ended } "
        "UNWIND ended + p.named AS old_id "
        "MERGE (old:Ballot {id: old_id}) ON CREATE SET old.stub = true MERGE (e)-[:CHANGED]->(old) "
        "WITH ev, p, old MERGE (new:Ballot {id: p.ballot}) ON CREATE SET new.stub = true "
        "MERGE (new)-[r:REPLACES {created_by: ev.eid}]->(old) ON CREATE SET r.since = ev.t, r.valid_from = ev.vt",
        participant=event.participant_id,
        prio=event.prioritisation_id,
        ballot=event.ballot_id,
        named=[event.replaces_ballot_id] if event.replaces_ballot_id else [],
        touches=ballot_keys,
    )


def on_prioritisation_made(writes: EventWrites, event: cc.PrioritisationMade) -> None:
    writes.change(
        "Prioritisation",
        event.prioritisation_id,
        {
            "status": "made",
            "made_at": writes.occurred_at,
            "ballots_counted": event.ballots_counted,
            "eligible_count": event.eligible_count,
            "tie_break": event.tie_break,
            "counted_ballot_ids": list(event.counted_ballot_ids),
        },
    )
    for entry in event.ranking:
        writes.link(
            "Prioritisation",
            event.prioritisation_id,
            "RANKED",
            "PlanNeed",
            entry.plan_need_id,
            {"rank": entry.rank, "score": canonical_decimal(entry.score)},
        )
    for ballot_id in event.counted_ballot_ids:
        writes.link("Prioritisation", event.prioritisation_id, "COUNTED", "Ballot", ballot_id)


def on_recommendation_issued(writes: EventWrites, event: cc.RecommendationIssued) -> None:
    writes.create(
        "Recommendation", event.recommendation_id, properties_of(event, exclude=("recommendation_id", "items"))
    )
    writes.link("Recommendation", event.recommendation_id, "BASED_ON", "Prioritisation", event.prioritisation_id)
    writes.link("Recommendation", event.recommendation_id, "PART_OF", "Process", event.process_id)
    for item in event.items:
        writes.link(
            "Recommendation",
            event.recommendation_id,
            "RECOMMENDS",
            "PlanNeed",
            item.plan_need_id,
            properties_of(item, exclude=("plan_need_id",)),
        )
