"""Corrections, never deletions, on real Neo4j: a voided decision and its relationships are retracted (not
removed), the decision recorded in its place CORRECTS it, and a trace shows the voiding as a step; requests
for views (PBL §10-1 second paragraph) make the compliance check, which lists who answered and who did not.

1. 2024-01-10 strategy S drafted; views requested from the state (R1), the region (R2) and a neighbour (R3).
2. The state answers R1 (``in_reply_to``); the region answers without naming the request (same kind and name).
3. 2024-06-12 decision D adopts S; D is found recorded under the wrong case, corrected by D2 (voided 2024-06-20).
4. Indicator I measured for 2023 (M1), then the value corrected (M2): M1 is superseded in recorded time only.
5. Plan P registered twice (P_DUP, anchored in goal G): the duplicate is merged into P.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import neo4j
import pytest
from kn_story import STORY_KEYS, Chain, rid

from knowledge.graph import queries
from knowledge.graph.checksum import graph_checksum
from knowledge.graph.schema import empty_graph, ensure_constraints
from knowledge.pipeline.graph_writer import GraphWriter
from knowledge.pipeline.ordering import decode
from planspor_shared.events import plan_registry as pr
from planspor_shared.events.base import Body

pytestmark = pytest.mark.integration

T0 = datetime(2024, 7, 1, 8, 0, tzinfo=UTC)


def corrected_story() -> tuple[Chain, dict[str, str], dict[str, str]]:
    chain, ids, events = Chain("plan-registry"), {n: rid(n.lower()) for n in ("S", "R1", "R2", "R3", "X1", "X2")}, {}
    ids |= {"D": rid("dec"), "D2": rid("dec"), "S_BARE": rid("s"), "I": rid("ind"), "G": rid("goal")}
    ids |= {"P": rid("plan"), "P_DUP": rid("plan")}
    clock = [T0]

    def seal(name: str, payload) -> None:
        clock[0] += timedelta(minutes=5)
        events[name] = str(chain.seal(payload, clock[0]).event_id)

    for strategy in ("S", "S_BARE"):
        seal(
            f"drafted_{strategy}",
            pr.StrategyDrafted(
                strategy_id=ids[strategy],
                title="Planstrategi",
                election_period="2024-2027",
                council_constituted_on=date(2023, 10, 19),
                drafted_on=date(2024, 1, 10),
            ),
        )
    for name, kind, party, sent_on in (
        ("R1", "state", "Statsforvalteren i Oslo og Viken", date(2024, 2, 1)),
        ("R2", "regional", "Akershus fylkeskommune", date(2024, 2, 1)),
        ("R3", "neighbour_municipality", "Asker kommune", date(2024, 2, 2)),
    ):
        seal(
            name,
            pr.ViewsRequested(
                request_id=ids[name], strategy_id=ids["S"], party_kind=kind, party_name=party, sent_on=sent_on
            ),
        )
        if name != "R3":
            seal(
                f"{name}_bare",
                pr.ViewsRequested(
                    request_id=rid("r"), strategy_id=ids["S_BARE"], party_kind=kind, party_name=party, sent_on=sent_on
                ),
            )
    seal(
        "X1",
        pr.InputReceived(
            input_id=ids["X1"],
            from_party="Statsforvalteren i Oslo og Viken",
            party_kind="state",
            received_on=date(2024, 3, 1),
            strategy_id=ids["S"],
            summary="Klimatilpasning",
            in_reply_to=ids["R1"],
        ),
    )
    seal(
        "X2",
        pr.InputReceived(
            input_id=ids["X2"],
            from_party="akershus fylkeskommune ",
            party_kind="regional",
            received_on=date(2024, 3, 4),
            strategy_id=ids["S"],
            summary="Regional plan",
        ),
    )
    for name, case in (("D", "24/1"), ("D2", "24/2")):
        seal(
            name,
            pr.DecisionRecorded(
                decision_id=ids[name],
                body=Body.MUNICIPAL_COUNCIL,
                case_number=case,
                meeting_date=date(2024, 6, 12),
                subject="Planstrategi",
                outcome="adopted",
                strategy_id=ids["S"],
            ),
        )
        if name == "D":
            seal(
                "adopted",
                pr.StrategyAdopted(strategy_id=ids["S"], decision_id=ids["D"], adopted_on=date(2024, 6, 12)),
            )
    seal(
        "voided",
        pr.DecisionVoided(
            decision_id=ids["D"],
            reason="recorded under the wrong case number",
            voided_on=date(2024, 6, 20),
            replaced_by_decision_id=ids["D2"],
        ),
    )
    seal(
        "indicator",
        pr.IndicatorDefined(indicator_id=ids["I"], goal_id=ids["G"], name="Andel aktive", unit="%", source="SSB"),
    )
    seal("M1", pr.IndicatorMeasured(indicator_id=ids["I"], period="2023", value="71.5", source="SSB"))
    seal(
        "M2",
        pr.IndicatorMeasured(
            indicator_id=ids["I"], period="2023", value="72.0", source="SSB", corrects=True, previous_value="71.5"
        ),
    )
    for name in ("P", "P_DUP"):
        seal(
            name,
            pr.PlanProposed(
                plan_id=ids[name],
                title="Kulturplan",
                plan_type="temaplan",
                owning_unit="Kultur",
                initiated_through_strategy=False,
                proposed_on=date(2023, 5, 1),
            ),
        )
    seal("anchored", pr.PlanAnchored(plan_id=ids["P_DUP"], goal_id=ids["G"]))
    seal(
        "duplicate",
        pr.PlanDuplicateMerged(
            plan_id=ids["P_DUP"], kept_plan_id=ids["P"], reason="registered twice", merged_on=date(2024, 5, 2)
        ),
    )
    return chain, ids, events


@pytest.fixture(scope="module")
def loop():
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


@pytest.fixture(scope="module")
def graph(loop, neo4j_uri, neo4j_auth):
    driver = neo4j.AsyncGraphDatabase.driver(neo4j_uri, auth=neo4j_auth)
    chain, ids, events = corrected_story()

    async def setup() -> list[str]:
        await empty_graph(driver)
        await ensure_constraints(driver)
        writer = GraphWriter(driver, keys=STORY_KEYS)
        items = [decode(e.to_canonical(), msg_id=e.nats_msg_id) for e in chain.envelopes]
        await writer.project(items)
        first = (await graph_checksum(driver))["checksum"]
        await empty_graph(driver)
        writer = GraphWriter(driver, keys=STORY_KEYS)
        for item in items:  # one event a batch: the same graph
            await writer.project([item])
        return [first, (await graph_checksum(driver))["checksum"]]

    checksums = loop.run_until_complete(setup())
    yield driver, chain, ids, events, checksums
    loop.run_until_complete(driver.close())


def run(loop, driver, query, **params):
    async def work():
        async with driver.session() as session:
            return [record.data() async for record in await session.run(query, params)]

    return loop.run_until_complete(work())


def test_a_voided_decision_is_retracted_with_its_relationships_not_deleted(loop, graph):
    driver, chain, ids, events, checksums = graph
    voided_at = next(e.occurred_at for e in chain.envelopes if str(e.event_id) == events["voided"])
    (decision,) = run(loop, driver, "MATCH (d:Decision {id: $id}) RETURN properties(d) AS p", id=ids["D"])
    p = decision["p"]
    assert p["retracted_at"].to_native() == voided_at and p["retracted_by"] == events["voided"]
    assert p["voided_reason"] == "recorded under the wrong case number"
    assert p["voided_on"].to_native() == date(2024, 6, 20) and p["replaced_by_decision_id"] == ids["D2"]
    links = run(
        loop,
        driver,
        "MATCH (d:Decision {id: $id})-[r]-(x) WHERE NOT x:Event "
        "RETURN type(r) AS type, r.retracted_by AS by, r.retracted_at AS at ORDER BY type",
        id=ids["D"],
    )
    assert [(link["type"], link["by"]) for link in links] == [
        ("ADOPTED", events["voided"]),
        ("CONCERNS", events["voided"]),
        ("CORRECTS", None),
        ("MADE_BY", events["voided"]),
    ]
    assert all(link["at"].to_native() == voided_at for link in links if link["by"])
    (changed,) = run(
        loop, driver, "MATCH (e:Event)-[:CHANGED]->(:Decision {id: $id}) RETURN e.id AS id, e.type AS t", id=ids["D"]
    )
    assert changed == {"id": events["voided"], "t": "decision.voided"}
    (corrects,) = run(
        loop,
        driver,
        "MATCH (n:Decision {id: $new})-[r:CORRECTS]->(o:Decision {id: $old}) RETURN properties(r) AS p",
        new=ids["D2"],
        old=ids["D"],
    )
    assert corrects["p"]["created_by"] == events["voided"] and corrects["p"]["reason"].startswith("recorded under")
    kept = run(
        loop, driver, "MATCH (:Decision {id: $id})-[r]-() WHERE r.retracted_at IS NOT NULL RETURN r", id=ids["D2"]
    )
    assert (
        kept == []
        and "retracted_at"
        not in run(loop, driver, "MATCH (d:Decision {id: $id}) RETURN properties(d) AS p", id=ids["D2"])[0]["p"]
    )
    assert checksums[0] == checksums[1], "one batch and one event a batch give different graphs"


def test_the_trace_of_a_voided_decision_shows_the_voiding_as_a_step_with_its_reason_and_both_dates(loop, graph):
    driver, chain, ids, events, _ = graph
    voided_at = next(e.occurred_at for e in chain.envelopes if str(e.event_id) == events["voided"])
    body = loop.run_until_complete(queries.trace_back(driver, "decision", ids["D"]))
    (voiding,) = [step for step in body["steps"] if step["label"] == "Event"]
    assert voiding["id"] == events["voided"] and voiding["events"][0]["type"] == "decision.voided"
    assert voiding["properties"]["reason"] == "recorded under the wrong case number"
    assert voiding["properties"]["voided_on"] == "2024-06-20"
    assert voiding["properties"]["recorded_at"] == voided_at.isoformat()
    assert voiding["properties"]["replaced_by_decision_id"] == ids["D2"]
    assert voiding["via"][0]["from"] == {"label": "Decision", "id": ids["D"]}
    assert [s["label"] for s in body["steps"]].index("Event") > [s["id"] for s in body["steps"]].index(ids["D"])
    start = next(step for step in body["steps"] if step["id"] == ids["D"])
    assert start["properties"]["voided_reason"] == "recorded under the wrong case number"
    before = loop.run_until_complete(
        queries.trace_back(driver, "decision", ids["D"], known_at=voided_at - timedelta(seconds=1))
    )
    assert [s for s in before["steps"] if s["label"] == "Event"] == []
    start = next(step for step in before["steps"] if step["id"] == ids["D"])
    assert "voided_reason" not in start["properties"] and "retracted_at" not in start["properties"]


def test_the_trace_of_the_correcting_decision_reaches_the_one_it_corrects_and_its_voiding(loop, graph):
    driver, _, ids, events, _ = graph
    body = loop.run_until_complete(queries.trace_back(driver, "decision", ids["D2"]))
    reached = {(s["label"], s["id"]) for s in body["steps"]}
    assert {("Decision", ids["D"]), ("Event", events["voided"])} <= reached
    corrected = next(step for step in body["steps"] if step["id"] == ids["D"])
    assert corrected["via"][0]["relationship"] == "CORRECTS"


def test_views_requested_from_every_kind_of_body_pass_and_the_check_lists_who_answered(loop, graph):
    driver, _, ids, events, _ = graph
    report = loop.run_until_complete(queries.compliance_report(driver, ids["S"]))
    check = next(c for c in report["checks"] if c["id"] == "external_inputs_on_record")
    assert check["status"] == "pass"
    answered = {r["party_name"]: [a["event"] for a in r["answers"]] for r in check["requests"]}
    assert answered == {
        "Statsforvalteren i Oslo og Viken": [events["X1"]],
        "Akershus fylkeskommune": [events["X2"]],
        "Asker kommune": [],
    }
    assert [r["sent_on"] for r in check["requests"]] == ["2024-02-01", "2024-02-01", "2024-02-02"]
    assert "no answer: Asker kommune (neighbour_municipality)" in check["detail"]
    assert {events[n] for n in ("R1", "R2", "R3", "X1", "X2")} <= set(check["evidence"])


def test_without_a_request_to_a_neighbour_the_check_is_not_passed(loop, graph):
    driver, _, ids, _, _ = graph
    report = loop.run_until_complete(queries.compliance_report(driver, ids["S_BARE"]))
    check = next(c for c in report["checks"] if c["id"] == "external_inputs_on_record")
    assert check["status"] == "unknown" and "neighbour_municipality" in check["detail"]
    assert [r["answered"] for r in check["requests"]] == [False, False]


def test_a_corrected_measurement_is_superseded_in_recorded_time_only(loop, graph):
    driver, chain, ids, events, _ = graph
    corrected_at = next(e.occurred_at for e in chain.envelopes if str(e.event_id) == events["M2"])
    found = run(
        loop,
        driver,
        "MATCH (:Indicator {id: $id})-[h:HAS_MEASUREMENT]->(m:Measurement) "
        "OPTIONAL MATCH (m)-[c:CORRECTS]->(old:Measurement) "
        "RETURN m.id AS id, m.value AS value, m.retracted_at AS at, m.retracted_by AS by, m.until AS until, "
        "m.valid_to AS valid_to, h.retracted_by AS link_by, old.id AS corrects ORDER BY m.since",
        id=ids["I"],
    )
    assert [(m["id"], m["value"], m["by"], m["link_by"], m["corrects"]) for m in found] == [
        (events["M1"], "71.5", events["M2"], events["M2"], None),
        (events["M2"], "72.0", None, None, events["M1"]),
    ]
    assert found[0]["at"].to_native() == corrected_at
    assert all(m["until"] is None and m["valid_to"] is None for m in found)


def test_a_plan_registered_twice_is_retracted_with_its_relationships_and_linked_to_the_one_kept(loop, graph):
    driver, chain, ids, events, _ = graph
    merged_at = next(e.occurred_at for e in chain.envelopes if str(e.event_id) == events["duplicate"])
    (plan,) = run(loop, driver, "MATCH (p:Plan {id: $id}) RETURN properties(p) AS p", id=ids["P_DUP"])
    p = plan["p"]
    assert p["retracted_at"].to_native() == merged_at and p["retracted_by"] == events["duplicate"]
    assert p["duplicate_of"] == ids["P"] and p["duplicate_found_on"].to_native() == date(2024, 5, 2)
    assert "until" not in p and "valid_to" not in p
    links = run(
        loop,
        driver,
        "MATCH (:Plan {id: $id})-[r]-(x) WHERE NOT x:Event RETURN type(r) AS type, r.retracted_by AS by ORDER BY type",
        id=ids["P_DUP"],
    )
    assert [(link["type"], link["by"]) for link in links] == [
        ("ANCHORED_IN", events["duplicate"]),
        ("DUPLICATE_OF", None),
        ("HAD_STATUS", events["duplicate"]),
    ]
    kept = run(loop, driver, "MATCH (p:Plan {id: $id}) RETURN p.retracted_at AS at", id=ids["P"])
    assert kept == [{"at": None}]


def test_a_voided_decision_leaves_the_answers_known_after_its_voiding_and_stays_in_those_before(loop, graph):
    driver, chain, ids, events, _ = graph
    voided_at = next(e.occurred_at for e in chain.envelopes if str(e.event_id) == events["voided"])

    def evidence(known_at):
        report = loop.run_until_complete(
            queries.compliance_report(driver, ids["S"], date(2024, 7, 1), known_at=known_at)
        )
        return {event for check in report["checks"] for event in check.get("evidence", [])}

    assert events["D"] in evidence(voided_at - timedelta(seconds=1))  # the decision on record then
    assert events["D"] not in evidence(voided_at + timedelta(seconds=1))  # the same question, asked after
    assert events["D"] not in evidence(None)
