"""What every service's OpenAPI document declares the same way: who may call a route, and the error body.

``declare_security(app)`` (``serve_docs_locally`` calls it, so every service has it) adds to the
document FastAPI generates:

- the security scheme ``bearer`` (HTTP bearer: ``Authorization: Bearer <token>``), and on every
  route that asks for a token ``security: [{"bearer": []}]``, the roles allowed as the extension
  ``x-roles`` and a line ``Roles: ...`` in the description; 401 and 403 among its answers. The
  roles are read from the route's own dependencies (``planspor_runtime.access.declare_roles``),
  so the document cannot say other than what the route checks. The open paths (liveness,
  readiness, the API's own description, ``planspor_runtime.access.OPEN_PATHS``) say
  ``security: []``;
- 413 on every route that takes a body (``planspor_runtime.http.BodyLimit``);
- every error answer as the problem-details body the service really sends (``Problem``,
  ``application/problem+json``): FastAPI's own ``HTTPValidationError`` is never declared,
  since no planspor service answers with it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from planspor_runtime.access import OPEN_PATHS, Role, declared_roles
from planspor_runtime.http import MAX_BODY_BYTES
from planspor_runtime.problems import MEDIA_TYPE, FieldError, Problem, title_of

SCHEME = "bearer"
SECURITY_SCHEME = {
    "type": "http",
    "scheme": "bearer",
    "description": "A token the operator gave you; its role decides what you may do (`x-roles` on each route).",
}
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
FASTAPI_ERRORS = ("HTTPValidationError", "ValidationError")


def route_roles(route: Any) -> tuple[Role, ...] | None:
    """The roles the route's dependencies let through (the union over them), or None when none asks."""
    found: set[Role] = set()
    marked = False
    for dependant in _dependants(route.dependant):
        roles = declared_roles(dependant.call)
        if roles is not None:
            marked = True
            found.update(roles)
    return tuple(r for r in Role if r in found) if marked else None


def api_routes(app: FastAPI) -> Iterator[Any]:
    """Every route of the document, as FastAPI sees it under its routers (prefix and router dependencies)."""
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, APIRoute) and context.include_in_schema:
            yield context


def _dependants(dependant: Dependant) -> Iterator[Dependant]:
    for sub in dependant.dependencies:
        yield sub
        yield from _dependants(sub)


def declare_security(app: FastAPI) -> FastAPI:
    """Make ``app.openapi()`` declare the security scheme, each route's roles and the problem body."""
    generate = app.openapi
    documented: list[int] = []

    def openapi() -> dict[str, Any]:
        schema = generate()  # FastAPI's, made again only when the routes changed
        if documented != [id(schema)]:
            document(app, schema)
            documented[:] = [id(schema)]
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def document(app: FastAPI, schema: dict[str, Any]) -> None:
    components = schema.setdefault("components", {})
    components.setdefault("securitySchemes", {})[SCHEME] = SECURITY_SCHEME
    schemas = components.setdefault("schemas", {})
    for name, model in (("Problem", Problem), ("FieldError", FieldError)):
        if name not in schemas:
            defined = model.model_json_schema(ref_template="#/components/schemas/{model}")
            schemas.update(defined.pop("$defs", {}))
            schemas[name] = defined
    for route in api_routes(app):
        roles = route_roles(route)
        for method in route.methods:
            operation = schema.get("paths", {}).get(route.path_format, {}).get(method.lower())
            if operation is None:
                continue
            if roles:
                operation["security"] = [{SCHEME: []}]
                operation["x-roles"] = [r.value for r in roles]
                line = "Roles: " + ", ".join(r.value for r in roles) + "."
                operation["description"] = (operation.get("description", "").rstrip() + "\n\n" + line).lstrip()
                _answers(operation, 401, 403)
            elif route.path_format in OPEN_PATHS:
                operation["security"] = []
            if "requestBody" in operation:
                _answers(operation, 413)
            for status, response in operation.get("responses", {}).items():
                if str(status)[:1] in ("4", "5"):
                    response["content"] = {MEDIA_TYPE: {"schema": PROBLEM_REF}}
    for name in FASTAPI_ERRORS:
        schemas.pop(name, None)


def _answers(operation: dict[str, Any], *statuses: int) -> None:
    responses = operation.setdefault("responses", {})
    for status in statuses:
        if str(status) not in responses:
            description = title_of(status)
            if status == 413:
                description += f" (at most {MAX_BODY_BYTES} bytes)"
            responses[str(status)] = {"description": description}


__all__ = ["PROBLEM_REF", "SCHEME", "api_routes", "declare_security", "document", "route_roles"]
