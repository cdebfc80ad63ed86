"""Reading what the plan register stored before it ran on the runtime's application base.

Stored events are the record and are never rewritten, so the formats of the time keep
being read. Idempotency records were the service's own aggregate (topic
``plan_registry.application:IdempotencyRecord``); they are read back as
``EarlierIdempotencyRecord``, private, and never consulted again: the runtime keeps its
own records (so a retry of a command first sent before the upgrade runs it anew).
``Meta`` and dates were stored under the transcoding names the runtime uses
(``planspor_meta``, ``date_iso``), and the domain's topics are unchanged
(``plan_registry.domain.ids.STORED_TOPIC_MODULE``), so nothing else needs translating.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate, event
from eventsourcing.utils import register_topic

EARLIER_RECORD_TOPIC = "plan_registry.application:IdempotencyRecord"


class EarlierIdempotencyRecord(Aggregate):
    """An idempotency record stored by the service before the runtime kept them: read, never written."""

    if TYPE_CHECKING:  # the event class eventsourcing makes of the @event method below
        Recorded: ClassVar[type[Aggregate.Created]]

    @event("Recorded", topic=EARLIER_RECORD_TOPIC + ".Recorded")
    def __init__(self, *, id: UUID, key: str, command: str, fingerprint: str, response: dict[str, Any]) -> None:
        self.key = key
        self.command = command
        self.fingerprint = fingerprint
        self.response = response


register_topic(EARLIER_RECORD_TOPIC, EarlierIdempotencyRecord)
register_topic(EARLIER_RECORD_TOPIC + ".Recorded", EarlierIdempotencyRecord.Recorded)
