"""The operator's routes of a domain service (plan-registry, cocreation), the same in both.

- ``/healthz`` and ``/readyz`` (``planspor_runtime.health``): ready when the event store answers and the relay,
  where it runs, is connected and not stuck;
- ``/health`` (operator): ``ok`` or ``degraded``, with the store's head and the relay's position, lag,
  failures and last error (issue 12: a relay that cannot publish says so here);
- ``/metrics`` (operator, or without a token on ``PLANSPOR_METRICS_PORT``): requests, the relay, NATS.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Depends

from planspor_runtime.access import Role
from planspor_runtime.health import Check, CheckResult, probes_router
from planspor_runtime.metrics import Metrics, MetricsPort, install_metrics, metrics_port
from planspor_runtime.problems import READ_PROBLEMS
from planspor_runtime.relay.observed import RelayCollector, RelayReport, relay_report

if TYPE_CHECKING:
    from planspor_runtime.relay.core import Relay
    from planspor_runtime.service import Part, Service


def running_relay(service: Service) -> Relay | None:
    from planspor_runtime.relay.core import Relay

    return next((part for part in service.background if isinstance(part, Relay)), None)


def report(service: Service, source: str) -> Any:
    async def make() -> RelayReport:
        return await relay_report(source, running_relay(service), service.relay_store, service.application)

    return make


def checks(service: Service, source: str) -> list[Check]:
    async def store() -> CheckResult:
        try:
            await asyncio.to_thread(service.application.recorder.max_notification_id)
        except Exception as error:  # noqa: BLE001 - unreachable for whatever reason: not ready
            return f"the event store does not answer: {type(error).__name__}: {error}"
        return None

    async def relay() -> CheckResult:
        return (await report(service, source)()).stuck()

    async def broker() -> CheckResult:
        relay = running_relay(service)
        if relay is None or not relay.writing or relay.connected:
            return None
        return "not connected to NATS"

    found = [Check("store", store)]
    if running_relay(service) is not None:
        found += [Check("broker", broker), Check("relay", relay)]
    return found


def health_router(service: Service, source: str) -> APIRouter:
    router = APIRouter(tags=["operations"])
    operator = [Depends(service.access.require(Role.OPERATOR))]

    @router.get(
        "/health",
        summary="Health of the service, its store and its relay (operator)",
        dependencies=operator,
        responses=READ_PROBLEMS,
    )
    async def health() -> dict[str, Any]:
        try:
            relay = await report(service, source)()
        except Exception as error:  # noqa: BLE001 - a store that does not answer is the answer
            reason = f"the event store does not answer: {type(error).__name__}: {error}"
            return {"status": "degraded", "service": source, "reasons": [reason]}
        problems = [reason for reason in (relay.stuck(),) if reason]
        return {
            "status": "degraded" if problems else "ok",
            "service": source,
            "store": type(service.application.recorder).__module__,
            "position": relay.store_head,
            "relay": {
                key: value
                for key, value in relay.as_dict().items()
                if key not in ("source", "store_head", "idle_for_seconds")
            },
            "reasons": problems,
        }

    return router


def install_operations(service: Service, source: str) -> None:
    """The probes, ``/health`` and ``/metrics`` on the service's API (call it after the other middleware)."""
    api = service.api
    api.include_router(probes_router(lambda: checks(service, source)))
    api.include_router(health_router(service, source))
    metrics = Metrics(source)
    collector = RelayCollector(source, report(service, source))
    metrics.register(collector)
    metrics.on_scrape(collector.refresh)
    install_metrics(api, metrics, service.access.require(Role.OPERATOR))
    service.metrics = metrics


async def metrics_port_starter(service: Service) -> Part | None:
    """The token-free metrics page on loopback, when the operator sets ``PLANSPOR_METRICS_PORT``."""
    port = metrics_port()
    if port is None or service.metrics is None:
        return None
    part = MetricsPort(service.metrics, port)
    await part.start()
    return part
