"""The refusals of co-creation's rules: one ``DomainError`` with the rule that refused.

``kind`` tells the edge how to answer (the runtime's problem details): ``invalid`` (422,
the value itself is wrong whatever the state), ``conflict`` (409, the process's current
state forbids it now) or ``not_found`` (404, a part the command names does not exist).
The subclasses name what went wrong, so a test or a caller can catch one kind of
refusal; the ``rule`` names the exact rule, and is what the README lists.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar, Literal

Kind = Literal["invalid", "conflict", "not_found"]


class DomainError(Exception):
    """A broken rule of co-creation; nothing was recorded. By default a conflict with the current state."""

    kind: ClassVar[Kind] = "conflict"

    def __init__(self, rule: str, message: str, paragraph: str | None = None) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message
        self.paragraph = paragraph


class InvalidValue(DomainError):
    """The command's values break a rule whatever the state (422)."""

    kind = "invalid"


class NotFound(DomainError):
    """A part the command names does not exist (404)."""

    kind = "not_found"


# --------------------------------------------------------------------------- the process


class PrerequisiteMissing(InvalidValue):
    """A prerequisite of the council seminar of 29 April 2022 is not stated."""


class InvalidElectionPeriod(InvalidValue):
    pass


class WrongPhase(DomainError):
    """The command belongs to another phase of the process."""


class ProcessHandedOver(DomainError):
    """Nothing is added to a process after its recommendation."""


class PhaseNotReady(DomainError):
    """The current phase has not yet produced what the next one needs."""


class InvalidParticipant(InvalidValue):
    pass


class AlreadyEnrolled(DomainError):
    pass


class NotEnrolled(InvalidValue):
    pass


class NotInProcess(InvalidValue):
    """An id names a part of another process."""


# --------------------------------------------------------------------------- workshops, inputs, plan needs


class InvalidWorkshop(InvalidValue):
    pass


class WorkshopAlreadyHeld(DomainError):
    pass


class WorkshopNotHeld(DomainError):
    pass


class InputWindowClosed(DomainError):
    """Inputs to a workshop are accepted from the day it is held until its follow-up window closes."""


class UnknownPlan(InvalidValue):
    """A plan id the local plan catalogue (from plan-registry's ``plan.*`` events) does not know."""

    def __init__(self, rule: str, plan_ids: Iterable[str]) -> None:
        self.plan_ids = sorted(plan_ids)
        super().__init__(
            rule,
            "unknown plan id(s) "
            + ", ".join(self.plan_ids)
            + ": the plan catalogue (from plan-registry's plan.* events) has no such plan",
        )


class InvalidInput(InvalidValue):
    pass


class InvalidPlanNeed(InvalidValue):
    pass


# --------------------------------------------------------------------------- prioritisation, recommendation


class InvalidPrioritisation(InvalidValue):
    pass


class PrioritisationClosed(DomainError):
    pass


class NotEligible(InvalidValue):
    pass


class InvalidBallot(InvalidValue):
    pass


class QuorumNotMet(DomainError):
    pass


class PrioritisationNotMade(DomainError):
    pass


class RecommendationAlreadyIssued(DomainError):
    pass


class InvalidRecommendation(InvalidValue):
    pass
