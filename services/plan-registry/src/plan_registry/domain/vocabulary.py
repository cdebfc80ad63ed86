"""The words of the plan register, each defined once.

What other services read (plan types, statuses, bodies, outcomes, the strategy's
actions, ...) is defined in the contracts (``planspor_shared.events``) and imported
here, so the register can never accept a value its events could not carry, nor the
other way round. What only the register uses (the strategy's own status, the kind
of change an amendment makes, the Norwegian names it shows) is defined here.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, TypeVar

from plan_registry.domain.errors import InvalidValue
from planspor_shared.events.base import STATUTORY_PLAN_TYPES, Body, PlanType, StrategyAction
from planspor_shared.events.plan_vocabulary import (
    ENDED_PLAN_STATUSES,
    DecisionOutcome,
    EvidenceKind,
    GoalLevel,
    IndicatorSource,
    ItemOrigin,
    KommuneplanAssessment,
    PartyKind,
    PlanStatus,
)

__all__ = [
    "ADOPTING_OUTCOMES",
    "ENDED_PLAN_STATUSES",
    "KOMMUNEPLAN_PARTS",
    "PLAN_TYPE_NORWEGIAN",
    "STATUTORY_PLAN_TYPES",
    "AmendmentChange",
    "Body",
    "DecisionOutcome",
    "EvidenceKind",
    "GoalLevel",
    "IndicatorSource",
    "ItemOrigin",
    "KommuneplanAssessment",
    "PartyKind",
    "PlanStatus",
    "PlanType",
    "StrategyAction",
    "StrategyStatus",
    "choice",
    "is_kommuneplan",
    "is_statutory",
]


class StrategyStatus(StrEnum):
    """Where the plan strategy is: drafted, made public (the 30-day clock runs), adopted."""

    DRAFT = "draft"
    PUBLISHED = "published"
    ADOPTED = "adopted"


class AmendmentChange(StrEnum):
    """What an adopted council amendment does to the strategy's items."""

    SET_ITEM = "set_item"
    REMOVE_ITEM = "remove_item"


KOMMUNEPLAN_PARTS: frozenset[PlanType] = frozenset(
    {PlanType.KOMMUNEPLAN_SAMFUNNSDEL, PlanType.KOMMUNEPLAN_AREALDEL, PlanType.HANDLINGSDEL}
)
"""PBL §11-15: the council itself adopts these."""

ADOPTING_OUTCOMES: frozenset[DecisionOutcome] = frozenset(
    {DecisionOutcome.ADOPTED, DecisionOutcome.ADOPTED_WITH_AMENDMENTS}
)
"""A decision with any other outcome (rejected, postponed, sent back, noted) adopts nothing."""

PLAN_TYPE_NORWEGIAN: dict[PlanType, str] = {
    PlanType.KOMMUNEPLAN_SAMFUNNSDEL: "kommuneplanens samfunnsdel",
    PlanType.KOMMUNEPLAN_AREALDEL: "kommuneplanens arealdel",
    PlanType.HANDLINGSDEL: "kommuneplanens handlingsdel",
    PlanType.KOMMUNEDELPLAN: "kommunedelplan",
    PlanType.TEMAPLAN: "temaplan",
    PlanType.SEKTORPLAN: "sektorplan",
    PlanType.STRATEGI: "strategi",
    PlanType.OMRADEREGULERINGSPLAN: "områderegulering",
    PlanType.DETALJREGULERINGSPLAN: "detaljregulering",
    PlanType.INTERKOMMUNAL_PLAN: "interkommunal plan",
    PlanType.OTHER: "annen plan",
}
"""The term a Norwegian reader looks for, in messages and in the plan's state."""


def is_statutory(plan_type: PlanType) -> bool:
    """Needs an adopted planprogram and six weeks' consultation before adoption (PBL §4-1, §11-14)."""
    return plan_type in STATUTORY_PLAN_TYPES


def is_kommuneplan(plan_type: PlanType) -> bool:
    return plan_type in KOMMUNEPLAN_PARTS


E = TypeVar("E", bound=StrEnum)


def choice(vocabulary: type[E], value: Any, rule: str, field: str) -> E:
    """A value of one of the vocabularies, or an ``InvalidValue`` that lists them."""
    try:
        return vocabulary(value)
    except ValueError:
        raise InvalidValue(rule, f"{field} '{value}' is not one of " + ", ".join(v.value for v in vocabulary)) from None
