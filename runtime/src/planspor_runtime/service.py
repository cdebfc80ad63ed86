"""What every event-sourced service runs the same way: its store settings, the feed,
the AsyncAPI document, and the parts started with the HTTP API (the relay, reactions).

A service subclasses ``ServiceSettings`` with its own prefixed names (so one
environment can configure several services) and builds itself with a ``Wiring``
(which calls ``assemble``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol

from fastapi import FastAPI
from pydantic_settings import BaseSettings, SettingsConfigDict

from planspor_runtime.access import Access, AuthenticateFirst, check_not_placeholder, parse_tokens
from planspor_runtime.bus import NatsAccess, check_credentials
from planspor_runtime.checkpoints import DECISION_EVENT_TYPES, HeadPolicy
from planspor_runtime.signing import SigningKeyError, load_key_file, signing_key
from planspor_verify.note import Signer

if TYPE_CHECKING:  # imported where they are used: settings alone load neither eventsourcing nor the relay
    from planspor_runtime.application import ServiceApplication
    from planspor_runtime.metrics import Metrics
    from planspor_runtime.reactions import Reaction
    from planspor_runtime.relay import Mapper, RelayStore

PLACEHOLDER_PASSWORDS = frozenset({"", "planspor-dev", "postgres", "changeme"})
Store = Literal["sqlite", "postgres", "memory"]


class ServiceSettings(BaseSettings):
    """The settings both domain services share; outside development placeholders stop the start."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    planspor_env: Literal["development", "production"] = "development"
    planspor_tokens: str | None = None
    nats_url: str = "nats://127.0.0.1:4222"
    """One server, or a cluster's servers separated by commas."""
    nats_user: str | None = None
    nats_password: str | None = None
    """The service's own NATS credentials; required outside development."""
    nats_stream_replicas: int = 1
    planspor_subject_prefix: str = "planspor"
    postgres_host: str = "127.0.0.1"
    postgres_port: int = 5432
    postgres_user: str = "planspor"
    postgres_password: str = "planspor-dev"
    postgres_db: str = "planspor"
    postgres_connect_timeout: int = 1
    """Seconds a store call waits for a PostgreSQL connection before it gives up: with the server away a command
    answers 503 (``StoreUnavailable``) in seconds, not after the pool's default of 30 s for each of the
    library's retries (two minutes)."""
    planspor_checkpoint_interval: float = 60.0
    """Seconds between signed tree heads while the log grows; a head also follows each formal decision."""
    planspor_checkpoint_after: str | None = None
    """Comma-separated event types after which a head is issued at once (default: the formal decisions)."""

    source: ClassVar[str] = ""
    """The service's name as a source of events (``plan-registry``). Its own settings are the subclass's
    fields named with it (``plan_registry_store``: ``PLAN_REGISTRY_STORE``), so that one environment can
    configure several services: ``store``, ``sqlite_path``, ``postgres_schema``, ``signing_key_file``,
    ``previous_signing_key_file`` and ``relay``, and those its reactions name."""

    def own(self, name: str) -> Any:
        """The service's own setting ``name`` (the field ``<source>_<name>``)."""
        if not self.source:
            raise TypeError(f"{type(self).__name__} names no source: its own settings cannot be found")
        return getattr(self, f"{self.source.replace('-', '_')}_{name}")

    @property
    def store(self) -> Store:
        store: Store = self.own("store")
        return store

    @property
    def sqlite_path(self) -> str:
        return str(self.own("sqlite_path"))

    @property
    def postgres_schema(self) -> str:
        return str(self.own("postgres_schema"))

    @property
    def signing_key_file(self) -> str:
        """The source's signing key (``<SERVICE>_SIGNING_KEY_FILE``): generated there in development, required otherwise."""
        return str(self.own("signing_key_file"))

    @property
    def previous_signing_key_file(self) -> str | None:
        """The key before it (``<SERVICE>_PREVIOUS_SIGNING_KEY_FILE``), given only to announce a new key."""
        path: str | None = self.own("previous_signing_key_file")
        return path

    @property
    def relay(self) -> bool:
        """Publish committed events to NATS (``<SERVICE>_RELAY``); off for a service run alone."""
        return bool(self.own("relay"))

    def signer(self, source: str) -> Signer:
        """The source's signing key. An in-memory store in development gets a key that lives as long as it."""
        try:
            return signing_key(
                self.signing_key_file,
                source=source,
                environment=self.planspor_env,
                ephemeral=self.planspor_env == "development" and self.store == "memory",
            )
        except SigningKeyError as error:
            raise SigningKeyError(
                f"{error} (set {self.source.replace('-', '_').upper()}_SIGNING_KEY_FILE; make one with "
                f"python -m planspor_runtime.signing generate --name <origin> <file>)"
            ) from None

    def previous_signer(self) -> Signer | None:
        path = self.previous_signing_key_file
        return load_key_file(path) if path else None

    def head_policy(self) -> HeadPolicy:
        after = (
            DECISION_EVENT_TYPES
            if self.planspor_checkpoint_after is None
            else frozenset(t.strip() for t in self.planspor_checkpoint_after.split(",") if t.strip())
        )
        return HeadPolicy(interval=self.planspor_checkpoint_interval, after=after)

    def persistence_env(self) -> dict[str, str]:
        """The eventsourcing environment of the service's Application."""
        if self.store == "memory":
            return {"PERSISTENCE_MODULE": "eventsourcing.popo"}
        if self.store == "sqlite":
            return {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": self.sqlite_path}
        return {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": self.postgres_db,
            "POSTGRES_HOST": self.postgres_host,
            "POSTGRES_PORT": str(self.postgres_port),
            "POSTGRES_USER": self.postgres_user,
            "POSTGRES_PASSWORD": self.postgres_password,
            "POSTGRES_SCHEMA": self.postgres_schema,
            "POSTGRES_CONNECT_TIMEOUT": str(self.postgres_connect_timeout),
        }

    def nats_access(self) -> NatsAccess:
        return NatsAccess.from_settings(self)

    def access(self) -> Access:
        entries = parse_tokens(self.planspor_tokens)
        check_not_placeholder(entries, self.planspor_env)
        return Access(entries)

    def check(self) -> None:
        """Fail fast on configuration that must not reach production."""
        self.access()
        check_credentials(self.planspor_env, self.nats_user, self.nats_password, self.nats_url)
        self.nats_access()
        if (
            self.planspor_env != "development"
            and self.store == "postgres"
            and self.postgres_password in PLACEHOLDER_PASSWORDS
        ):
            raise ValueError("POSTGRES_PASSWORD is a placeholder while PLANSPOR_ENV is not development")

    def ensure_store(self) -> None:
        """SQLite needs its directory, PostgreSQL its schema, before the event store opens."""
        if self.store == "sqlite":
            Path(self.sqlite_path).parent.mkdir(parents=True, exist_ok=True)
        elif self.store == "postgres":
            import psycopg

            with psycopg.connect(
                host=self.postgres_host,
                port=self.postgres_port,
                user=self.postgres_user,
                password=self.postgres_password,
                dbname=self.postgres_db,
                autocommit=True,
            ) as conn:
                conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{self.postgres_schema}"')


class Part(Protocol):
    """What runs beside the API for the service's life: the relay, a reaction subscriber."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


Starter = Callable[["Service"], Awaitable[Part | None]]


@dataclass
class Service:
    settings: ServiceSettings
    application: ServiceApplication
    access: Access
    signer: Signer
    """The source's signing key."""
    previous_signer: Signer | None = None
    api: FastAPI = field(init=False)
    relay_store: RelayStore = field(init=False)
    """Where the relay keeps its position and the sealed envelopes the feed serves."""
    background: list[Part] = field(default_factory=list)
    """Started with the API and stopped after it, in reverse order."""
    metrics: Metrics | None = None
    """The API's metrics registry (``/metrics``)."""


def assemble(
    settings: ServiceSettings,
    application: ServiceApplication,
    *,
    source: str,
    create_api: Callable[..., FastAPI],
    starters: list[Starter],
    refusals: tuple[type[Exception], ...] = (),
) -> Service:
    """The HTTP API with the feed and AsyncAPI routes, and a lifespan that runs the starters.

    Every error of the API is a problem-details body (``planspor_runtime.problems``): the
    application's refusals, and the domain's (``refusals``: its rule errors), included.
    """
    from planspor_runtime.application import ApplicationRefusal
    from planspor_runtime.asyncapi import SERVICES, asyncapi_router
    from planspor_runtime.feed import feed_router, log_router
    from planspor_runtime.http import BodyLimit, install_correlation
    from planspor_runtime.operations import install_operations, metrics_port_starter
    from planspor_runtime.problems import install_problem_details
    from planspor_runtime.relay import RelayStore

    starters = [*starters, metrics_port_starter]
    service = Service(
        settings=settings,
        application=application,
        access=settings.access(),
        signer=settings.signer(source),
        previous_signer=settings.previous_signer(),
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI):
        try:
            for start in starters:
                part = await start(service)
                if part is not None:
                    service.background.append(part)
            yield
        finally:
            for part in reversed(service.background):
                await part.stop()
            service.background.clear()

    for starter in starters:
        if isinstance(starter, RelayStarter):  # what the relay will publish is checked before it is stored
            application.publishes(starter.source, starter.mapper)
    service.api = create_api(application, service.access, lifespan=lifespan)
    install_problem_details(service.api, refusals=(ApplicationRefusal, *refusals))
    install_correlation(service.api)
    service.api.add_middleware(BodyLimit)
    service.api.add_middleware(AuthenticateFirst, access=service.access)  # added last: runs first
    service.relay_store = RelayStore.for_application(application)
    install_operations(service, source)  # probes, /health, /metrics and the outermost middleware
    service.api.include_router(feed_router(service.relay_store, service.access))
    service.api.include_router(
        log_router(service.relay_store, service.access, source=source, configured_key=service.signer.verifier_key)
    )
    service.api.include_router(asyncapi_router(source, SERVICES[source], prefix=settings.planspor_subject_prefix))
    return service


@dataclass(frozen=True)
class RelayStarter:
    """Starts the relay (store -> JetStream) when the service's setting turns it on.

    ``assemble`` also gives its ``mapper`` to the application (``ServiceApplication.publishes``),
    relay on or off, so no event is stored that the relay could not publish later.
    """

    source: str
    mapper: Mapper
    enabled: Callable[[ServiceSettings], bool]

    async def __call__(self, service: Service) -> Part | None:
        if not self.enabled(service.settings):
            return None
        from planspor_runtime.relay import Relay

        s = service.settings
        relay = Relay(
            service.application,
            self.source,
            mapper=self.mapper,
            nats_url=s.nats_access(),
            subject_prefix=s.planspor_subject_prefix,
            store=service.relay_store,
            signer=service.signer,
            previous_signer=service.previous_signer,
            head_policy=s.head_policy(),
        )
        await relay.start()
        return relay


def relay_starter(source: str, mapper: Mapper, enabled: Callable[[ServiceSettings], bool]) -> Starter:
    """Starts the relay (store -> JetStream) when the service's setting turns it on (``RelayStarter``)."""
    return RelayStarter(source, mapper, enabled)


def subscriber_starter(factory: Callable[..., Part], enabled: Callable[[ServiceSettings], bool]) -> Starter:
    """Starts a reaction subscriber when the service's setting turns it on."""

    async def start(service: Service) -> Part | None:
        if not enabled(service.settings):
            return None
        s = service.settings
        part = factory(service.application, nats_url=s.nats_access(), subject_prefix=s.planspor_subject_prefix)
        await part.start()
        return part

    return start


@dataclass(frozen=True)
class Wiring:
    """What makes one domain service of the runtime's parts: the class of its application, its HTTP API
    (``create_api(application, access, lifespan=)``), the mapping of its stored events to public ones, the
    domain's refusals (answered as problem details), and its reactions to other services' events."""

    application: Callable[..., ServiceApplication]
    create_api: Callable[..., FastAPI]
    map_event: Mapper
    refusals: tuple[type[Exception], ...] = ()
    reactions: tuple[Reaction, ...] = ()

    def build(self, settings: ServiceSettings, application: ServiceApplication | None = None) -> Service:
        """The service its settings describe (checked first); a test may pass its own application.

        The relay runs when ``<SERVICE>_RELAY`` is on, each reaction when its setting is."""
        settings.check()
        if application is None:
            settings.ensure_store()
            application = self.application(env=settings.persistence_env())
        source = settings.source
        starters = [relay_starter(source, self.map_event, enabled=lambda s: s.relay)]
        starters += [subscriber_starter(r.subscriber, enabled=_setting_on(r.setting)) for r in self.reactions]
        return assemble(
            settings, application, source=source, create_api=self.create_api, starters=starters, refusals=self.refusals
        )

    def serve(self, settings: ServiceSettings) -> None:
        """``python -m <service>``: the service its settings describe, on ``<SERVICE>_HOST`` and ``<SERVICE>_PORT``."""
        import uvicorn

        from planspor_runtime.logs import configure_logging, secret_values

        configure_logging(settings.source, secrets=secret_values(settings))
        service = self.build(settings)
        uvicorn.run(service.api, host=settings.own("host"), port=settings.own("port"), log_config=None)


def _setting_on(name: str) -> Callable[[ServiceSettings], bool]:
    return lambda settings: bool(settings.own(name))
