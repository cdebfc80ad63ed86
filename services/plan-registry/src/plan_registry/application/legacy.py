"""Reading what the plan register stored before it ran on the runtime's application base.

Stored events are the record and are never rewritten, so the formats of the time keep
being read. Idempotency records were the service's own aggregate; they are read back by
the runtime's ``earlier_idempotency_record`` under their topic of the time.
``Meta`` and dates were stored under the transcoding names the runtime uses
(``planspor_meta``, ``date_iso``), and the domain's topics are unchanged
(``plan_registry.domain.ids.STORED_TOPIC_MODULE``), so nothing else needs translating.
"""

from __future__ import annotations

from planspor_runtime.legacy import earlier_idempotency_record

EarlierIdempotencyRecord = earlier_idempotency_record("plan_registry.application:IdempotencyRecord")
