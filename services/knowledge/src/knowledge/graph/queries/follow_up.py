"""The strategy follow-up through the election period (issue 15): the strategy's items against what happened since.

For the strategy in force on ``as_of`` (the one adopted last on or before it), or a strategy named by
id, as the register knew it at ``known_at``: each item (the version of it in force that day) with its
intended timing and the steps taken since the adoption by the plans it concerns (the plan it names and
the plans started through it), the plans started outside the strategy since its adoption, and what the
council changed by amendment (the adopted amendments of the decisions that adopted or amended it, with
the items each set or removed). Everything is read in effective time: a step counts by the day it
happened (``changed_on``, ``proposed_on``), never by the day it was entered; nothing after ``as_of`` and
nothing recorded after ``known_at`` is looked at.

An item's status (``item_status``, pure), in this order:

- ``adopted``: the step the item asks for is taken (a new or revised plan adopted or in force; a plan
  repealed; a plan merged) on or after the strategy's adoption;
- ``continued``: the item continues a plan as it is, and nothing ended it;
- ``late``: not adopted, and the last year its timing names is over;
- ``planprogram``: the planning programme is announced or adopted;
- ``work_started``: any other step since the adoption (proposed, in preparation, consultation, revision);
- ``not_started``: nothing since the adoption.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any

import neo4j

from knowledge.errors import NotFound, QueryRefused
from knowledge.graph.cypher_guard import to_json
from knowledge.graph.queries.reads import Row, existed, fact, known, live, read, rows, valid_from
from knowledge.graph.queries.times import TimeFrame, When, resolve_frame

STATUSES = ("adopted", "continued", "late", "planprogram", "work_started", "not_started")
DONE_BY_ACTION = {
    "new": {"adopted", "announced", "in_force"},
    "revise": {"adopted", "announced", "in_force"},
    "repeal": {"repealed"},
    "merge": {"merged"},
    "continue": set(),
}
PLANPROGRAM = {"notice_of_start", "planprogram_adopted"}
ENDED = {"repealed", "replaced", "merged"}
YEAR = re.compile(r"\b(19|20)\d\d\b")
ITEM_FIELDS = (
    "action",
    "plan_id",
    "plan_title",
    "plan_type",
    "merge_into_plan_id",
    "timing",
    "rationale",
    "origin",
    "plan_need_id",
    "decision_id",
    "amendment_number",
    "set_on",
)


# --- the rules (pure) ----------------------------------------------------------------------------------


def due_year(timing: str | None) -> int | None:
    """The last year a timing names ("2025-2026" -> 2026); none for "revised yearly"."""
    years = [int(m.group(0)) for m in YEAR.finditer(timing or "")]
    return max(years) if years else None


def item_status(action: str, steps: Iterable[str], due: int | None, as_of: date) -> str:
    """What became of an item by ``as_of``, from the statuses its plans reached since the adoption."""
    statuses = set(steps)
    if statuses & DONE_BY_ACTION.get(action, set()):
        return "adopted"
    if action == "continue" and not statuses & ENDED:
        return "continued"
    if due is not None and due < as_of.year:
        return "late"
    if statuses & PLANPROGRAM:
        return "planprogram"
    return "work_started" if statuses else "not_started"


def amendments_of(decisions: list[Row]) -> list[Row]:
    """The adopted amendments of each decision (kept on the Decision as canonical JSON), in meeting order, each
    with the items it set or removed; an item change naming no amendment on record is listed by its number."""
    out = []
    for decision in decisions:
        stored = decision["amendments"]
        proposals = json.loads(stored) if isinstance(stored, str) else list(stored or [])
        by_number: dict[Any, Row] = {}
        for proposal in proposals:
            if isinstance(proposal, dict) and proposal.get("adopted", True):
                by_number[proposal.get("number")] = {
                    "number": proposal.get("number"),
                    "text": proposal.get("text"),
                    "proposed_by": proposal.get("proposed_by"),
                }
        for change in sorted(decision["changes"], key=lambda c: (str(c["change"]), str(c["item"]))):
            entry = by_number.setdefault(change["number"], {"number": change["number"], "text": None})
            entry.setdefault(f"items_{change['change']}", []).append(change["item"])
        for number in sorted(by_number, key=lambda n: (n is None, n if isinstance(n, int) else 0)):
            out.append(
                {
                    "decision_id": decision["id"],
                    "meeting_date": to_json(decision["meeting_date"]),
                    "items_set": [],
                    "items_removed": [],
                    **by_number[number],
                }
            )
    return out


# --- the query -----------------------------------------------------------------------------------------


async def strategy_follow_up(
    driver: neo4j.AsyncDriver,
    strategy_id: str | None = None,
    as_of: When | TimeFrame = None,
    *,
    known_at: When = None,
    database: str | None = None,
) -> dict[str, Any]:
    """The follow-up of ``strategy_id`` (404 if unknown, 400 if not adopted as of the day), or of the strategy in
    force on the day (``strategy`` null and no rows when none is)."""
    at = resolve_frame(as_of, known_at)

    async def work(tx: neo4j.AsyncManagedTransaction) -> dict[str, Any]:
        strategy = await _strategy(tx, strategy_id, at)
        if strategy is None:
            return {"strategy": None}
        params = {"sid": strategy["id"], "since": strategy["adopted_on"], **at.params}
        items = await rows(tx, ITEMS, **params)
        plans = await rows(tx, CONCERNED, **params)
        plan_ids = sorted({p["plan"]["id"] for p in plans})
        steps = await rows(tx, STEPS, ids=plan_ids, **params)
        outside = await rows(tx, OUTSIDE, **params)
        decisions = await rows(tx, AMENDING_DECISIONS, **params)
        return {
            "strategy": strategy,
            "items": items,
            "plans": plans,
            "steps": steps,
            "outside": outside,
            "decisions": decisions,
        }

    graph = await read(driver, database, work)
    strategy = graph["strategy"]
    if strategy is None:
        return {
            **at.echo(),
            "strategy": None,
            "since": None,
            "items": [],
            "outside": [],
            "amendments": [],
            "counts": {},
        }
    return {**at.echo(), **_report(graph, at)}


def _report(graph: dict[str, Any], at: TimeFrame) -> dict[str, Any]:
    strategy = graph["strategy"]
    plans_of: dict[str, list[Row]] = defaultdict(list)
    for row in graph["plans"]:
        if row["plan"]["id"] not in {p["id"] for p in plans_of[row["item_id"]]}:
            plans_of[row["item_id"]].append(row["plan"])
    steps_of: dict[str, list[Row]] = defaultdict(list)
    for step in graph["steps"]:
        steps_of[step["plan_id"]].append({**step, "on": to_json(step["on"])})
    items = []
    for row in graph["items"]:
        item = {"item_id": row["item_id"], **{name: to_json(row["version"].get(name)) for name in ITEM_FIELDS}}
        concerned = sorted(plans_of[row["item_id"]], key=lambda p: (p["id"] != item["plan_id"], str(p["title"])))
        steps = sorted(
            (s for p in concerned for s in steps_of[p["id"]]), key=lambda s: (s["on"], s["status"], s["plan_id"])
        )
        due = due_year(item["timing"])
        status = item_status(str(item["action"]), (s["status"] for s in steps), due, at.as_of)
        items.append({**item, "due": due, "status": status, "plans": concerned, "steps": steps})
    items.sort(key=lambda r: (r["due"] or 9999, str(r["action"]), str(r["item_id"])))
    return {
        "strategy": {name: to_json(value) for name, value in strategy.items()},
        "since": to_json(strategy["adopted_on"]),
        "items": items,
        "outside": [{name: to_json(value) for name, value in row.items()} for row in graph["outside"]],
        "amendments": amendments_of(graph["decisions"]),
        "counts": {status: sum(1 for r in items if r["status"] == status) for status in STATUSES},
    }


ADOPTED = f"""
MATCH (s:Strategy)-[hs:HAD_STATUS]->(st:StrategyStatus {{status: 'adopted'}})
WHERE ($sid IS NULL OR s.id = $sid) AND {fact("s")} AND {existed("s")} AND {existed("hs")} AND {existed("st")}
WITH s, min(coalesce(st.on, {valid_from("st")})) AS adopted_on, head(collect(st.decision_id)) AS decision_id
RETURN s.id AS id, s.title AS title, s.election_period AS election_period, adopted_on, decision_id
ORDER BY adopted_on DESC, s.id LIMIT 1
"""
"""The strategy adopted last on or before ``$as_of`` (or ``$sid``), with its adoption day."""


async def _strategy(tx: neo4j.AsyncManagedTransaction, strategy_id: str | None, at: TimeFrame) -> Row | None:
    found = await rows(tx, ADOPTED, sid=strategy_id, **at.params)
    if found or strategy_id is None:
        return found[0] if found else None
    exists = await rows(
        tx,
        f"MATCH (s:Strategy {{id: $sid}}) WHERE {fact('s')} AND {existed('s')} RETURN s.id",
        sid=strategy_id,
        **at.params,
    )
    if not exists:
        raise NotFound.node("Strategy", strategy_id, at.as_of.isoformat())
    raise QueryRefused("strategy.adopted", f"strategy {strategy_id!r} was not adopted as of {at.as_of.isoformat()}")


ITEMS = f"""
MATCH (:Strategy {{id: $sid}})-[h:HAS_ITEM]->(i:StrategyItem)-[hv:HAD_VERSION]->(v:StrategyItemVersion)
WHERE {live("h")} AND {fact("i")} AND {live("hv")} AND {known("v")}
WITH i, v ORDER BY {valid_from("hv")} DESC, hv.since DESC
WITH i, head(collect(v)) AS v
RETURN i.id AS item_id, v AS version ORDER BY item_id
"""
"""The items of the strategy on ``$as_of``, each as the version of it in force that day."""

PLAN_MAP = "{id: p.id, title: p.title, plan_type: p.plan_type}"

CONCERNED = f"""
MATCH (:Strategy {{id: $sid}})-[h:HAS_ITEM]->(i:StrategyItem)-[hv:HAD_VERSION]->(v:StrategyItemVersion)
WHERE {live("h")} AND {fact("i")} AND {live("hv")}
MATCH (p:Plan {{id: v.plan_id}}) WHERE {fact("p")} AND {existed("p")}
RETURN i.id AS item_id, {PLAN_MAP} AS plan
UNION
MATCH (:Strategy {{id: $sid}})-[h:HAS_ITEM]->(i:StrategyItem)<-[it:INITIATED_THROUGH]-(p:Plan)
WHERE {live("h")} AND {fact("i")} AND {existed("it")} AND {fact("p")} AND {existed("p")}
RETURN i.id AS item_id, {PLAN_MAP} AS plan
"""
"""The plans each item concerns: the plan its version names and the plans started through it."""

STEP_DAY = "coalesce(ps.changed_on, " + valid_from("ps") + ")"

STEPS = f"""
UNWIND $ids AS id
MATCH (p:Plan {{id: id}})-[hs:HAD_STATUS]->(ps:PlanStatus)
WHERE {existed("hs")} AND {known("ps")} AND {STEP_DAY} >= $since AND {STEP_DAY} <= $as_of
OPTIONAL MATCH (e:Event)-[:CREATED]->(ps)
RETURN p.id AS plan_id, ps.status AS status, {STEP_DAY} AS on, e.id AS event
"""
"""The statuses the plans reached from the adoption day to ``$as_of`` (``proposed`` on the day proposed)."""

OUTSIDE = f"""
MATCH (s:Strategy {{id: $sid}})
MATCH (p:Plan) WHERE {fact("p")} AND {existed("p")} AND {valid_from("p")} >= $since
  AND NOT EXISTS {{
    MATCH (p)-[it:INITIATED_THROUGH]->(x) WHERE {existed("it")} AND (x = s OR EXISTS {{ (s)-[:HAS_ITEM]->(x) }})
  }}
RETURN p.id AS id, p.title AS title, p.plan_type AS plan_type, p.owning_unit AS owning_unit,
       {valid_from("p")} AS started_on
ORDER BY started_on, p.title, p.id
"""
"""The plans started (proposed) from the adoption day to ``$as_of`` not through the strategy or an item of it."""

AMENDING_DECISIONS = f"""
MATCH (s:Strategy {{id: $sid}})
CALL {{
  WITH s
  MATCH (d:Decision)-[a:ADOPTED]->(s) WHERE {existed("a")}
  RETURN d, NULL AS change
  UNION
  WITH s
  MATCH (s)-[h:HAS_ITEM]->(i:StrategyItem)-[r:AMENDED_BY]->(d:Decision) WHERE {existed("h")} AND {existed("r")}
  RETURN d, {{item: i.id, number: r.amendment_number, change: 'set'}} AS change
  UNION
  WITH s
  MATCH (s)-[h:HAS_ITEM]->(i:StrategyItem)<-[r:REMOVED]-(d:Decision) WHERE {existed("h")} AND {existed("r")}
  RETURN d, {{item: i.id, number: r.amendment_number, change: 'removed'}} AS change
}}
WITH d, change WHERE {fact("d")} AND {existed("d")}
RETURN d.id AS id, d.meeting_date AS meeting_date, d.amendments AS amendments, collect(change) AS changes
ORDER BY meeting_date, id
"""
"""The decisions that adopted the strategy or amended its items, with the item changes they made."""
