"""The words of co-creation, defined once in the contracts and used here as they are.

Every enumeration that also appears in an integration event comes from
``planspor_shared.events`` (one source per vocabulary); only what no event carries is
defined here.
"""

from __future__ import annotations

from collections.abc import Mapping

from planspor_shared.events.base import Body, PlanType, StrategyAction
from planspor_shared.events.cocreation import (
    InputKind,
    ParticipantKind,
    PlanNeedKind,
    PrioritisationMethod,
    ProcessPhase,
    WorkshopFormat,
)

ACTIONS_FOR_NEED: Mapping[PlanNeedKind, frozenset[StrategyAction]] = {
    PlanNeedKind.NEW: frozenset({StrategyAction.NEW}),
    PlanNeedKind.REVISE: frozenset({StrategyAction.REVISE, StrategyAction.CONTINUE}),
    PlanNeedKind.REPEAL: frozenset({StrategyAction.REPEAL, StrategyAction.CONTINUE}),
    PlanNeedKind.MERGE: frozenset({StrategyAction.MERGE, StrategyAction.CONTINUE}),
}
"""What a recommended need can become: what it asks for, or (for an existing plan) continuing it unchanged."""

__all__ = [
    "ACTIONS_FOR_NEED",
    "Body",
    "InputKind",
    "ParticipantKind",
    "PlanNeedKind",
    "PlanType",
    "PrioritisationMethod",
    "ProcessPhase",
    "StrategyAction",
    "WorkshopFormat",
]
