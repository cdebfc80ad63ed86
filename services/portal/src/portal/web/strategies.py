"""Strategies and decisions: lists, a strategy (items, compliance, trace), a decision (the trace back as a
timeline and as a graph, the evidence pack), and the strategy follow-up through the period.

Reads: plan-registry ``/strategies``, ``/strategies/{id}``, ``/decisions``, ``/decisions/{id}``,
``/plans``; knowledge ``/strategies/{id}/compliance`` and ``/trace/back/{strategy|decision}/{id}``
(analysts and auditors), and the evidence pack's address (issue 13: none yet).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from portal.client import Calls, ServiceError, gather_named
from portal.pages import KNOWLEDGE_READERS
from portal.views.follow_up import follow_up as follow_up_of
from portal.views.follow_up import in_force
from portal.views.timeline import as_json, graph_elements, timeline
from portal.web.context import Viewer, platform, render, require, value
from portal.web.register import one, parse_day

router = APIRouter()


def _knowledge_part(result: Any) -> tuple[Any, ServiceError | None]:
    return (None, result) if isinstance(result, ServiceError) else (result, None)


@router.get("/strategies")
async def strategies(request: Request, v: Viewer = Depends(require("strategies"))) -> Response:
    found = await platform(request).plan_registry.strategies()
    return render(
        request,
        "strategies.html",
        v=v,
        strategies=sorted(found.items, key=lambda s: s.get("election_period") or "", reverse=True),
    )


@router.get("/strategies/{strategy_id}")
async def strategy(request: Request, strategy_id: str, v: Viewer = Depends(require("strategy"))) -> Response:
    api = platform(request)
    calls: Calls = {"strategy": api.plan_registry.strategy(strategy_id), "plans": api.plan_registry.plans()}
    if v.may(KNOWLEDGE_READERS):
        calls.update(
            compliance=api.knowledge.compliance(strategy_id), trace=api.knowledge.trace_back("strategy", strategy_id)
        )
    found = await gather_named(calls)
    the_strategy = one(found["strategy"])
    plans = {} if isinstance(found["plans"], ServiceError) else {p["id"]: p for p in found["plans"].items}
    compliance, compliance_error = _knowledge_part(found.get("compliance"))
    trace, trace_error = _knowledge_part(found.get("trace"))
    return render(
        request,
        "strategy.html",
        v=v,
        strategy=the_strategy,
        plans=plans,
        items=sorted(the_strategy.get("items") or [], key=lambda i: (str(i.get("timing")), i.get("action"))),
        compliance=compliance,
        compliance_error=compliance_error,
        stages=timeline(trace) if trace else None,
        trace_error=trace_error,
    )


@router.get("/decisions")
async def decisions(request: Request, v: Viewer = Depends(require("decisions"))) -> Response:
    found = await platform(request).plan_registry.decisions()
    return render(
        request,
        "decisions.html",
        v=v,
        decisions=sorted(found.items, key=lambda d: d.get("meeting_date") or "", reverse=True),
    )


@router.get("/decisions/{decision_id}")
async def decision(request: Request, decision_id: str, v: Viewer = Depends(require("decision"))) -> Response:
    api = platform(request)
    calls: Calls = {"decision": api.plan_registry.decision(decision_id), "plans": api.plan_registry.plans()}
    if v.may(KNOWLEDGE_READERS):
        calls.update(
            trace=api.knowledge.trace_back("decision", decision_id),
            evidence_pack=api.knowledge.evidence_pack_url(decision_id),
        )
    found = await gather_named(calls)
    the_decision = one(found["decision"])
    plans = {} if isinstance(found["plans"], ServiceError) else {p["id"]: p for p in found["plans"].items}
    trace, trace_error = _knowledge_part(found.get("trace"))
    pack, _ = _knowledge_part(found.get("evidence_pack"))
    return render(
        request,
        "decision.html",
        v=v,
        decision=the_decision,
        plans=plans,
        stages=timeline(trace, the_decision) if trace else None,
        trace_error=trace_error,
        graph=as_json(graph_elements(trace)) if trace else None,
        steps=len(trace.get("steps", [])) if trace else 0,
        evidence_pack=pack,
    )


@router.get("/decisions/{decision_id}/evidence.zip")
async def decision_evidence_pack(
    request: Request, decision_id: str, v: Viewer = Depends(require("decision"))
) -> Response:
    """The decision's evidence pack (a zip for planspor-verify), for those who may read knowledge's traces."""
    from planspor_runtime.evidence import EvidenceError

    if not v.may(KNOWLEDGE_READERS):
        return Response(status_code=403, content="the evidence pack is for analysts and auditors")
    try:
        pack = await platform(request).evidence_pack("decision", decision_id)
    except EvidenceError as error:
        return Response(status_code=503, content=str(error), headers={"Retry-After": "30"})
    return Response(
        pack,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="evidence-decision-{decision_id}.zip"'},
    )


@router.get("/follow-up")
async def follow_up(
    request: Request, as_of: str = "", strategy_id: str = "", v: Viewer = Depends(require("follow_up"))
) -> Response:
    """The strategy in force on ``as_of`` (today if not given): its items against what happened since its
    adoption, the plans started outside it, and the council's amendments (``portal.views.follow_up``)."""
    api = platform(request).plan_registry
    problems = []
    try:
        day = parse_day(as_of) or date.today()
    except ValueError:
        day, problems = date.today(), ["as_of"]
    found = await gather_named({"strategies": api.strategies(), "plans": api.plans()})
    strategies = value(found["strategies"]).items
    chosen = next((s for s in strategies if s.get("id") == strategy_id), None) if strategy_id else None
    chosen = chosen or in_force(strategies, day)
    report, decision = None, None
    if chosen is not None:
        detail: Calls = {"strategy": api.strategy(chosen["id"])}
        if chosen.get("adopted_by_decision_id"):
            detail["decision"] = api.decision(chosen["adopted_by_decision_id"])
        more = await gather_named(detail)
        chosen = value(more["strategy"])
        decision = None if isinstance(more.get("decision"), ServiceError) else more.get("decision")
        report = follow_up_of(chosen, value(found["plans"]).items, decision, day)
    return render(
        request,
        "follow_up.html",
        v=v,
        strategy=chosen,
        decision=decision,
        report=report,
        as_of=day,
        chosen_as_of=as_of if not problems else "",
        problems=problems,
        strategies=[s for s in strategies if s.get("adopted_on")],
    )
