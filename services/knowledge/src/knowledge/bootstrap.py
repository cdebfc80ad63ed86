"""Wiring: settings -> driver, feeds, graph writer, projector, access. Tests pass their own pieces."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import neo4j

from knowledge.graph.schema import ensure_constraints
from knowledge.pipeline.feed import Feeds
from knowledge.pipeline.graph_writer import GraphWriter
from knowledge.pipeline.projector import Projector
from knowledge.settings import Settings
from planspor_runtime.access import Access, parse_tokens
from planspor_shared.events import REGISTRY, EventRegistry


@dataclass
class Container:
    settings: Settings
    driver: neo4j.AsyncDriver
    feeds: Feeds
    writer: GraphWriter
    projector: Projector
    access: Access

    async def aclose(self) -> None:
        await self.feeds.aclose()
        await self.driver.close()


def bootstrap(settings: Settings | None = None, registry: EventRegistry = REGISTRY) -> Container:
    settings = settings or Settings()
    # "property key does not exist" (UNRECOGNIZED) is what the service's own statements meet on a young graph
    # (no alarm has a reason yet): a warning in the log each time the health is asked, for nothing
    driver = neo4j.AsyncGraphDatabase.driver(
        settings.neo4j_uri,
        auth=(settings.neo4j_user, settings.neo4j_password),
        notifications_disabled_classifications=[neo4j.NotificationDisabledClassification.UNRECOGNIZED],
    )
    feeds = Feeds(settings.feed_urls, settings.planspor_feed_token)
    writer = GraphWriter(driver, feeds, registry, settings.neo4j_database, keys=settings.source_keys())
    projector = Projector(
        writer,
        settings.nats_access(),
        settings.planspor_subject_prefix,
        settings.knowledge_durable,
        settings.knowledge_batch_size,
        settings.knowledge_fetch_timeout,
        settings.knowledge_nak_delay,
    )
    return Container(settings, driver, feeds, writer, projector, Access(parse_tokens(settings.planspor_tokens)))


log = logging.getLogger("knowledge")


async def start(container: Container) -> None:
    """What must hold before the first event is applied: the uniqueness constraints. Says so when a source
    has no key (development only: production does not start): each of its events would be a dead letter."""
    for source in container.writer.keys.missing():
        variable = f"KNOWLEDGE_{source.upper().replace('-', '_')}_KEYS"
        log.warning("no public key of %s (%s): its events become dead letters (unknown key)", source, variable)
    await ensure_constraints(container.driver, container.settings.neo4j_database)
