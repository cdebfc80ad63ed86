"""The input (innspill): what a participant raised at a workshop, and what it concerns."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, ClassVar

from eventsourcing.domain import Aggregate, event

from cocreation.domain.checks import UnknownPlans, blank, check_plans_known, duplicates
from cocreation.domain.errors import InvalidInput
from cocreation.domain.ids import STORED_TOPIC_MODULE
from cocreation.domain.phases import Activity
from cocreation.domain.process import Process
from cocreation.domain.vocabulary import InputKind
from cocreation.domain.workshop import Workshop
from planspor_shared.meta import Meta


class Input(Aggregate):
    """An input raised at a held workshop, within its follow-up window, by an enrolled participant."""

    __module__ = STORED_TOPIC_MODULE

    if TYPE_CHECKING:  # the event classes eventsourcing makes of the @event methods below
        Recorded: ClassVar[type[Aggregate.Created]]

    @classmethod
    def record(
        cls,
        *,
        process: Process,
        workshop: Workshop,
        author_id: str,
        kind: InputKind | str,
        text: str,
        plan_ids: Sequence[str],
        goal_ids: Sequence[str],
        unknown_plans: UnknownPlans,
        today: date,
        meta: Meta,
        recorded_on: date | None = None,
    ) -> Input:
        """``recorded_on`` is the day the input was raised when it is entered afterwards (e.g. the
        minutes of a past seminar); it may not be in the future and must fall in the workshop's window."""
        process.check_phase(Activity.RECORD_INPUT)
        process.check_owns("workshop", [str(workshop.id)], process.workshop_ids)
        input_kind = InputKind(kind)
        if blank(text):
            raise InvalidInput("input.details", "an input needs its text")
        if duplicates(plan_ids) or duplicates(goal_ids):
            raise InvalidInput("input.details", "a plan or goal is listed twice in what the input concerns")
        process.check_enrolled("input.author_enrolled", [author_id])
        raised_on = recorded_on or today
        if raised_on > today:
            raise InvalidInput(
                "input.recorded_in_past",
                f"recorded_on {raised_on} is in the future: record an input once it has been raised",
            )
        workshop.check_accepts_inputs(on=raised_on)
        check_plans_known("input.plan_known", plan_ids, unknown_plans)
        item = cls(
            process_id=str(process.id),
            workshop_id=str(workshop.id),
            author_id=author_id,
            kind=input_kind.value,
            text=text.strip(),
            plan_ids=list(plan_ids),
            goal_ids=list(goal_ids),
            recorded_on=raised_on,
            meta=meta,
        )
        process.add_input(input_id=str(item.id), meta=meta)
        return item

    @event("Recorded")
    def __init__(
        self,
        process_id: str,
        workshop_id: str,
        author_id: str,
        kind: str,
        text: str,
        plan_ids: list[str],
        goal_ids: list[str],
        recorded_on: date,
        meta: Meta,
    ) -> None:
        self.process_id = process_id
        self.workshop_id = workshop_id
        self.author_id = author_id
        self.kind = InputKind(kind)
        self.text = text
        self.plan_ids = list(plan_ids)
        self.goal_ids = list(goal_ids)
        self.recorded_on = recorded_on
