"""Where the platform is and how the CLI talks to it: URLs, tokens, HTTP, and errors as exit codes.

Exit codes scripts can rely on (README, "Walkthrough"):
0 ok, 1 error or refused (a 4xx/5xx, a service down), 2 usage (a wrong option), 3 not found (404).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from planspor_runtime.access import DEVELOPMENT_TOKENS, Role
from planspor_runtime.paging import MAX_LIMIT as PAGE_LIMIT

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_NOT_FOUND = 0, 1, 2, 3


class CliError(Exception):
    """One clear line for the user and the exit code a script can test."""

    def __init__(self, message: str, code: int = EXIT_ERROR) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def default_ids_file() -> Path:
    """var/<profile>/demo-ids.json of the local stack, where `make run` keeps the loaded scenario's ids."""
    explicit = os.environ.get("PLANSPOR_DEMO_IDS")
    if explicit:
        return Path(explicit)
    try:
        from planspor_stack.settings import StackSettings

        settings = StackSettings.from_env()
        return settings.var / settings.profile / "demo-ids.json"
    except Exception:  # noqa: BLE001 - outside a checkout: the working directory
        return Path("var/dev/demo-ids.json")


@dataclass
class Platform:
    """The three services. A token given (``--token``/PLANSPOR_TOKEN) is sent on every call;
    otherwise the development token of the role each call needs."""

    plan_registry_url: str = "http://127.0.0.1:8001"
    cocreation_url: str = "http://127.0.0.1:8002"
    knowledge_url: str = "http://127.0.0.1:8003"
    token: str | None = None
    role_tokens: dict[Role, str] = field(default_factory=dict)
    timeout: float = 30.0

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides: Any) -> Platform:
        env = dict(os.environ if env is None else env)
        values: dict[str, Any] = {
            "plan_registry_url": env.get("PLANSPOR_PLAN_REGISTRY_URL", cls.plan_registry_url),
            "cocreation_url": env.get("PLANSPOR_COCREATION_URL", cls.cocreation_url),
            "knowledge_url": env.get("PLANSPOR_KNOWLEDGE_URL", cls.knowledge_url),
            "token": env.get("PLANSPOR_TOKEN") or None,
            "role_tokens": {
                role: env[f"PLANSPOR_{role.value.upper()}_TOKEN"]
                for role in Role
                if env.get(f"PLANSPOR_{role.value.upper()}_TOKEN")
            },
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def token_for(self, role: Role) -> str:
        return self.token or self.role_tokens.get(role) or DEVELOPMENT_TOKENS[role]

    def client(self, base_url: str, role: Role) -> Api:
        return Api(base_url.rstrip("/"), self.token_for(role), self.timeout)

    def planner(self) -> Api:
        return self.client(self.plan_registry_url, Role.PLANNER)

    def facilitator(self) -> Api:
        return self.client(self.cocreation_url, Role.FACILITATOR)

    def analyst(self) -> Api:
        return self.client(self.knowledge_url, Role.ANALYST)

    def auditor(self) -> Api:
        return self.client(self.knowledge_url, Role.AUDITOR)

    def operator(self, base_url: str | None = None) -> Api:
        return self.client(base_url or self.knowledge_url, Role.OPERATOR)


def reason_of(response: httpx.Response) -> str:
    """The service's problem in one line: its rule and what to fix."""
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:300] or response.reason_phrase
    if isinstance(body, dict):
        detail = body.get("message") or body.get("detail") or body
        rule = body.get("error") or body.get("rule")
        if isinstance(detail, (dict, list)):
            detail = json.dumps(detail, ensure_ascii=False)
        return f"{rule}: {detail}" if rule and rule != detail else str(detail)
    return str(body)


class ApiError(CliError):
    def __init__(self, method: str, url: str, response: httpx.Response) -> None:
        self.status = response.status_code
        self.body = response
        code = EXIT_NOT_FOUND if response.status_code == 404 else EXIT_ERROR
        super().__init__(f"{method} {url} -> {response.status_code}: {reason_of(response)}", code)


@dataclass
class Api:
    """One service with one token; ``call`` returns the JSON body or raises ApiError."""

    base_url: str
    token: str
    timeout: float = 30.0
    _http: httpx.Client | None = None

    @property
    def http(self) -> httpx.Client:
        if self._http is None:
            self._http = httpx.Client(
                base_url=self.base_url, timeout=self.timeout, headers={"Authorization": f"Bearer {self.token}"}
            )
        return self._http

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None

    def call(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        content: bytes | None = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        timeout: float | None = None,
    ) -> Any:
        try:
            response = self.http.request(
                method,
                path,
                json=json_body,
                content=content,
                params=params,
                headers=headers,
                timeout=timeout or self.timeout,
            )
        except httpx.TransportError as error:
            raise CliError(
                f"cannot reach {self.base_url} ({type(error).__name__}): is the platform running? "
                "Start it with `make run`, or set the PLANSPOR_*_URL variables."
            ) from None
        if response.status_code >= 400:
            raise ApiError(method, f"{self.base_url}{path}", response)
        if not response.content:
            return None
        return response.json()

    def http_text(self, path: str) -> str:
        """A route that answers text (a signed note), not JSON."""
        try:
            response = self.http.get(path)
        except httpx.TransportError as error:
            raise CliError(f"cannot reach {self.base_url} ({type(error).__name__}): is the platform running?") from None
        if response.status_code >= 400:
            raise ApiError("GET", f"{self.base_url}{path}", response)
        return response.text

    def get(self, path: str, **params: Any) -> Any:
        return self.call("GET", path, params={k: v for k, v in params.items() if v is not None})

    def every(self, path: str, key: str = "items", **params: Any) -> Any:
        """A list route's whole list (``planspor_runtime.paging``): the first page's answer with ``key`` holding the
        items of every page, got by following ``next`` until it is null, with the same parameters each time."""
        body = self.get(path, limit=PAGE_LIMIT, **params)
        items = list(body.get(key) or [])
        following = body
        while following.get("next"):
            following = self.get(path, limit=PAGE_LIMIT, cursor=following["next"], **params)
            items.extend(following.get(key) or [])
        return {**body, key: items, "next": None}

    def post(self, path: str, body: Any = None, *, key: str | None = None, timeout: float | None = None) -> Any:
        headers = {"Idempotency-Key": key} if key else None
        return self.call("POST", path, json_body=body, headers=headers, timeout=timeout)

    def put(self, path: str, body: Any = None, *, key: str | None = None) -> Any:
        headers = {"Idempotency-Key": key} if key else None
        return self.call("PUT", path, json_body=body, headers=headers)

    def alive(self) -> bool:
        try:
            return self.http.get("/healthz", timeout=2).status_code == 200
        except httpx.TransportError:
            return False
