"""Reading the idempotency records a service stored itself, before the runtime kept them.

Stored events are the record and are never rewritten, so the formats of the time keep
being read. Each domain service once kept its own ``IdempotencyRecord`` aggregate (topic
``<service>.application:IdempotencyRecord``). ``earlier_idempotency_record`` makes the
class that reads them back under that topic: private (the service's contracts list its
event with the other private ones) and never consulted again, since the runtime keeps its
own records (so a retry of a command first sent before the upgrade runs it anew). Each
service's class is named in the module of its old topic (``plan_registry.application``,
which exports it as ``EarlierIdempotencyRecord``), so the classes of two services in one
process do not claim the same topic.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, cast
from uuid import UUID

from eventsourcing.domain import Aggregate, event
from eventsourcing.utils import register_topic

if TYPE_CHECKING:

    class EarlierRecord(Aggregate):
        """What ``earlier_idempotency_record`` makes, as the type checker sees it."""

        Recorded: ClassVar[type[Aggregate.Created]]
        key: str
        command: str
        fingerprint: str
        response: dict[str, Any]

        def __init__(self, *, id: UUID, key: str, command: str, fingerprint: str, response: dict[str, Any]) -> None: ...


def earlier_idempotency_record(topic: str) -> type[EarlierRecord]:
    """The aggregate class of the records a service stored under ``topic`` (its event: ``topic.Recorded``)."""

    class EarlierIdempotencyRecord(Aggregate):
        """An idempotency record stored by the service before the runtime kept them: read, never written."""

        __qualname__ = "EarlierIdempotencyRecord"  # the name its events carry in a history
        __module__ = topic.partition(":")[0]  # where the service exports it: one topic per service's class
        if TYPE_CHECKING:  # the event class eventsourcing makes of the @event method below
            Recorded: ClassVar[type[Aggregate.Created]]

        @event("Recorded", topic=topic + ".Recorded")
        def __init__(self, *, id: UUID, key: str, command: str, fingerprint: str, response: dict[str, Any]) -> None:
            self.key = key
            self.command = command
            self.fingerprint = fingerprint
            self.response = response

    register_topic(topic, EarlierIdempotencyRecord)
    register_topic(topic + ".Recorded", EarlierIdempotencyRecord.Recorded)
    return cast("type[EarlierRecord]", EarlierIdempotencyRecord)
