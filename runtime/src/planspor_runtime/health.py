"""Liveness and readiness, the same routes and shapes in every service.

- ``GET /healthz``: alive. No token, no I/O: the process answers. An orchestrator restarts a service that does
  not (Kubernetes ``livenessProbe``).
- ``GET /readyz``: ready to serve. No token. Each check of the service (its store, the broker, the graph, the
  relay and the projector not stuck) runs with a time limit; all pass: 200 ``{"status": "ready", "checks":
  {...}}``; any fails: 503, a problem body (``application/problem+json``) whose ``detail`` gives every reason and
  whose ``checks`` names each check's result. An orchestrator stops sending traffic (``readinessProbe``).
- ``GET /health`` (operator): what the operator looks at; ``status`` is ``ok`` or ``degraded`` with the reasons.
  Each service builds its own body; the two domain services share ``domain_health_router``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from planspor_runtime.problems import problem, problem_response, problem_responses

CheckResult = str | None
"""None: the check passed; a sentence: why it did not."""


@dataclass(frozen=True)
class Check:
    """One readiness condition: ``run`` answers None when it holds, or the reason it does not."""

    name: str
    run: Callable[[], Awaitable[CheckResult]]


async def run_checks(checks: Sequence[Check], timeout: float = 2.0) -> dict[str, CheckResult]:
    """Every check at once, each bounded by ``timeout`` (a check that does not answer in time fails)."""

    async def one(check: Check) -> CheckResult:
        try:
            return await asyncio.wait_for(check.run(), timeout)
        except TimeoutError:
            return f"no answer within {timeout:g} s"
        except Exception as error:  # noqa: BLE001 - any failure is a reason, not a 500
            return f"{type(error).__name__}: {error}"

    results = await asyncio.gather(*(one(c) for c in checks))
    return {check.name: result for check, result in zip(checks, results)}


def reasons(results: dict[str, CheckResult]) -> list[str]:
    return [f"{name}: {result}" for name, result in results.items() if result is not None]


def probes_router(checks: Callable[[], Sequence[Check]], *, timeout: float = 2.0) -> APIRouter:
    """``/healthz`` and ``/readyz``. ``checks`` is asked at each request (parts start after the app is built)."""
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", summary="Liveness: the process answers (no token, no I/O)")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get(
        "/readyz",
        summary="Readiness: store, broker, graph reachable; relay and projector not stuck (no token)",
        responses=problem_responses(503),
    )
    async def readyz() -> Any:
        results = await run_checks(checks(), timeout)
        shown = {name: result or "ok" for name, result in results.items()}
        failed = reasons(results)
        if not failed:
            return JSONResponse({"status": "ready", "checks": shown})
        body = problem(503, "not ready: " + "; ".join(failed), name="not_ready", title="The service is not ready")
        extended = type(body).model_validate({**body.model_dump(exclude_none=True), "checks": shown})
        return problem_response(extended, headers={"Retry-After": "5", "Cache-Control": "no-store"})

    return router
