"""The one place co-creation reads its configuration from the environment."""

from __future__ import annotations

from typing import ClassVar

from planspor_runtime.service import ServiceSettings, Store


class Settings(ServiceSettings):
    """Environment variables, typed: the shared ones (PLANSPOR_*, NATS_URL, POSTGRES_*) and COCREATION_*."""

    source: ClassVar[str] = "cocreation"

    cocreation_host: str = "127.0.0.1"
    cocreation_port: int = 8002
    cocreation_store: Store = "sqlite"
    cocreation_sqlite_path: str = "var/data/cocreation.sqlite"
    cocreation_postgres_schema: str = "cocreation"
    """Own schema, so services and tests sharing a database do not collide."""
    cocreation_signing_key_file: str = "var/secrets/cocreation.key"
    """The Ed25519 key the relay signs events and tree heads with; generated in development, required otherwise."""
    cocreation_previous_signing_key_file: str | None = None
    """The key before it, only while a new key is announced (rotation)."""
    cocreation_relay: bool = False
    """Publish committed events to NATS (the relay); off for a service run alone."""
    cocreation_catalogue_subscriber: bool = False
    """Keep the plan catalogue from plan-registry's events on NATS."""
