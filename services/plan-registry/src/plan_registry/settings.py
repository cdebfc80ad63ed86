"""The one place the plan register reads its configuration from the environment."""

from __future__ import annotations

from typing import ClassVar

from planspor_runtime.service import ServiceSettings, Store


class Settings(ServiceSettings):
    """Environment variables, typed: the shared ones (PLANSPOR_*, NATS_URL, POSTGRES_*) and PLAN_REGISTRY_*."""

    source: ClassVar[str] = "plan-registry"

    plan_registry_host: str = "127.0.0.1"
    plan_registry_port: int = 8001
    plan_registry_store: Store = "sqlite"
    plan_registry_sqlite_path: str = "var/data/plan-registry.sqlite"
    plan_registry_postgres_schema: str = "plan_registry"
    """Own schema, so services and tests sharing a database do not collide."""
    plan_registry_signing_key_file: str = "var/secrets/plan-registry.key"
    """The Ed25519 key the relay signs events and tree heads with; generated in development, required otherwise."""
    plan_registry_previous_signing_key_file: str | None = None
    """The key before it, only while a new key is announced (rotation)."""
    plan_registry_relay: bool = False
    """Publish committed events to NATS (the relay); off for a service run alone."""
    plan_registry_reactions: bool = False
    """Draft strategies from co-creation's ``recommendation.issued`` on NATS."""
