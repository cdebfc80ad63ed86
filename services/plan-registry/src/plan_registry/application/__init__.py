"""The plan register's application (``PlanRegistry``, in ``app``): commands by aggregate family
(``goals``, ``plans``, ``decisions``, ``strategies``), the reaction to co-creation's
recommendations (``reactions``), the read views (``views``), and how what was stored before
this layout is read (``legacy``).
"""

from plan_registry.application.app import PlanRegistry
from plan_registry.application.legacy import EarlierIdempotencyRecord
from plan_registry.application.reactions import SYSTEM_ACTOR
from plan_registry.application.views import KINDS

__all__ = ["KINDS", "SYSTEM_ACTOR", "EarlierIdempotencyRecord", "PlanRegistry"]
