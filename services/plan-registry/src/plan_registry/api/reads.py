"""The reads every kind has, the same way: the list, one (with its version as ``ETag``), its history."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request, Response

from plan_registry.api.dependencies import READ, Registry
from plan_registry.api.models import HistoryEvent
from planspor_runtime.http import etag
from planspor_runtime.paging import Paging
from planspor_runtime.problems import READ_PROBLEMS


def reads(kind: str, path: str) -> APIRouter:
    """``GET /{path}``, ``GET /{path}/{id}`` and ``GET /{path}/{id}/history`` for ``kind``."""
    router = APIRouter(prefix=f"/{path}", tags=[path], dependencies=READ, responses=READ_PROBLEMS)

    @router.get(
        "",
        summary=f"List {path}",
        description=(
            "In order of creation, a page at a time: ``limit`` (default 100, at most 1000) and ``cursor`` (the "
            "``next`` of the page before); ``next`` is null on the last page, else also the ``Link`` header."
        ),
    )
    def list_all(app: Registry, page: Paging, request: Request, response: Response) -> dict[str, Any]:
        items, last = app.states_page(kind, limit=page.limit, after=page.after_position(path))
        return page.answer(request, response, path, items, last)

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
