"""Bearer tokens to roles, the same way in every service (design.md, "Access").

Settings hold tokens only as SHA-256 hashes. Every route declares the roles it
allows with ``Depends(access.require(...))``; a route that declares none is not
reachable, because there is no default. Outside development a placeholder token
stops the service from starting (``check_not_placeholder``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from fastapi import HTTPException, Request, status
from starlette.types import ASGIApp, Receive, Scope, Send


class Role(StrEnum):
    OPERATOR = "operator"
    PLANNER = "planner"
    FACILITATOR = "facilitator"
    ANALYST = "analyst"
    AUDITOR = "auditor"


@dataclass(frozen=True)
class Principal:
    """Who called: becomes the ``actor`` of the events a command records."""

    id: str
    name: str
    role: Role

    def as_actor(self) -> dict[str, str]:
        return {"id": self.id, "name": self.name, "role": self.role.value}


ROLES_ATTRIBUTE = "planspor_roles"
F = TypeVar("F", bound=Callable[..., Any])


def declare_roles(function: F, roles: Iterable[Role]) -> F:
    """Mark a route dependency with the roles it lets through, so the OpenAPI document can declare them
    (``planspor_runtime.docs``); ``access.require`` and the runtime's guards mark theirs."""
    vars(function)[ROLES_ATTRIBUTE] = tuple(sorted({Role(r) for r in roles}, key=list(Role).index))
    return function


def declared_roles(dependency: Any) -> tuple[Role, ...] | None:
    """The roles ``declare_roles`` marked ``dependency`` with, or None."""
    roles = getattr(dependency, ROLES_ATTRIBUTE, None)
    return tuple(roles) if roles is not None else None


DEVELOPMENT_TOKENS: dict[Role, str] = {role: f"dev-{role.value}-token" for role in Role}
"""Tokens `make run` prints; refused outside development."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class TokenEntry:
    sha256: str
    role: Role
    name: str


def parse_tokens(raw: str | None) -> list[TokenEntry]:
    """Read ``PLANSPOR_TOKENS``: a JSON list of {"sha256", "role", "name"}.

    Empty means the development tokens (see ``DEVELOPMENT_TOKENS``).
    """
    if not raw:
        return [
            TokenEntry(hash_token(token), role, f"development {role.value}")
            for role, token in DEVELOPMENT_TOKENS.items()
        ]
    try:
        items = json.loads(raw)
        return [TokenEntry(str(i["sha256"]).lower(), Role(i["role"]), str(i.get("name") or i["role"])) for i in items]
    except (ValueError, KeyError, TypeError) as error:
        raise ValueError(
            'PLANSPOR_TOKENS must be a JSON list of {"sha256": <hex>, "role": <role>, "name": <name>}: ' + str(error)
        ) from error


def check_not_placeholder(entries: Iterable[TokenEntry], environment: str) -> None:
    """Outside development, a development token is a configuration error."""
    if environment == "development":
        return
    placeholders = {hash_token(t) for t in DEVELOPMENT_TOKENS.values()}
    bad = [e.role.value for e in entries if e.sha256 in placeholders]
    if bad:
        raise ValueError(
            f"development tokens configured for {', '.join(bad)} while PLANSPOR_ENV={environment}: "
            "set PLANSPOR_TOKENS to hashes of real tokens"
        )


class Access:
    """Maps a bearer token to a ``Principal`` and checks the route's roles."""

    def __init__(self, entries: Iterable[TokenEntry], public_read_roles: Iterable[Role] = ()) -> None:
        self._by_hash: Mapping[str, TokenEntry] = {e.sha256: e for e in entries}
        self._public = frozenset(public_read_roles)

    @property
    def public_roles(self) -> frozenset[Role]:
        return self._public

    def principal(self, authorization: str | None) -> Principal | None:
        if not authorization or not authorization.lower().startswith("bearer "):
            return None
        digest = hash_token(authorization[7:].strip())
        for known, entry in self._by_hash.items():
            if hmac.compare_digest(known, digest):
                return Principal(id=f"token:{known[:12]}", name=entry.name, role=entry.role)
        return None

    def require(self, *roles: Role):
        """A FastAPI dependency: 401 without a known token, 403 with the wrong role."""
        allowed = frozenset(roles)
        if not allowed:
            raise ValueError("a route must declare the roles it allows")
        open_to_public = bool(allowed & self._public)

        def dependency(request: Request) -> Principal:
            principal = self.principal(request.headers.get("authorization"))
            if principal is None:
                if open_to_public:
                    return Principal(id="public", name="public", role=next(iter(allowed & self._public)))
                raise HTTPException(
                    status.HTTP_401_UNAUTHORIZED,
                    detail="missing or unknown bearer token: send 'Authorization: Bearer <token>'",
                    headers={"WWW-Authenticate": "Bearer"},
                )
            if principal.role not in allowed:
                raise HTTPException(
                    status.HTTP_403_FORBIDDEN,
                    detail=f"role '{principal.role.value}' may not do this; allowed: "
                    + ", ".join(sorted(r.value for r in allowed)),
                )
            return principal

        return declare_roles(dependency, allowed)


OPEN_PATHS = frozenset({"/healthz", "/readyz", "/docs", "/docs/oauth2-redirect", "/openapi.json", "/asyncapi.json"})
"""What the middleware lets through without a token (the route may still ask for one): liveness, readiness
and the API's own description (OpenAPI, AsyncAPI)."""
OPEN_PREFIXES = ("/docs/assets/",)


class AuthenticateFirst:
    """ASGI middleware: a request without a known bearer token is refused (401) before its body is read.

    The route's own dependency still checks the role (403); this only makes sure that a
    stranger's malformed or huge body is never parsed. Reads stay open to the public only
    when the access rules open them (``public_read_roles``).
    """

    def __init__(self, app: ASGIApp, access: Access) -> None:
        self.app = app
        self.access = access

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self._open(scope) or self._known(scope):
            await self.app(scope, receive, send)
            return
        from planspor_runtime.problems import problem, problem_response

        body = problem(401, "missing or unknown bearer token: send 'Authorization: Bearer <token>'")
        response = problem_response(body, headers={"WWW-Authenticate": "Bearer"})
        await response(scope, receive, send)

    def _open(self, scope: Scope) -> bool:
        path: str = scope.get("path", "")
        if path in OPEN_PATHS or path.startswith(OPEN_PREFIXES):
            return True
        return bool(self.access.public_roles) and scope.get("method") in ("GET", "HEAD")

    def _known(self, scope: Scope) -> bool:
        for name, value in scope.get("headers", ()):
            if name == b"authorization":
                return self.access.principal(value.decode("latin-1")) is not None
        return False
