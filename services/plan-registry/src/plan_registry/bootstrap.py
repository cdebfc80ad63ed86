"""Wiring: settings -> application, access, HTTP API (its errors as problem details, the
domain's refusals among them), feed, and (when enabled) the relay and the reaction to
co-creation's recommendations. Tests pass their own settings or application."""

from __future__ import annotations

from plan_registry.api import create_api
from plan_registry.application import PlanRegistry
from plan_registry.contracts import map_event
from plan_registry.domain import DomainError
from plan_registry.messaging import RECOMMENDATIONS
from plan_registry.settings import Settings
from planspor_runtime.service import Service, Wiring

SOURCE = Settings.source
WIRING = Wiring(PlanRegistry, create_api, map_event, refusals=(DomainError,), reactions=(RECOMMENDATIONS,))
__all__ = ["SOURCE", "WIRING", "Service", "build"]


def build(settings: Settings | None = None, application: PlanRegistry | None = None) -> Service:
    return WIRING.build(settings or Settings(), application)
