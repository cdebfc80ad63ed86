"""The HTTP side of a command, the same in every service: headers, the caller, the answer.

- ``Idempotency-Key``: a retry with the same key and the same request returns the first
  answer and acts once; the same key with another request is 422 ``idempotency.key_reused``.
- ``If-Match``: the version the caller read (the ETag, ``"3"``); a stale one is 409, ``*``
  (any version) is the same as none, anything else is 422 ``request.if_match``.
- ``X-Correlation-Id``: the conversation; made when the caller sends none, echoed back, and
  recorded in every event the command stores. ``X-Causation-Id``: what caused the command.
- ``Idempotent-Replayed: true`` on an answer given again for an Idempotency-Key already used: the
  command did not act this time (`planspor import` counts such a row as already there).
- The answer's ``ETag`` is the version the command recorded (no re-read, so a concurrent
  writer cannot slip its version in).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any
from uuid import uuid4

from fastapi import Depends, FastAPI, Header, Request, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from planspor_runtime.access import Access, Principal, Role, declare_roles
from planspor_runtime.application import CommandResult
from planspor_runtime.problems import FieldError, ProblemError, problem, problem_response
from planspor_shared.meta import Meta

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        description="A retry with the same key returns the first result instead of acting twice.",
    ),
]
IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        max_length=100,
        description='The version you last read (the ETag, e.g. "3"); a stale one gets 409. "*" means any.',
    ),
]
MAX_BODY_BYTES = 8 * 1024 * 1024
"""The largest request body a service reads: 8 MiB. Above it the answer is 413 before the body is parsed.

It is a memory bound, not the bound on what is stored: each field has its own maximum (a 5 MB
description is read and refused with 422 naming the field), and an event its size limit
(``planspor_shared.limits``)."""
CORRELATION_HEADER = "X-Correlation-Id"
REPLAYED_HEADER = "Idempotent-Replayed"
CAUSATION_HEADER = "X-Causation-Id"


def expected_version(if_match: str | None) -> int | None:
    """The version ``If-Match`` names, or None for no header or ``*``."""
    if if_match is None or if_match.strip() == "*":
        return None
    raw = if_match.strip().removeprefix("W/").strip('"')
    if not raw.isdigit():
        raise ProblemError(
            422,
            f'If-Match must be the version you read, such as "3" (the ETag of your last read), not {if_match!r}',
            name="validation",
            rule="request.if_match",
            errors=[FieldError(pointer="#", location="header.If-Match", detail='a version such as "3"')],
        )
    return int(raw)


def correlation_id(request: Request) -> str:
    """The caller's ``X-Correlation-Id``, or a new one (kept on the request so the response echoes it)."""
    existing = getattr(request.state, "correlation_id", None)
    if existing:
        return str(existing)
    sent = (request.headers.get(CORRELATION_HEADER) or "").strip()
    value = sent[:200] if sent else str(uuid4())
    request.state.correlation_id = value
    return value


def command_meta(request: Request, actor: dict[str, str]) -> Meta:
    """Who asks (from the token) and in which conversation: recorded in every event of the command."""
    causation = (request.headers.get(CAUSATION_HEADER) or "").strip()[:200] or None
    return Meta.of(actor, correlation_id=correlation_id(request), causation_id=causation)


def answer(result: CommandResult, response: Response) -> CommandResult:
    """Put the recorded version in ``ETag`` (and ``Idempotent-Replayed`` on a repeat) and return the result."""
    response.headers["ETag"] = f'"{result.version}"'
    if result.repeated:
        response.headers[REPLAYED_HEADER] = "true"
    return result


def etag(response: Response, version: int) -> None:
    response.headers["ETag"] = f'"{version}"'


def install_correlation(app: FastAPI) -> None:
    """Every response carries the request's ``X-Correlation-Id`` (the one sent, or the one made for it)."""
    app.add_middleware(CorrelationEcho)


class CorrelationEcho:
    """ASGI middleware: the request's correlation id is fixed before the app runs (kept in the request's state,
    where ``correlation_id`` finds it) and written on the answer's head.

    A plain ASGI middleware, not Starlette's ``BaseHTTPMiddleware``: that one runs the app in a task of its
    own and passes the answer through a memory stream, a cost on every request that profiling showed among
    the largest of a command's (``tests/reliability/bench_commands.py``).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        value = state.get("correlation_id")
        if not value:
            sent = ""
            for name, header in scope.get("headers", ()):
                if name == b"x-correlation-id":
                    sent = header.decode("latin-1").strip()
                    break
            value = state["correlation_id"] = sent[:200] if sent else str(uuid4())
        echoed = str(value).encode("latin-1", "replace")

        async def echo(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", ()) if k.lower() != b"x-correlation-id"]
                message = {**message, "headers": [*headers, (b"x-correlation-id", echoed)]}
            await send(message)

        await self.app(scope, receive, echo)


# --------------------------------------------------------------------------- what a route takes from its app


def caller(request: Request, roles: tuple[Role, ...]) -> Principal:
    """The principal of the request's token, if its role is one of ``roles`` (401 / 403 otherwise).

    The app keeps its access rules on ``app.state.access`` (``create_api`` puts them there).
    """
    access: Access = request.app.state.access
    principal: Principal = access.require(*roles)(request)
    return principal


def role_guard(*roles: Role) -> list[Any]:
    """``dependencies=`` of a route that only these roles may call."""

    async def guard(request: Request) -> Principal:  # async: it never blocks, so no hop to a worker thread
        return caller(request, roles)

    return [Depends(declare_roles(guard, roles))]


def meta_of(*roles: Role) -> Any:
    """A dependency giving the command's ``Meta``: the caller (one of ``roles``) as actor, in the request's
    conversation."""

    async def meta(request: Request) -> Meta:
        return command_meta(request, caller(request, roles).as_actor())

    return Depends(declare_roles(meta, roles))


async def application_of(request: Request) -> Any:
    """The service's application (``create_api`` puts it on ``app.state.application``); a service names
    its type: ``Registry = Annotated[PlanRegistry, Depends(application_of)]``."""
    return request.app.state.application


OPERATE = role_guard(Role.OPERATOR)
"""``dependencies=`` of an operator's route (the health of the service and its store)."""


async def read_version(if_match: IfMatch = None) -> int | None:
    """The version named by ``If-Match`` (``*`` or none: any version)."""
    return expected_version(if_match)


ExpectedVersion = Annotated[int | None, Depends(read_version)]


# --------------------------------------------------------------------------- the body limit


class BodyLimit:
    """ASGI middleware: a body over ``limit`` bytes is answered 413 (a problem) before the app reads it.

    A declared ``Content-Length`` over the limit is refused at once; a body without one (chunked)
    is read up to the limit and refused as soon as it passes it, so no more than ``limit`` bytes
    of it are ever held.
    """

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES, paths: Mapping[str, int] | None = None) -> None:
        self.app = app
        self.limit = limit
        self.paths = dict(paths or {})
        """A limit of its own for a route that takes a file (an exact path: knowledge's rebuild from a bundle)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.paths.get(scope.get("path", ""), self.limit)
        declared = _content_length(scope)
        if declared is not None:
            if declared > limit:
                await self._refuse(scope, receive, send, f"the body is {declared} bytes", limit)
                return
            await self.app(scope, receive, send)
            return
        buffered: list[Message] = []
        size = 0
        while True:
            message = await receive()
            buffered.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > limit:
                await self._refuse(scope, receive, send, f"the body is more than {limit} bytes", limit)
                return
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            return buffered.pop(0) if buffered else await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, what: str, limit: int) -> None:
        mebibytes = f" ({limit / (1024 * 1024):g} MiB)" if limit >= 1024 * 1024 else ""
        body = problem(
            413, f"{what}; a request body may have at most {limit} bytes{mebibytes}", rule="request.body_too_large"
        )
        await problem_response(body, headers={"Connection": "close"})(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
