"""The HTTP API of the plan register: resources under ``/api/v1``, assembled here.

- every error is an RFC 9457 problem (``application/problem+json``, installed by
  ``planspor_runtime.service.assemble``): a broken rule names its ``rule`` and ``paragraph``;
- every route declares the roles it allows (``dependencies``); commands record the caller as
  the events' actor, in the request's ``X-Correlation-Id`` (made when none is sent);
- every POST takes an ``Idempotency-Key``; commands on an existing aggregate take ``If-Match``;
- a command answers ``{id, version}`` with ``ETag`` the version it recorded; a read of one
  aggregate carries its version as ``ETag``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI

from plan_registry.api import decisions, goals, indicators, plans, strategies
from plan_registry.api.reads import reads
from plan_registry.application import KINDS, PlanRegistry
from planspor_runtime.access import Access
from planspor_runtime.docs import serve_docs_locally

PATHS = {"goal": "goals", "indicator": "indicators", "plan": "plans", "decision": "decisions", "strategy": "strategies"}
"""Where each kind's resources live under ``/api/v1``."""


def create_api(application: PlanRegistry, access: Access, lifespan: Any = None) -> FastAPI:
    api = FastAPI(
        title="planspor plan-registry",
        version="1",
        description="Plans, goals, indicators, plan strategies (planstrategi) and decisions (vedtak) of a "
        "municipality, with the rules of the Planning and Building Act. Every change is an event.",
        lifespan=lifespan,
    )
    api.state.application = application
    api.state.access = access
    v1 = APIRouter(prefix="/api/v1")
    for kind in KINDS:
        v1.include_router(reads(kind, PATHS[kind]))
    for resource in (goals, indicators, plans, decisions, strategies):
        v1.include_router(resource.router)
    api.include_router(v1)
    serve_docs_locally(api)
    return api
