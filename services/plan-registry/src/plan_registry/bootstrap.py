"""Wiring: settings -> application, access, HTTP API, feed, and (when enabled) the relay
and the reaction to co-creation's recommendations. Tests pass their own settings or application."""

from __future__ import annotations

from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from planspor_shared.access import Access

from plan_registry.api import create_api
from plan_registry.application import PlanRegistry
from plan_registry.settings import Settings

SOURCE = "plan-registry"


@dataclass
class Service:
    settings: Settings
    application: PlanRegistry
    access: Access
    api: FastAPI = field(init=False)
    relay_store: Any = None
    """Where the relay keeps its position and the sealed envelopes the feed serves."""
    background: list[Any] = field(default_factory=list)
    """Started with the API and stopped after it (the relay, the reactions subscriber)."""


def ensure_store(settings: Settings) -> None:
    """SQLite needs its directory, PostgreSQL its schema, before the event store opens."""
    if settings.plan_registry_store == "sqlite":
        Path(settings.plan_registry_sqlite_path).parent.mkdir(parents=True, exist_ok=True)
    elif settings.plan_registry_store == "postgres":
        import psycopg

        with psycopg.connect(host=settings.postgres_host, port=settings.postgres_port, user=settings.postgres_user,
                             password=settings.postgres_password, dbname=settings.postgres_db,
                             autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{settings.plan_registry_postgres_schema}"')


def build(settings: Settings | None = None, application: PlanRegistry | None = None) -> Service:
    settings = settings or Settings()
    settings.check()
    if application is None:
        ensure_store(settings)
        application = PlanRegistry(env=settings.persistence_env())
    service = Service(settings=settings, application=application, access=settings.access())

    @asynccontextmanager
    async def lifespan(_: FastAPI):
        await _start_background(service)
        try:
            yield
        finally:
            for part in reversed(service.background):
                await part.stop()
            service.background.clear()

    service.api = create_api(application, service.access, lifespan=lifespan)
    _mount_feed(service)
    return service


def _mount_feed(service: Service) -> None:
    from planspor_shared.feed import feed_router
    from planspor_shared.relay import RelayStore

    service.relay_store = RelayStore.for_application(service.application)
    service.api.include_router(feed_router(service.relay_store, service.access))
    from planspor_shared.asyncapi import SERVICES, asyncapi_router

    service.api.include_router(
        asyncapi_router(SOURCE, SERVICES[SOURCE], prefix=service.settings.planspor_subject_prefix))


async def _start_background(service: Service) -> None:
    s = service.settings
    if s.plan_registry_relay:
        from planspor_shared.relay import Relay

        from plan_registry.contracts import map_event

        relay = Relay(service.application, SOURCE, mapper=map_event, nats_url=s.nats_url,
                      subject_prefix=s.planspor_subject_prefix, store=service.relay_store)
        await relay.start()
        service.background.append(relay)
    if s.plan_registry_reactions:
        from plan_registry.messaging import RecommendationSubscriber

        subscriber = RecommendationSubscriber(service.application, nats_url=s.nats_url,
                                              subject_prefix=s.planspor_subject_prefix)
        await subscriber.start()
        service.background.append(subscriber)
