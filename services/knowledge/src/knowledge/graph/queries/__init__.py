"""The questions of design.md ("Questions the graph must answer"), read from the graph the projector writes.

One module per question family: ``trace_back``, ``trace_forward``, ``plan_lists`` (outside the
strategy, not anchored, overdue for revision), ``goals`` (goals with no plan or indicator),
``plans_over_time``, ``compliance`` and ``follow_up`` (the strategy through the period). Every query is read-only, parameterised, and answers
*as of* an instant (``reads``). Judgements that are rules rather than graph walks (what
became of an input, whether a strategy passes a legal check, the calendar periods of a count,
the instant asked about) are pure functions in ``rules``, fed with the facts the Cypher
fetched, so they are unit-tested without a database.
"""

from knowledge.graph.queries.compliance import compliance_report
from knowledge.graph.queries.follow_up import strategy_follow_up
from knowledge.graph.queries.goals import goals_without_plan_or_indicator
from knowledge.graph.queries.plan_lists import plans_not_anchored, plans_outside_strategy, plans_overdue_for_revision
from knowledge.graph.queries.plans_over_time import plans_over_time
from knowledge.graph.queries.trace_back import TRACE_STARTS, trace_back
from knowledge.graph.queries.trace_forward import trace_forward

__all__ = [
    "TRACE_STARTS",
    "compliance_report",
    "goals_without_plan_or_indicator",
    "plans_not_anchored",
    "plans_outside_strategy",
    "plans_over_time",
    "plans_overdue_for_revision",
    "strategy_follow_up",
    "trace_back",
    "trace_forward",
]
