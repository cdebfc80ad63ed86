"""Reading what co-creation stored before it ran on the runtime's application base.

Stored events are the record and are never rewritten, so the formats of the time keep
being read:

- ``Meta`` was stored under the transcoding name ``cocreation_meta`` (its actor a plain
  dict); it decodes into ``planspor_shared.meta.Meta``, and is written from now on by the
  runtime's transcoding.
- Idempotency records were the service's own aggregate (topic
  ``cocreation.application:IdempotencyRecord``); they are read back as
  ``EarlierIdempotencyRecord``, private, and never consulted again: the runtime keeps its
  own records (so a retry of a command first sent before the upgrade runs it anew).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import Transcoding
from eventsourcing.utils import register_topic

from planspor_shared.meta import Meta

EARLIER_RECORD_TOPIC = "cocreation.application:IdempotencyRecord"


class EarlierMetaAsDict(Transcoding):
    """Decodes ``Meta`` stored as ``cocreation_meta``; registered before the runtime's, which encodes."""

    type = Meta
    name = "cocreation_meta"

    def encode(self, obj: Meta) -> dict[str, Any]:
        return obj.as_dict()

    def decode(self, data: dict[str, Any]) -> Meta:
        return Meta.from_dict(data)


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
