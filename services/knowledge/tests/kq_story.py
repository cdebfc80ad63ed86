"""The story the query tests (and one golden checksum) are written for: two plan strategies, one co-creation round.

It is sealed as envelopes of both sources (``kn_story.Chain``), so the queries read the
graph the projector really writes. ``Story.ids`` names every node, ``Story.event`` every
event id, by the names below.

1. 2020: strategy S2 (constituted 2019-10-15) cites a 2015 public health overview, one
   state input, published 2020-09-15, adopted 2020-10-21: late, no kommuneplan assessment.
2. 2023: goals G1 (with indicator I1), G2, G3; plan A (anchored in G2, in force,
   revision due 2024-01-01), plan B (anchored in G3, revision due 2025-06-01);
   a public health overview dated 2023-08-15.
3. Nov 2023 - Jan 2024: co-creation: a workshop, inputs IN1..IN4 (IN3 is feedback and leads
   nowhere), needs N1 (from IN1), N2 (from IN2, revise B), N3 (from IN4); a Borda
   prioritisation ranks N1, N2, N3; the recommendation takes N1 and N2.
4. 2024: strategy S drafted from it with items IT1 (N1) and IT2 (N2), inputs from state,
   region and a neighbour, published 2024-04-01, adopted 2024-06-12 by decision D,
   which removes IT2.
5. After: plan C started through IT1, plan D started outside; A under revision; G3
   retired; D repealed; A's anchoring removed.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from kn_story import Chain, rid

from planspor_shared.events import cocreation as cc
from planspor_shared.events import plan_registry as pr
from planspor_shared.events import plan_vocabulary as pv
from planspor_shared.events.base import Body, PlanType, StrategyAction


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


class Story:
    def __init__(self) -> None:
        self.registry, self.cocreation = Chain("plan-registry"), Chain("cocreation")
        self.ids = {
            name: rid(name.lower())
            for name in (
                "S2",
                "D2",
                "E_OLD",
                "X0",
                "G1",
                "G2",
                "G3",
                "I1",
                "A",
                "B",
                "C",
                "D_PLAN",
                "E_PHO",
                "PROC",
                "PA",
                "PB",
                "PC",
                "W1",
                "IN1",
                "IN2",
                "IN3",
                "IN4",
                "N1",
                "N2",
                "N3",
                "PR",
                "B1",
                "B2",
                "B3",
                "REC",
                "S",
                "IT1",
                "IT2",
                "X1",
                "X2",
                "X3",
                "D",
            )
        }
        self.event = {}

    def r(self, name: str, payload, at: datetime) -> None:
        self.event[name] = str(self.registry.seal(payload, at).event_id)

    def c(self, name: str, payload, at: datetime) -> None:
        self.event[name] = str(self.cocreation.seal(payload, at).event_id)


def write_story() -> Story:
    s = Story()
    i = s.ids
    # 1. the previous strategy, 2020
    s.r(
        "e_old",
        pr.EvidenceRecorded(
            evidence_id=i["E_OLD"],
            kind=pr.EvidenceKind.PUBLIC_HEALTH_OVERVIEW,
            title="Folkehelseoversikt 2015",
            dated=date(2015, 1, 1),
        ),
        utc(2020, 2, 1),
    )
    s.r(
        "s2_drafted",
        pr.StrategyDrafted(
            strategy_id=i["S2"],
            title="Planstrategi 2020-2023",
            election_period="2020-2023",
            council_constituted_on=date(2019, 10, 15),
            drafted_on=date(2020, 3, 1),
        ),
        utc(2020, 3, 1),
    )
    s.r("s2_cites", pr.StrategyEvidenceCited(strategy_id=i["S2"], evidence_id=i["E_OLD"]), utc(2020, 3, 2))
    s.r(
        "x0",
        pr.InputReceived(
            input_id=i["X0"],
            from_party="Fylkesmannen",
            party_kind=pr.PartyKind.STATE,
            received_on=date(2020, 5, 1),
            strategy_id=i["S2"],
            summary="Innspill",
        ),
        utc(2020, 5, 1),
    )
    s.r("s2_published", pr.StrategyPublished(strategy_id=i["S2"], published_on=date(2020, 9, 15)), utc(2020, 9, 15))
    s.r(
        "d2",
        pr.DecisionRecorded(
            decision_id=i["D2"],
            body=Body.MUNICIPAL_COUNCIL,
            case_number="20/900",
            meeting_date=date(2020, 10, 21),
            subject="Planstrategi 2020-2023",
            outcome=pr.DecisionOutcome.ADOPTED,
            strategy_id=i["S2"],
        ),
        utc(2020, 10, 21, 18),
    )
    s.r(
        "s2_adopted",
        pr.StrategyAdopted(strategy_id=i["S2"], decision_id=i["D2"], adopted_on=date(2020, 10, 21)),
        utc(2020, 10, 21, 19),
    )
    # 2. goals and plans, 2023
    s.r("g1", pr.GoalDefined(goal_id=i["G1"], title="Mangfold"), utc(2023, 1, 10))
    s.r("g2", pr.GoalDefined(goal_id=i["G2"], title="Bærekraft"), utc(2023, 1, 10, 11))
    s.r("g3", pr.GoalDefined(goal_id=i["G3"], title="Raushet"), utc(2023, 1, 11))
    s.r(
        "i1",
        pr.IndicatorDefined(
            indicator_id=i["I1"], goal_id=i["G1"], name="Andel aktive", unit="%", source=pr.IndicatorSource.SSB
        ),
        utc(2023, 1, 12),
    )
    s.r(
        "a",
        pr.PlanProposed(
            plan_id=i["A"],
            title="Klimaplan",
            plan_type=PlanType.TEMAPLAN,
            owning_unit="Miljø",
            initiated_through_strategy=False,
            proposed_on=date(2023, 1, 15),
        ),
        utc(2023, 1, 15),
    )
    s.r("a_anchored", pr.PlanAnchored(plan_id=i["A"], goal_id=i["G2"]), utc(2023, 1, 16))
    s.r(
        "b",
        pr.PlanProposed(
            plan_id=i["B"],
            title="Boligplan",
            plan_type=PlanType.KOMMUNEDELPLAN,
            owning_unit="Plan",
            initiated_through_strategy=False,
            proposed_on=date(2023, 1, 20),
        ),
        utc(2023, 1, 20),
    )
    s.r("b_anchored", pr.PlanAnchored(plan_id=i["B"], goal_id=i["G3"]), utc(2023, 1, 21))
    s.r(
        "a_in_force",
        pr.PlanStatusChanged(
            plan_id=i["A"],
            from_status=pr.PlanStatus.PROPOSED,
            to_status=pr.PlanStatus.IN_FORCE,
            changed_on=date(2023, 2, 1),
        ),
        utc(2023, 2, 1),
    )
    s.r("a_due", pr.PlanRevisionScheduled(plan_id=i["A"], revision_due=date(2024, 1, 1)), utc(2023, 2, 2))
    s.r("b_due", pr.PlanRevisionScheduled(plan_id=i["B"], revision_due=date(2025, 6, 1)), utc(2023, 3, 1))
    s.r(
        "e_pho",
        pr.EvidenceRecorded(
            evidence_id=i["E_PHO"],
            kind=pr.EvidenceKind.PUBLIC_HEALTH_OVERVIEW,
            title="Folkehelseoversikt 2023",
            dated=date(2023, 8, 15),
        ),
        utc(2023, 9, 1),
    )
    # 3. co-creation
    s.c(
        "proc",
        cc.ProcessStarted(
            process_id=i["PROC"],
            title="Samskaping",
            purpose="Planstrategi 2024-2027",
            election_period="2024-2027",
            period_start=date(2023, 11, 1),
        ),
        utc(2023, 11, 1),
    )
    for name, who, kind, extra in (
        ("PA", "Ola", cc.ParticipantKind.ELECTED_OFFICIAL, {"party": "H", "body": Body.MUNICIPAL_COUNCIL}),
        ("PB", "Kari", cc.ParticipantKind.ELECTED_OFFICIAL, {"party": "Ap", "body": Body.MUNICIPAL_COUNCIL}),
        ("PC", "Eva", cc.ParticipantKind.ADMINISTRATION, {"unit": "Plan"}),
    ):
        s.c(
            name.lower(),
            cc.ParticipantEnrolled(process_id=i["PROC"], participant_id=i[name], name=who, kind=kind, **extra),
            utc(2023, 11, 2, 9 + len(s.event) % 5),
        )
    s.c(
        "w1",
        cc.WorkshopScheduled(
            process_id=i["PROC"],
            workshop_id=i["W1"],
            title="Kommunestyreseminar",
            scheduled_on=date(2023, 11, 15),
            format=cc.WorkshopFormat.IN_PERSON,
        ),
        utc(2023, 11, 3),
    )
    s.c(
        "w1_held",
        cc.WorkshopHeld(
            process_id=i["PROC"],
            workshop_id=i["W1"],
            held_on=date(2023, 11, 15),
            attendee_ids=(i["PA"], i["PB"], i["PC"]),
        ),
        utc(2023, 11, 15, 12),
    )
    for hour, (name, author, kind, text, plans) in enumerate(
        (
            ("IN1", "PA", cc.InputKind.NEED, "Vi trenger en mobilitetsplan", ()),
            ("IN2", "PB", cc.InputKind.PROPOSAL, "Revider boligplanen", (i["B"],)),
            ("IN3", "PC", cc.InputKind.FEEDBACK, "Godt lokale", ()),
            ("IN4", "PA", cc.InputKind.IDEA, "En idrettsplan", ()),
        ),
        start=13,
    ):
        s.c(
            name.lower(),
            cc.InputRecorded(
                process_id=i["PROC"],
                input_id=i[name],
                workshop_id=i["W1"],
                author_participant_id=i[author],
                kind=kind,
                text=text,
                plan_ids=plans,
            ),
            utc(2023, 11, 15, hour),
        )
    s.c(
        "n1",
        cc.PlanNeedProposed(
            process_id=i["PROC"],
            plan_need_id=i["N1"],
            kind=cc.PlanNeedKind.NEW,
            title="Mobilitetsplan",
            plan_type=PlanType.TEMAPLAN,
            derived_from_input_ids=(i["IN1"],),
        ),
        utc(2023, 11, 20, 9),
    )
    s.c(
        "n2",
        cc.PlanNeedProposed(
            process_id=i["PROC"],
            plan_need_id=i["N2"],
            kind=cc.PlanNeedKind.REVISE,
            title="Revidert boligplan",
            plan_id=i["B"],
            derived_from_input_ids=(i["IN2"],),
        ),
        utc(2023, 11, 20, 10),
    )
    s.c(
        "n3",
        cc.PlanNeedProposed(
            process_id=i["PROC"],
            plan_need_id=i["N3"],
            kind=cc.PlanNeedKind.NEW,
            title="Idrettsplan",
            derived_from_input_ids=(i["IN4"],),
        ),
        utc(2023, 11, 20, 11),
    )
    needs = (i["N1"], i["N2"], i["N3"])
    s.c(
        "pr",
        cc.PrioritisationOpened(
            process_id=i["PROC"],
            prioritisation_id=i["PR"],
            method=cc.PrioritisationMethod.BORDA,
            candidate_plan_need_ids=needs,
            eligible_participant_ids=(i["PA"], i["PB"]),
            quorum=2,
            tie_break="most first places",
        ),
        utc(2023, 12, 1),
    )
    for name, who, ranking, at in (
        ("B1", "PA", needs, utc(2023, 12, 2, 10)),
        ("B2", "PB", (i["N2"], i["N1"], i["N3"]), utc(2023, 12, 2, 13)),
        ("B3", "PB", needs, utc(2023, 12, 3)),
    ):
        s.c(
            name.lower(),
            cc.BallotCast(
                process_id=i["PROC"],
                prioritisation_id=i["PR"],
                ballot_id=i[name],
                participant_id=i[who],
                method=cc.PrioritisationMethod.BORDA,
                ranking=ranking,
            ),
            at,
        )
    s.c(
        "pr_made",
        cc.PrioritisationMade(
            process_id=i["PROC"],
            prioritisation_id=i["PR"],
            method=cc.PrioritisationMethod.BORDA,
            ranking=tuple(
                cc.RankedNeed(plan_need_id=n, rank=k, score=Decimal(sc))
                for k, (n, sc) in enumerate(zip(needs, ("4", "2", "0")), start=1)
            ),
            ballots_counted=2,
            counted_ballot_ids=(i["B1"], i["B3"]),
            eligible_count=2,
            tie_break="most first places",
        ),
        utc(2023, 12, 5),
    )
    s.c(
        "rec",
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
                cc.RecommendedNeed(
                    plan_need_id=i["N2"],
                    action=StrategyAction.REVISE,
                    plan_id=i["B"],
                    plan_title="Boligplan",
                    timing="2024-2025",
                    rank=2,
                ),
            ),
        ),
        utc(2024, 1, 10),
    )
    # 4. the strategy
    s.r(
        "s_drafted",
        pr.StrategyDrafted(
            strategy_id=i["S"],
            title="Planstrategi 2024-2027",
            election_period="2024-2027",
            council_constituted_on=date(2023, 10, 19),
            drafted_on=date(2024, 1, 15),
            recommendation_id=i["REC"],
            process_id=i["PROC"],
        ),
        utc(2024, 1, 15),
    )
    s.r(
        "it1",
        pr.StrategyItemSet(
            strategy_id=i["S"],
            item_id=i["IT1"],
            action=StrategyAction.NEW,
            plan_title="Mobilitetsplan",
            timing="2025",
            rationale="Fra samskaping",
            origin=pr.ItemOrigin.PLAN_NEED,
            plan_need_id=i["N1"],
        ),
        utc(2024, 1, 16, 10),
    )
    s.r(
        "it2",
        pr.StrategyItemSet(
            strategy_id=i["S"],
            item_id=i["IT2"],
            action=StrategyAction.REVISE,
            plan_id=i["B"],
            timing="2024-2025",
            rationale="Fra samskaping",
            origin=pr.ItemOrigin.PLAN_NEED,
            plan_need_id=i["N2"],
        ),
        utc(2024, 1, 16, 11),
    )
    s.r("s_cites", pr.StrategyEvidenceCited(strategy_id=i["S"], evidence_id=i["E_PHO"]), utc(2024, 1, 20))
    s.r(
        "s_assessed",
        pr.StrategyKommuneplanAssessed(
            strategy_id=i["S"], samfunnsdel=pr.KommuneplanAssessment.CONTINUE, arealdel=pr.KommuneplanAssessment.REVISE
        ),
        utc(2024, 2, 1),
    )
    s.r(
        "x1",
        pr.InputReceived(
            input_id=i["X1"],
            from_party="Statsforvalteren",
            party_kind=pr.PartyKind.STATE,
            received_on=date(2024, 2, 10),
            strategy_id=i["S"],
            summary="Innspill",
        ),
        utc(2024, 2, 10),
    )
    s.r(
        "x2",
        pr.InputReceived(
            input_id=i["X2"],
            from_party="Viken fylkeskommune",
            party_kind=pr.PartyKind.REGIONAL,
            received_on=date(2024, 2, 11),
            strategy_id=i["S"],
            summary="Innspill",
        ),
        utc(2024, 2, 11),
    )
    s.r(
        "s_published",
        pr.StrategyPublished(strategy_id=i["S"], published_on=date(2024, 4, 1), planned_meeting_on=date(2024, 6, 12)),
        utc(2024, 4, 1),
    )
    s.r(
        "x3",
        pr.InputReceived(
            input_id=i["X3"],
            from_party="Asker kommune",
            party_kind=pr.PartyKind.NEIGHBOUR_MUNICIPALITY,
            received_on=date(2024, 4, 15),
            strategy_id=i["S"],
            summary="Innspill",
        ),
        utc(2024, 4, 15),
    )
    s.r(
        "d",
        pr.DecisionRecorded(
            decision_id=i["D"],
            body=Body.MUNICIPAL_COUNCIL,
            case_number="24/100",
            meeting_date=date(2024, 6, 12),
            subject="Planstrategi 2024-2027",
            outcome=pr.DecisionOutcome.ADOPTED_WITH_AMENDMENTS,
            strategy_id=i["S"],
            amendments=(pv.Amendment(number=1, text="Boligplanen videreføres", adopted=True),),
        ),
        utc(2024, 6, 12, 18),
    )
    s.r(
        "it2_removed",
        pr.StrategyItemRemoved(
            strategy_id=i["S"], item_id=i["IT2"], decision_id=i["D"], amendment_number=1, reason="videreføres"
        ),
        utc(2024, 6, 12, 18, 5),
    )
    s.r(
        "s_adopted",
        pr.StrategyAdopted(strategy_id=i["S"], decision_id=i["D"], adopted_on=date(2024, 6, 12)),
        utc(2024, 6, 12, 18, 10),
    )
    # 5. afterwards
    s.r(
        "c",
        pr.PlanProposed(
            plan_id=i["C"],
            title="Mobilitetsplan",
            plan_type=PlanType.TEMAPLAN,
            owning_unit="Samferdsel",
            initiated_through_strategy=True,
            strategy_id=i["S"],
            strategy_item_id=i["IT1"],
            proposed_on=date(2024, 8, 1),
        ),
        utc(2024, 8, 1),
    )
    s.r(
        "d_plan",
        pr.PlanProposed(
            plan_id=i["D_PLAN"],
            title="Idrettsplan",
            plan_type=PlanType.TEMAPLAN,
            owning_unit="Kultur",
            initiated_through_strategy=False,
            proposed_on=date(2024, 9, 1),
        ),
        utc(2024, 9, 1),
    )
    s.r("c_anchored", pr.PlanAnchored(plan_id=i["C"], goal_id=i["G1"]), utc(2024, 9, 5))
    s.r(
        "a_revision",
        pr.PlanStatusChanged(
            plan_id=i["A"],
            from_status=pr.PlanStatus.IN_FORCE,
            to_status=pr.PlanStatus.UNDER_REVISION,
            changed_on=date(2024, 10, 1),
        ),
        utc(2024, 10, 1),
    )
    s.r("g3_retired", pr.GoalRetired(goal_id=i["G3"], retired_on=date(2024, 11, 1)), utc(2024, 11, 1))
    s.r(
        "d_repealed",
        pr.PlanStatusChanged(
            plan_id=i["D_PLAN"],
            from_status=pr.PlanStatus.PROPOSED,
            to_status=pr.PlanStatus.REPEALED,
            changed_on=date(2025, 2, 1),
        ),
        utc(2025, 2, 1),
    )
    s.r("a_unanchored", pr.PlanAnchorRemoved(plan_id=i["A"], goal_id=i["G2"]), utc(2025, 3, 1))
    return s
