"""The co-creation application: commands (get -> call -> save, through the runtime's
``ServiceApplication.command``), queries as plain data, the participation report, and the
local plan catalogue kept from plan-registry's ``plan.*`` events.

Commands by aggregate family (``processes``, ``workshops``, ``prioritisations``), the
reads (``views``), the reaction keeping the plan catalogue (``reactions``), and how what
was stored before this layout is read (``legacy``).
"""

from cocreation.application.app import CocreationApplication, in_memory
from cocreation.application.base import Clock
from cocreation.application.legacy import EarlierIdempotencyRecord
from cocreation.application.reactions import CataloguedPlan

__all__ = ["CataloguedPlan", "Clock", "CocreationApplication", "EarlierIdempotencyRecord", "in_memory"]
