"""The HTTP API of co-creation: resources under ``/api/v1``, assembled here.

- every error is an RFC 9457 problem (``application/problem+json``, installed by
  ``planspor_runtime.service.assemble``): a broken rule names its ``rule``;
- every route declares the roles it allows (``dependencies``): commands the facilitator,
  recorded as the events' actor in the request's ``X-Correlation-Id`` (made when none is
  sent); reads facilitator, analyst and auditor;
- every POST takes an ``Idempotency-Key``; commands on an existing aggregate take ``If-Match``
  (``*``: any version);
- a command answers with the ids it made or changed and ``version``, with ``ETag`` the
  version it recorded; a read of one aggregate carries its version as ``ETag``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI

from cocreation.api import (
    history,
    inputs,
    plan_needs,
    plans,
    prioritisations,
    processes,
    recommendations,
    workshops,
)
from cocreation.application import CocreationApplication
from planspor_runtime.access import Access
from planspor_runtime.docs import serve_docs_locally

RESOURCES = (processes, workshops, inputs, plan_needs, prioritisations, recommendations, history, plans)


def create_api(application: CocreationApplication, access: Access, lifespan: Any = None) -> FastAPI:
    api = FastAPI(
        title="planspor co-creation",
        version="1",
        summary="Co-creation (samskaping): processes, workshops, inputs, plan needs, prioritisations, recommendation",
        lifespan=lifespan,
    )
    api.state.application = application
    api.state.access = access
    v1 = APIRouter(prefix="/api/v1")
    for resource in RESOURCES:
        v1.include_router(resource.router)
    api.include_router(v1)
    serve_docs_locally(api)
    return api
