"""Wiring: settings -> application, access, HTTP API (its errors as problem details, the
domain's refusals among them), feed, and (when enabled) the relay and the plan-catalogue
subscriber. Tests pass their own settings or application."""

from __future__ import annotations

from cocreation.api import create_api
from cocreation.application import CocreationApplication
from cocreation.contracts import map_event
from cocreation.domain import DomainError
from cocreation.messaging import PlanCatalogueSubscriber
from cocreation.settings import Settings
from planspor_runtime.service import Service, ServiceSettings, assemble, relay_starter, subscriber_starter

SOURCE = "cocreation"
__all__ = ["SOURCE", "Service", "build"]


def build(settings: Settings | None = None, application: CocreationApplication | None = None) -> Service:
    settings = settings or Settings()
    settings.check()
    if application is None:
        settings.ensure_store()
        application = CocreationApplication(env=settings.persistence_env())
    return assemble(
        settings,
        application,
        source=SOURCE,
        create_api=create_api,
        refusals=(DomainError,),
        starters=[
            relay_starter(SOURCE, map_event, enabled=_relay_on),
            subscriber_starter(PlanCatalogueSubscriber, enabled=_catalogue_subscriber_on),
        ],
    )


def _relay_on(settings: ServiceSettings) -> bool:
    return isinstance(settings, Settings) and settings.cocreation_relay


def _catalogue_subscriber_on(settings: ServiceSettings) -> bool:
    return isinstance(settings, Settings) and settings.cocreation_catalogue_subscriber
