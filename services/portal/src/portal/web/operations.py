"""For operators: the projection's health, dead letters with replay, and a rebuild of the graph with progress.

Reads and commands: knowledge ``/health``, ``/api/v1/dead-letters``,
``POST /api/v1/dead-letters/{id}/replay``, ``POST /api/v1/rebuild``.

The knowledge service's rebuild answers only when it is done, so the portal runs the call in
the background (one rebuild at a time per portal) and measures progress against the record: the
positions applied per source (``/health`` checkpoints) against those applied before it began.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Form, Request
from fastapi.responses import RedirectResponse, Response

from portal.client import KnowledgeApi, ServiceError, gather_named
from portal.web.context import Viewer, check_csrf, is_htmx, platform, render, require

router = APIRouter()
ORIGINS = ("stream", "feeds")


@dataclass
class RebuildJob:
    origin: str
    before: int
    """Positions applied (all sources) when the rebuild began: what it must reach again."""
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None
    task: asyncio.Task | None = None
    result: dict[str, Any] | None = None
    error: ServiceError | None = None

    @property
    def running(self) -> bool:
        return self.finished is None

    def seconds(self) -> float:
        return (self.finished or time.monotonic()) - self.started


def applied(health: dict[str, Any]) -> int:
    return sum(int(c.get("position") or 0) for c in (health.get("checkpoints") or {}).values())


def progress(job: RebuildJob, health: dict[str, Any] | None) -> dict[str, Any]:
    """How far the rebuild is, as events applied against the events applied before it (0..100 %)."""
    if not job.running:
        done = job.result.get("events_read", job.before) if job.result else None
        return {"done": done, "total": job.before, "percent": 100 if job.result else None}
    now = applied(health) if health else None
    if now is None or job.before <= 0:
        return {"done": now, "total": job.before or None, "percent": None}
    return {"done": now, "total": job.before, "percent": min(99, int(now * 100 / job.before))}


async def _run(job: RebuildJob, knowledge: KnowledgeApi) -> None:
    try:
        job.result = await knowledge.rebuild(job.origin)
    except ServiceError as error:
        job.error = error
    finally:
        job.finished = time.monotonic()


async def stop_jobs(app: FastAPI) -> None:
    job: RebuildJob | None = getattr(app.state, "rebuild", None)
    if job is not None and job.task is not None and not job.task.done():
        job.task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await job.task


async def _page(request: Request, v: Viewer, status_code: int = 200, **extra: Any) -> Response:
    api = platform(request).knowledge
    found = await gather_named({"health": api.health(), "letters": api.dead_letters()})
    for result in found.values():
        if isinstance(result, ServiceError) and result.status in (401, 403):
            raise result
    job = getattr(request.app.state, "rebuild", None)
    health = found["health"] if isinstance(found["health"], dict) else None
    return render(
        request,
        "operations.html",
        v=v,
        status_code=status_code,
        health=found["health"],
        letters=found["letters"],
        job=job,
        progress=progress(job, health) if job else None,
        **extra,
    )


@router.get("/operations")
async def operations(request: Request, v: Viewer = Depends(require("operations"))) -> Response:
    return await _page(request, v)


@router.post("/operations/dead-letters/{dead_letter_id}/replay", dependencies=[Depends(check_csrf)])
async def replay(request: Request, dead_letter_id: str, v: Viewer = Depends(require("operations"))) -> Response:
    outcome: dict[str, Any]
    try:
        outcome = {"replayed": await platform(request).knowledge.replay(dead_letter_id), "id": dead_letter_id}
    except ServiceError as error:
        if error.status in (401, 403):
            raise
        outcome = {"refused": error, "id": dead_letter_id}
    if is_htmx(request):
        return render(request, "partials/replay_result.html", v=v, outcome=outcome)
    return await _page(request, v, status_code=200 if "replayed" in outcome else 409, replay=outcome)


@router.post("/operations/rebuild", dependencies=[Depends(check_csrf)])
async def rebuild(
    request: Request,
    origin: str = Form(default="stream"),
    confirm: str = Form(default=""),
    v: Viewer = Depends(require("operations")),
) -> Response:
    job: RebuildJob | None = getattr(request.app.state, "rebuild", None)
    if origin not in ORIGINS or confirm != "yes":
        return await _page(request, v, status_code=400, rebuild_problem="operations.rebuild_confirm")
    if job is None or not job.running:
        knowledge = platform(request).knowledge
        health = await knowledge.health()
        job = RebuildJob(origin=origin, before=applied(health))
        job.task = asyncio.create_task(_run(job, knowledge))
        request.app.state.rebuild = job
    if is_htmx(request):
        return await rebuild_status(request, v)
    return RedirectResponse("/operations#rebuild", status_code=303)


@router.get("/operations/rebuild")
async def rebuild_status(request: Request, v: Viewer = Depends(require("operations"))) -> Response:
    job: RebuildJob | None = getattr(request.app.state, "rebuild", None)
    health = None
    if job is not None and job.running:
        found = await gather_named({"health": platform(request).knowledge.health()})
        health = found["health"] if isinstance(found["health"], dict) else None
    return render(
        request, "partials/rebuild_progress.html", v=v, job=job, progress=progress(job, health) if job else None
    )
