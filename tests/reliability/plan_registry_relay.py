"""The plan register's application for a relay run as a process of its own (the fault matrix's relay row):

    python -m planspor_runtime.relay --app plan_registry_relay:application --mapper plan_registry.contracts:map_event ...

configured by the same settings as the service (PLAN_REGISTRY_STORE, PLAN_REGISTRY_SQLITE_PATH, POSTGRES_*)."""

from __future__ import annotations

from plan_registry.application import PlanRegistry
from plan_registry.settings import Settings


def application() -> PlanRegistry:
    settings = Settings()
    settings.ensure_store()
    return PlanRegistry(env=settings.persistence_env())
