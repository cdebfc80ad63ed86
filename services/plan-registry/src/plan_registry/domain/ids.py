"""The names the plan register fixes instead of drawing: ids derived from their cause (uuid5),
so that a redelivered reaction finds what the first delivery made, and the module its stored
topics name."""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

NAMESPACE = uuid5(NAMESPACE_URL, "https://planspor.no/plan-registry")
"""Namespace of every id this service derives from a cause (uuid5)."""

STORED_TOPIC_MODULE = "plan_registry.domain"
"""The module every aggregate names in its stored topics (``plan_registry.domain:Plan.Proposed``).

The aggregates live in one module each, but events stored before the domain became a
package name ``plan_registry.domain``; the aggregates keep that name (``__module__``), so
old and new events carry one topic, are listed together by topic (the list of plans), and
resolve through the package's re-exports."""


def strategy_id_for(recommendation_id: UUID | str) -> UUID:
    """One strategy per co-creation recommendation."""
    return uuid5(NAMESPACE, f"strategy:{recommendation_id}")


def strategy_item_id(strategy_id: UUID, plan_need_id: UUID) -> UUID:
    """One item per plan need: a redelivered recommendation sets the same item."""
    return uuid5(NAMESPACE, f"strategy-item:{strategy_id}:{plan_need_id}")


def amendment_item_id(decision_id: UUID, number: int) -> UUID:
    """The item a council amendment adds: derived from the decision and the amendment number."""
    return uuid5(NAMESPACE, f"amendment-item:{decision_id}:{number}")
