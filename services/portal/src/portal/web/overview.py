"""The overview (counts, plans over time, projection, integrity) and the plan system page.

Reads: plan-registry ``/plans``, ``/goals``, ``/strategies``, ``/decisions``; co-creation
``/processes`` (+ each process's workshops and inputs); for the integrity section (``/integrity``,
loaded after the page) knowledge ``/api/v1/checksum``, ``/health`` (operators) and, for analysts,
the chain status through ``/api/v1/cypher``. Each section shows what the role may see and says so
where it may not.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from portal.client import COCREATION, PLAN_REGISTRY, Calls, ServiceError, gather_named
from portal.pages import ANALYSTS, COCREATION_READERS, HEAD_READERS, KNOWLEDGE_READERS, OPERATORS, PLAN_READERS
from portal.views.plan_system import bars, by_type, counts_by_year, hierarchy
from portal.web.context import Viewer, is_htmx, platform, render, require, value

router = APIRouter()


def _items(result: Any) -> list[dict[str, Any]] | None:
    return None if isinstance(result, ServiceError) or result is None else result.items


async def integrity(request: Request, v: Viewer) -> dict[str, Any]:
    """What the platform tells about the record's integrity, with each source's latest signed tree head.

    Each part is its answer, ``None`` when the role may not ask, or the ``ServiceError`` it got.
    """
    api = platform(request).knowledge
    calls: Calls = {}
    if v.may(OPERATORS):
        calls["health"] = api.health()
    if v.may(OPERATORS | KNOWLEDGE_READERS):
        calls["checksum"] = api.checksum()
    if v.may(ANALYSTS):
        calls["chain"] = api.chain_status()
    if v.may(HEAD_READERS):
        for source in (PLAN_REGISTRY, COCREATION):
            calls[f"head:{source}"] = platform(request).signed_head(source)
    found = await gather_named(calls)
    parts = {part: found.get(part) for part in ("health", "checksum", "chain")}
    heads = [found[k] for k in found if k.startswith("head:")]
    parts["heads"] = heads or None
    return parts


def chart_of(plans: list[dict[str, Any]], today: date) -> dict[str, Any]:
    years = counts_by_year(plans, today)
    return {
        "years": years,
        "bars": bars([(str(y.year), y.plans) for y in years]),
        "peak": max(years, key=lambda y: y.plans) if years else None,
        "now": years[-1] if years else None,
    }


@router.get("/")
async def overview(request: Request, v: Viewer = Depends(require("overview"))) -> Response:
    api = platform(request)
    calls: Calls = {}
    if v.may(PLAN_READERS):
        calls.update(
            plans=api.plan_registry.plans(),
            goals=api.plan_registry.goals(),
            strategies=api.plan_registry.strategies(),
            decisions=api.plan_registry.decisions(),
        )
    if v.may(COCREATION_READERS):
        calls["processes"] = api.cocreation.processes()
    found = await gather_named(calls)
    processes = _items(found.get("processes")) or []
    per_process = await gather_named(
        {
            **{f"workshops:{p['process_id']}": api.cocreation.workshops(p["process_id"]) for p in processes},
            **{f"inputs:{p['process_id']}": api.cocreation.inputs(p["process_id"]) for p in processes},
        }
    )
    counts: list[tuple[str, int | None]] = []
    for key in ("plans", "goals", "strategies", "decisions", "processes"):
        if key in found:
            items = _items(found[key])
            counts.append((key, None if items is None else len(items)))
    if processes:
        for kind in ("workshops", "inputs"):
            lists = [_items(r) for k, r in per_process.items() if k.startswith(kind)]
            known = [items for items in lists if items is not None]
            counts.append((kind, sum(len(items) for items in known) if len(known) == len(lists) else None))
    plans = _items(found.get("plans"))
    return render(
        request, "overview.html", v=v, counts=counts, chart=chart_of(plans, date.today()) if plans is not None else None
    )


@router.get("/integrity")
async def integrity_status(request: Request, v: Viewer = Depends(require("overview"))) -> Response:
    """Its own request, which the overview loads after it is shown: the graph's checksum reads the whole graph."""
    template = "partials/integrity.html" if is_htmx(request) else "integrity.html"
    return render(request, template, v=v, integrity=await integrity(request, v))


@router.get("/plan-system")
async def plan_system(request: Request, v: Viewer = Depends(require("plan_system"))) -> Response:
    api = platform(request).plan_registry
    found = await gather_named({"plans": api.plans(), "goals": api.goals()})
    plans = value(found["plans"]).items
    goals = value(found["goals"]).items
    placed, unplaced = hierarchy(plans)
    goal_names = {g["id"]: g["title"] for g in goals}
    anchored: dict[str, list[dict[str, Any]]] = {}
    for plan in plans:
        for goal_id in plan.get("goal_ids") or []:
            anchored.setdefault(goal_id, []).append(plan)
    main_goals = [g for g in goals if not g.get("parent_id")]
    sub_goals = {g["id"]: [s for s in goals if s.get("parent_id") == g["id"]] for g in main_goals}
    return render(
        request,
        "plan_system.html",
        v=v,
        placed=placed,
        unplaced=unplaced,
        total=len(plans),
        goal_names=goal_names,
        main_goals=main_goals,
        sub_goals=sub_goals,
        anchored=anchored,
        types=by_type(plans),
        chart=chart_of(plans, date.today()),
        not_anchored=sum(1 for p in plans if not p.get("goal_ids") and p.get("plan_type") != "kommuneplan_samfunnsdel"),
    )
