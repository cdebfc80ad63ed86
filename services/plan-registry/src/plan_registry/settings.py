"""The one place the plan register reads its configuration from the environment."""

from __future__ import annotations

from planspor_runtime.service import ServiceSettings, Store


class Settings(ServiceSettings):
    """Environment variables, typed: the shared ones (PLANSPOR_*, NATS_URL, POSTGRES_*) and PLAN_REGISTRY_*."""

    plan_registry_host: str = "127.0.0.1"
    plan_registry_port: int = 8001
    plan_registry_store: Store = "sqlite"
    plan_registry_sqlite_path: str = "var/data/plan-registry.sqlite"
    plan_registry_postgres_schema: str = "plan_registry"
    """Own schema, so services and tests sharing a database do not collide."""
    plan_registry_relay: bool = False
    """Publish committed events to NATS (the relay); off for a service run alone."""
    plan_registry_reactions: bool = False
    """Draft strategies from co-creation's ``recommendation.issued`` on NATS."""

    @property
    def store(self) -> Store:
        return self.plan_registry_store

    @property
    def sqlite_path(self) -> str:
        return self.plan_registry_sqlite_path

    @property
    def postgres_schema(self) -> str:
        return self.plan_registry_postgres_schema
