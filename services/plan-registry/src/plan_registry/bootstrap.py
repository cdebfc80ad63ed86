"""Wiring: settings -> application, access, HTTP API, feed, and (when enabled) the relay
and the reaction to co-creation's recommendations. Tests pass their own settings or application."""

from __future__ import annotations

from planspor_runtime.service import Service, assemble, relay_starter, subscriber_starter

from plan_registry.api import create_api
from plan_registry.application import PlanRegistry
from plan_registry.contracts import map_event
from plan_registry.messaging import RecommendationSubscriber
from plan_registry.settings import Settings

SOURCE = "plan-registry"
__all__ = ["SOURCE", "Service", "build"]


def build(settings: Settings | None = None, application: PlanRegistry | None = None) -> Service:
    settings = settings or Settings()
    settings.check()
    if application is None:
        settings.ensure_store()
        application = PlanRegistry(env=settings.persistence_env())
    return assemble(settings, application, source=SOURCE, create_api=create_api, starters=[
        relay_starter(SOURCE, map_event, enabled=lambda s: s.plan_registry_relay),
        subscriber_starter(RecommendationSubscriber, enabled=lambda s: s.plan_registry_reactions),
    ])
