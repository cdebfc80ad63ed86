"""The co-creation HTTP API: assembled from one router per resource.

Commands need the facilitator role and record the caller as the actor; reads are open
to facilitator, analyst and auditor. Every POST takes an ``Idempotency-Key``; commands
on an existing aggregate take ``If-Match`` (the ``ETag`` of the last read or command;
``*`` for any version). Every error is an RFC 9457 problem (``planspor_runtime.problems``,
installed by ``planspor_runtime.service.assemble``).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from planspor_runtime.access import Access
from planspor_runtime.problems import problem_responses

from cocreation.api import history, inputs, plan_needs, plans, prioritisations, processes, recommendations, workshops
from cocreation.api.deps import App, Operator
from cocreation.application import CocreationApplication

ROUTERS = (processes, workshops, inputs, plan_needs, prioritisations, recommendations, history, plans)


def create_api(application: CocreationApplication, access: Access, lifespan: Any = None) -> FastAPI:
    api = FastAPI(
        title="planspor co-creation",
        version="1",
        summary="Co-creation (samskaping): processes, workshops, inputs, plan needs, prioritisations, recommendation",
        lifespan=lifespan,
    )
    api.state.application = application
    api.state.access = access
    for module in ROUTERS:
        api.include_router(module.router)
    api.add_api_route("/health", health, methods=["GET"], tags=["operations"],
                      responses=problem_responses(401, 403, 503), summary="Health of the service and its store")
    api.add_api_route("/healthz", healthz, methods=["GET"], tags=["operations"], summary="Liveness (no auth)")
    return api


def health(app: App, caller: Operator) -> dict[str, Any]:
    app.notification_log.select(1, 1)
    return {"status": "ok", "service": "cocreation", "store": type(app.recorder).__module__}


def healthz() -> dict[str, str]:
    return {"status": "ok"}
