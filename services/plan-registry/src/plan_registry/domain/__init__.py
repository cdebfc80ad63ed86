"""The plan register: goals, indicators, plans, plan strategies and decisions.

Pure domain model (no I/O). Each aggregate's public command methods check the
rules of the Planning and Building Act (PBL) and then trigger a private
``@event`` method, so that replaying stored events never re-runs a rule that may
change later: the record stays readable even when the rules tighten.

Rules that span aggregates (the plan hierarchy, goals that must exist, the
decision that adopts) take the other aggregates as arguments; the application
loads them. Events carry only JSON-friendly values (str, int, float, bool, None,
lists, dicts, UUID, date and ``Meta``), so what is replayed equals what was
applied.

One module per aggregate (``goal``, ``indicator``, ``decision``, ``plan``,
``strategy``), the refusals (``errors``), the words (``vocabulary``, imported from
the contracts where they define them), the lifecycle tables and legal clocks
(``lifecycle``), the ids derived from causes (``ids``) and the checks of values several
aggregates make (``checks``). Stored topics name this package
(``plan_registry.domain:Plan.Proposed``, ``ids.STORED_TOPIC_MODULE``) whichever module defines
the aggregate; events stored before the domain became a package resolve through the names below.
"""

from plan_registry.domain.decision import Amendment, Decision
from plan_registry.domain.errors import (
    AlreadyDone,
    DecisionAlreadyRecorded,
    DecisionAlreadyVoided,
    DecisionDoesNotAdopt,
    DomainError,
    DuplicateMeasurement,
    HierarchyCycle,
    InvalidMergeTarget,
    InvalidValue,
    ItemsFrozen,
    KommuneplanNotAssessed,
    NotFound,
    PublicationTooLate,
    StatutoryProcessIncomplete,
    TransitionNotAllowed,
    WrongBody,
)
from plan_registry.domain.goal import Goal
from plan_registry.domain.ids import NAMESPACE, amendment_item_id, strategy_id_for, strategy_item_id
from plan_registry.domain.indicator import Indicator, Measurement
from plan_registry.domain.lifecycle import (
    CONSULTATION_MINIMUM_DAYS,
    DATED_STEPS,
    PLAN_TRANSITIONS,
    PUBLICATION_MINIMUM_DAYS,
    STRATEGY_TRANSITIONS,
)
from plan_registry.domain.plan import Plan, check_no_cycle
from plan_registry.domain.strategy import PlanStrategy
from plan_registry.domain.vocabulary import (
    ADOPTING_OUTCOMES,
    ENDED_PLAN_STATUSES,
    KOMMUNEPLAN_PARTS,
    PLAN_TYPE_NORWEGIAN,
    STATUTORY_PLAN_TYPES,
    AmendmentChange,
    Body,
    DecisionOutcome,
    EvidenceKind,
    GoalLevel,
    IndicatorSource,
    ItemOrigin,
    KommuneplanAssessment,
    PartyKind,
    PlanStatus,
    PlanType,
    StrategyAction,
    StrategyStatus,
)

AGGREGATES = (Goal, Indicator, Decision, Plan, PlanStrategy)
"""Every aggregate of the register."""

__all__ = [
    "ADOPTING_OUTCOMES",
    "AGGREGATES",
    "CONSULTATION_MINIMUM_DAYS",
    "DATED_STEPS",
    "ENDED_PLAN_STATUSES",
    "KOMMUNEPLAN_PARTS",
    "NAMESPACE",
    "PLAN_TRANSITIONS",
    "PLAN_TYPE_NORWEGIAN",
    "PUBLICATION_MINIMUM_DAYS",
    "STATUTORY_PLAN_TYPES",
    "STRATEGY_TRANSITIONS",
    "AlreadyDone",
    "DecisionAlreadyRecorded",
    "DecisionAlreadyVoided",
    "Amendment",
    "AmendmentChange",
    "Body",
    "Decision",
    "DecisionDoesNotAdopt",
    "DecisionOutcome",
    "DomainError",
    "DuplicateMeasurement",
    "EvidenceKind",
    "Goal",
    "GoalLevel",
    "HierarchyCycle",
    "Indicator",
    "IndicatorSource",
    "InvalidMergeTarget",
    "InvalidValue",
    "ItemOrigin",
    "ItemsFrozen",
    "KommuneplanAssessment",
    "KommuneplanNotAssessed",
    "Measurement",
    "NotFound",
    "PartyKind",
    "Plan",
    "PlanStatus",
    "PlanStrategy",
    "PlanType",
    "PublicationTooLate",
    "StatutoryProcessIncomplete",
    "StrategyAction",
    "StrategyStatus",
    "TransitionNotAllowed",
    "WrongBody",
    "amendment_item_id",
    "check_no_cycle",
    "strategy_id_for",
    "strategy_item_id",
]
