"""Liveness (no token) and the health of the service and its store (operators)."""

from __future__ import annotations

from fastapi import APIRouter

from cocreation.api.dependencies import OPERATE, Cocreation
from planspor_runtime.problems import READ_PROBLEMS

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="Liveness (no auth)")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/health", summary="Health of the service and its store", dependencies=OPERATE, responses=READ_PROBLEMS)
def health(app: Cocreation) -> dict[str, str]:
    app.notification_log.select(1, 1)
    return {"status": "ok", "service": "cocreation", "store": type(app.recorder).__module__}
