"""Example payloads of every event in the catalogue, and a sealed chain of them, for the shared unit tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest

from planspor_shared.canonical import GENESIS_HASH
from planspor_shared.envelope import Envelope, derive_event_id
from planspor_shared.events import REGISTRY, IntegrationEvent

P1, P2, P3 = "plan-" + uuid4().hex[:8], "plan-" + uuid4().hex[:8], "plan-" + uuid4().hex[:8]
G1, G2 = "goal-" + uuid4().hex[:8], "goal-" + uuid4().hex[:8]
S1, D1, R1, PR1, W1 = (f"{kind}-{uuid4().hex[:8]}" for kind in ("strategy", "decision", "rec", "process", "ws"))
A, B = "participant-a", "participant-b"
N1, N2 = "need-1", "need-2"

EXAMPLES: dict[tuple[str, int], dict[str, Any]] = {
    ("goal.defined", 1): {
        "goal_id": G1,
        "title": "Good lives for everyone",
        "level": "main_goal",
        "sdg_targets": ["3.4", "11.a"],
        "municipality_number": "3201",
    },
    ("goal.retired", 1): {"goal_id": G2, "retired_on": date(2024, 6, 1), "replaced_by_goal_id": G1},
    ("indicator.defined", 1): {
        "indicator_id": "ind-1",
        "goal_id": G1,
        "name": "Share of adults who are physically active",
        "unit": "percent",
        "source": "SSB",
        "baseline": Decimal("61.5"),
        "baseline_period": "2020",
        "target": Decimal("70"),
        "target_year": 2030,
    },
    ("indicator.measured", 1): {
        "indicator_id": "ind-1",
        "period": "2023-Q4",
        "value": Decimal("63.25"),
        "source": "KOSTRA",
        "corrects": True,
        "previous_value": Decimal("63.20"),
        "correction_reason": "revised by SSB",
    },
    ("plan.proposed", 1): {
        "plan_id": P1,
        "title": "Kommunedelplan for mobilitet",
        "plan_type": "kommunedelplan",
        "legal_basis": "PBL §11-1",
        "owning_unit": "Plan og bygg",
        "parent_plan_id": P2,
        "initiated_through_strategy": True,
        "strategy_id": S1,
        "strategy_item_id": "item-1",
        "proposed_on": date(2024, 11, 1),
    },
    ("plan.parent_changed", 1): {"plan_id": P1, "parent_plan_id": P3, "previous_parent_plan_id": P2},
    ("plan.anchored", 1): {"plan_id": P1, "goal_id": G1},
    ("plan.anchor_removed", 1): {"plan_id": P1, "goal_id": G2},
    ("plan.status_changed", 1): {
        "plan_id": P1,
        "from_status": "in_force",
        "to_status": "merged",
        "changed_on": date(2025, 3, 3),
        "decision_id": D1,
        "merged_into_plan_id": P3,
    },
    ("plan.revision_scheduled", 1): {"plan_id": P1, "revision_due": date(2027, 12, 31), "strategy_id": S1},
    ("strategy.drafted", 1): {
        "strategy_id": S1,
        "title": "Planstrategi 2024-2027",
        "election_period": "2024-2027",
        "council_constituted_on": date(2023, 10, 18),
        "drafted_on": date(2024, 3, 1),
        "recommendation_id": R1,
        "process_id": PR1,
    },
    ("strategy.item_set", 1): {
        "strategy_id": S1,
        "item_id": "item-1",
        "action": "merge",
        "plan_id": P1,
        "merge_into_plan_id": P3,
        "timing": "2025",
        "rationale": "Fewer plans: one mobility plan",
        "origin": "council_amendment",
        "decision_id": D1,
        "amendment_number": 2,
    },
    ("strategy.item_removed", 1): {"strategy_id": S1, "item_id": "item-2", "decision_id": D1, "amendment_number": 1},
    ("strategy.kommuneplan_assessed", 1): {"strategy_id": S1, "samfunnsdel": "continue", "arealdel": "revise"},
    ("strategy.evidence_cited", 1): {"strategy_id": S1, "evidence_id": "ev-1"},
    ("strategy.published", 1): {
        "strategy_id": S1,
        "published_on": date(2024, 8, 30),
        "planned_meeting_on": date(2024, 10, 16),
    },
    ("strategy.adopted", 1): {"strategy_id": S1, "decision_id": D1, "adopted_on": date(2024, 10, 16)},
    ("decision.recorded", 1): {
        "decision_id": D1,
        "body": "municipal_council",
        "body_name": "Bærum kommunestyre",
        "case_number": "24/01234",
        "meeting_date": date(2024, 10, 16),
        "subject": "Planstrategi 2024-2027",
        "outcome": "adopted_with_amendments",
        "votes": {"in_favour": 40, "against": 7, "blank": 0},
        "amendments": [
            {
                "number": 1,
                "text": "Keep the plan for culture",
                "proposed_by": "Ap",
                "adopted": True,
                "votes": {"in_favour": 30, "against": 17},
            },
            {"number": 2, "text": "Merge the mobility plans", "adopted": True},
        ],
        "strategy_id": S1,
        "plan_ids": [P1, P3],
    },
    ("plan.duplicate_merged", 1): {
        "plan_id": P3,
        "kept_plan_id": P1,
        "reason": "registered twice",
        "merged_on": date(2024, 5, 2),
    },
    ("decision.voided", 1): {
        "decision_id": D1,
        "reason": "recorded under the wrong meeting",
        "voided_on": date(2024, 10, 20),
        "replaced_by_decision_id": "decision-correct",
    },
    ("views.requested", 1): {
        "request_id": "req-1",
        "strategy_id": S1,
        "party_kind": "regional",
        "party_name": "Viken fylkeskommune",
        "sent_on": date(2024, 8, 20),
    },
    ("input.received", 1): {
        "input_id": "ext-1",
        "from_party": "Statsforvalteren i Oslo og Viken",
        "party_kind": "state",
        "received_on": date(2024, 9, 20),
        "strategy_id": S1,
        "summary": "Climate adaptation must be assessed",
    },
    ("evidence.recorded", 1): {
        "evidence_id": "ev-1",
        "kind": "public_health_overview",
        "title": "Folkehelseoversikt 2023",
        "dated": date(2023, 5, 1),
        "strategy_id": S1,
    },
    ("process.started", 1): {
        "process_id": PR1,
        "title": "Samskaping planstrategi",
        "purpose": "Political ownership of the strategy",
        "election_period": "2024-2027",
        "period_start": date(2023, 11, 1),
        "period_end": date(2024, 3, 1),
        "ground_rules": ["Clear roles and limits", "Everyone can take part"],
        "input_follow_up_days": 14,
    },
    ("process.phase_changed", 1): {
        "process_id": PR1,
        "from_phase": "preparation",
        "to_phase": "workshops",
        "changed_on": date(2023, 12, 1),
    },
    ("participant.enrolled", 1): {
        "process_id": PR1,
        "participant_id": A,
        "name": "Kari Nordmann",
        "kind": "elected_official",
        "party": "H",
        "body": "municipal_council",
        "role": "member",
        "substitute": False,
    },
    ("workshop.scheduled", 1): {
        "process_id": PR1,
        "workshop_id": W1,
        "title": "Kommunestyreseminar",
        "scheduled_on": date(2024, 1, 10),
        "starts_at": datetime(2024, 1, 10, 17, 0, tzinfo=timezone(timedelta(hours=1))),
        "format": "in_person",
        "agenda": ["Plan system", "Plan needs"],
    },
    ("workshop.held", 1): {
        "process_id": PR1,
        "workshop_id": W1,
        "held_on": date(2024, 1, 10),
        "attendee_ids": [A, B],
        "inputs_until": date(2024, 1, 24),
    },
    ("workshop.cancelled", 1): {"process_id": PR1, "workshop_id": "ws-2", "reason": "storm"},
    ("input.recorded", 1): {
        "process_id": PR1,
        "input_id": "in-1",
        "workshop_id": W1,
        "author_participant_id": A,
        "kind": "need",
        "text": "Too many overlapping mobility plans",
        "plan_ids": [P1, P3],
        "goal_ids": [G1],
    },
    ("plan_need.proposed", 1): {
        "process_id": PR1,
        "plan_need_id": N1,
        "kind": "merge",
        "title": "One mobility plan",
        "plan_id": P1,
        "merge_into_plan_id": P3,
        "derived_from_input_ids": ["in-1"],
    },
    ("prioritisation.opened", 1): {
        "process_id": PR1,
        "prioritisation_id": "prio-1",
        "method": "dot",
        "candidate_plan_need_ids": [N1, N2],
        "eligible_participant_ids": [A, B],
        "dots_per_participant": 5,
        "quorum": 2,
        "tie_break": "earliest proposed plan need first",
    },
    ("ballot.cast", 1): {
        "process_id": PR1,
        "prioritisation_id": "prio-1",
        "ballot_id": "ballot-2",
        "participant_id": A,
        "method": "dot",
        "dots": [{"plan_need_id": N1, "dots": 3}, {"plan_need_id": N2, "dots": 2}],
        "replaces_ballot_id": "ballot-1",
    },
    ("prioritisation.made", 1): {
        "process_id": PR1,
        "prioritisation_id": "prio-1",
        "method": "dot",
        "ranking": [
            {"plan_need_id": N1, "rank": 1, "score": Decimal("7")},
            {"plan_need_id": N2, "rank": 2, "score": Decimal("3")},
        ],
        "ballots_counted": 2,
        "counted_ballot_ids": ["ballot-2", "ballot-3"],
        "eligible_count": 2,
        "tie_break": "earliest proposed plan need first",
    },
    ("recommendation.issued", 1): {
        "process_id": PR1,
        "recommendation_id": R1,
        "prioritisation_id": "prio-1",
        "issued_on": date(2024, 2, 20),
        "election_period": "2024-2027",
        "council_constituted_on": date(2023, 10, 18),
        "items": [
            {
                "plan_need_id": N1,
                "action": "merge",
                "plan_id": P1,
                "merge_into_plan_id": P3,
                "plan_title": "Mobility",
                "timing": "2025",
                "rank": 1,
            },
            {
                "plan_need_id": N2,
                "action": "new",
                "plan_title": "Plan for culture",
                "plan_type": "temaplan",
                "timing": "2026",
                "rank": 2,
            },
        ],
    },
}


def example(event_type: str, version: int = 1) -> IntegrationEvent:
    return REGISTRY.model_for(event_type, version).model_validate(EXAMPLES[(event_type, version)])


def seal_chain(payloads: list[IntegrationEvent], source: str = "plan-registry") -> list[Envelope]:
    """Envelopes 1..n of one source, chained from the genesis hash, as a relay would seal them."""
    chain: list[Envelope] = []
    prev = GENESIS_HASH
    start = datetime(2024, 10, 16, 8, 0, tzinfo=UTC)
    for position, payload in enumerate(payloads, start=1):
        envelope = Envelope.seal(
            prev,
            event_id=derive_event_id(f"agg-{position}", 1),
            position=position,
            aggregate_id=f"agg-{position}",
            aggregate_version=1,
            occurred_at=start + timedelta(minutes=position),
            actor={"id": "u-1", "name": "Ola Planlegger", "role": "planner"},
            correlation_id="corr-1",
            causation_id=None,
            payload=payload,
        )
        chain.append(envelope)
        prev = envelope.hash
    return chain


@pytest.fixture
def plan_registry_chain() -> list[Envelope]:
    models = [m for m in REGISTRY if m.event_source == "plan-registry"]
    return seal_chain([example(m.event_type, m.schema_version) for m in models])


@pytest.fixture
def examples() -> dict[tuple[str, int], dict[str, Any]]:
    return EXAMPLES


@pytest.fixture
def make_example():
    return example


@pytest.fixture
def seal():
    return seal_chain
