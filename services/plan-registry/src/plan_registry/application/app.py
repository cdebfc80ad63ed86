"""The plan register's application: its commands by aggregate family, the reaction and the reads,
on the runtime's event-sourced base (``planspor_runtime.application.ServiceApplication``).

The base gives every command the same guarantees: a refused command stores nothing;
``expected_version`` (from ``If-Match``) that is not the stored version, or a concurrent
save, is a ``ConcurrencyConflict``; a command with an idempotency key acts once, and the
same key with another request is refused; the result carries the version the command
recorded.
"""

from __future__ import annotations

from plan_registry.application.decisions import DecisionCommands
from plan_registry.application.goals import GoalCommands
from plan_registry.application.plans import PlanCommands
from plan_registry.application.reactions import RecommendationReaction
from plan_registry.application.strategies import StrategyCommands
from plan_registry.application.views import Reads
from plan_registry.domain import PlanStrategy


class PlanRegistry(GoalCommands, PlanCommands, DecisionCommands, StrategyCommands, RecommendationReaction, Reads):
    """Plans, goals, indicators, plan strategies and decisions of one municipality."""

    name = "plan_registry"
    labels = {PlanStrategy: "strategy"}
