"""A municipality's 2024 history, entered long after it happened, in an order the causal rules allow.

The two-times tests (``test_kq_two_times``, ``test_kq_entry_order``) load it: every envelope is
recorded today-ish (``occurred_at``), while the payloads carry the days things happened in 2023
and 2024 (``proposed_on``, ``held_on``, ``cast_on``, ``adopted_on``...). Node ids and event ids
are fixed (event ids by name), so the same history entered in another order is the same set of
facts: only the recorded times, the positions and the hash chains differ.

1. A plan from 2015 (``P_OLD``), anchored in a goal, revision due 2023-12-31.
2. Co-creation, Nov 2023 - Jan 2024: a seminar held 2023-11-15, inputs IN1 (need) and IN2
   (feedback, leads nowhere), need N1 proposed 2023-11-20, a prioritisation with ballots cast
   2023-12-02 (B1, B2) and 2023-12-03 (B3 replaces B2), made 2023-12-05, a recommendation 2024-01-10.
3. The strategy S: drafted 2024-01-15 (council constituted 2023-10-19), item IT from N1,
   evidence and inputs from state, region and a neighbour, published 2024-04-20, adopted
   2024-06-12 by decision D.
4. After: plan P_NEW proposed 2024-08-01 through IT; plan P_OUT proposed 2024-09-01 outside,
   repealed 2025-02-01.

Each event belongs to a *chain* (an aggregate and what must follow it): the order within a
chain is causal and kept; chains interleave freely, across and within the two sources.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from kn_story import Chain

from planspor_shared.envelope import Envelope
from planspor_shared.events import cocreation as cc
from planspor_shared.events import plan_registry as pr
from planspor_shared.events.base import Body, PlanType, StrategyAction, municipal_day

NAMESPACE = uuid.UUID("6f1d3c1e-2d7b-4a53-9a57-0c4b8f1f0b11")

IDS = {
    name: f"hist-{name.lower().replace('_', '-')}"
    for name in (
        "G",
        "P_OLD",
        "P_NEW",
        "P_OUT",
        "E_PHO",
        "PROC",
        "PA",
        "PB",
        "W1",
        "IN1",
        "IN2",
        "N1",
        "PR",
        "B1",
        "B2",
        "B3",
        "REC",
        "S",
        "IT",
        "X1",
        "X2",
        "X3",
        "D",
    )
}


@dataclass(frozen=True)
class Step:
    name: str
    source: str
    chain: str
    payload: Any

    @property
    def event_id(self) -> uuid.UUID:
        return uuid.uuid5(NAMESPACE, self.name)


def steps() -> list[Step]:
    """The history in the order it happened (the first order it may be entered in)."""
    i = IDS
    out: list[Step] = []

    def r(name: str, chain: str, payload: Any) -> None:
        out.append(Step(name, "plan-registry", chain, payload))

    def c(name: str, chain: str, payload: Any) -> None:
        out.append(Step(name, "cocreation", chain, payload))

    r("g", "goal", pr.GoalDefined(goal_id=i["G"], title="Godt liv"))
    r(
        "p_old",
        "p_old",
        pr.PlanProposed(
            plan_id=i["P_OLD"],
            title="Klimaplan",
            plan_type=PlanType.TEMAPLAN,
            owning_unit="Miljø",
            initiated_through_strategy=False,
            proposed_on=date(2015, 3, 1),
        ),
    )
    r("p_old_anchored", "p_old", pr.PlanAnchored(plan_id=i["P_OLD"], goal_id=i["G"], anchored_on=date(2015, 4, 1)))
    r(
        "p_old_in_force",
        "p_old",
        pr.PlanStatusChanged(
            plan_id=i["P_OLD"],
            from_status=pr.PlanStatus.PROPOSED,
            to_status=pr.PlanStatus.IN_FORCE,
            changed_on=date(2015, 6, 1),
        ),
    )
    r("p_old_due", "p_old", pr.PlanRevisionScheduled(plan_id=i["P_OLD"], revision_due=date(2023, 12, 31)))
    r(
        "e_pho",
        "evidence",
        pr.EvidenceRecorded(
            evidence_id=i["E_PHO"],
            kind=pr.EvidenceKind.PUBLIC_HEALTH_OVERVIEW,
            title="Folkehelseoversikt 2023",
            dated=date(2023, 8, 15),
        ),
    )
    # co-creation
    c(
        "proc",
        "proc",
        cc.ProcessStarted(
            process_id=i["PROC"],
            title="Samskaping",
            purpose="Planstrategi 2024-2027",
            election_period="2024-2027",
            period_start=date(2023, 11, 1),
        ),
    )
    for name, who in (("PA", "Ola"), ("PB", "Kari")):
        c(
            name.lower(),
            name.lower(),
            cc.ParticipantEnrolled(
                process_id=i["PROC"],
                participant_id=i[name],
                name=who,
                kind=cc.ParticipantKind.ELECTED_OFFICIAL,
                party="H",
                body=Body.MUNICIPAL_COUNCIL,
            ),
        )
    c(
        "w1",
        "w1",
        cc.WorkshopScheduled(
            process_id=i["PROC"],
            workshop_id=i["W1"],
            title="Kommunestyreseminar",
            scheduled_on=date(2023, 11, 15),
            format=cc.WorkshopFormat.IN_PERSON,
        ),
    )
    c(
        "w1_held",
        "w1",
        cc.WorkshopHeld(
            process_id=i["PROC"], workshop_id=i["W1"], held_on=date(2023, 11, 15), attendee_ids=(i["PA"], i["PB"])
        ),
    )
    for name, author, kind, text in (
        ("IN1", "PA", cc.InputKind.NEED, "Vi trenger en mobilitetsplan"),
        ("IN2", "PB", cc.InputKind.FEEDBACK, "Godt lokale"),
    ):
        c(
            name.lower(),
            "w1",
            cc.InputRecorded(
                process_id=i["PROC"],
                input_id=i[name],
                workshop_id=i["W1"],
                author_participant_id=i[author],
                kind=kind,
                text=text,
                raised_on=date(2023, 11, 15),
            ),
        )
    c(
        "n1",
        "w1",
        cc.PlanNeedProposed(
            process_id=i["PROC"],
            plan_need_id=i["N1"],
            kind=cc.PlanNeedKind.NEW,
            title="Mobilitetsplan",
            plan_type=PlanType.TEMAPLAN,
            derived_from_input_ids=(i["IN1"],),
            proposed_on=date(2023, 11, 20),
        ),
    )
    c(
        "pr",
        "pr",
        cc.PrioritisationOpened(
            process_id=i["PROC"],
            prioritisation_id=i["PR"],
            method=cc.PrioritisationMethod.APPROVAL,
            candidate_plan_need_ids=(i["N1"],),
            eligible_participant_ids=(i["PA"], i["PB"]),
            quorum=2,
            tie_break="most first places",
        ),
    )
    for name, who, approved, day in (
        ("B1", "PA", (i["N1"],), date(2023, 12, 2)),
        ("B2", "PB", (i["N1"],), date(2023, 12, 2)),
        ("B3", "PB", (i["N1"],), date(2023, 12, 3)),
    ):
        c(
            name.lower(),
            "pr",
            cc.BallotCast(
                process_id=i["PROC"],
                prioritisation_id=i["PR"],
                ballot_id=i[name],
                participant_id=i[who],
                method=cc.PrioritisationMethod.APPROVAL,
                approved=approved,
                cast_on=day,
            ),
        )
    c(
        "pr_made",
        "pr",
        cc.PrioritisationMade(
            process_id=i["PROC"],
            prioritisation_id=i["PR"],
            method=cc.PrioritisationMethod.APPROVAL,
            ranking=(cc.RankedNeed(plan_need_id=i["N1"], rank=1, score=Decimal("2")),),
            ballots_counted=2,
            counted_ballot_ids=(i["B1"], i["B3"]),
            eligible_count=2,
            tie_break="most first places",
            made_on=date(2023, 12, 5),
        ),
    )
    c(
        "rec",
        "pr",
        cc.RecommendationIssued(
            process_id=i["PROC"],
            recommendation_id=i["REC"],
            prioritisation_id=i["PR"],
            issued_on=date(2024, 1, 10),
            election_period="2024-2027",
            items=(
                cc.RecommendedNeed(
                    plan_need_id=i["N1"], action=StrategyAction.NEW, plan_title="Mobilitetsplan", timing="2025", rank=1
                ),
            ),
        ),
    )
    # the strategy
    r(
        "s_drafted",
        "s",
        pr.StrategyDrafted(
            strategy_id=i["S"],
            title="Planstrategi 2024-2027",
            election_period="2024-2027",
            council_constituted_on=date(2023, 10, 19),
            drafted_on=date(2024, 1, 15),
            recommendation_id=i["REC"],
            process_id=i["PROC"],
        ),
    )
    r(
        "it",
        "s",
        pr.StrategyItemSet(
            strategy_id=i["S"],
            item_id=i["IT"],
            action=StrategyAction.NEW,
            plan_title="Mobilitetsplan",
            timing="2025",
            rationale="Fra samskaping",
            origin=pr.ItemOrigin.PLAN_NEED,
            plan_need_id=i["N1"],
        ),
    )
    r("s_cites", "s", pr.StrategyEvidenceCited(strategy_id=i["S"], evidence_id=i["E_PHO"]))
    r(
        "s_assessed",
        "s",
        pr.StrategyKommuneplanAssessed(
            strategy_id=i["S"], samfunnsdel=pr.KommuneplanAssessment.CONTINUE, arealdel=pr.KommuneplanAssessment.REVISE
        ),
    )
    for name, party, kind, day in (
        ("X1", "Statsforvalteren", pr.PartyKind.STATE, date(2024, 2, 10)),
        ("X2", "Viken fylkeskommune", pr.PartyKind.REGIONAL, date(2024, 2, 11)),
        ("X3", "Asker kommune", pr.PartyKind.NEIGHBOUR_MUNICIPALITY, date(2024, 5, 2)),
    ):
        r(
            name.lower(),
            name.lower(),
            pr.InputReceived(
                input_id=i[name],
                from_party=party,
                party_kind=kind,
                received_on=day,
                strategy_id=i["S"],
                summary="Innspill",
            ),
        )
    r(
        "s_published",
        "s",
        pr.StrategyPublished(strategy_id=i["S"], published_on=date(2024, 4, 20), planned_meeting_on=date(2024, 6, 12)),
    )
    r(
        "d",
        "s",
        pr.DecisionRecorded(
            decision_id=i["D"],
            body=Body.MUNICIPAL_COUNCIL,
            case_number="24/100",
            meeting_date=date(2024, 6, 12),
            subject="Planstrategi 2024-2027",
            outcome=pr.DecisionOutcome.ADOPTED,
            strategy_id=i["S"],
        ),
    )
    r("s_adopted", "s", pr.StrategyAdopted(strategy_id=i["S"], decision_id=i["D"], adopted_on=date(2024, 6, 12)))
    r(
        "p_new",
        "p_new",
        pr.PlanProposed(
            plan_id=i["P_NEW"],
            title="Mobilitetsplan",
            plan_type=PlanType.TEMAPLAN,
            owning_unit="Samferdsel",
            initiated_through_strategy=True,
            strategy_id=i["S"],
            strategy_item_id=i["IT"],
            proposed_on=date(2024, 8, 1),
        ),
    )
    r(
        "p_out",
        "p_out",
        pr.PlanProposed(
            plan_id=i["P_OUT"],
            title="Idrettsplan",
            plan_type=PlanType.TEMAPLAN,
            owning_unit="Kultur",
            initiated_through_strategy=False,
            proposed_on=date(2024, 9, 1),
        ),
    )
    r(
        "p_out_repealed",
        "p_out",
        pr.PlanStatusChanged(
            plan_id=i["P_OUT"],
            from_status=pr.PlanStatus.PROPOSED,
            to_status=pr.PlanStatus.REPEALED,
            changed_on=date(2025, 2, 1),
        ),
    )
    return out


def causal_order(history: list[Step], rng: random.Random) -> list[Step]:
    """A random interleaving of the chains that keeps each chain's order."""
    chains: dict[str, list[Step]] = {}
    for step in history:
        chains.setdefault(step.chain, []).append(step)
    queues = {name: list(reversed(chain)) for name, chain in chains.items()}
    out: list[Step] = []
    while queues:
        name = rng.choice(sorted(queues))
        out.append(queues[name].pop())
        if not queues[name]:
            del queues[name]
    return out


def entry_start(now: datetime | None = None) -> datetime:
    """When entering begins: about an hour ago, moved back so that the whole entry falls on one Norwegian day
    (the day of entry stands in as the effective date of the events that carry none)."""
    start = (now or datetime.now(UTC)) - timedelta(hours=1)
    if municipal_day(start) != municipal_day(start + timedelta(minutes=30)):
        start -= timedelta(hours=2)
    return start


@dataclass
class Entered:
    envelopes: list[Envelope]
    """In the order entered (both sources interleaved)."""
    event: dict[str, str]
    """Event id by step name."""
    occurred_at: dict[str, datetime]


def enter(order: list[Step], start: datetime, rng: random.Random | None = None, max_gap: int = 20) -> Entered:
    """Seal the steps in ``order``, recorded from ``start`` on, 5 seconds apart (with ``rng``: 1 to ``max_gap``)."""
    chains = {"plan-registry": Chain("plan-registry"), "cocreation": Chain("cocreation")}
    versions: dict[str, int] = {}
    at = start
    entered = Entered([], {}, {})
    for step in order:
        at += timedelta(seconds=rng.randint(1, max_gap) if rng else 5)
        versions[step.chain] = versions.get(step.chain, 0) + 1
        envelope = chains[step.source].seal(
            step.payload,
            at,
            event_id=step.event_id,
            aggregate_id=str(uuid.uuid5(NAMESPACE, step.chain)),
            aggregate_version=versions[step.chain],
        )
        entered.envelopes.append(envelope)
        entered.event[step.name] = str(step.event_id)
        entered.occurred_at[step.name] = at
    return entered


async def project(driver: Any, envelopes: list[Envelope], batch: int = 10) -> None:
    """Empty the graph and project the envelopes through the projector's own writer, a few per batch."""
    from kn_story import STORY_KEYS

    from knowledge.graph.schema import empty_graph, ensure_constraints
    from knowledge.pipeline.graph_writer import GraphWriter
    from knowledge.pipeline.ordering import decode

    await empty_graph(driver)
    await ensure_constraints(driver)
    writer = GraphWriter(driver, keys=STORY_KEYS)
    for first in range(0, len(envelopes), batch):
        await writer.project([decode(e.to_canonical(), msg_id=e.nats_msg_id) for e in envelopes[first : first + batch]])
