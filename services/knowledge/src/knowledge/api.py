"""HTTP: health, operator routes (dead letters, rebuild), checksum and PROV export; K2's queries are included.

Every route but ``/healthz`` declares its roles (design.md, "Access"). The container
is on ``app.state.container`` for the query router (``knowledge.api_queries``): it
exposes ``build_router(container)`` or a module-level ``router``.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
from typing import Literal

from fastapi import APIRouter, Depends, FastAPI, HTTPException
from pydantic import BaseModel

from planspor_runtime.access import Role
from planspor_runtime.docs import serve_docs_locally

from knowledge.bootstrap import Container, start
from knowledge.graph import projection as graph
from knowledge.graph.checksum import graph_checksum
from knowledge.graph.export import export_prov
from knowledge.projection.projector import ReplayRefused, replay_dead_letter
from knowledge.rebuild import rebuild

log = logging.getLogger("knowledge.api")


class RebuildRequest(BaseModel):
    origin: Literal["stream", "feeds"] = "stream"


def operator_router(container: Container) -> APIRouter:
    access = container.access
    operator = Depends(access.require(Role.OPERATOR))
    readers = Depends(access.require(Role.OPERATOR, Role.ANALYST, Role.AUDITOR))
    router = APIRouter()
    driver, database = container.driver, container.settings.neo4j_database

    @router.get("/health", dependencies=[operator])
    async def health() -> dict:
        async with driver.session(database=database) as session:
            checkpoints = await session.execute_read(graph.read_checkpoints)
            open_letters = await session.execute_read(graph.list_dead_letters, "open")
        projector = container.projector
        lag = await projector.pending() if hasattr(projector, "pending") else None
        return {
            "checkpoints": {s: {"position": p, "hash": h} for s, (p, h) in sorted(checkpoints.items())},
            "lag": lag,
            "dead_letters_open": len(open_letters),
            "batches": projector.batches,
            "last_error": projector.last_error,
        }

    @router.get("/api/v1/dead-letters", dependencies=[operator])
    async def dead_letters(status: Literal["open", "replayed"] | None = None) -> dict:
        async with driver.session(database=database) as session:
            letters = await session.execute_read(graph.list_dead_letters, status)
        return {"dead_letters": letters, "count": len(letters)}

    @router.post("/api/v1/dead-letters/{dead_letter_id}/replay", dependencies=[operator])
    async def replay(dead_letter_id: str) -> dict:
        try:
            return await replay_dead_letter(container.projection, dead_letter_id)
        except KeyError:
            raise HTTPException(404, detail=f"no dead letter {dead_letter_id!r}") from None
        except ReplayRefused as error:
            raise HTTPException(409, detail=f"dead letter {dead_letter_id!r} still cannot be applied: {error}") from None

    @router.get("/api/v1/checksum", dependencies=[readers])
    async def checksum() -> dict:
        return await graph_checksum(driver, database)

    @router.get("/api/v1/export/prov", dependencies=[Depends(access.require(Role.AUDITOR, Role.ANALYST))])
    async def prov() -> dict:
        return await export_prov(driver, database)

    @router.post("/api/v1/rebuild", dependencies=[operator])
    async def rebuild_graph(request: RebuildRequest | None = None) -> dict:
        origin = (request or RebuildRequest()).origin
        return await rebuild(container.projection, origin=origin, nats_url=container.settings.nats_url,
                             prefix=container.settings.planspor_subject_prefix)

    return router


def _query_router(container: Container) -> APIRouter | None:
    try:
        module = importlib.import_module("knowledge.api_queries")
    except ModuleNotFoundError as error:
        if error.name == "knowledge.api_queries":
            return None
        raise
    if hasattr(module, "build_router"):
        return module.build_router(container)
    return getattr(module, "router", None)


def create_app(container: Container, *, run_projector: bool = True) -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        await start(container)
        task = asyncio.create_task(container.projector.run()) if run_projector else None
        try:
            yield
        finally:
            if task is not None:
                container.projector.stop()
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(task, timeout=10)
            await container.aclose()

    app = FastAPI(title="planspor knowledge", version="1", lifespan=lifespan)
    app.state.container = container
    serve_docs_locally(app)

    @app.get("/healthz")
    async def healthz() -> dict:
        return {"status": "ok"}

    app.include_router(operator_router(container))
    from planspor_runtime.asyncapi import SERVICES, asyncapi_router

    app.include_router(asyncapi_router("knowledge", SERVICES["knowledge"],
                                       prefix=container.settings.planspor_subject_prefix))
    queries = _query_router(container)
    if queries is not None:
        app.include_router(queries)
    return app
