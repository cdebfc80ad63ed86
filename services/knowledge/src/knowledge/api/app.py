"""The knowledge service's HTTP API, assembled from one router per resource.

Every route but ``/healthz`` and ``/readyz`` declares its roles (design.md, "Access") and the problem
statuses it may answer; every error is a problem-details body (``knowledge.api.problems``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import neo4j
from fastapi import APIRouter, FastAPI

from knowledge.api.compliance import compliance_router
from knowledge.api.cypher import analyst_queries, closing, cypher_router
from knowledge.api.dead_letters import dead_letters_router
from knowledge.api.export import export_router
from knowledge.api.follow_up import follow_up_router
from knowledge.api.observability import install_projector_metrics
from knowledge.api.operations import BUNDLE_ROUTE, MAX_BUNDLE_BYTES, operations_router
from knowledge.api.params import DriverProvider
from knowledge.api.plans import plans_router
from knowledge.api.problems import install_problems
from knowledge.api.trace import trace_router
from knowledge.bootstrap import Container, start
from knowledge.graph.analyst import AnalystQueries
from planspor_runtime.access import Access, AuthenticateFirst, Role
from planspor_runtime.asyncapi import SERVICES, asyncapi_router
from planspor_runtime.docs import serve_docs_locally
from planspor_runtime.http import BodyLimit
from planspor_runtime.metrics import Metrics, MetricsPort, install_metrics, metrics_port


def query_router(
    driver_provider: DriverProvider,
    access: Access,
    *,
    database: str | None = None,
    analyst: AnalystQueries | None = None,
) -> APIRouter:
    """The read-only query API under ``/api/v1``: trace, plan lists and counts, compliance, follow-up, and Cypher (run on
    ``analyst``: its own driver and limits; without one the route answers 503)."""
    router = APIRouter()
    router.include_router(trace_router(driver_provider, access, database=database))
    router.include_router(plans_router(driver_provider, access, database=database))
    router.include_router(compliance_router(driver_provider, access, database=database))
    router.include_router(follow_up_router(driver_provider, access, database=database))
    router.include_router(cypher_router(access, analyst))
    return router


def create_app(container: Container, *, run_projector: bool = True) -> FastAPI:
    """The service: its routers, the problem handlers, and a lifespan that runs the projector (unless told not to)."""

    settings = container.settings
    analyst = analyst_queries(settings)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await start(container)
        task = container.projector.start() if run_projector else None
        port = metrics_port()
        page = MetricsPort(metrics, port) if port is not None else None
        if page is not None:
            await page.start()
        try:
            async with closing(analyst):
                yield
        finally:
            if page is not None:
                await page.stop()
            if task is not None:
                container.projector.stop()
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(task, timeout=10)
            await container.aclose()

    metrics = Metrics("knowledge")
    app = FastAPI(title="planspor knowledge", version="1", lifespan=lifespan)
    app.state.container = container
    install_problems(app)
    app.add_middleware(BodyLimit, paths={BUNDLE_ROUTE: MAX_BUNDLE_BYTES})  # a record is a file: a limit of its own
    app.add_middleware(AuthenticateFirst, access=container.access)  # added last: runs first

    def driver() -> neo4j.AsyncDriver:
        return container.driver

    app.include_router(operations_router(container))
    app.include_router(dead_letters_router(container))
    app.include_router(export_router(driver, container.access, database=settings.neo4j_database))
    app.include_router(asyncapi_router("knowledge", SERVICES["knowledge"], prefix=settings.planspor_subject_prefix))
    app.include_router(query_router(driver, container.access, database=settings.neo4j_database, analyst=analyst))
    serve_docs_locally(app)
    install_projector_metrics(metrics, container)
    install_metrics(app, metrics, container.access.require(Role.OPERATOR))  # the outermost middleware: last
    return app
