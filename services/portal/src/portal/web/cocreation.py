"""Co-creation: the processes with their workshops and inputs, a workshop (who attended by party and body,
what was raised) and an input ("what became of this", the page an elected official is sent to).

Reads: co-creation ``/processes``, ``/processes/{id}``, ``/processes/{id}/workshops``,
``/processes/{id}/inputs``, ``/workshops/{id}``, ``/inputs/{id}``; knowledge
``/trace/forward/input/{id}``; plan-registry ``/strategies/{id}``, ``/decisions/{id}`` and
``/plans/{id}`` for the names the story mentions.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from portal.client import Calls, ServiceError, gather_named
from portal.pages import COCREATION_READERS, KNOWLEDGE_READERS, PLAN_READERS
from portal.views.forward import journeys
from portal.web.context import PortalError, Viewer, platform, render, require, value
from portal.web.register import one

router = APIRouter()


@router.get("/cocreation")
async def cocreation(request: Request, v: Viewer = Depends(require("cocreation"))) -> Response:
    api = platform(request).cocreation
    processes = (await api.processes()).items
    found = await gather_named(
        {
            **{f"workshops:{p['process_id']}": api.workshops(p["process_id"]) for p in processes},
            **{f"inputs:{p['process_id']}": api.inputs(p["process_id"]) for p in processes},
        }
    )
    shown = []
    for process in processes:
        workshops = value(found[f"workshops:{process['process_id']}"]).items
        inputs = value(found[f"inputs:{process['process_id']}"]).items
        titles = {w["workshop_id"]: w for w in workshops}
        shown.append(
            {
                "process": process,
                "workshops": sorted(workshops, key=lambda w: w.get("on") or ""),
                "inputs": sorted(inputs, key=lambda i: (i.get("recorded_on") or "", i.get("text") or "")),
                "workshop_of": titles,
            }
        )
    return render(request, "cocreation.html", v=v, processes=shown)


def attendance(participants: list[dict[str, Any]]) -> dict[str, list[tuple[str, int]]]:
    """Elected officials by party and by body; the administration by unit."""
    officials = [p for p in participants if p.get("kind") == "elected_official"]
    staff = [p for p in participants if p.get("kind") != "elected_official"]
    return {
        "party": sorted(Counter(p.get("party") or "" for p in officials).items()),
        "body": sorted(Counter(p.get("body") or "" for p in officials).items()),
        "unit": sorted(Counter(p.get("unit") or "" for p in staff).items()),
    }


@router.get("/workshops/{workshop_id}")
async def workshop(request: Request, workshop_id: str, v: Viewer = Depends(require("workshop"))) -> Response:
    api = platform(request).cocreation
    the_workshop = one((await gather_named({"w": api.workshop(workshop_id)}))["w"])
    found = await gather_named(
        {"process": api.process(the_workshop["process_id"]), "inputs": api.inputs(the_workshop["process_id"])}
    )
    process = value(found["process"])
    people = {p["id"]: p for p in process.get("participants") or []}
    attendees = [people[i] for i in the_workshop.get("attendee_ids") or [] if i in people]
    raised = [i for i in value(found["inputs"]).items if i.get("workshop_id") == workshop_id]
    return render(
        request,
        "workshop.html",
        v=v,
        workshop=the_workshop,
        process=process,
        attendees=sorted(attendees, key=lambda p: (p.get("kind") != "elected_official", p.get("name") or "")),
        attendance=attendance(attendees),
        inputs=sorted(raised, key=lambda i: i.get("text") or ""),
        people=people,
    )


@router.get("/inputs/{input_id}")
async def input_page(request: Request, input_id: str, v: Viewer = Depends(require("input"))) -> Response:
    api = platform(request)
    calls: Calls = {}
    if v.may(COCREATION_READERS):
        calls["input"] = api.cocreation.input(input_id)
    if v.may(KNOWLEDGE_READERS):
        calls["forward"] = api.knowledge.trace_forward(input_id)
    found = await gather_named(calls)
    recorded = found.get("input")
    forward = found.get("forward")
    the_input = recorded if isinstance(recorded, dict) else None
    result = forward if isinstance(forward, dict) else None
    if the_input is None and result is None:
        errors = [e for e in (recorded, forward) if isinstance(e, ServiceError)]
        if errors:
            one(errors[0])
        raise PortalError(404, "error.not_found")
    facts = the_input or {**(result or {}).get("input", {}), "input_id": input_id}
    workshop_id = facts.get("workshop_id")
    paths = journeys(result) if result else []
    names: dict[str, Any] = {}
    if v.may(COCREATION_READERS) and workshop_id:
        names["workshop"] = api.cocreation.workshop(workshop_id)
        process_id = facts.get("process_id")
        names["process"] = api.cocreation.process(process_id) if process_id else None
    if v.may(PLAN_READERS):
        for path in paths:
            if path.strategy_id:
                names[f"strategy:{path.strategy_id}"] = api.plan_registry.strategy(path.strategy_id)
            if path.decision_id:
                names[f"decision:{path.decision_id}"] = api.plan_registry.decision(path.decision_id)
            for plan_id in path.plans:
                names[f"plan:{plan_id}"] = api.plan_registry.plan(plan_id)
    resolved = {
        k: r
        for k, r in (await gather_named({k: c for k, c in names.items() if c is not None})).items()
        if not isinstance(r, ServiceError)
    }
    process = resolved.get("process") or {}
    author = next(
        (
            p
            for p in process.get("participants") or []
            if p["id"] in (facts.get("author_id"), facts.get("author_participant_id"))
        ),
        None,
    )
    return render(
        request,
        "input.html",
        v=v,
        item=facts,
        result=result,
        forward_error=forward if isinstance(forward, ServiceError) else None,
        paths=paths,
        workshop=resolved.get("workshop"),
        author=author,
        names=resolved,
    )
