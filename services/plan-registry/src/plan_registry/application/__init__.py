"""The plan register's application (``PlanRegistry``): commands by aggregate family
(``goals``, ``plans``, ``decisions``, ``strategies``), the reaction to co-creation's
recommendations (``reactions``) and the read views (``views``).

Idempotency records stored before the runtime's base existed name
``plan_registry.application:IdempotencyRecord``; that topic resolves to the base's
record, so the relay and a rebuild still read them (and the contracts keep them private).
"""

from eventsourcing.utils import register_topic

from planspor_runtime.application import IdempotencyRecord

from plan_registry.application.reactions import SYSTEM_ACTOR
from plan_registry.application.registry import PlanRegistry
from plan_registry.application.views import KINDS

register_topic("plan_registry.application:IdempotencyRecord", IdempotencyRecord)

__all__ = ["KINDS", "SYSTEM_ACTOR", "PlanRegistry"]
