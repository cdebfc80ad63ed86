"""One error body for every service: RFC 9457 problem details (``application/problem+json``).

Whatever refuses a request (a malformed body, a missing token, a broken domain
rule, a stale ``If-Match``, a reused idempotency key, a store that is down) answers
with the same shape, so a client (the CLI, the portal, a municipality's own
integration) reads every refusal one way::

    {"type": "urn:planspor:problem:rule", "title": "A rule refused the command", "status": 409,
     "detail": "PBL §10-1: published 2024-09-20, meeting 2024-10-01, 30 days required",
     "rule": "strategy.published_30_days_before_meeting", "paragraph": "PBL §10-1"}

``errors`` has one entry per invalid field (``pointer`` is a JSON pointer into the
body, ``location`` names the part of the request). A refusal never echoes the
request's values back: a body may hold what the caller should not see in a log.
Nothing but a bug gives 500, and then without a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("planspor.problems")

MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:planspor:problem:"

RefusalKind = Literal["invalid", "conflict", "not_found", "unavailable"]
"""How a refusal is answered: 422 (the value is wrong), 409 (the state forbids it), 404 (an unknown part),
503 (a store is down; nothing was stored)."""

STATUS_OF_KIND: Mapping[str, int] = {"invalid": 422, "conflict": 409, "not_found": 404, "unavailable": 503}
RETRY_AFTER_SECONDS = 5
"""What a 503 asks the caller to wait before sending the same request again."""

_TITLES: Mapping[int, tuple[str, str]] = {
    400: ("bad-request", "The request cannot be answered as sent"),
    401: ("unauthorized", "A valid bearer token is needed"),
    403: ("forbidden", "The token's role may not do this"),
    404: ("not-found", "No such resource"),
    405: ("method-not-allowed", "The method is not allowed here"),
    409: ("conflict", "The current state does not allow it"),
    412: ("precondition-failed", "A precondition of the request does not hold"),
    413: ("too-large", "The request body is too large"),
    415: ("unsupported-media-type", "The body must be JSON"),
    422: ("invalid", "The request is invalid"),
    428: ("precondition-required", "The request must be conditional"),
    429: ("too-many-requests", "Too many requests at once"),
    500: ("internal", "An internal error; the operator's log has the details"),
    503: ("unavailable", "A server the service needs is unavailable; try again later"),
}


def title_of(status: int) -> str:
    """The problem title of an HTTP status."""
    return _TITLES.get(status, ("error", "The request failed"))[1]


class FieldError(BaseModel):
    """One invalid field: where it is and what is wrong with it (never its value)."""

    model_config = ConfigDict(extra="forbid")

    pointer: str = Field(examples=["#/title"], description="JSON pointer into the body ('#' for the body itself)")
    location: str = Field(examples=["body.title", "query.limit", "header.If-Match"])
    detail: str = Field(examples=["String should have at most 500 characters"])


class Problem(BaseModel):
    """RFC 9457 problem details, with planspor's extension members ``rule``, ``paragraph`` and ``errors``."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(examples=["urn:planspor:problem:rule"])
    title: str = Field(examples=["A rule refused the command"])
    status: int = Field(examples=[409])
    detail: str = Field(examples=["PBL §10-1: published 2024-09-20, meeting 2024-10-01, 30 days required"])
    rule: str | None = Field(
        default=None,
        examples=["strategy.published_30_days_before_meeting"],
        description="The domain rule that refused, when one did",
    )
    paragraph: str | None = Field(
        default=None, examples=["PBL §10-1"], description="The legal paragraph behind the rule, when there is one"
    )
    errors: list[FieldError] | None = Field(default=None, description="One entry per invalid field")


class ProblemError(Exception):
    """Raise anywhere in a request to answer with a problem; the handler renders it."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        name: str | None = None,
        title: str | None = None,
        rule: str | None = None,
        paragraph: str | None = None,
        errors: Sequence[FieldError] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.name = name
        self.title = title
        self.rule = rule
        self.paragraph = paragraph
        self.errors = list(errors) if errors else None
        self.headers = dict(headers or {})


def problem(
    status: int,
    detail: str,
    *,
    name: str | None = None,
    title: str | None = None,
    rule: str | None = None,
    paragraph: str | None = None,
    errors: Sequence[FieldError] | None = None,
) -> Problem:
    default_name, default_title = _TITLES.get(status, ("error", "The request failed"))
    return Problem(
        type=TYPE_PREFIX + (name or default_name),
        title=title or default_title,
        status=status,
        detail=detail,
        rule=rule,
        paragraph=paragraph,
        errors=list(errors) if errors else None,
    )


def problem_response(body: Problem, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        body.model_dump(exclude_none=True), status_code=body.status, media_type=MEDIA_TYPE, headers=dict(headers or {})
    )


def field_errors(errors: Iterable[Mapping[str, Any]]) -> list[FieldError]:
    """pydantic's errors as ``FieldError`` entries: where and what, without the input."""
    out: list[FieldError] = []
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        if error.get("type") == "json_invalid":  # loc is ("body", <offset>): the body is not JSON at all
            at = f" at character {loc[1]}" if len(loc) > 1 else ""
            out.append(
                FieldError(
                    pointer="#",
                    location="body",
                    detail=f"the body is not valid JSON{at}: {error.get('ctx', {}).get('error', '')}".rstrip(": "),
                )
            )
            continue
        where, path = (
            (loc[0], loc[1:]) if loc and loc[0] in ("body", "query", "path", "header", "cookie") else ("body", loc)
        )
        if where == "header" and path:
            path = [path[0].replace("_", "-").title()] + path[1:]
        out.append(
            FieldError(
                pointer="#" + "".join(f"/{p}" for p in path) if where == "body" else "#",
                location=".".join([where, *path]) if path else where,
                detail=str(error.get("msg", "invalid")),
            )
        )
    return out


def _summary(errors: Sequence[FieldError]) -> str:
    return "; ".join(f"{e.location}: {e.detail}" for e in errors) or "the request is invalid"


def refusal_problem(error: Exception) -> Problem:
    """A refusal (an exception with ``rule``, ``message``, ``paragraph`` and ``kind``) as a problem."""
    kind = getattr(error, "kind", "conflict")
    status = STATUS_OF_KIND.get(kind, 409)
    name = getattr(error, "problem_name", None) or {"invalid": "rule-invalid", "not_found": "not-found"}.get(
        kind, "rule"
    )
    title = {"invalid": "A value breaks a rule", "not_found": "No such resource", "unavailable": _TITLES[503][1]}.get(
        kind, "A rule refused the command"
    )
    return problem(
        status,
        str(getattr(error, "message", error)),
        name=name,
        title=title,
        rule=getattr(error, "rule", None),
        paragraph=getattr(error, "paragraph", None),
    )


def install_problem_details(app: FastAPI, *, refusals: tuple[type[Exception], ...] = ()) -> None:
    """Every error of ``app`` as a problem: validation, HTTP errors, ``ProblemError``, the domain's refusals
    (``refusals``: exception classes with ``rule``/``message``/``paragraph``/``kind``), and anything else as a
    500 without a traceback (logged with one)."""

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, error: RequestValidationError) -> JSONResponse:
        errors = field_errors(error.errors())
        return problem_response(problem(422, _summary(errors), name="validation", errors=errors))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, error: StarletteHTTPException) -> JSONResponse:
        detail = error.detail if isinstance(error.detail, str) else _TITLES.get(error.status_code, ("", "error"))[1]
        return problem_response(problem(error.status_code, detail), headers=getattr(error, "headers", None))

    @app.exception_handler(ProblemError)
    async def _problem(_: Request, error: ProblemError) -> JSONResponse:
        body = problem(
            error.status,
            error.detail,
            name=error.name,
            title=error.title,
            rule=error.rule,
            paragraph=error.paragraph,
            errors=error.errors,
        )
        return problem_response(body, headers=error.headers)

    for refusal in refusals:

        @app.exception_handler(refusal)
        async def _refused(request: Request, error: Exception) -> JSONResponse:
            body = refusal_problem(error)
            if body.status >= 500:  # the operator's concern (the store), not the caller's
                log.warning(
                    "%s %s answered %d: %s",
                    request.method,
                    request.url.path,
                    body.status,
                    body.detail,
                    extra={"event": "request.unavailable"},
                )
            return problem_response(
                body, headers={"Retry-After": str(RETRY_AFTER_SECONDS)} if body.status == 503 else None
            )

    @app.exception_handler(Exception)
    async def _bug(request: Request, error: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(problem(500, "an internal error; the operator's log has the details"))


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` declaring the problem body for each status."""
    return {
        status: {
            "model": Problem,
            "description": _TITLES.get(status, ("", "error"))[1],
            "content": {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }


COMMAND_PROBLEMS = problem_responses(401, 403, 404, 409, 422, 503)
READ_PROBLEMS = problem_responses(401, 403, 404, 422, 503)
