"""Strategies and decisions: lists, a strategy (items, compliance, trace), a decision (the trace back as a
timeline and as a graph, the evidence pack), and the strategy follow-up through the period.

Reads: plan-registry ``/strategies``, ``/strategies/{id}``, ``/decisions``, ``/decisions/{id}``,
``/plans``; knowledge ``/strategies/{id}/compliance`` and ``/trace/back/{strategy|decision}/{id}``
(analysts and auditors), the evidence pack's address (issue 13: none yet), and ``/follow-up`` or
``/strategies/{id}/follow-up`` (planners too).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from portal.client import Calls, ServiceError, TimeFrame, gather_named
from portal.pages import KNOWLEDGE_READERS
from portal.views.timeline import as_json, graph_elements, timeline
from portal.web.context import Viewer, platform, raise_for, render, require
from portal.web.register import one, parse_day, parse_instant

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
    request: Request,
    as_of: str = "",
    known_at: str = "",
    strategy_id: str = "",
    v: Viewer = Depends(require("follow_up")),
) -> Response:
    """The strategy in force on ``as_of`` (today if not given; or ``strategy_id``), as knowledge answers it
    (``/api/v1/follow-up``): its items against what happened since its adoption, the plans started outside it,
    and the council's amendments. A day or an instant knowledge refuses (422) is marked on its field, and the
    page answers without it."""
    api = platform(request).knowledge
    problems = []
    try:
        day = parse_day(as_of)
    except ValueError:
        day, problems = None, ["as_of"]
    try:
        known = parse_instant(known_at)
    except ValueError:
        known, problems = None, [*problems, "known_at"]
    try:
        report = await api.follow_up(TimeFrame(as_of=day, known_at=known), strategy_id or None)
    except ServiceError as error:
        field = (error.rule or "").removeprefix("request.")
        if error.status != 422 or field not in ("as_of", "known_at"):
            raise_for(error)
        problems.append(field)
        frame = TimeFrame(as_of=None if field == "as_of" else day, known_at=None if field == "known_at" else known)
        try:
            report = await api.follow_up(frame, strategy_id or None)
        except ServiceError as again:
            raise_for(again)
    chosen = {
        "as_of": as_of if "as_of" not in problems else "",
        "known_at": known_at if "known_at" not in problems else "",
    }
    return render(
        request,
        "follow_up.html",
        v=v,
        report=report,
        strategy=report.get("strategy"),
        as_of=report.get("as_of"),
        chosen=chosen,
        problems=problems,
        with_known_at=True,
    )
