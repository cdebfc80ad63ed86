"""The strategy follow-up through the election period, answered in effective time from the register's facts.

For the strategy in force on the day asked (``as_of``), each item's intended timing against what happened
to the plans it concerns since the adoption (the plan it names, the plans started for it), the plans started
outside the strategy since its adoption, and what the council changed by amendment.

An item's status, in this order:

- ``adopted``: the step the item asks for is taken (a new or revised plan adopted or in force; a plan
  repealed; a plan merged) on a day after the strategy's adoption;
- ``continued``: the item continues a plan as it is, and nothing ended it;
- ``late``: not adopted, and the last year its timing names is over;
- ``planprogram``: the planning programme is announced or adopted;
- ``work_started``: any other step since the adoption (proposed, in preparation, consultation, revision);
- ``not_started``: nothing since the adoption.

Days after ``as_of`` are not looked at: the page answers as the municipality stood on that day.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from portal.i18n import as_date

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


def due_year(timing: str | None) -> int | None:
    """The last year a timing names ("2025-2026" -> 2026); none for "revised yearly"."""
    years = [int(m.group(0)) for m in YEAR.finditer(timing or "")]
    return max(years) if years else None


def in_force(strategies: list[dict[str, Any]], as_of: date) -> dict[str, Any] | None:
    """The strategy adopted last on or before ``as_of``."""
    adopted = [s for s in strategies if (d := as_date(s.get("adopted_on"))) is not None and d <= as_of]
    return max(adopted, key=lambda s: str(s.get("adopted_on")), default=None)


def _started_on(plan: dict[str, Any]) -> date | None:
    days = [as_date(plan.get("proposed_on"))] + [as_date(s.get("on")) for s in plan.get("status_history") or []]
    known = [d for d in days if d is not None]
    return min(known) if known else None


def _steps(plan: dict[str, Any], since: date, as_of: date) -> list[dict[str, Any]]:
    steps = []
    proposed = as_date(plan.get("proposed_on"))
    if proposed is not None and since <= proposed <= as_of:
        steps.append({"plan": plan, "status": "proposed", "on": proposed})
    for entry in plan.get("status_history") or []:
        on = as_date(entry.get("on"))
        if on is not None and since <= on <= as_of:
            steps.append({"plan": plan, "status": entry.get("status"), "on": on})
    return steps


def item_status(action: str, steps: list[dict[str, Any]], due: int | None, as_of: date) -> str:
    statuses = {s["status"] for s in steps}
    if statuses & DONE_BY_ACTION.get(action, set()):
        return "adopted"
    if action == "continue" and not statuses & ENDED:
        return "continued"
    if due is not None and due < as_of.year:
        return "late"
    if statuses & PLANPROGRAM:
        return "planprogram"
    return "work_started" if steps else "not_started"


def follow_up(
    strategy: dict[str, Any], plans: list[dict[str, Any]], decision: dict[str, Any] | None, as_of: date
) -> dict[str, Any]:
    """Items with their status and steps, plans started outside the strategy, the council's amendments."""
    adopted_on = as_date(strategy.get("adopted_on")) or as_of
    by_id = {p["id"]: p for p in plans}
    items = []
    for item in strategy.get("items") or []:
        if (set_on := as_date(item.get("set_on"))) is not None and set_on > as_of:
            continue
        concerned = [by_id[item["plan_id"]]] if item.get("plan_id") in by_id else []
        concerned += [
            p for p in plans if p.get("strategy_item_id") == item.get("item_id") and p["id"] != item.get("plan_id")
        ]
        steps = sorted(
            (s for p in concerned for s in _steps(p, adopted_on, as_of)), key=lambda s: (s["on"], s["status"])
        )
        due = due_year(item.get("timing"))
        items.append(
            {
                "item": item,
                "plans": concerned,
                "steps": steps,
                "due": due,
                "status": item_status(str(item.get("action")), steps, due, as_of),
            }
        )
    items.sort(key=lambda r: (r["due"] or 9999, str(r["item"].get("action")), str(r["item"].get("item_id"))))
    outside: list[dict[str, Any]] = []
    for plan in plans:
        started = _started_on(plan)
        if not plan.get("initiated_through_strategy") and started is not None and adopted_on <= started <= as_of:
            outside.append({"plan": plan, "started_on": started})
    outside.sort(key=lambda r: (r["started_on"], str(r["plan"].get("name"))))
    amendments = [a for a in (decision or {}).get("amendments") or [] if a.get("adopted", True)]
    counts = {status: sum(1 for r in items if r["status"] == status) for status in STATUSES}
    return {"items": items, "outside": outside, "amendments": amendments, "counts": counts, "since": adopted_on}
