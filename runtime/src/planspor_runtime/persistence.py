"""How a service's aggregates are stored and read: the transcodings of its values, and the repository with its
aggregate cache (``planspor_runtime.application`` says what a command may rely on)."""

from __future__ import annotations

import threading
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.application import Repository
from eventsourcing.persistence import Transcoding

from planspor_shared.meta import Meta


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class MetaAsDict(Transcoding):
    type = Meta
    name = "planspor_meta"

    def encode(self, obj: Meta) -> dict[str, Any]:
        return obj.as_dict()

    def decode(self, data: dict[str, Any]) -> Meta:
        return Meta.from_dict(data)


class CachedRepository(Repository[UUID]):
    """eventsourcing's repository with its aggregate cache, one read at a time.

    A read brings the cached aggregate up to date (under the library's lock for that aggregate) and then copies
    it (outside that lock): a second thread's read could apply newer events to the cached aggregate while the
    first copies it, and the copy would be torn (a version with part of the next one's state) or fail (a dict
    that grew while copied). The route handlers read in a thread pool, so the reads of a process take turns
    here; a read is a copy and, for a cached aggregate, one query for what is new."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._reading = threading.RLock()

    def get(self, aggregate_id: UUID, **kwargs: Any) -> Any:
        with self._reading:
            return super().get(aggregate_id, **kwargs)
