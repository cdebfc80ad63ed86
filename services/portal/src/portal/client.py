"""The portal's only way to the platform: the three services' HTTP APIs, called with the signed-in user's token.

The portal imports no service code and opens no database or graph connection. Every route it
calls is a method below, so what the knowledge API gains later lands here and nowhere else:

- ``TimeFrame`` (``as_of``: the effective date, ``known_at``: the recorded time) is sent on every
  knowledge query; a page passes the frame it shows.
- A list route answers a page (``planspor_runtime.paging``): ``{"items": [...], "next": cursor}`` (the
  knowledge lists name their items ``plans``, ``goals``, ``dead_letters``). The portal shows whole
  lists, so ``Api.page`` and ``Api.every`` follow ``next`` until it is null; ``Page`` is what they give.
- ``Platform.evidence_pack`` gathers a decision's evidence pack over the same routes the CLI uses
  (``planspor_runtime.evidence``: knowledge's trace, the sources' feeds, heads and proofs).
- Errors are read once, in ``ServiceError.of``: RFC 9457 problem details (``title, status, detail,
  rule, errors``) and the older ``{"error", "message"}`` / ``{"detail"}`` bodies alike.

Each call's duration is recorded for the request that made it (``timed_calls``): the portal
reports it in ``Server-Timing`` and the benchmark reads it from there.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import time
from collections.abc import Awaitable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import httpx

PLAN_REGISTRY, COCREATION, KNOWLEDGE = "plan-registry", "cocreation", "knowledge"
KEEPALIVE_SECONDS = 4.0

GRAPH_LABELS = (
    "Plan",
    "Goal",
    "Indicator",
    "Measurement",
    "Strategy",
    "StrategyItem",
    "Evidence",
    "Decision",
    "Body",
    "Process",
    "Workshop",
    "Participant",
    "Input",
    "PlanNeed",
    "Prioritisation",
    "Ballot",
    "Recommendation",
    "ExternalInput",
    "PlanStatus",
    "StrategyStatus",
    "StrategyItemVersion",
    "KommuneplanAssessment",
    "RevisionSchedule",
    "ProcessPhase",
    "ViewRequest",
)
"""The fact labels of the graph (knowledge README, "Nodes"); the explorer offers these and no others."""

# The knowledge service has no neighbourhood or chain-status route yet: these two read-only queries go
# through its analyst Cypher route (the guard and a READ transaction apply) until it has (README, "Seams").
NEIGHBOURHOOD_CYPHER = (
    "MATCH (n:{label} {{id: $id}}) "
    "OPTIONAL MATCH (n)-[r]-(m) WHERE NOT m:Event AND NOT m:Checkpoint AND NOT m:DeadLetter "
    "AND (size($labels) = 0 OR any(l IN labels(m) WHERE l IN $labels)) "
    "RETURN n AS node, r AS relationship, m AS neighbour LIMIT $limit"
)
CHAIN_STATUS_CYPHER = (
    "MATCH (e:Event) RETURN e.source AS source, count(e) AS events, "
    "sum(CASE WHEN e.chain_ok = false THEN 1 ELSE 0 END) AS breaks ORDER BY source"
)


@dataclass(frozen=True)
class TimeFrame:
    """The question's time: ``as_of`` = true in the municipality on that day, ``known_at`` = as recorded then."""

    as_of: date | datetime | None = None
    known_at: datetime | None = None

    def params(self) -> dict[str, str]:
        out = {}
        if self.as_of is not None:
            out["as_of"] = self.as_of.isoformat()
        if self.known_at is not None:
            out["known_at"] = self.known_at.isoformat()
        return out


NOW = TimeFrame()


PAGE_LIMIT = 1000
"""What the portal asks per page: the services' maximum (fewest round trips for a whole list)."""


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    next_cursor: str | None = None

    @classmethod
    def of(cls, body: Any) -> Page:
        if isinstance(body, dict):
            return cls(list(body.get("items") or []), body.get("next"))
        return cls(list(body or []))


class ServiceError(Exception):
    """A service answered 4xx/5xx; ``detail`` is what it says to fix."""

    def __init__(
        self,
        service: str,
        status: int,
        title: str,
        detail: str,
        rule: str | None = None,
        errors: list[Any] | None = None,
    ) -> None:
        super().__init__(f"{service}: {status} {detail}")
        self.service, self.status, self.title, self.detail = service, status, title, detail
        self.rule, self.errors = rule, errors or []

    @classmethod
    def of(cls, service: str, response: httpx.Response) -> ServiceError:
        try:
            body = response.json()
        except ValueError:
            body = response.text.strip()[:500]
        if not isinstance(body, dict):
            return cls(service, response.status_code, response.reason_phrase, str(body) or response.reason_phrase)
        detail = body.get("detail", body.get("message"))
        errors = body.get("errors") or []
        if isinstance(detail, list):  # FastAPI's own validation errors
            errors, detail = detail, "; ".join(str(e.get("msg", e)) if isinstance(e, dict) else str(e) for e in detail)
        rule = body.get("rule") or body.get("error")
        title = body.get("title") or rule or response.reason_phrase
        return cls(service, response.status_code, str(title), str(detail or title), rule, errors)


class ServiceUnavailable(ServiceError):
    def __init__(self, service: str, reason: str) -> None:
        super().__init__(service, 503, "unavailable", reason)


@dataclass(frozen=True)
class Call:
    service: str
    method: str
    path: str
    status: int
    started: float
    seconds: float


_calls: contextvars.ContextVar[list[Call] | None] = contextvars.ContextVar("portal_api_calls", default=None)


def timed_calls() -> list[Call]:
    """Starts recording the calls of the current request; returns the list they are appended to."""
    calls: list[Call] = []
    _calls.set(calls)
    return calls


def wall_seconds(calls: list[Call]) -> float:
    """Time spent waiting on the services: calls made side by side count once."""
    total, end = 0.0, float("-inf")
    for call in sorted(calls, key=lambda c: c.started):
        finish = call.started + call.seconds
        if finish > end:
            total += finish - max(call.started, end)
            end = finish
    return total


@dataclass
class Services:
    """The three services' base URLs, with one pooled HTTP client each (shared by every user)."""

    urls: dict[str, str]
    timeout: float = 30.0
    rebuild_timeout: float = 900.0
    transport: httpx.AsyncBaseTransport | None = None
    _clients: dict[str, httpx.AsyncClient] = field(default_factory=dict)

    def http(self, service: str) -> httpx.AsyncClient:
        """Idle connections are dropped after 4 s, before the services' servers close theirs (uvicorn: 5 s)."""
        if service not in self._clients:
            self._clients[service] = httpx.AsyncClient(
                base_url=self.urls[service].rstrip("/"),
                timeout=self.timeout,
                transport=self.transport,
                limits=httpx.Limits(keepalive_expiry=KEEPALIVE_SECONDS),
            )
        return self._clients[service]

    def as_user(self, token: str | None) -> Platform:
        return Platform(self, token)

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()


class Api:
    """One service, one user's token."""

    def __init__(self, services: Services, service: str, token: str | None) -> None:
        self.services, self.service, self.token = services, service, token

    async def respond(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json_body: Any = None,
        timeout: float | None = None,
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        started = time.perf_counter()
        status = 0
        try:
            for attempt in (1, 2):
                try:
                    response = await self.services.http(self.service).request(
                        method,
                        path,
                        params=params,
                        json=json_body,
                        headers=headers,
                        timeout=timeout or self.services.timeout,
                    )
                    break
                except httpx.RemoteProtocolError:
                    # a kept-alive connection the server closed as it was reused: a read may be asked again
                    if method != "GET" or attempt == 2:
                        raise
            status = response.status_code
        except httpx.TransportError as error:
            raise ServiceUnavailable(self.service, f"{type(error).__name__}: {error}") from None
        finally:
            calls = _calls.get()
            if calls is not None:
                calls.append(Call(self.service, method, path, status, started, time.perf_counter() - started))
        if status >= 400:
            raise ServiceError.of(self.service, response)
        return response

    async def call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json_body: Any = None,
        timeout: float | None = None,
    ) -> Any:
        response = await self.respond(method, path, params=params, json_body=json_body, timeout=timeout)
        return response.json() if response.content else None

    async def raw(self, path: str, params: Mapping[str, Any] | None = None) -> bytes:
        """A GET's body as it came (an envelope's bytes must not be parsed and written again)."""
        response = await self.respond("GET", path, params=dict(params or {}))
        return bytes(response.content)

    async def get(self, path: str, **params: Any) -> Any:
        return await self.call("GET", path, params={k: v for k, v in params.items() if v is not None})

    async def page(self, path: str, limit: int | None = None, cursor: str | None = None) -> Page:
        """One page when ``limit`` or ``cursor`` is given, else the whole list (every page)."""
        if limit is not None or cursor is not None:
            return Page.of(await self.get(path, limit=limit, cursor=cursor))
        return Page.of(await self.every(path, "items"))

    async def every(self, path: str, key: str, **params: Any) -> Any:
        """A list route's whole list: the first page's answer with ``key`` holding the items of every page, got by
        following ``next`` until it is null (a next page is asked with the same parameters, as the cursor needs)."""
        body = await self.get(path, limit=PAGE_LIMIT, **params)
        if not isinstance(body, dict):
            return body
        items = list(body.get(key) or [])
        following = body
        while following.get("next"):
            following = await self.get(path, limit=PAGE_LIMIT, cursor=following["next"], **params)
            items.extend(following.get(key) or [])
        return {**body, key: items, "next": None, **({"count": len(items)} if "count" in body else {})}


class PlanRegistryApi(Api):
    async def plans(self, limit: int | None = None, cursor: str | None = None) -> Page:
        return await self.page("/api/v1/plans", limit, cursor)

    async def plan(self, plan_id: str) -> dict[str, Any]:
        return await self.get(f"/api/v1/plans/{plan_id}")

    async def plan_history(self, plan_id: str) -> list[dict[str, Any]]:
        return await self.get(f"/api/v1/plans/{plan_id}/history")

    async def goals(self) -> Page:
        return await self.page("/api/v1/goals")

    async def decisions(self) -> Page:
        return await self.page("/api/v1/decisions")

    async def decision(self, decision_id: str) -> dict[str, Any]:
        return await self.get(f"/api/v1/decisions/{decision_id}")

    async def strategies(self) -> Page:
        return await self.page("/api/v1/strategies")

    async def strategy(self, strategy_id: str) -> dict[str, Any]:
        return await self.get(f"/api/v1/strategies/{strategy_id}")


class CocreationApi(Api):
    async def processes(self) -> Page:
        return await self.page("/api/v1/processes")

    async def process(self, process_id: str) -> dict[str, Any]:
        return await self.get(f"/api/v1/processes/{process_id}")

    async def workshops(self, process_id: str) -> Page:
        return await self.page(f"/api/v1/processes/{process_id}/workshops")

    async def workshop(self, workshop_id: str) -> dict[str, Any]:
        return await self.get(f"/api/v1/workshops/{workshop_id}")

    async def inputs(self, process_id: str) -> Page:
        return await self.page(f"/api/v1/processes/{process_id}/inputs")

    async def input(self, input_id: str) -> dict[str, Any]:
        return await self.get(f"/api/v1/inputs/{input_id}")

    async def participation(self, process_id: str) -> dict[str, Any]:
        return await self.get(f"/api/v1/processes/{process_id}/participation")


class KnowledgeApi(Api):
    async def trace_back(self, kind: str, node_id: str, frame: TimeFrame = NOW) -> dict[str, Any]:
        return await self.get(f"/api/v1/trace/back/{kind}/{node_id}", **frame.params())

    async def trace_forward(self, input_id: str, frame: TimeFrame = NOW) -> dict[str, Any]:
        return await self.get(f"/api/v1/trace/forward/input/{input_id}", **frame.params())

    async def plans_outside_strategy(self, frame: TimeFrame = NOW, strategy_id: str | None = None) -> dict[str, Any]:
        return await self.every("/api/v1/plans/outside-strategy", "plans", strategy_id=strategy_id, **frame.params())

    async def plans_not_anchored(self, frame: TimeFrame = NOW) -> dict[str, Any]:
        return await self.every("/api/v1/plans/not-anchored", "plans", **frame.params())

    async def plans_overdue(self, frame: TimeFrame = NOW) -> dict[str, Any]:
        return await self.every("/api/v1/plans/overdue-revision", "plans", **frame.params())

    async def goals_without_plan_or_indicator(self, frame: TimeFrame = NOW) -> dict[str, Any]:
        return await self.every("/api/v1/goals/without-plan-or-indicator", "goals", **frame.params())

    async def compliance(self, strategy_id: str, frame: TimeFrame = NOW) -> dict[str, Any]:
        return await self.get(f"/api/v1/strategies/{strategy_id}/compliance", **frame.params())

    async def follow_up(self, frame: TimeFrame = NOW, strategy_id: str | None = None) -> dict[str, Any]:
        """The strategy follow-up: of ``strategy_id``, or of the strategy in force on the frame's day."""
        path = f"/api/v1/strategies/{strategy_id}/follow-up" if strategy_id else "/api/v1/follow-up"
        return await self.get(path, **frame.params())

    async def cypher(self, query: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return await self.call("POST", "/api/v1/cypher", json_body={"query": query, "params": params or {}})

    async def neighbourhood(
        self, label: str, node_id: str, labels: Iterable[str] = (), limit: int = 200
    ) -> dict[str, Any]:
        if label not in GRAPH_LABELS:
            raise ValueError(f"unknown label {label!r}")
        wanted = [name for name in labels if name in GRAPH_LABELS]
        return await self.cypher(
            NEIGHBOURHOOD_CYPHER.format(label=label), {"id": node_id, "labels": wanted, "limit": limit}
        )

    async def chain_status(self) -> list[dict[str, Any]]:
        return (await self.cypher(CHAIN_STATUS_CYPHER))["rows"]

    async def checksum(self) -> dict[str, Any]:
        return await self.get("/api/v1/checksum")

    async def health(self) -> dict[str, Any]:
        return await self.get("/health")

    async def dead_letters(self, status: str | None = None) -> dict[str, Any]:
        return await self.every("/api/v1/dead-letters", "dead_letters", status=status)

    async def replay(self, dead_letter_id: str) -> dict[str, Any]:
        return await self.call("POST", f"/api/v1/dead-letters/{dead_letter_id}/replay")

    async def rebuild(self, origin: str) -> dict[str, Any]:
        return await self.call(
            "POST", "/api/v1/rebuild", json_body={"origin": origin}, timeout=self.services.rebuild_timeout
        )

    async def evidence_pack_url(self, decision_id: str) -> str | None:
        """The portal's own download of the decision's evidence pack (``Platform.evidence_pack`` makes it)."""
        return f"/decisions/{decision_id}/evidence.zip"


class Platform:
    """The three APIs as one signed-in user sees them."""

    def __init__(self, services: Services, token: str | None) -> None:
        self.plan_registry = PlanRegistryApi(services, PLAN_REGISTRY, token)
        self.cocreation = CocreationApi(services, COCREATION, token)
        self.knowledge = KnowledgeApi(services, KNOWLEDGE, token)

    async def signed_head(self, source: str) -> dict[str, Any]:
        """The source's latest signed tree head, checked against the keys it serves (``planspor_verify``):
        ``{"source", "state": "verified" | "unsigned" | "none", "size", "time", "detail"}``. That the
        signature holds under the source's own keys says the head is well formed and signed; an auditor
        compares it with the keys and heads she keeps (``planspor-verify``) for more."""
        from planspor_verify.checkpoint import open_checkpoint, parse_checkpoint
        from planspor_verify.note import NoteError, VerifierKey

        api = self.plan_registry if source == PLAN_REGISTRY else self.cocreation
        served = await api.get("/keys")
        try:
            body = await api.raw("/checkpoints/latest")
        except ServiceError as error:
            if error.status == 404:
                return {"source": source, "state": "none", "size": 0, "time": None, "detail": ""}
            raise
        keys = [VerifierKey.parse(k["vkey"]) for k in served.get("keys") or [] if k.get("vkey")]
        try:
            head = open_checkpoint(body, keys)
            state, detail = "verified", ""
        except (NoteError, ValueError) as error:
            head, state, detail = parse_checkpoint(body), "unsigned", str(error)
        checkpoint = head.checkpoint
        return {"source": source, "state": state, "size": checkpoint.size, "time": checkpoint.time, "detail": detail}

    async def evidence_pack(self, kind: str, subject_id: str, wait: float = 10.0) -> bytes:
        """The evidence pack of a decision (strategy, input) as a zip, gathered with this user's token and
        checked as ``planspor-verify`` checks it (``planspor_runtime.evidence``; ``EvidenceError`` if not)."""
        import io

        from planspor_runtime.evidence import evidence_pack
        from planspor_verify.evidence import write_pack

        apis = {PLAN_REGISTRY: self.plan_registry, COCREATION: self.cocreation, KNOWLEDGE: self.knowledge}

        async def fetch(service: str, path: str, params: Mapping[str, Any]) -> bytes:
            return await apis[service].raw(path, params)

        pack = await evidence_pack(fetch, kind, subject_id, wait=wait)
        buffer = io.BytesIO()
        write_pack(buffer, pack)
        return buffer.getvalue()


async def gather(*calls: Awaitable[Any]) -> list[Any]:
    """Runs a page's calls side by side; each result is its value or the ``ServiceError`` it raised.

    A page shows what its user may see and says what it could not get, instead of failing whole
    because one section is forbidden to the role or one service is down.
    """

    async def settle(call: Awaitable[Any]) -> Any:
        try:
            return await call
        except ServiceError as error:
            return error

    return list(await asyncio.gather(*(settle(c) for c in calls)))


def cypher_rows_as_table(result: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """Columns and cells as text: nodes and relationships as their JSON, everything else as itself."""
    columns = list(result.get("columns") or [])
    rows = []
    for row in result.get("rows") or []:
        values = [row.get(c) for c in columns] if isinstance(row, dict) else list(row)
        rows.append([_cell(v) for v in values])
    return columns, rows


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


Calls = dict[str, Awaitable[Any]]
"""A page's calls by name, not yet awaited: ``gather_named`` runs them side by side."""


async def gather_named(calls: Mapping[str, Awaitable[Any]]) -> dict[str, Any]:
    """``gather`` with names: ``{name: value or ServiceError}``."""
    names = list(calls)
    return dict(zip(names, await gather(*(calls[n] for n in names))))
