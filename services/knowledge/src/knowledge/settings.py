"""The one place the knowledge service reads its configuration from (style.md: one Settings per deployable)."""

from __future__ import annotations

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from knowledge.pipeline.signatures import SourceKeys, parse_keys
from planspor_runtime.access import check_not_placeholder, parse_tokens
from planspor_runtime.bus import NatsAccess, check_credentials
from planspor_shared.subjects import DEFAULT_PREFIX, check_prefix

PLACEHOLDER_PASSWORDS = frozenset({"", "neo4j", "password", "changeme", "planspor-dev"})


class Settings(BaseSettings):
    """Outside development a placeholder password or token stops the service from starting."""

    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    planspor_env: str = "development"
    neo4j_uri: str = "bolt://127.0.0.1:7687"
    neo4j_user: str = "neo4j"
    neo4j_password: str
    """Required, no default: the local stack generates one per installation (var/<profile>/secrets/neo4j-password)."""
    neo4j_database: str | None = None
    nats_url: str = "nats://127.0.0.1:4222"
    """One server, or a cluster's servers separated by commas."""
    nats_user: str | None = None
    nats_password: str | None = None
    """knowledge's own NATS credentials (it may only consume); required outside development."""
    nats_stream_replicas: int = Field(default=1, ge=1, le=5)
    planspor_subject_prefix: str = DEFAULT_PREFIX
    knowledge_durable: str = "knowledge-projector"
    knowledge_batch_size: int = Field(default=200, ge=1, le=10_000)
    knowledge_fetch_timeout: float = Field(default=0.1, gt=0)
    knowledge_nak_delay: float = Field(default=1.0, ge=0)
    """Seconds before a held or failed message is redelivered."""
    plan_registry_url: str | None = "http://127.0.0.1:8001"
    cocreation_url: str | None = "http://127.0.0.1:8002"
    knowledge_plan_registry_keys: str | None = None
    knowledge_cocreation_keys: str | None = None
    """Each source's public verifier keys (``<name>+<hex id>+<base64>``, as ``GET /keys`` on the source and
    ``make run`` show them; several separated by commas or spaces): its first key, and any later one. Every
    event's signature is checked against them and the hand-overs they announce; required outside
    development."""
    planspor_feed_token: str | None = "dev-operator-token"
    """Bearer token the projector sends to the sources' feeds to fill a gap."""
    planspor_tokens: str | None = None
    knowledge_host: str = "127.0.0.1"
    knowledge_port: int = 8003
    # The analysts' Cypher endpoint (knowledge.graph.analyst): its limits and its own connection pool.
    knowledge_cypher_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    knowledge_cypher_row_limit: int = Field(default=1000, ge=1, le=100_000)
    knowledge_cypher_max_bytes: int = Field(default=2_000_000, ge=1_000, le=100_000_000)
    """JSON bytes of the rows in one answer; beyond it the answer is cut and says so."""
    knowledge_cypher_max_query_length: int = Field(default=20_000, ge=100, le=100_000)
    knowledge_cypher_max_depth: int = Field(default=48, ge=4, le=128)
    """Nesting of brackets, operators and property chains; Neo4j's parser overflows at a few hundred."""
    knowledge_cypher_pool_size: int = Field(default=4, ge=1, le=100)
    """Connections of the analysts' own driver; the projector's driver is separate."""
    knowledge_cypher_per_token: int = Field(default=2, ge=1, le=100)
    """Queries one token may run at once; more get 429."""
    knowledge_cypher_acquire_seconds: float = Field(default=2.0, gt=0, le=60)
    """How long a query waits for a free analyst connection before 503."""
    knowledge_cypher_neo4j_user: str | None = None
    knowledge_cypher_neo4j_password: str | None = None
    """Other credentials for the analysts' driver (e.g. a Neo4j Enterprise user with the reader role); default: NEO4J_*."""

    @model_validator(mode="after")
    def _no_placeholders_outside_development(self) -> Settings:
        check_prefix(self.planspor_subject_prefix)
        check_not_placeholder(parse_tokens(self.planspor_tokens), self.planspor_env)
        check_credentials(self.planspor_env, self.nats_user, self.nats_password, self.nats_url)
        self.nats_access()
        if self.planspor_env != "development" and self.neo4j_password in PLACEHOLDER_PASSWORDS:
            raise ValueError(f"NEO4J_PASSWORD is a placeholder while PLANSPOR_ENV={self.planspor_env}")
        if self.planspor_env != "development" and self.knowledge_cypher_neo4j_password in PLACEHOLDER_PASSWORDS:
            raise ValueError(f"KNOWLEDGE_CYPHER_NEO4J_PASSWORD is a placeholder while PLANSPOR_ENV={self.planspor_env}")
        missing = self.source_keys().missing()
        if self.planspor_env != "development" and missing:
            raise ValueError(
                f"no public key of {', '.join(missing)} while PLANSPOR_ENV={self.planspor_env}: set "
                + ", ".join(f"KNOWLEDGE_{source.upper().replace('-', '_')}_KEYS" for source in missing)
                + " (the source's GET /keys lists them)"
            )
        if (self.knowledge_cypher_neo4j_user is None) != (self.knowledge_cypher_neo4j_password is None):
            raise ValueError("set both KNOWLEDGE_CYPHER_NEO4J_USER and KNOWLEDGE_CYPHER_NEO4J_PASSWORD, or neither")
        return self

    def source_keys(self) -> SourceKeys:
        """The keys knowledge trusts per source; an event of a source without one is a dead letter."""
        return SourceKeys(
            {
                "plan-registry": parse_keys(self.knowledge_plan_registry_keys, "KNOWLEDGE_PLAN_REGISTRY_KEYS"),
                "cocreation": parse_keys(self.knowledge_cocreation_keys, "KNOWLEDGE_COCREATION_KEYS"),
            }
        )

    def nats_access(self) -> NatsAccess:
        return NatsAccess.from_settings(self)

    @property
    def cypher_neo4j_auth(self) -> tuple[str, str]:
        """The analysts' driver's credentials: their own if set, else the service's."""
        if self.knowledge_cypher_neo4j_user is not None and self.knowledge_cypher_neo4j_password is not None:
            return self.knowledge_cypher_neo4j_user, self.knowledge_cypher_neo4j_password
        return self.neo4j_user, self.neo4j_password

    @property
    def feed_urls(self) -> dict[str, str]:
        urls = {"plan-registry": self.plan_registry_url, "cocreation": self.cocreation_url}
        return {source: url for source, url in urls.items() if url}
