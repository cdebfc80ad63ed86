"""``/metrics`` in the Prometheus text format, the same way in every service (prometheus-client).

Each app has a registry of its own (``Metrics``): the requests it answered (count and latency by method,
route template and status), and what its parts add (the relay's position, lag and failures; the projector's
positions, lag and batches). Values that need I/O (the store's head, the consumer's lag, a reachability
probe) are read when the route is scraped (``on_scrape``), never on a timer.

``/metrics`` asks for the operator role (``Authorization: Bearer <operator token>``). Where the operator
sets ``PLANSPOR_METRICS_PORT``, the same page is also served without a token on ``127.0.0.1`` at that port
(``MetricsPort``): for a Prometheus on the same host or in the same pod, never on a published port.

The request middleware (``ObservedRequests``) also binds the request's correlation and causation ids for the
logs (``planspor_runtime.logs``), so every record a request logs carries them, uvicorn's access line included.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Awaitable, Callable
from typing import Any
from uuid import uuid4

from fastapi import APIRouter, FastAPI, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from planspor_runtime.logs import bound
from planspor_runtime.problems import problem_responses

disable_created_metrics()  # no *_created series: a scrape shows counts and sums, not when each label first appeared
log = logging.getLogger("planspor.metrics")
CORRELATION_HEADER = b"x-correlation-id"
CAUSATION_HEADER = b"x-causation-id"
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
Refresh = Callable[[], Awaitable[None]]


class Metrics:
    """One service's registry: request metrics and what its parts register."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "planspor_http_requests",
            "HTTP requests answered, by method, route template and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "planspor_http_request_duration_seconds",
            "Time from the request's arrival to the end of its answer, by method and route template",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        info = Gauge(
            "planspor_service_info", "1, labelled with the service's name", ["service"], registry=self.registry
        )
        info.labels(service=service).set(1)
        self._refreshers: list[Refresh] = []

    def register(self, collector: Collector) -> None:
        self.registry.register(collector)

    def on_scrape(self, refresh: Refresh) -> None:
        """Run ``refresh`` (bounded by a timeout) before each scrape: values that need I/O."""
        self._refreshers.append(refresh)

    async def exposition(self, timeout: float = 3.0) -> bytes:
        for refresh in self._refreshers:
            try:
                await asyncio.wait_for(refresh(), timeout)
            except Exception as error:  # noqa: BLE001 - a dependency that does not answer is a metric too
                log.debug("metrics refresh failed: %s", error)
        return generate_latest(self.registry)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method=method, route=route, status=str(status)).inc()
        self.latency.labels(method=method, route=route).observe(seconds)


def route_template(scope: Scope) -> str:
    """The route's path template (``/api/v1/plans/{plan_id}``), never the raw path: the label stays bounded."""
    fastapi_scope = scope.get("fastapi")
    context = fastapi_scope.get("effective_route_context") if isinstance(fastapi_scope, dict) else None
    for candidate in (
        getattr(getattr(context, "starlette_route", None), "path_format", None),  # with the routers' prefixes
        getattr(context, "path_format", None),
        getattr(scope.get("route"), "path", None),
    ):
        if isinstance(candidate, str) and candidate:
            return candidate
    return "unmatched"


class ObservedRequests:
    """ASGI middleware (outermost): counts and times every request, and binds its ids for the logs."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or ())
        correlation = headers.get(CORRELATION_HEADER, b"").decode("latin-1").strip()[:200] or str(uuid4())
        causation = headers.get(CAUSATION_HEADER, b"").decode("latin-1").strip()[:200] or None
        scope.setdefault("state", {})["correlation_id"] = correlation
        status = 500
        started = time.perf_counter()

        async def observed_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        with bound(correlation_id=correlation, causation_id=causation):
            try:
                await self.app(scope, receive, observed_send)
            finally:
                self.metrics.observe(
                    scope.get("method", "GET"), route_template(scope), status, time.perf_counter() - started
                )


def install_metrics(app: FastAPI, metrics: Metrics, require_operator: Callable[[Request], Any]) -> None:
    """``/metrics`` for the operator role, the request middleware (add it last: it must be the outermost)."""
    router = APIRouter(tags=["operations"])

    @router.get(
        "/metrics",
        summary="Metrics in the Prometheus text format (operator)",
        description="Roles: operator.",
        openapi_extra={"security": [{"bearer": []}], "x-roles": ["operator"]},
        response_class=Response,
        responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}, **problem_responses(401, 403)},
    )
    async def metrics_page(request: Request) -> Response:
        require_operator(request)
        return Response(await metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    app.include_router(router)
    app.state.metrics = metrics
    app.add_middleware(ObservedRequests, metrics=metrics)


def metrics_port(environ: dict[str, str] | None = None) -> int | None:
    """``PLANSPOR_METRICS_PORT``: the loopback port of the token-free metrics page, if the operator wants one."""
    raw = (os.environ if environ is None else environ).get("PLANSPOR_METRICS_PORT", "").strip()
    if not raw:
        return None
    port = int(raw)
    if not 0 < port < 65536:
        raise ValueError(f"PLANSPOR_METRICS_PORT must be a port number, not {raw!r}")
    return port


class MetricsPort:
    """The metrics page without a token on ``127.0.0.1:<port>`` (``PLANSPOR_METRICS_PORT``), in the service's loop."""

    def __init__(self, metrics: Metrics, port: int, host: str = "127.0.0.1") -> None:
        self.metrics, self.port, self.host = metrics, port, host
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._answer, self.host, self.port)
        log.info("metrics on http://%s:%d/metrics (no token: loopback only)", self.host, self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)
            self._server = None

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
            method, _, rest = request.partition(b" ")
            path = rest.split(b" ", 1)[0].split(b"?", 1)[0]
            if method not in (b"GET", b"HEAD") or path != b"/metrics":
                status, body, kind = b"404 Not Found", b"only GET /metrics here\n", b"text/plain"
            else:
                status, body, kind = b"200 OK", await self.metrics.exposition(), CONTENT_TYPE_LATEST.encode()
            writer.write(
                b"HTTP/1.1 "
                + status
                + b"\r\nContent-Type: "
                + kind
                + b"\r\nContent-Length: "
                + str(len(body)).encode()
                + b"\r\nConnection: close\r\n\r\n"
                + (b"" if method == b"HEAD" else body)
            )
            await writer.drain()
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()
