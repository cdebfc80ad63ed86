"""For analysts: the graph explorer (any node's neighbourhood, expanded by click, filtered by label) and the
Cypher console (editor, results as a table, CSV download, refusals shown inline with their reason).

Reads: knowledge ``POST /api/v1/cypher`` (the analyst's own query, and the explorer's fixed
neighbourhood query, ``client.NEIGHBOURHOOD_CYPHER``); plan-registry ``/strategies`` and
``/decisions`` for places to start exploring.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import JSONResponse, Response

from portal.client import GRAPH_LABELS, ServiceError, cypher_rows_as_table, gather_named
from portal.views.timeline import PAGES, as_json, title_of
from portal.web.context import Viewer, check_csrf, is_htmx, platform, render, require

router = APIRouter()
EXAMPLE = (
    "MATCH (p:Plan)-[a:ANCHORED_IN]->(g:Goal)\nWHERE a.until IS NULL\n"
    "RETURN g.title AS goal, count(p) AS plans\nORDER BY plans DESC"
)


def _node(node: dict[str, Any]) -> dict[str, Any]:
    label = next((name for name in node.get("labels") or [] if name in GRAPH_LABELS), (node.get("labels") or ["?"])[0])
    properties = node.get("properties") or {}
    title = title_of(label, properties) or properties.get("id") or label
    return {
        "label": label,
        "id": properties.get("id"),
        "title": title,
        "page": PAGES[label].format(properties.get("id")) if label in PAGES else None,
    }


def neighbourhood(result: dict[str, Any]) -> tuple[dict[str, Any] | None, list[dict[str, Any]], list[dict[str, Any]]]:
    """(start, rows for the table, cytoscape elements) of a neighbourhood query's answer."""
    start, rows, elements = None, [], {}
    for row in result.get("rows") or []:
        node = row.get("node")
        if node and start is None:
            start = _node(node)
            elements[start["id"]] = {"data": {"id": start["id"], "label": start["label"], "name": start["title"][:48]}}
        other, relationship = row.get("neighbour"), row.get("relationship")
        if start is None or not other or not relationship:  # a neighbour is drawn beside the node it neighbours
            continue
        neighbour = _node(other)
        outgoing = relationship.get("start", {}).get("id") == (start or {}).get("id")
        rows.append(
            {
                "type": relationship.get("type"),
                "outgoing": outgoing,
                "node": neighbour,
                "since": (relationship.get("properties") or {}).get("since"),
                "until": (relationship.get("properties") or {}).get("until"),
            }
        )
        elements.setdefault(
            neighbour["id"],
            {"data": {"id": neighbour["id"], "label": neighbour["label"], "name": neighbour["title"][:48]}},
        )
        source, target = (start["id"], neighbour["id"]) if outgoing else (neighbour["id"], start["id"])
        key = f"{source}-{relationship.get('type')}-{target}"
        elements.setdefault(
            key, {"data": {"id": key, "source": source, "target": target, "label": relationship.get("type")}}
        )
    rows.sort(key=lambda r: (r["type"] or "", r["node"]["label"], r["node"]["title"]))
    return start, rows, list(elements.values())


@router.get("/explore")
async def explore(
    request: Request,
    label: str = "",
    id: str = "",
    labels: list[str] = Query(default=[]),
    v: Viewer = Depends(require("explore")),
) -> Response:
    api = platform(request)
    wanted = [name for name in labels if name in GRAPH_LABELS]
    start = rows = elements = None
    error = None
    if label in GRAPH_LABELS and id.strip():
        try:
            start, rows, elements = neighbourhood(await api.knowledge.neighbourhood(label, id.strip(), wanted))
        except ServiceError as refused:
            if refused.status in (401, 403):
                raise
            error = refused
    places = await gather_named(
        {"strategies": api.plan_registry.strategies(), "decisions": api.plan_registry.decisions()}
    )
    starts = []
    for key, kind in (("strategies", "Strategy"), ("decisions", "Decision")):
        if not isinstance(places[key], ServiceError):
            for item in places[key].items[:8]:
                starts.append({"label": kind, "id": item["id"], "title": item.get("title") or item.get("subject")})
    return render(
        request,
        "explore.html",
        v=v,
        label=label,
        node_id=id.strip(),
        wanted=wanted,
        labels=GRAPH_LABELS,
        start=start,
        rows=rows,
        graph=as_json(elements) if elements else None,
        error=error,
        starts=starts,
    )


@router.get("/explore/neighbourhood.json")
async def neighbourhood_json(
    request: Request,
    label: str,
    id: str,
    labels: list[str] = Query(default=[]),
    v: Viewer = Depends(require("explore")),
) -> Response:
    if label not in GRAPH_LABELS:
        return JSONResponse({"detail": f"unknown label {label!r}"}, status_code=400)
    try:
        result = await platform(request).knowledge.neighbourhood(label, id, [n for n in labels if n in GRAPH_LABELS])
    except ServiceError as error:
        return JSONResponse({"detail": error.detail}, status_code=error.status)
    start, rows, elements = neighbourhood(result)
    return JSONResponse({"start": start, "elements": elements, "count": len(rows)})


async def _run(request: Request, query: str, params_text: str) -> dict[str, Any]:
    """The answer, or the reason it was refused (by the console: bad parameters; by the service: its guard)."""
    try:
        params = json.loads(params_text) if params_text.strip() else {}
        if not isinstance(params, dict):
            raise ValueError
    except ValueError:
        return {"problem": "cypher.params_invalid"}
    try:
        result = await platform(request).knowledge.cypher(query, params)
    except ServiceError as error:
        if error.status in (401, 403):
            raise
        return {"refused": error}
    columns, cells = cypher_rows_as_table(result)
    return {
        "columns": columns,
        "cells": cells,
        "truncated": result.get("truncated"),
        "row_limit": result.get("row_limit"),
    }


@router.get("/cypher")
async def console(request: Request, v: Viewer = Depends(require("cypher"))) -> Response:
    return render(request, "cypher.html", v=v, query=EXAMPLE, params="", outcome=None)


@router.post("/cypher", dependencies=[Depends(check_csrf)])
async def run(
    request: Request,
    query: str = Form(default=""),
    params: str = Form(default=""),
    v: Viewer = Depends(require("cypher")),
) -> Response:
    outcome = await _run(request, query, params) if query.strip() else {"problem": "cypher.query_missing"}
    template = "partials/cypher_result.html" if is_htmx(request) else "cypher.html"
    failed = "refused" in outcome or "problem" in outcome
    return render(
        request,
        template,
        v=v,
        query=query,
        params=params,
        outcome=outcome,
        status_code=400 if failed and not is_htmx(request) else 200,
    )


@router.post("/cypher.csv", dependencies=[Depends(check_csrf)])
async def download(
    request: Request,
    query: str = Form(default=""),
    params: str = Form(default=""),
    v: Viewer = Depends(require("cypher")),
) -> Response:
    outcome = await _run(request, query, params) if query.strip() else {"problem": "cypher.query_missing"}
    if "columns" not in outcome:
        return render(request, "cypher.html", v=v, query=query, params=params, outcome=outcome, status_code=400)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(outcome["columns"])
    writer.writerows(outcome["cells"])
    return Response(
        out.getvalue().encode("utf-8-sig"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="planspor-cypher.csv"'},
    )
