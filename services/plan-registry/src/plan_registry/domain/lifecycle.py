"""The lifecycles of a plan and of a plan strategy, and the legal clocks that gate their steps.

The tables say which step may follow which; the aggregates add the rules that decide
whether a step may be taken now (a planprogram on record, six weeks of consultation,
30 days of publication, the right body).
"""

from __future__ import annotations

from plan_registry.domain.vocabulary import ENDED_PLAN_STATUSES, PlanStatus, StrategyStatus

CONSULTATION_MINIMUM_DAYS = 42
"""PBL §11-14: consultation and public inspection of at least six weeks."""

PUBLICATION_MINIMUM_DAYS = 30
"""PBL §10-1: the proposed strategy is public at least 30 days before treatment."""

_PROCESS = frozenset(
    {
        PlanStatus.NOTICE_OF_START,
        PlanStatus.PLANPROGRAM_ADOPTED,
        PlanStatus.IN_PREPARATION,
        PlanStatus.FIRST_TREATMENT,
        PlanStatus.CONSULTATION_OPEN,
        PlanStatus.ADOPTED,
    }
)

PLAN_TRANSITIONS: dict[PlanStatus, frozenset[PlanStatus]] = {
    PlanStatus.PROPOSED: frozenset({PlanStatus.NOTICE_OF_START, PlanStatus.IN_PREPARATION}),
    PlanStatus.NOTICE_OF_START: frozenset({PlanStatus.PLANPROGRAM_ADOPTED}),
    PlanStatus.PLANPROGRAM_ADOPTED: frozenset({PlanStatus.IN_PREPARATION}),
    PlanStatus.IN_PREPARATION: frozenset(
        {PlanStatus.NOTICE_OF_START, PlanStatus.FIRST_TREATMENT, PlanStatus.CONSULTATION_OPEN, PlanStatus.ADOPTED}
    ),
    PlanStatus.FIRST_TREATMENT: frozenset({PlanStatus.CONSULTATION_OPEN, PlanStatus.IN_PREPARATION}),
    PlanStatus.CONSULTATION_OPEN: frozenset({PlanStatus.CONSULTATION_CLOSED}),
    PlanStatus.CONSULTATION_CLOSED: frozenset(
        {PlanStatus.CONSULTATION_OPEN, PlanStatus.IN_PREPARATION, PlanStatus.ADOPTED}
    ),
    PlanStatus.ADOPTED: frozenset({PlanStatus.ANNOUNCED, PlanStatus.IN_FORCE}),
    PlanStatus.ANNOUNCED: frozenset({PlanStatus.IN_FORCE}),
    PlanStatus.IN_FORCE: frozenset({PlanStatus.UNDER_REVISION} | ENDED_PLAN_STATUSES),
    PlanStatus.UNDER_REVISION: _PROCESS | ENDED_PLAN_STATUSES,
    PlanStatus.REPEALED: frozenset(),
    PlanStatus.REPLACED: frozenset(),
    PlanStatus.MERGED: frozenset(),
}
"""The lifecycle of domain.md: identified -> notice of start and planprogram ->
planprogram adopted -> preparation -> first treatment -> consultation -> adopted ->
announced -> in force -> under revision -> replaced, merged or repealed. Lighter
plans skip the statutory steps (preparation straight to adoption); a statutory plan
is stopped at adoption by the process rule, not by the transition table."""

DATED_STEPS = frozenset(
    {
        PlanStatus.NOTICE_OF_START,
        PlanStatus.PLANPROGRAM_ADOPTED,
        PlanStatus.IN_PREPARATION,
        PlanStatus.FIRST_TREATMENT,
        PlanStatus.CONSULTATION_OPEN,
        PlanStatus.CONSULTATION_CLOSED,
        PlanStatus.ANNOUNCED,
        PlanStatus.IN_FORCE,
        PlanStatus.UNDER_REVISION,
    }
)
"""Steps recorded with a date alone; adoption and the ends need a decision."""

STRATEGY_TRANSITIONS: dict[StrategyStatus, frozenset[StrategyStatus]] = {
    StrategyStatus.DRAFT: frozenset({StrategyStatus.PUBLISHED}),
    StrategyStatus.PUBLISHED: frozenset({StrategyStatus.ADOPTED}),
    StrategyStatus.ADOPTED: frozenset(),
}
"""domain.md's strategy lifecycle as the register records it: drafted (co-creation, draft,
external inputs), published (the 30-day clock of PBL §10-1), adopted by the council,
possibly with amendments. An adopted strategy is final: the next change is the next
period's strategy."""
