"""Wiring: settings -> application, access, HTTP API, feed, and (when enabled) the relay
and the plan-catalogue subscriber. Tests pass their own settings or application."""

from __future__ import annotations

from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from planspor_shared.access import Access
from cocreation.api import create_api
from cocreation.application import CocreationApplication
from cocreation.settings import Settings

SOURCE = "cocreation"


@dataclass
class Service:
    settings: Settings
    application: CocreationApplication
    access: Access
    api: FastAPI = field(init=False)
    relay_store: Any = None
    """Where the relay keeps its position and the sealed envelopes the feed serves."""
    background: list[Any] = field(default_factory=list)
    """Things started with the API and stopped after it (the relay, the catalogue subscriber)."""


def ensure_store(settings: Settings) -> None:
    """SQLite needs its directory, PostgreSQL its schema, before the event store opens."""
    if settings.cocreation_store == "sqlite":
        Path(settings.cocreation_sqlite_path).parent.mkdir(parents=True, exist_ok=True)
    elif settings.cocreation_store == "postgres":
        import psycopg

        with psycopg.connect(host=settings.postgres_host, port=settings.postgres_port, user=settings.postgres_user,
                             password=settings.postgres_password, dbname=settings.postgres_db,
                             autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{settings.cocreation_postgres_schema}"')


def build(settings: Settings | None = None, application: CocreationApplication | None = None) -> Service:
    settings = settings or Settings()
    settings.check()
    if application is None:
        ensure_store(settings)
        application = CocreationApplication(env=settings.persistence_env())
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
    if s.cocreation_relay:
        from planspor_shared.relay import Relay

        from cocreation.contracts import map_event

        relay = Relay(service.application, SOURCE, mapper=map_event, nats_url=s.nats_url,
                      subject_prefix=s.planspor_subject_prefix, store=service.relay_store)
        await relay.start()
        service.background.append(relay)
    if s.cocreation_catalogue_subscriber:
        from cocreation.messaging import PlanCatalogueSubscriber

        subscriber = PlanCatalogueSubscriber(service.application, nats_url=s.nats_url,
                                             subject_prefix=s.planspor_subject_prefix)
        await subscriber.start()
        service.background.append(subscriber)
