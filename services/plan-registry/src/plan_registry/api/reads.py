"""The reads every kind has, the same way: the list, one (with its version as ``ETag``), its history."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Query, Response

from plan_registry.api.dependencies import READ, Registry
from plan_registry.api.models import HistoryEvent
from planspor_runtime.http import etag
from planspor_runtime.problems import READ_PROBLEMS

DEFAULT_LIMIT = 1000


def reads(kind: str, path: str) -> APIRouter:
    """``GET /{path}``, ``GET /{path}/{id}`` and ``GET /{path}/{id}/history`` for ``kind``."""
    router = APIRouter(prefix=f"/{path}", tags=[path], dependencies=READ, responses=READ_PROBLEMS)

    @router.get("", summary=f"List {path}", response_model=list[dict[str, Any]])
    def list_all(app: Registry, limit: int = Query(DEFAULT_LIMIT, ge=0)) -> list[dict[str, Any]]:
        return app.states(kind, limit=limit)

    @router.get(
        "/{aggregate_id}",
        summary=f"One of the {path}",
        response_model=dict[str, Any],
        description="Current state; the ETag header is the version to send as If-Match.",
    )
    def get_one(aggregate_id: UUID, app: Registry, response: Response) -> dict[str, Any]:
        state = app.state(kind, aggregate_id)
        etag(response, state["version"])
        return state

    @router.get(
        "/{aggregate_id}/history", summary=f"Stored events of one of the {path}", response_model=list[HistoryEvent]
    )
    def history(aggregate_id: UUID, app: Registry) -> list[HistoryEvent]:
        return [HistoryEvent(**e) for e in app.history_of(kind, aggregate_id)]

    return router
