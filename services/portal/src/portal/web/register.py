"""The plan register (a table with filters and an as-of date) and a plan's own page.

Reads: plan-registry ``/plans``, ``/plans/{id}``, ``/plans/{id}/history``, ``/goals``,
``/decisions``, ``/strategies``; for analysts and auditors knowledge ``/plans/not-anchored``,
``/plans/outside-strategy`` and ``/plans/overdue-revision`` with the page's ``TimeFrame``.
With an as-of date the table shows each plan's status on that day, read from its status history
(effective dates; a plan not yet proposed then is left out), and the date goes to the knowledge
questions (the filters anchored / outside the strategy / overdue) too.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from portal.client import Calls, ServiceError, TimeFrame, gather_named
from portal.i18n import as_date
from portal.pages import KNOWLEDGE_READERS
from portal.views.plan_system import TYPE_ORDER
from portal.web.context import PortalError, Viewer, is_htmx, platform, render, require, value

router = APIRouter()
YES_NO = ("", "yes", "no")


def parse_day(text: str | None) -> date | None:
    if not text or not text.strip():
        return None
    return date.fromisoformat(text.strip())


def parse_instant(text: str | None) -> datetime | None:
    """A recorded instant from a form (``2024-06-30T12:00``, no zone: UTC)."""
    if not text or not text.strip():
        return None
    moment = datetime.fromisoformat(text.strip())
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def one(result: Any) -> Any:
    """A page's main resource: an id the service cannot read (422) is as unknown as one it lacks (404)."""
    if isinstance(result, ServiceError) and result.status == 422:
        raise PortalError(404, "error.not_found", result.detail)
    return value(result)


def status_on(plan: dict[str, Any], day: date | None) -> str | None:
    """The plan's status on ``day`` from its status history (effective dates); ``None`` if it did not exist yet."""
    if day is None:
        return str(plan.get("status"))
    status = None
    for entry in sorted(plan.get("status_history") or [], key=lambda e: str(e.get("on") or "")):
        on = as_date(entry.get("on"))
        if on is not None and on <= day:
            status = entry.get("status")
    if status is None and (proposed := as_date(plan.get("proposed_on"))) is not None and proposed <= day:
        status = "proposed"
    return None if status is None else str(status)


def _ids(result: Any) -> set[str] | None:
    return None if isinstance(result, ServiceError) else {p["id"] for p in result.get("plans", [])}


@router.get("/plans")
async def plans(
    request: Request,
    type: str = "",
    status: str = "",
    unit: str = "",
    anchored: str = "",
    outside: str = "",
    overdue: str = "",
    as_of: str = "",
    known_at: str = "",
    v: Viewer = Depends(require("plans")),
) -> Response:
    api = platform(request)
    problems = []
    try:
        day = parse_day(as_of)
    except ValueError:
        day, problems = None, ["as_of"]
    try:
        known = parse_instant(known_at)
    except ValueError:
        known, problems = None, [*problems, "known_at"]
    frame = TimeFrame(as_of=day, known_at=known)
    calls: Calls = {"plans": api.plan_registry.plans()}
    ask_knowledge = v.may(KNOWLEDGE_READERS)
    if ask_knowledge:
        calls.update(
            not_anchored=api.knowledge.plans_not_anchored(frame),
            outside=api.knowledge.plans_outside_strategy(frame),
            overdue=api.knowledge.plans_overdue(frame),
        )
    found = await gather_named(calls)
    register = value(found["plans"]).items
    not_anchored = _ids(found.get("not_anchored")) if ask_knowledge else None
    outside_ids = _ids(found.get("outside")) if ask_knowledge else None
    overdue_by_id = (
        {p["id"]: p for p in found["overdue"].get("plans", [])}
        if ask_knowledge and not isinstance(found["overdue"], ServiceError)
        else None
    )
    rows = []
    for plan in register:
        if (status_then := status_on(plan, day)) is None:
            continue
        is_anchored = (plan["id"] not in not_anchored) if not_anchored is not None else bool(plan.get("goal_ids"))
        rows.append(
            {
                "plan": plan,
                "status": status_then,
                "anchored": is_anchored,
                "outside": None if outside_ids is None else plan["id"] in outside_ids,
                "overdue": None if overdue_by_id is None else overdue_by_id.get(plan["id"]),
            }
        )
    chosen = {
        "type": type,
        "status": status,
        "unit": unit,
        "anchored": anchored if anchored in YES_NO else "",
        "outside": outside == "1",
        "overdue": overdue == "1",
        "as_of": as_of if "as_of" not in problems else "",
        "known_at": known_at if "known_at" not in problems else "",
    }
    shown = [
        r
        for r in rows
        if (not type or r["plan"]["plan_type"] == type)
        and (not status or r["status"] == status)
        and (not unit or r["plan"].get("owning_unit") == unit)
        and (chosen["anchored"] != "yes" or r["anchored"])
        and (chosen["anchored"] != "no" or not r["anchored"])
        and (not chosen["outside"] or r["outside"])
        and (not chosen["overdue"] or r["overdue"])
    ]
    shown.sort(key=lambda r: (r["plan"]["name"] or "").lower())
    types = [t for t in TYPE_ORDER if any(p["plan_type"] == t for p in register)]
    options = {
        "type": types,
        "status": sorted({p["status"] for p in register} | {r["status"] for r in rows}),
        "unit": sorted({p.get("owning_unit") or "" for p in register} - {""}),
    }
    unavailable = [k for k in ("not_anchored", "outside", "overdue") if isinstance(found.get(k), ServiceError)]
    template = "partials/plan_table.html" if is_htmx(request) else "plans.html"
    return render(
        request,
        template,
        v=v,
        rows=shown,
        total=len(rows),
        chosen=chosen,
        options=options,
        frame=frame,
        knowledge=ask_knowledge,
        problems=problems,
        unavailable=unavailable,
        with_known_at=ask_knowledge,
    )


def status_timeline(plan: dict[str, Any], history: Any) -> list[dict[str, Any]]:
    """Each step of the plan's life with the day it happened and the moment the register recorded it."""
    if isinstance(history, list):
        steps = []
        for event in history:
            data = event.get("data") or {}
            if event.get("type", "").endswith("Proposed"):
                steps.append(
                    {"status": "proposed", "effective": None, "recorded": event.get("timestamp"), "decision_id": None}
                )
            elif "status" in data:
                steps.append(
                    {
                        "status": data["status"],
                        "effective": data.get("on"),
                        "recorded": event.get("timestamp"),
                        "decision_id": data.get("decision_id"),
                    }
                )
        if steps:
            return steps
    return [
        {"status": s["status"], "effective": s.get("on"), "recorded": None, "decision_id": s.get("decision_id")}
        for s in plan.get("status_history") or []
    ]


@router.get("/plans/{plan_id}")
async def plan_page(request: Request, plan_id: str, v: Viewer = Depends(require("plan"))) -> Response:
    api = platform(request).plan_registry
    found = await gather_named(
        {
            "plan": api.plan(plan_id),
            "history": api.plan_history(plan_id),
            "plans": api.plans(),
            "goals": api.goals(),
            "decisions": api.decisions(),
            "strategies": api.strategies(),
        }
    )
    plan = one(found["plan"])
    everything = [] if isinstance(found["plans"], ServiceError) else found["plans"].items
    by_id = {p["id"]: p for p in everything}
    goals = {} if isinstance(found["goals"], ServiceError) else {g["id"]: g for g in found["goals"].items}
    timeline = status_timeline(plan, found["history"])
    decision_ids = {s["decision_id"] for s in timeline if s["decision_id"]} | {
        plan.get("adopted_by_decision_id"),
        plan.get("ended_by_decision_id"),
    } - {None}
    decisions = (
        []
        if isinstance(found["decisions"], ServiceError)
        else [d for d in found["decisions"].items if d["id"] in decision_ids or plan_id in (d.get("plan_ids") or [])]
    )
    items = []
    if not isinstance(found["strategies"], ServiceError):
        for strategy in found["strategies"].items:
            for item in strategy.get("items") or []:
                if plan_id in (item.get("plan_id"), item.get("merge_into_plan_id")) or item.get("item_id") == plan.get(
                    "strategy_item_id"
                ):
                    items.append({"strategy": strategy, "item": item})
    return render(
        request,
        "plan.html",
        v=v,
        plan=plan,
        timeline=timeline,
        parent=by_id.get(plan.get("parent_id")),
        children=sorted((p for p in everything if p.get("parent_id") == plan_id), key=lambda p: p["name"]),
        goals=[goals[g] for g in plan.get("goal_ids") or [] if g in goals],
        decisions=sorted(decisions, key=lambda d: d.get("meeting_date") or ""),
        items=items,
        successor=by_id.get(plan.get("successor_id")),
    )
