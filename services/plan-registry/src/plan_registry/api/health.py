"""Liveness (no token) and the health of the service and its store (operators)."""

from __future__ import annotations

from fastapi import APIRouter

from plan_registry.api.dependencies import OPERATE, Registry
from planspor_runtime.problems import READ_PROBLEMS

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness (no auth)")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/health", summary="Health of the service and its store", dependencies=OPERATE, responses=READ_PROBLEMS)
def health(app: Registry) -> dict[str, str | int]:
    return {"status": "ok", "service": "plan-registry", "position": app.recorder.max_notification_id() or 0}
