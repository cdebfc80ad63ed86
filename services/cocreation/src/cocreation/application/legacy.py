"""Reading what co-creation stored before it ran on the runtime's application base.

Stored events are the record and are never rewritten, so the formats of the time keep
being read:

- ``Meta`` was stored under the transcoding name ``cocreation_meta`` (its actor a plain
  dict); it decodes into ``planspor_shared.meta.Meta``, and is written from now on by the
  runtime's transcoding.
- Idempotency records were the service's own aggregate; they are read back by the
  runtime's ``earlier_idempotency_record`` under their topic of the time.
"""

from __future__ import annotations

from planspor_runtime.legacy import earlier_idempotency_record
from planspor_runtime.persistence import MetaAsDict


class EarlierMetaAsDict(MetaAsDict):
    """Decodes ``Meta`` stored as ``cocreation_meta``; registered before the runtime's, which encodes."""

    name = "cocreation_meta"


EarlierIdempotencyRecord = earlier_idempotency_record("cocreation.application:IdempotencyRecord")
