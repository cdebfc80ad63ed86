"""The query API on a story written for it: each answer checked exactly, as of several dates.

The story (two plan strategies, one co-creation round, plans, goals) is sealed as
envelopes of both sources and written through the projector's own code
(``GraphWriter.project``), so the queries read the graph the projector really writes.

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

import asyncio
import socket
from datetime import date, datetime, timezone
from decimal import Decimal

import httpx
import neo4j
import pytest
from fastapi import FastAPI

from kn_story import Chain, rid
from planspor_runtime.access import DEVELOPMENT_TOKENS, Access, Role, parse_tokens
from planspor_runtime.problems import MEDIA_TYPE
from planspor_shared.events import cocreation as cc
from planspor_shared.events import plan_registry as pr
from planspor_shared.events.base import Body, PlanType, StrategyAction

from knowledge.api import query_router
from knowledge.api.problems import install_problems
from knowledge.graph import queries
from knowledge.graph.schema import empty_graph, ensure_constraints
from knowledge.pipeline.ordering import decode
from knowledge.pipeline.graph_writer import GraphWriter

pytestmark = pytest.mark.integration


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


class Story:
    def __init__(self) -> None:
        self.registry, self.cocreation = Chain("plan-registry"), Chain("cocreation")
        self.ids = {name: rid(name.lower()) for name in (
            "S2", "D2", "E_OLD", "X0", "G1", "G2", "G3", "I1", "A", "B", "C", "D_PLAN", "E_PHO", "PROC", "PA", "PB",
            "PC", "W1", "IN1", "IN2", "IN3", "IN4", "N1", "N2", "N3", "PR", "B1", "B2", "B3", "REC", "S", "IT1",
            "IT2", "X1", "X2", "X3", "D")}
        self.event = {}

    def r(self, name: str, payload, at: datetime) -> None:
        self.event[name] = str(self.registry.seal(payload, at).event_id)

    def c(self, name: str, payload, at: datetime) -> None:
        self.event[name] = str(self.cocreation.seal(payload, at).event_id)


def write_story() -> Story:
    s = Story()
    i = s.ids
    # 1. the previous strategy, 2020
    s.r("e_old", pr.EvidenceRecorded(evidence_id=i["E_OLD"], kind=pr.EvidenceKind.PUBLIC_HEALTH_OVERVIEW,
                                     title="Folkehelseoversikt 2015", dated=date(2015, 1, 1)), utc(2020, 2, 1))
    s.r("s2_drafted", pr.StrategyDrafted(strategy_id=i["S2"], title="Planstrategi 2020-2023", election_period="2020-2023",
                                         council_constituted_on=date(2019, 10, 15), drafted_on=date(2020, 3, 1)),
        utc(2020, 3, 1))
    s.r("s2_cites", pr.StrategyEvidenceCited(strategy_id=i["S2"], evidence_id=i["E_OLD"]), utc(2020, 3, 2))
    s.r("x0", pr.InputReceived(input_id=i["X0"], from_party="Fylkesmannen", party_kind=pr.PartyKind.STATE,
                               received_on=date(2020, 5, 1), strategy_id=i["S2"], summary="Innspill"), utc(2020, 5, 1))
    s.r("s2_published", pr.StrategyPublished(strategy_id=i["S2"], published_on=date(2020, 9, 15)), utc(2020, 9, 15))
    s.r("d2", pr.DecisionRecorded(decision_id=i["D2"], body=Body.MUNICIPAL_COUNCIL, case_number="20/900",
                                  meeting_date=date(2020, 10, 21), subject="Planstrategi 2020-2023",
                                  outcome=pr.DecisionOutcome.ADOPTED, strategy_id=i["S2"]), utc(2020, 10, 21, 18))
    s.r("s2_adopted", pr.StrategyAdopted(strategy_id=i["S2"], decision_id=i["D2"], adopted_on=date(2020, 10, 21)),
        utc(2020, 10, 21, 19))
    # 2. goals and plans, 2023
    s.r("g1", pr.GoalDefined(goal_id=i["G1"], title="Mangfold"), utc(2023, 1, 10))
    s.r("g2", pr.GoalDefined(goal_id=i["G2"], title="Bærekraft"), utc(2023, 1, 10, 11))
    s.r("g3", pr.GoalDefined(goal_id=i["G3"], title="Raushet"), utc(2023, 1, 11))
    s.r("i1", pr.IndicatorDefined(indicator_id=i["I1"], goal_id=i["G1"], name="Andel aktive", unit="%",
                                  source=pr.IndicatorSource.SSB), utc(2023, 1, 12))
    s.r("a", pr.PlanProposed(plan_id=i["A"], title="Klimaplan", plan_type=PlanType.TEMAPLAN, owning_unit="Miljø",
                             initiated_through_strategy=False, proposed_on=date(2023, 1, 15)), utc(2023, 1, 15))
    s.r("a_anchored", pr.PlanAnchored(plan_id=i["A"], goal_id=i["G2"]), utc(2023, 1, 16))
    s.r("b", pr.PlanProposed(plan_id=i["B"], title="Boligplan", plan_type=PlanType.KOMMUNEDELPLAN, owning_unit="Plan",
                             initiated_through_strategy=False, proposed_on=date(2023, 1, 20)), utc(2023, 1, 20))
    s.r("b_anchored", pr.PlanAnchored(plan_id=i["B"], goal_id=i["G3"]), utc(2023, 1, 21))
    s.r("a_in_force", pr.PlanStatusChanged(plan_id=i["A"], from_status=pr.PlanStatus.PROPOSED,
                                           to_status=pr.PlanStatus.IN_FORCE, changed_on=date(2023, 2, 1)),
        utc(2023, 2, 1))
    s.r("a_due", pr.PlanRevisionScheduled(plan_id=i["A"], revision_due=date(2024, 1, 1)), utc(2023, 2, 2))
    s.r("b_due", pr.PlanRevisionScheduled(plan_id=i["B"], revision_due=date(2025, 6, 1)), utc(2023, 3, 1))
    s.r("e_pho", pr.EvidenceRecorded(evidence_id=i["E_PHO"], kind=pr.EvidenceKind.PUBLIC_HEALTH_OVERVIEW,
                                     title="Folkehelseoversikt 2023", dated=date(2023, 8, 15)), utc(2023, 9, 1))
    # 3. co-creation
    s.c("proc", cc.ProcessStarted(process_id=i["PROC"], title="Samskaping", purpose="Planstrategi 2024-2027",
                                  election_period="2024-2027", period_start=date(2023, 11, 1)), utc(2023, 11, 1))
    for name, who, kind, extra in (
        ("PA", "Ola", cc.ParticipantKind.ELECTED_OFFICIAL, {"party": "H", "body": Body.MUNICIPAL_COUNCIL}),
        ("PB", "Kari", cc.ParticipantKind.ELECTED_OFFICIAL, {"party": "Ap", "body": Body.MUNICIPAL_COUNCIL}),
        ("PC", "Eva", cc.ParticipantKind.ADMINISTRATION, {"unit": "Plan"}),
    ):
        s.c(name.lower(), cc.ParticipantEnrolled(process_id=i["PROC"], participant_id=i[name], name=who, kind=kind,
                                                 **extra), utc(2023, 11, 2, 9 + len(s.event) % 5))
    s.c("w1", cc.WorkshopScheduled(process_id=i["PROC"], workshop_id=i["W1"], title="Kommunestyreseminar",
                                   scheduled_on=date(2023, 11, 15), format=cc.WorkshopFormat.IN_PERSON), utc(2023, 11, 3))
    s.c("w1_held", cc.WorkshopHeld(process_id=i["PROC"], workshop_id=i["W1"], held_on=date(2023, 11, 15),
                                   attendee_ids=(i["PA"], i["PB"], i["PC"])), utc(2023, 11, 15, 12))
    for hour, (name, author, kind, text, plans) in enumerate((
        ("IN1", "PA", cc.InputKind.NEED, "Vi trenger en mobilitetsplan", ()),
        ("IN2", "PB", cc.InputKind.PROPOSAL, "Revider boligplanen", (i["B"],)),
        ("IN3", "PC", cc.InputKind.FEEDBACK, "Godt lokale", ()),
        ("IN4", "PA", cc.InputKind.IDEA, "En idrettsplan", ()),
    ), start=13):
        s.c(name.lower(), cc.InputRecorded(process_id=i["PROC"], input_id=i[name], workshop_id=i["W1"],
                                           author_participant_id=i[author], kind=kind, text=text, plan_ids=plans),
            utc(2023, 11, 15, hour))
    s.c("n1", cc.PlanNeedProposed(process_id=i["PROC"], plan_need_id=i["N1"], kind=cc.PlanNeedKind.NEW,
                                  title="Mobilitetsplan", plan_type=PlanType.TEMAPLAN, derived_from_input_ids=(i["IN1"],)),
        utc(2023, 11, 20, 9))
    s.c("n2", cc.PlanNeedProposed(process_id=i["PROC"], plan_need_id=i["N2"], kind=cc.PlanNeedKind.REVISE,
                                  title="Revidert boligplan", plan_id=i["B"], derived_from_input_ids=(i["IN2"],)),
        utc(2023, 11, 20, 10))
    s.c("n3", cc.PlanNeedProposed(process_id=i["PROC"], plan_need_id=i["N3"], kind=cc.PlanNeedKind.NEW,
                                  title="Idrettsplan", derived_from_input_ids=(i["IN4"],)), utc(2023, 11, 20, 11))
    needs = (i["N1"], i["N2"], i["N3"])
    s.c("pr", cc.PrioritisationOpened(process_id=i["PROC"], prioritisation_id=i["PR"], method=cc.PrioritisationMethod.BORDA,
                                      candidate_plan_need_ids=needs, eligible_participant_ids=(i["PA"], i["PB"]),
                                      quorum=2, tie_break="most first places"), utc(2023, 12, 1))
    for name, who, ranking, at in (("B1", "PA", needs, utc(2023, 12, 2, 10)),
                                   ("B2", "PB", (i["N2"], i["N1"], i["N3"]), utc(2023, 12, 2, 13)),
                                   ("B3", "PB", needs, utc(2023, 12, 3))):
        s.c(name.lower(), cc.BallotCast(process_id=i["PROC"], prioritisation_id=i["PR"], ballot_id=i[name],
                                        participant_id=i[who], method=cc.PrioritisationMethod.BORDA, ranking=ranking), at)
    s.c("pr_made", cc.PrioritisationMade(
        process_id=i["PROC"], prioritisation_id=i["PR"], method=cc.PrioritisationMethod.BORDA,
        ranking=tuple(cc.RankedNeed(plan_need_id=n, rank=k, score=Decimal(sc))
                      for k, (n, sc) in enumerate(zip(needs, ("4", "2", "0")), start=1)),
        ballots_counted=2, counted_ballot_ids=(i["B1"], i["B3"]), eligible_count=2, tie_break="most first places"),
        utc(2023, 12, 5))
    s.c("rec", cc.RecommendationIssued(
        process_id=i["PROC"], recommendation_id=i["REC"], prioritisation_id=i["PR"], issued_on=date(2024, 1, 10),
        election_period="2024-2027",
        items=(cc.RecommendedNeed(plan_need_id=i["N1"], action=StrategyAction.NEW, plan_title="Mobilitetsplan",
                                  timing="2025", rank=1),
               cc.RecommendedNeed(plan_need_id=i["N2"], action=StrategyAction.REVISE, plan_id=i["B"],
                                  plan_title="Boligplan", timing="2024-2025", rank=2))), utc(2024, 1, 10))
    # 4. the strategy
    s.r("s_drafted", pr.StrategyDrafted(strategy_id=i["S"], title="Planstrategi 2024-2027", election_period="2024-2027",
                                        council_constituted_on=date(2023, 10, 19), drafted_on=date(2024, 1, 15),
                                        recommendation_id=i["REC"], process_id=i["PROC"]), utc(2024, 1, 15))
    s.r("it1", pr.StrategyItemSet(strategy_id=i["S"], item_id=i["IT1"], action=StrategyAction.NEW,
                                  plan_title="Mobilitetsplan", timing="2025", rationale="Fra samskaping",
                                  origin=pr.ItemOrigin.PLAN_NEED, plan_need_id=i["N1"]), utc(2024, 1, 16, 10))
    s.r("it2", pr.StrategyItemSet(strategy_id=i["S"], item_id=i["IT2"], action=StrategyAction.REVISE, plan_id=i["B"],
                                  timing="2024-2025", rationale="Fra samskaping", origin=pr.ItemOrigin.PLAN_NEED,
                                  plan_need_id=i["N2"]), utc(2024, 1, 16, 11))
    s.r("s_cites", pr.StrategyEvidenceCited(strategy_id=i["S"], evidence_id=i["E_PHO"]), utc(2024, 1, 20))
    s.r("s_assessed", pr.StrategyKommuneplanAssessed(strategy_id=i["S"], samfunnsdel=pr.KommuneplanAssessment.CONTINUE,
                                                     arealdel=pr.KommuneplanAssessment.REVISE), utc(2024, 2, 1))
    s.r("x1", pr.InputReceived(input_id=i["X1"], from_party="Statsforvalteren", party_kind=pr.PartyKind.STATE,
                               received_on=date(2024, 2, 10), strategy_id=i["S"], summary="Innspill"), utc(2024, 2, 10))
    s.r("x2", pr.InputReceived(input_id=i["X2"], from_party="Viken fylkeskommune", party_kind=pr.PartyKind.REGIONAL,
                               received_on=date(2024, 2, 11), strategy_id=i["S"], summary="Innspill"), utc(2024, 2, 11))
    s.r("s_published", pr.StrategyPublished(strategy_id=i["S"], published_on=date(2024, 4, 1),
                                            planned_meeting_on=date(2024, 6, 12)), utc(2024, 4, 1))
    s.r("x3", pr.InputReceived(input_id=i["X3"], from_party="Asker kommune",
                               party_kind=pr.PartyKind.NEIGHBOUR_MUNICIPALITY, received_on=date(2024, 4, 15),
                               strategy_id=i["S"], summary="Innspill"), utc(2024, 4, 15))
    s.r("d", pr.DecisionRecorded(decision_id=i["D"], body=Body.MUNICIPAL_COUNCIL, case_number="24/100",
                                 meeting_date=date(2024, 6, 12), subject="Planstrategi 2024-2027",
                                 outcome=pr.DecisionOutcome.ADOPTED_WITH_AMENDMENTS, strategy_id=i["S"],
                                 amendments=(pr.Amendment(number=1, text="Boligplanen videreføres", adopted=True),)),
        utc(2024, 6, 12, 18))
    s.r("it2_removed", pr.StrategyItemRemoved(strategy_id=i["S"], item_id=i["IT2"], decision_id=i["D"],
                                              amendment_number=1, reason="videreføres"), utc(2024, 6, 12, 18, 5))
    s.r("s_adopted", pr.StrategyAdopted(strategy_id=i["S"], decision_id=i["D"], adopted_on=date(2024, 6, 12)),
        utc(2024, 6, 12, 18, 10))
    # 5. afterwards
    s.r("c", pr.PlanProposed(plan_id=i["C"], title="Mobilitetsplan", plan_type=PlanType.TEMAPLAN, owning_unit="Samferdsel",
                             initiated_through_strategy=True, strategy_id=i["S"], strategy_item_id=i["IT1"],
                             proposed_on=date(2024, 8, 1)), utc(2024, 8, 1))
    s.r("d_plan", pr.PlanProposed(plan_id=i["D_PLAN"], title="Idrettsplan", plan_type=PlanType.TEMAPLAN,
                                  owning_unit="Kultur", initiated_through_strategy=False, proposed_on=date(2024, 9, 1)),
        utc(2024, 9, 1))
    s.r("c_anchored", pr.PlanAnchored(plan_id=i["C"], goal_id=i["G1"]), utc(2024, 9, 5))
    s.r("a_revision", pr.PlanStatusChanged(plan_id=i["A"], from_status=pr.PlanStatus.IN_FORCE,
                                           to_status=pr.PlanStatus.UNDER_REVISION, changed_on=date(2024, 10, 1)),
        utc(2024, 10, 1))
    s.r("g3_retired", pr.GoalRetired(goal_id=i["G3"], retired_on=date(2024, 11, 1)), utc(2024, 11, 1))
    s.r("d_repealed", pr.PlanStatusChanged(plan_id=i["D_PLAN"], from_status=pr.PlanStatus.PROPOSED,
                                           to_status=pr.PlanStatus.REPEALED, changed_on=date(2025, 2, 1)),
        utc(2025, 2, 1))
    s.r("a_unanchored", pr.PlanAnchorRemoved(plan_id=i["A"], goal_id=i["G2"]), utc(2025, 3, 1))
    return s


@pytest.fixture(scope="module")
def loop():
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


@pytest.fixture(scope="module")
def world(loop, neo4j_uri, neo4j_auth):
    """The story projected into an emptied graph, the driver, and an HTTP client on the query router."""
    driver = neo4j.AsyncGraphDatabase.driver(neo4j_uri, auth=neo4j_auth)
    story = write_story()

    async def setup():
        await empty_graph(driver)
        await ensure_constraints(driver)
        writer = GraphWriter(driver)
        envelopes = story.registry.envelopes + story.cocreation.envelopes
        for start in range(0, len(envelopes), 25):  # a few batches, as the live consumer takes them
            batch = [decode(e.to_canonical(), msg_id=e.nats_msg_id) for e in envelopes[start:start + 25]]
            await writer.project(batch)
        checkpoints = await writer.checkpoints()
        assert checkpoints["plan-registry"][0] == len(story.registry.envelopes)
        assert checkpoints["cocreation"][0] == len(story.cocreation.envelopes)

    loop.run_until_complete(setup())
    app = FastAPI()
    install_problems(app)
    app.include_router(query_router(lambda: driver, Access(parse_tokens(None))))
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://knowledge")
    yield story, driver, client
    loop.run_until_complete(client.aclose())
    loop.run_until_complete(driver.close())


def get(loop, client, path, role=Role.AUDITOR, **params):
    headers = {"Authorization": f"Bearer {DEVELOPMENT_TOKENS[role]}"}
    response = loop.run_until_complete(client.get(path, params=params, headers=headers))
    return response.status_code, response.json()


def steps(body):
    return [(step["label"], step["id"]) for step in body["steps"]]


# --- trace back -------------------------------------------------------------------------------------------


def test_trace_back_from_a_strategy_item_goes_to_the_workshop_in_time_order(loop, world):
    story, _, client = world
    i, ev = story.ids, story.event
    status, body = get(loop, client, f"/api/v1/trace/back/strategy-item/{i['IT1']}")
    assert status == 200, body
    assert steps(body) == [
        ("Process", i["PROC"]), ("Participant", i["PA"]), ("Participant", i["PB"]), ("Participant", i["PC"]),
        ("Workshop", i["W1"]), ("Input", i["IN1"]), ("PlanNeed", i["N1"]), ("Prioritisation", i["PR"]),
        ("Ballot", i["B1"]), ("Ballot", i["B2"]), ("Ballot", i["B3"]), ("Recommendation", i["REC"]),
        ("StrategyItem", i["IT1"]), ("StrategyItemVersion", ev["it1"]),
    ]
    by_id = {step["id"]: step for step in body["steps"]}
    assert [e["id"] for e in by_id[i["W1"]]["events"]] == [ev["w1"], ev["w1_held"]]
    assert [e["id"] for e in by_id[i["PR"]]["events"]] == [ev["pr"], ev["pr_made"]]
    assert [e["id"] for e in by_id[i["B2"]]["events"]] == [ev["b2"], ev["b3"]]  # replaced by B3
    assert by_id[i["B2"]]["properties"]["ended_by"] == ev["b3"]
    ranked = next(v for v in by_id[i["PR"]]["via"] if v["relationship"] == "RANKED")
    assert ranked["properties"] == {"rank": 1, "score": "4"} and ranked["created_by"] == ev["pr_made"]
    assert {(v["from"]["id"], v["relationship"]) for v in by_id[i["PA"]]["via"]} == {
        (i["B1"], "CAST"), (i["IN1"], "RAISED_BY"), (i["W1"], "ATTENDED")}
    assert i["IN3"] not in by_id and i["N3"] not in by_id and i["C"] not in by_id


def test_trace_back_from_the_decision_reaches_the_removed_item_and_the_whole_strategy(loop, world):
    story, _, client = world
    i, ev = story.ids, story.event
    status, body = get(loop, client, f"/api/v1/trace/back/decision/{i['D']}")
    assert status == 200, body
    found = steps(body)
    for expected in (("Strategy", i["S"]), ("StrategyItem", i["IT1"]), ("StrategyItem", i["IT2"]),
                     ("PlanNeed", i["N2"]), ("Input", i["IN2"]), ("Plan", i["B"]), ("Evidence", i["E_PHO"]),
                     ("ExternalInput", i["X3"]), ("KommuneplanAssessment", ev["s_assessed"]), ("Body", "municipal_council"),
                     ("Recommendation", i["REC"]), ("Workshop", i["W1"]), ("Decision", i["D"])):
        assert expected in found, expected
    for absent in (i["IN3"], i["N3"], i["IN4"], i["S2"], i["C"]):
        assert absent not in {node_id for _, node_id in found}
    firsts = [step["events"][0]["occurred_at"] for step in body["steps"] if step["events"]]
    assert firsts == sorted(firsts)
    item2 = next(step for step in body["steps"] if step["id"] == i["IT2"])
    assert item2["properties"]["until"] == "2024-06-12T18:05:00+00:00"
    assert {(v["from"]["id"], v["relationship"]) for v in item2["via"]} >= {(i["D"], "REMOVED"), (i["S"], "HAS_ITEM")}
    has_item = next(v for v in item2["via"] if v["relationship"] == "HAS_ITEM")
    assert has_item["ended_by"] == ev["it2_removed"]


def test_trace_back_as_of_a_date_sees_only_what_existed_then(loop, world):
    story, _, client = world
    i = story.ids
    status, body = get(loop, client, f"/api/v1/trace/back/strategy/{i['S']}", as_of="2024-03-01")
    assert status == 200, body
    found = {node_id for _, node_id in steps(body)}
    assert {i["IT1"], i["IT2"], i["X1"], i["X2"], i["N2"]} <= found
    assert i["X3"] not in found and i["D"] not in found
    item2 = next(step for step in body["steps"] if step["id"] == i["IT2"])
    assert "until" not in item2["properties"]  # removed later: not yet as of March
    assert all(e["occurred_at"] <= "2024-03-01T00:00:00" for step in body["steps"] for e in step["events"])
    status, body = get(loop, client, f"/api/v1/trace/back/strategy-item/{i['IT1']}", as_of="2024-01-15T23:59:59Z")
    assert status == 404 and "as of 2024-01-15T23:59:59" in body["detail"]


def test_trace_back_of_an_unknown_node_or_kind_is_a_clear_4xx(loop, world):
    _, _, client = world
    status, body = get(loop, client, "/api/v1/trace/back/decision/no-such-decision")
    assert status == 404 and "no-such-decision" in body["detail"]
    status, body = get(loop, client, "/api/v1/trace/back/plan/x")
    assert status == 422
    status, body = get(loop, client, "/api/v1/trace/back/decision/x", as_of="last tuesday")
    assert status == 422 and "as_of" in body["detail"]


# --- trace forward ------------------------------------------------------------------------------------------


def forward(loop, client, input_id, **params):
    status, body = get(loop, client, f"/api/v1/trace/forward/input/{input_id}", **params)
    assert status == 200, body
    return body


def test_trace_forward_an_adopted_input(loop, world):
    story, _, client = world
    i, ev = story.ids, story.event
    body = forward(loop, client, i["IN1"])
    assert (body["outcome"], body["stage"]) == ("adopted", "adopted")
    [need] = body["plan_needs"]
    assert need["plan_need"]["id"] == i["N1"] and [e["id"] for e in need["events"]] == [ev["n1"]]
    assert need["judgement"]["where"] == {"strategy_id": i["S"], "item_id": i["IT1"], "decision_id": i["D"]}
    assert need["prioritisations"] == [{"id": i["PR"], "rank": 1, "score": "4", "made": True}]
    assert [(r["id"], r["recommended"], r["action"]) for r in need["recommendations"]] == [(i["REC"], True, "new")]
    assert need["items"][0]["plans"] == [i["C"]]


def test_trace_forward_as_of_earlier_dates_is_pending_at_the_stage_then(loop, world):
    story, _, client = world
    i = story.ids
    assert (forward(loop, client, i["IN1"], as_of="2024-03-01")["stage"]) == "in_strategy"
    assert (forward(loop, client, i["IN1"], as_of="2024-01-12")["stage"]) == "recommended"
    assert (forward(loop, client, i["IN1"], as_of="2023-12-03")["stage"]) == "in_prioritisation"
    assert (forward(loop, client, i["IN1"], as_of="2023-11-25")["stage"]) == "proposed"
    early = forward(loop, client, i["IN1"], as_of="2023-11-15T13:30:00Z")
    assert (early["outcome"], early["stage"], early["plan_needs"]) == ("pending", "input", [])
    assert all(forward(loop, client, i["IN1"], as_of=d)["outcome"] == "pending"
               for d in ("2024-03-01", "2024-01-12", "2023-12-03", "2023-11-25"))


def test_trace_forward_says_where_an_input_was_dropped(loop, world):
    story, _, client = world
    i = story.ids
    removed = forward(loop, client, i["IN2"])
    assert (removed["outcome"], removed["stage"]) == ("dropped", "strategy")
    assert removed["plan_needs"][0]["judgement"]["where"]["decision_id"] == i["D"]
    assert forward(loop, client, i["IN2"], as_of="2024-06-01")["stage"] == "in_strategy"
    feedback = forward(loop, client, i["IN3"])
    assert (feedback["outcome"], feedback["stage"]) == ("dropped", "workshop")
    assert i["N1"] in feedback["explanation"]
    not_recommended = forward(loop, client, i["IN4"])
    assert (not_recommended["outcome"], not_recommended["stage"]) == ("dropped", "recommendation")
    assert "ranked 3" in not_recommended["explanation"]
    assert forward(loop, client, i["IN4"], as_of="2023-12-10")["stage"] == "prioritised"
    status, body = get(loop, client, f"/api/v1/trace/forward/input/{i['IN1']}", as_of="2023-11-01")
    assert status == 404


# --- plan lists ---------------------------------------------------------------------------------------------


def plan_ids(body):
    return [p["id"] for p in body["plans"]]


def test_plans_started_outside_the_adopted_strategy(loop, world):
    story, _, client = world
    i = story.ids
    _, now = get(loop, client, "/api/v1/plans/outside-strategy", role=Role.ANALYST)
    assert plan_ids(now) == [i["A"], i["B"]]  # D repealed; C came through IT1 of adopted S
    assert now["plans"][0]["reason"] == "not initiated through a strategy"
    _, then = get(loop, client, "/api/v1/plans/outside-strategy", as_of="2024-12-01")
    assert plan_ids(then) == [i["A"], i["B"], i["D_PLAN"]]
    _, since_s = get(loop, client, "/api/v1/plans/outside-strategy", as_of="2024-12-01", strategy_id=i["S"])
    assert plan_ids(since_s) == [i["D_PLAN"]]
    status, body = get(loop, client, "/api/v1/plans/outside-strategy", as_of="2024-03-01", strategy_id=i["S"])
    assert status == 400 and "not adopted as of" in body["detail"]


def test_plans_not_anchored_in_a_samfunnsdel_goal(loop, world):
    story, _, client = world
    i = story.ids
    assert plan_ids(get(loop, client, "/api/v1/plans/not-anchored", as_of="2024-08-15")[1]) == [i["C"]]
    assert plan_ids(get(loop, client, "/api/v1/plans/not-anchored", as_of="2024-12-01")[1]) == [i["B"], i["D_PLAN"]]
    assert plan_ids(get(loop, client, "/api/v1/plans/not-anchored")[1]) == [i["A"], i["B"]]


def test_plans_overdue_for_revision(loop, world):
    story, _, client = world
    i, ev = story.ids, story.event
    _, mid_2024 = get(loop, client, "/api/v1/plans/overdue-revision", as_of="2024-06-30")
    assert [(p["id"], p["revision_due"], p["days_overdue"], p["scheduled_by"]) for p in mid_2024["plans"]] == [
        (i["A"], "2024-01-01", 181, ev["a_due"])]
    _, mid_2025 = get(loop, client, "/api/v1/plans/overdue-revision", as_of="2025-07-01")
    assert [(p["id"], p["days_overdue"]) for p in mid_2025["plans"]] == [(i["B"], 30)]  # A is under revision


def test_goals_with_no_plan_or_no_indicator(loop, world):
    story, _, client = world
    i = story.ids
    _, early = get(loop, client, "/api/v1/goals/without-plan-or-indicator", as_of="2024-01-01")
    assert [(g["id"], g["no_plan"], g["no_indicator"]) for g in early["goals"]] == [
        (i["G1"], True, False), (i["G2"], False, True), (i["G3"], False, True)]
    _, now = get(loop, client, "/api/v1/goals/without-plan-or-indicator")
    assert [(g["id"], g["plans"], g["indicators"]) for g in now["goals"]] == [(i["G2"], 0, 0)]  # G3 retired


def test_number_of_plans_over_time(loop, world):
    _, _, client = world
    status, body = get(loop, client, "/api/v1/plans/count-over-time", interval="year", as_of="2025-06-30")
    assert status == 200, body
    assert body["from"] == "2023-01-15"
    assert [(p["period"], p["plans"], p["in_force"], p["proposed"], p["ended"]) for p in body["periods"]] == [
        ("2023", 2, 1, 2, 0), ("2024", 4, 1, 2, 0), ("2025", 3, 1, 0, 1)]
    _, months = get(loop, client, "/api/v1/plans/count-over-time", interval="month", **{"from": "2024-07-01",
                                                                                          "to": "2024-09-30"})
    assert [(p["period"], p["plans"], p["proposed"]) for p in months["periods"]] == [
        ("2024-07", 2, 0), ("2024-08", 3, 1), ("2024-09", 4, 1)]
    status, body = get(loop, client, "/api/v1/plans/count-over-time", interval="month", **{"from": "1900-01-01"})
    assert status == 400 and "at most" in body["detail"]


# --- compliance ---------------------------------------------------------------------------------------------


def checks(body):
    return {c["id"]: c for c in body["checks"]}


def test_compliance_of_the_adopted_strategy_passes_with_its_evidence(loop, world):
    story, _, client = world
    i, ev = story.ids, story.event
    status, body = get(loop, client, f"/api/v1/strategies/{i['S']}/compliance")
    assert status == 200, body
    c = checks(body)
    assert {k: v["status"] for k, v in c.items()} == {
        "adopted_within_a_year": "pass", "published_30_days_before_treatment": "pass", "kommuneplan_assessed": "pass",
        "external_inputs_on_record": "pass", "public_health_overview": "pass"}
    assert {v["paragraph"] for v in c.values()} == {"PBL §10-1", "folkehelseloven §5, §6"}
    assert c["adopted_within_a_year"]["evidence"] == sorted([ev["s_drafted"], ev["s_adopted"], ev["d"]])
    assert c["published_30_days_before_treatment"]["evidence"] == sorted([ev["s_published"], ev["s_adopted"], ev["d"]])
    assert "72 days" in c["published_30_days_before_treatment"]["detail"]
    assert c["kommuneplan_assessed"]["evidence"] == [ev["s_assessed"]]
    assert c["external_inputs_on_record"]["evidence"] == sorted([ev["x1"], ev["x2"], ev["x3"]])
    assert c["public_health_overview"]["evidence"] == sorted([ev["e_pho"], ev["s_cites"], ev["proc"]])
    assert body["summary"] == {"pass": 5, "fail": 0, "unknown": 0}


def test_compliance_as_of_before_adoption_is_unknown_where_the_deadline_has_not_passed(loop, world):
    story, _, client = world
    i = story.ids
    _, body = get(loop, client, f"/api/v1/strategies/{i['S']}/compliance", as_of="2024-03-01")
    assert {k: v["status"] for k, v in checks(body).items()} == {
        "adopted_within_a_year": "unknown", "published_30_days_before_treatment": "unknown",
        "kommuneplan_assessed": "pass", "external_inputs_on_record": "unknown", "public_health_overview": "pass"}
    assert "neighbour_municipality" in checks(body)["external_inputs_on_record"]["detail"]


def test_compliance_of_the_late_strategy_fails_where_the_law_was_not_followed(loop, world):
    story, _, client = world
    i, ev = story.ids, story.event
    _, body = get(loop, client, f"/api/v1/strategies/{i['S2']}/compliance")
    c = checks(body)
    assert {k: v["status"] for k, v in c.items()} == {
        "adopted_within_a_year": "fail", "published_30_days_before_treatment": "pass", "kommuneplan_assessed": "fail",
        "external_inputs_on_record": "fail", "public_health_overview": "fail"}
    assert "deadline 2020-10-15" in c["adopted_within_a_year"]["detail"]
    assert c["public_health_overview"]["evidence"] == sorted([ev["e_old"], ev["s2_cites"], ev["s2_drafted"]])
    assert c["external_inputs_on_record"]["evidence"] == [ev["x0"]]
    status, _ = get(loop, client, f"/api/v1/strategies/{i['S2']}/compliance", as_of="2019-01-01")
    assert status == 404


def test_queries_are_for_analysts_and_auditors_only(loop, world):
    _, _, client = world
    for role, expected in ((Role.ANALYST, 200), (Role.AUDITOR, 200), (Role.PLANNER, 403), (Role.OPERATOR, 403)):
        status, _ = get(loop, client, "/api/v1/plans/not-anchored", role=role)
        assert status == expected, role
    response = loop.run_until_complete(client.get("/api/v1/plans/not-anchored"))
    assert response.status_code == 401


def test_the_query_functions_answer_without_http_too(loop, world):
    story, driver, _ = world
    body = loop.run_until_complete(queries.plans_not_anchored(driver, utc(2024, 8, 15)))
    assert plan_ids(body) == [story.ids["C"]]


def test_refusals_of_the_queries_are_problem_details_that_name_their_rule(loop, world):
    story, _, client = world

    def problem(path, **params):
        headers = {"Authorization": f"Bearer {DEVELOPMENT_TOKENS[Role.AUDITOR]}"}
        response = loop.run_until_complete(client.get(path, params=params, headers=headers))
        assert response.headers["content-type"] == MEDIA_TYPE, response.text
        body = response.json()
        assert body["status"] == response.status_code and body["type"].startswith("urn:planspor:problem:")
        return response.status_code, body

    status, body = problem("/api/v1/trace/back/strategy-item/no-such-item")
    assert (status, body["rule"], body["type"]) == (404, "strategy_item.exists", "urn:planspor:problem:not-found")
    status, body = problem("/api/v1/strategies/no-such-strategy/compliance")
    assert (status, body["rule"]) == (404, "strategy.exists")
    status, body = problem("/api/v1/plans/count-over-time", interval="month", **{"from": "1900-01-01"})
    assert (status, body["rule"], body["type"]) == (400, "query.periods", "urn:planspor:problem:bad-request")
    status, body = problem("/api/v1/plans/outside-strategy", as_of="2024-03-01", strategy_id=story.ids["S"])
    assert (status, body["rule"]) == (400, "strategy.adopted")


def test_a_graph_that_cannot_be_reached_is_a_503_problem_with_retry_after():
    async def ask() -> httpx.Response:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        driver = neo4j.AsyncGraphDatabase.driver(f"bolt://127.0.0.1:{port}", auth=("neo4j", "x"),
                                                 max_transaction_retry_time=0.2, connection_timeout=1)
        app = FastAPI()
        install_problems(app)
        app.include_router(query_router(lambda: driver, Access(parse_tokens(None))))
        try:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://knowledge") as http:
                return await http.get("/api/v1/plans/not-anchored",
                                      headers={"Authorization": f"Bearer {DEVELOPMENT_TOKENS[Role.ANALYST]}"})
        finally:
            await driver.close()

    response = asyncio.run(ask())
    assert response.status_code == 503 and response.headers["retry-after"]
    assert response.json()["rule"] == "graph.unavailable" and str(response.json()["detail"]).startswith("the graph")
