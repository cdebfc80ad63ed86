"""Every error of the knowledge API is an RFC 9457 problem (``application/problem+json``).

``planspor_runtime.problems`` renders validation errors, HTTP errors (401/403 from access,
404 for an unknown route) and refusals the same way in every service; here the knowledge
service's own refusals get their statuses: an unknown start node or dead letter 404
(``NotFound``), a question that cannot be answered as asked 400 (``QueryRefused``), a dead
letter that still cannot be applied 409 (``ReplayRefused``), a stale ``If-Match`` 409 and a
reused ``Idempotency-Key`` 422 (the runtime's refusals), Neo4j unreachable 503 with
``Retry-After``. No refusal echoes the request's body.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from neo4j import exceptions as neo4j_errors

from knowledge.errors import KnowledgeRefusal, QueryRefused
from planspor_runtime.application import ApplicationRefusal
from planspor_runtime.http import install_correlation
from planspor_runtime.problems import (
    RETRY_AFTER_SECONDS,
    install_problem_details,
    problem,
    problem_response,
)

log = logging.getLogger("knowledge.api")


def install_problems(app: FastAPI) -> None:
    """The problem handlers of every service, the knowledge service's refusals, and correlation ids."""
    install_problem_details(app, refusals=(ApplicationRefusal, KnowledgeRefusal))
    install_correlation(app)

    @app.exception_handler(QueryRefused)
    async def _refused(_: Request, error: QueryRefused) -> JSONResponse:
        return problem_response(problem(400, error.message, name=error.problem_name, rule=error.rule))

    async def _unavailable(request: Request, error: Exception) -> JSONResponse:
        log.warning("Neo4j unreachable on %s %s: %s", request.method, request.url.path, error)
        body = problem(503, "the graph (Neo4j) cannot be reached now; try again later", rule="graph.unavailable")
        return problem_response(body, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})

    app.add_exception_handler(neo4j_errors.ServiceUnavailable, _unavailable)
    app.add_exception_handler(neo4j_errors.SessionExpired, _unavailable)
