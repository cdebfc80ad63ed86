"""Wiring: settings -> application, access, HTTP API (its errors as problem details, the
domain's refusals among them), feed, and (when enabled) the relay and the reaction to
co-creation's recommendations. Tests pass their own settings or application."""

from __future__ import annotations

from plan_registry.api import create_api
from plan_registry.application import PlanRegistry
from plan_registry.contracts import map_event
from plan_registry.domain import DomainError
from plan_registry.messaging import RecommendationSubscriber
from plan_registry.settings import Settings
from planspor_runtime.service import Service, ServiceSettings, assemble, relay_starter, subscriber_starter

SOURCE = "plan-registry"
__all__ = ["SOURCE", "Service", "build"]


def build(settings: Settings | None = None, application: PlanRegistry | None = None) -> Service:
    settings = settings or Settings()
    settings.check()
    if application is None:
        settings.ensure_store()
        application = PlanRegistry(env=settings.persistence_env())
    return assemble(
        settings,
        application,
        source=SOURCE,
        create_api=create_api,
        refusals=(DomainError,),
        starters=[
            relay_starter(SOURCE, map_event, enabled=_relay_on),
            subscriber_starter(RecommendationSubscriber, enabled=_reactions_on),
        ],
    )


def _relay_on(settings: ServiceSettings) -> bool:
    return isinstance(settings, Settings) and settings.plan_registry_relay


def _reactions_on(settings: ServiceSettings) -> bool:
    return isinstance(settings, Settings) and settings.plan_registry_reactions
