"""Formal decisions (vedtak) and their amendments (endringsforslag)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate, event

from plan_registry.domain.checks import check_item_target, required_text
from plan_registry.domain.errors import (
    DecisionAlreadyRecorded,
    DecisionAlreadyVoided,
    DecisionDoesNotAdopt,
    InvalidValue,
)
from plan_registry.domain.ids import STORED_TOPIC_MODULE
from plan_registry.domain.vocabulary import (
    ADOPTING_OUTCOMES,
    AmendmentChange,
    Body,
    DecisionOutcome,
    StrategyAction,
    choice,
)
from planspor_shared.meta import Meta


def _uuid_or_none(value: Any) -> UUID | None:
    return value if value is None or isinstance(value, UUID) else UUID(str(value))


@dataclass(frozen=True)
class Amendment:
    """An amendment in a decision. An adopted one with a ``change`` changes a strategy
    item; it is numbered by its place in the decision (1, 2, ...)."""

    text: str
    adopted: bool = True
    proposed_by: str | None = None
    change: AmendmentChange | None = None
    item_id: UUID | None = None
    plan_id: UUID | None = None
    plan_name: str | None = None
    action: StrategyAction | None = None
    timing: str | None = None
    rationale: str | None = None
    merge_into_plan_id: UUID | None = None

    @property
    def changes_items(self) -> bool:
        return self.adopted and self.change is not None

    def as_dict(self) -> dict[str, Any]:
        """As the decision's event stores it (enums by value)."""
        return {
            "text": self.text,
            "adopted": self.adopted,
            "proposed_by": self.proposed_by,
            "change": self.change.value if self.change else None,
            "item_id": self.item_id,
            "plan_id": self.plan_id,
            "plan_name": self.plan_name,
            "action": self.action.value if self.action else None,
            "timing": self.timing,
            "rationale": self.rationale,
            "merge_into_plan_id": self.merge_into_plan_id,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Amendment:
        return cls(
            text=data["text"],
            adopted=bool(data.get("adopted", True)),
            proposed_by=data.get("proposed_by"),
            change=AmendmentChange(data["change"]) if data.get("change") else None,
            item_id=_uuid_or_none(data.get("item_id")),
            plan_id=_uuid_or_none(data.get("plan_id")),
            plan_name=data.get("plan_name"),
            action=StrategyAction(data["action"]) if data.get("action") else None,
            timing=data.get("timing"),
            rationale=data.get("rationale"),
            merge_into_plan_id=_uuid_or_none(data.get("merge_into_plan_id")),
        )

    def check(self, number: int) -> None:
        where = f"amendments[{number - 1}]"
        required_text(f"{where}.text", self.text, "decision.amendment_text_required")
        if self.change is AmendmentChange.REMOVE_ITEM and self.item_id is None:
            raise InvalidValue("decision.amendment_names_item", f"{where} removes an item: give its item_id")
        if self.change is AmendmentChange.SET_ITEM:
            if self.action is None:
                raise InvalidValue("decision.amendment_item_action", f"{where} sets an item: give its action")
            check_item_target(self.action, self.plan_id, self.plan_name, where)
            if (self.action is StrategyAction.MERGE) != (self.merge_into_plan_id is not None):
                raise InvalidValue(
                    "strategy.merge_names_target", f"{where}: merge_into_plan_id goes with action 'merge' only"
                )


class Decision(Aggregate):
    """A formal decision (vedtak): what a body decided, with votes and amendments.

    A decision is a fact of the archive: recorded once, never edited. It may name what
    it concerns (``strategy_id``, ``plan_ids``); then it adopts nothing else. One recorded
    by mistake is voided (with its reason), never deleted; a voided decision adopts nothing.
    """

    __module__ = STORED_TOPIC_MODULE

    if TYPE_CHECKING:  # the event classes eventsourcing makes of the @event methods below
        Recorded: ClassVar[type[Aggregate.Created]]
        Voided: ClassVar[type[Aggregate.Event]]

    @staticmethod
    def create_id(**_: Any) -> UUID:
        return uuid4()

    @staticmethod
    def check_not_recorded_twice(body: Body | str, case_number: str, meeting_date: date, existing: UUID | None) -> None:
        """A body decides a case once a meeting: a second decision of the same body, case number and meeting
        date is the first one sent again (a wrong one is voided or corrected, not recorded beside it)."""
        if existing is not None:
            raise DecisionAlreadyRecorded(
                "decision.recorded_once",
                f"decision {existing} already records case {case_number} of {Body(body).value} on {meeting_date}",
            )

    @classmethod
    def record(
        cls,
        *,
        body: Body | str,
        case_number: str,
        meeting_date: date,
        subject: str,
        outcome: DecisionOutcome | str,
        body_name: str | None = None,
        text: str = "",
        votes_for: int | None = None,
        votes_against: int | None = None,
        votes_blank: int | None = None,
        unanimous: bool = False,
        amendments: Iterable[Amendment] = (),
        strategy_id: UUID | None = None,
        plan_ids: Iterable[UUID] = (),
        meta: Meta,
    ) -> Decision:
        known_body = choice(Body, body, "decision.body_known", "body")
        known_outcome = choice(DecisionOutcome, outcome, "decision.outcome_known", "outcome")
        case_number = required_text("case_number", case_number, "decision.case_number_required")
        subject = required_text("subject", subject, "decision.subject_required")
        counts = {"for": votes_for, "against": votes_against, "blank": votes_blank}
        for name, count in counts.items():
            if count is not None and count < 0:
                raise InvalidValue("decision.votes_not_negative", f"votes_{name} must not be negative ({count})")
        if (votes_for is None) != (votes_against is None):
            raise InvalidValue("decision.votes_complete", "votes_for and votes_against go together")
        if unanimous and votes_against:
            raise InvalidValue(
                "decision.unanimous_without_votes_against",
                f"a unanimous decision has no votes against ({votes_against})",
            )
        listed = list(amendments)
        for number, amendment in enumerate(listed, start=1):
            amendment.check(number)
        changes = [a for a in listed if a.changes_items]
        if changes and known_outcome is not DecisionOutcome.ADOPTED_WITH_AMENDMENTS:
            raise InvalidValue(
                "decision.amendments_need_amended_outcome",
                f"adopted amendments change strategy items, so the outcome must be "
                f"'{DecisionOutcome.ADOPTED_WITH_AMENDMENTS.value}', not '{known_outcome.value}'",
            )
        if changes and strategy_id is None:
            raise InvalidValue(
                "decision.amendments_name_strategy",
                "amendments that change strategy items need the decision's strategy_id",
            )
        return cls(
            body=known_body.value,
            body_name=body_name,
            case_number=case_number,
            meeting_date=meeting_date,
            subject=subject,
            text=text or "",
            outcome=known_outcome.value,
            votes=counts,
            unanimous=bool(unanimous),
            amendments=[a.as_dict() for a in listed],
            strategy_id=strategy_id,
            plan_ids=list(dict.fromkeys(plan_ids)),
            meta=meta,
        )

    @event("Recorded")
    def __init__(
        self,
        *,
        body: str,
        body_name: str | None,
        case_number: str,
        meeting_date: date,
        subject: str,
        text: str,
        outcome: str,
        votes: dict[str, int | None],
        unanimous: bool,
        amendments: list[dict[str, Any]],
        strategy_id: UUID | None,
        plan_ids: list[UUID],
        meta: Meta,
    ) -> None:
        self.body = Body(body)
        self.body_name = body_name
        self.case_number = case_number
        self.meeting_date = meeting_date
        self.subject = subject
        self.text = text
        self.outcome = DecisionOutcome(outcome)
        self.votes = dict(votes)
        self.unanimous = unanimous
        self.amendments = tuple(Amendment.from_dict(a) for a in amendments)
        self.strategy_id = strategy_id
        self.plan_ids = tuple(plan_ids)
        self.voided: dict[str, Any] | None = None

    def void(self, *, reason: str, voided_on: date, replaced_by: UUID | None = None, meta: Meta) -> None:
        """Withdraw a decision recorded by mistake: once, with a reason, on or after its meeting."""
        if self.voided is not None:
            raise DecisionAlreadyVoided(
                "decision.voided_once", f"decision {self.id} was already voided on {self.voided['voided_on']}"
            )
        reason = required_text("reason", reason, "decision.void_reason_required")
        if voided_on < self.meeting_date:
            raise InvalidValue(
                "decision.voided_after_meeting",
                f"voided_on {voided_on} is before the meeting of {self.meeting_date}: give a later date",
            )
        if replaced_by == self.id:
            raise InvalidValue("decision.not_replaced_by_itself", "a decision cannot be replaced by itself")
        self._void(reason=reason, voided_on=voided_on, replaced_by=replaced_by, meta=meta)

    @event("Voided")
    def _void(self, reason: str, voided_on: date, replaced_by: UUID | None, meta: Meta) -> None:
        self.voided = {"reason": reason, "voided_on": voided_on, "replaced_by": replaced_by}

    def check_not_voided(self) -> None:
        if self.voided is not None:
            raise DecisionAlreadyVoided(
                "decision.not_voided",
                f"decision {self.id} ({self.case_number}) was voided on {self.voided['voided_on']}: "
                f"{self.voided['reason']}",
            )

    def check_adopts(self, subject_id: UUID, what: str, *, is_strategy: bool = False) -> None:
        """The decision adopts (its outcome), is not voided, and concerns ``subject_id`` (when it names what it concerns)."""
        self.check_not_voided()
        if self.outcome not in ADOPTING_OUTCOMES:
            raise DecisionDoesNotAdopt(
                "decision.outcome_adopts",
                f"decision {self.case_number} has outcome '{self.outcome.value}': it does not adopt the {what}",
            )
        named: tuple[UUID, ...]
        if is_strategy:
            named = (self.strategy_id,) if self.strategy_id else ()
        else:
            named = self.plan_ids
        if named and subject_id not in named:
            raise DecisionDoesNotAdopt(
                "decision.concerns_subject",
                f"decision {self.case_number} concerns {', '.join(map(str, named))}, not this {what} ({subject_id})",
            )
