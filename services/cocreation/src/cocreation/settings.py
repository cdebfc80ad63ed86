"""The one place co-creation reads its configuration from the environment."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from planspor_shared.access import Access, check_not_placeholder, parse_tokens

PLACEHOLDER_PASSWORDS = frozenset({"", "planspor-dev", "postgres", "changeme"})


class Settings(BaseSettings):
    """Environment variables, typed. Outside development a placeholder token or password stops the start."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    planspor_env: Literal["development", "production"] = "development"
    planspor_tokens: str | None = None
    nats_url: str = "nats://127.0.0.1:4222"
    planspor_subject_prefix: str = "planspor"
    cocreation_host: str = "127.0.0.1"
    cocreation_port: int = 8002
    cocreation_store: Literal["sqlite", "postgres", "memory"] = "sqlite"
    cocreation_sqlite_path: str = "var/data/cocreation.sqlite"
    postgres_host: str = "127.0.0.1"
    postgres_port: int = 5432
    postgres_user: str = "planspor"
    postgres_password: str = "planspor-dev"
    postgres_db: str = Field(default="planspor")
    cocreation_postgres_schema: str = "cocreation"
    """COCREATION_POSTGRES_SCHEMA: own schema, so services and tests sharing a database do not collide."""
    cocreation_relay: bool = False
    """Publish committed events to NATS (the relay); off for a service run alone."""
    cocreation_catalogue_subscriber: bool = False
    """Keep the plan catalogue from plan-registry's events on NATS."""

    def persistence_env(self) -> dict[str, str]:
        if self.cocreation_store == "memory":
            return {"PERSISTENCE_MODULE": "eventsourcing.popo"}
        if self.cocreation_store == "sqlite":
            return {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": self.cocreation_sqlite_path}
        return {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": self.postgres_db,
            "POSTGRES_HOST": self.postgres_host,
            "POSTGRES_PORT": str(self.postgres_port),
            "POSTGRES_USER": self.postgres_user,
            "POSTGRES_PASSWORD": self.postgres_password,
            "POSTGRES_SCHEMA": self.cocreation_postgres_schema,
        }

    def access(self) -> Access:
        entries = parse_tokens(self.planspor_tokens)
        check_not_placeholder(entries, self.planspor_env)
        return Access(entries)

    def check(self) -> None:
        """Fail fast on configuration that must not reach production."""
        self.access()
        if (
            self.planspor_env != "development"
            and self.cocreation_store == "postgres"
            and self.postgres_password in PLACEHOLDER_PASSWORDS
        ):
            raise ValueError("POSTGRES_PASSWORD is a placeholder while PLANSPOR_ENV is not development")
