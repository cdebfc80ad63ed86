"""Compliance: the legal process checks of a plan strategy, each with the events that are its evidence.

The Cypher here gathers the facts of one strategy as of the day asked about, as the register
knew them at ``known_at`` (statuses, adopting decision, kommuneplan assessment, external inputs,
cited evidence, the start of the work); the judgement is ``rules.assess_compliance``, on the
effective dates (``drafted_on``, ``adopted_on``, ``period_start``...), never the days of entry.
"""

from __future__ import annotations

from typing import Any

import neo4j

from knowledge.errors import NotFound
from knowledge.graph.queries.reads import Row, existed, fact, live, native, read, rows
from knowledge.graph.queries.rules import StrategyFacts, assess_compliance
from knowledge.graph.queries.times import TimeFrame, When, resolve_frame


async def compliance_report(
    driver: neo4j.AsyncDriver,
    strategy_id: str,
    as_of: When | TimeFrame = None,
    *,
    known_at: When = None,
    database: str | None = None,
) -> dict[str, Any]:
    """The legal process checks of a plan strategy (domain.md, "Rules"), with the events that are their evidence."""
    at = resolve_frame(as_of, known_at)

    async def work(tx: neo4j.AsyncManagedTransaction) -> dict[str, Any]:
        found = await rows(
            tx,
            f"""
            MATCH (s:Strategy {{id: $id}}) WHERE {fact("s")} AND {existed("s")}
            OPTIONAL MATCH (s)-[hs:HAD_STATUS]->(st:StrategyStatus) WHERE {existed("hs")}
            OPTIONAL MATCH (e:Event)-[:CREATED]->(st)
            WITH s, st, e ORDER BY st.valid_from, st.since
            RETURN s, collect(CASE WHEN st IS NULL THEN NULL ELSE
                   {{status: st.status, on: st.on, planned_meeting_on: st.planned_meeting_on,
                     decision_id: st.decision_id, event: e.id}} END) AS statuses
            """,
            id=strategy_id,
            **at.params,
        )
        if not found:
            raise NotFound.node("Strategy", strategy_id, at.as_of.isoformat())
        return {
            "strategy": found[0],
            **{
                name: await query(tx, strategy_id, at)
                for name, query in (
                    ("decision", _adopting_decision),
                    ("assessment", _assessment),
                    ("inputs", _external_inputs),
                    ("view_requests", _view_requests),
                    ("evidence", _evidence),
                    ("process_start", _process_start),
                )
            },
        }

    graph = await read(driver, database, work)
    strategy = graph["strategy"]["s"]
    facts = _strategy_facts(graph)
    checks = assess_compliance(facts, at.as_of)
    return {
        "strategy": {
            "id": strategy_id,
            "title": strategy.get("title"),
            "election_period": strategy.get("election_period"),
        },
        **at.echo(),
        "checks": checks,
        "summary": {status: sum(1 for c in checks if c["status"] == status) for status in ("pass", "fail", "unknown")},
    }


def _strategy_facts(graph: dict[str, Any]) -> StrategyFacts:
    """The facts ``assess_compliance`` reads, from what the queries fetched."""
    strategy = graph["strategy"]["s"]
    statuses = {s["status"]: s for s in graph["strategy"]["statuses"]}
    drafted = statuses.get("drafted")
    assessment = graph["assessment"]
    facts: StrategyFacts = {
        "council_constituted_on": native(strategy.get("council_constituted_on")),
        "drafted": {"on": native(drafted["on"]), "event": drafted["event"]} if drafted else None,
        "published": None,
        "adopted": None,
        "assessment": {
            "samfunnsdel": assessment[0]["samfunnsdel"],
            "arealdel": assessment[0]["arealdel"],
            "event": assessment[0]["event"],
        }
        if assessment
        else None,
        "external_inputs": [
            {
                "party_kind": i["party_kind"],
                "from_party": i["from_party"],
                "received_on": i["received_on"],
                "event": i["event"],
            }
            for i in graph["inputs"]
        ],
        "view_requests": [
            {
                "party_kind": r["party_kind"],
                "party_name": r["party_name"],
                "sent_on": native(r["sent_on"]),
                "event": r["event"],
                "answers": r["answers"],
            }
            for r in graph["view_requests"]
        ],
        "evidence": [
            {"kind": e["kind"], "dated": native(e["dated"]), "title": e["title"], "events": e["events"]}
            for e in graph["evidence"]
        ],
    }
    if "published" in statuses:
        published = statuses["published"]
        facts["published"] = {
            "on": native(published["on"]),
            "planned_meeting_on": native(published["planned_meeting_on"]),
            "event": published["event"],
        }
    if "adopted" in statuses:
        adopted = statuses["adopted"]
        decision = graph["decision"][0] if graph["decision"] else {}
        facts["adopted"] = {
            "on": native(adopted["on"]),
            "event": adopted["event"],
            "decision_id": adopted["decision_id"] or decision.get("id"),
            "decision_event": decision.get("event"),
            "meeting_date": native(decision.get("meeting_date")),
        }
    starts = [(facts["drafted"]["on"], facts["drafted"]["event"])] if facts["drafted"] else []
    process_start = graph["process_start"]
    if process_start and process_start[0]["on"] is not None:
        starts.append((native(process_start[0]["on"]), process_start[0]["event"]))
    if starts:
        facts["work_started_on"], facts["work_started_event"] = min(starts, key=lambda start: start[0])
    return facts


async def _adopting_decision(tx: neo4j.AsyncManagedTransaction, strategy_id: str, at: TimeFrame) -> list[Row]:
    return await rows(
        tx,
        f"""
        MATCH (d:Decision)-[a:ADOPTED]->(:Strategy {{id: $id}}) WHERE {live("a")}
        OPTIONAL MATCH (e:Event)-[:CREATED]->(d)
        RETURN d.id AS id, d.meeting_date AS meeting_date, e.id AS event ORDER BY a.valid_from, a.since LIMIT 1
        """,
        id=strategy_id,
        **at.params,
    )


async def _assessment(tx: neo4j.AsyncManagedTransaction, strategy_id: str, at: TimeFrame) -> list[Row]:
    return await rows(
        tx,
        f"""
        MATCH (:Strategy {{id: $id}})-[h:HAD_ASSESSMENT]->(k:KommuneplanAssessment) WHERE {live("h")}
        OPTIONAL MATCH (e:Event)-[:CREATED]->(k)
        RETURN k.samfunnsdel AS samfunnsdel, k.arealdel AS arealdel, e.id AS event
        """,
        id=strategy_id,
        **at.params,
    )


async def _external_inputs(tx: neo4j.AsyncManagedTransaction, strategy_id: str, at: TimeFrame) -> list[Row]:
    return await rows(
        tx,
        f"""
        MATCH (x:ExternalInput)-[c:CONCERNS]->(:Strategy {{id: $id}}) WHERE {live("c")} AND {fact("x")}
        OPTIONAL MATCH (e:Event)-[:CREATED]->(x)
        RETURN x.party_kind AS party_kind, x.from_party AS from_party, x.received_on AS received_on, e.id AS event
        ORDER BY x.received_on, x.id
        """,
        id=strategy_id,
        **at.params,
    )


async def _view_requests(tx: neo4j.AsyncManagedTransaction, strategy_id: str, at: TimeFrame) -> list[Row]:
    """The requests for views sent for the strategy (PBL §10-1 second paragraph), each with the inputs that
    answer it: those naming it (``in_reply_to``), and those naming no request from the same party kind and name."""
    return await rows(
        tx,
        f"""
        MATCH (r:ViewRequest)-[c:CONCERNS]->(s:Strategy {{id: $id}}) WHERE {live("c")} AND {fact("r")}
        OPTIONAL MATCH (e:Event)-[:CREATED]->(r)
        OPTIONAL MATCH (x:ExternalInput)-[xc:CONCERNS]->(s)
        WHERE {live("xc")} AND {fact("x")} AND (EXISTS {{ (x)-[:ANSWERS]->(r) }} OR (x.in_reply_to IS NULL
              AND x.party_kind = r.party_kind AND toLower(trim(x.from_party)) = toLower(trim(r.party_name))))
        OPTIONAL MATCH (xe:Event)-[:CREATED]->(x)
        WITH r, e, x, xe ORDER BY x.received_on, x.id
        WITH r, e, collect(CASE WHEN x IS NULL THEN NULL ELSE
             {{from_party: x.from_party, received_on: x.received_on, event: xe.id}} END) AS answers
        RETURN r.party_kind AS party_kind, r.party_name AS party_name, r.sent_on AS sent_on, e.id AS event, answers
        ORDER BY r.sent_on, r.id
        """,
        id=strategy_id,
        **at.params,
    )


async def _evidence(tx: neo4j.AsyncManagedTransaction, strategy_id: str, at: TimeFrame) -> list[Row]:
    return await rows(
        tx,
        f"""
        MATCH (:Strategy {{id: $id}})-[c:CITES]->(ev:Evidence) WHERE {live("c")} AND {fact("ev")}
        OPTIONAL MATCH (e:Event)-[:CREATED]->(ev)
        WITH ev, c, collect(DISTINCT e.id) AS created
        RETURN ev.kind AS kind, ev.dated AS dated, ev.title AS title,
               [x IN created + [c.created_by] WHERE x IS NOT NULL] AS events
        ORDER BY ev.dated
        """,
        id=strategy_id,
        **at.params,
    )


async def _process_start(tx: neo4j.AsyncManagedTransaction, strategy_id: str, at: TimeFrame) -> list[Row]:
    """The first day of the co-creation process the strategy came from (directly or through its recommendation)."""
    return await rows(
        tx,
        f"""
        MATCH (s:Strategy {{id: $id}})
        OPTIONAL MATCH (s)-[f:FROM_PROCESS]->(p1:Process) WHERE {live("f")}
        OPTIONAL MATCH (s)-[i:INFORMED_BY]->(:Recommendation)-[:PART_OF]->(p2:Process) WHERE {live("i")}
        WITH [p IN collect(DISTINCT p1) + collect(DISTINCT p2) WHERE p IS NOT NULL AND {existed("p")}] AS ps
        UNWIND CASE WHEN ps = [] THEN [NULL] ELSE ps END AS p
        OPTIONAL MATCH (e:Event)-[:CREATED]->(p)
        RETURN p.period_start AS on, e.id AS event ORDER BY on LIMIT 1
        """,
        id=strategy_id,
        **at.params,
    )
