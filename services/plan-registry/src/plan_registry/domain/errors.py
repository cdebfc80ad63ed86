"""The refusals of the plan register: one named error per kind of broken rule.

Every refusal carries the ``rule`` it broke (``strategy.published_30_days_before_meeting``),
a ``message`` saying what to fix, and the legal ``paragraph`` when there is one
(``PBL §10-1``). Its class's ``kind`` tells the edge how to answer: ``invalid`` (422,
the value is wrong), ``conflict`` (409, the current state does not allow it) or
``not_found`` (404, a part the command names does not exist). The HTTP edge renders
any of them as problem details without knowing the classes.
"""

from __future__ import annotations

from typing import ClassVar, Literal

Kind = Literal["invalid", "conflict", "not_found"]


class DomainError(Exception):
    """A broken rule of the plan register."""

    kind: ClassVar[Kind] = "conflict"

    def __init__(self, rule: str, message: str, paragraph: str | None = None) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message
        self.paragraph = paragraph


class InvalidValue(DomainError):
    """A value the rules do not accept (an unknown plan type, a malformed SDG target)."""

    kind = "invalid"


class NotFound(DomainError):
    """A part the command names is not there (an item of the strategy, a measurement)."""

    kind = "not_found"


class TransitionNotAllowed(DomainError):
    """The lifecycle does not lead from the current status to the requested one."""


class StatutoryProcessIncomplete(DomainError):
    """PBL §4-1 / §11-14: planprogram and six weeks' consultation before adoption."""


class HierarchyCycle(DomainError):
    """A plan would become its own ancestor."""


class InvalidMergeTarget(DomainError):
    """A plan is merged into, or replaced by, itself or a plan no longer in force."""


class WrongBody(DomainError):
    """Only the municipal council (kommunestyre) may take this decision."""


class KommuneplanNotAssessed(DomainError):
    """PBL §10-1: the strategy decides whether the kommuneplan is revised or continued."""


class PublicationTooLate(DomainError):
    """PBL §10-1: the proposal must be public at least 30 days before the meeting."""


class DecisionDoesNotAdopt(DomainError):
    """A decision that rejects, postpones or concerns something else adopts nothing."""


class ItemsFrozen(DomainError):
    """After publication only the council changes the strategy's items."""


class DuplicateMeasurement(DomainError):
    """One measurement per period; a later value is a correction."""


class AlreadyDone(DomainError):
    """The fact is already on record."""


class DecisionAlreadyRecorded(AlreadyDone):
    """A decision of the same body, case number and meeting is on record (a body decides a case once a meeting)."""


class DecisionAlreadyVoided(AlreadyDone):
    """The decision was voided: it is not voided again, and it adopts nothing."""
