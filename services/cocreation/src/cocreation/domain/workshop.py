"""The workshop (verksted, kommunestyreseminar): the co-creation meeting."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING, ClassVar

from eventsourcing.domain import Aggregate, event

from cocreation.domain.checks import blank, duplicates
from cocreation.domain.errors import InputWindowClosed, InvalidWorkshop, WorkshopAlreadyHeld, WorkshopNotHeld
from cocreation.domain.ids import STORED_TOPIC_MODULE
from cocreation.domain.phases import Activity
from cocreation.domain.process import Process
from cocreation.domain.vocabulary import WorkshopFormat
from planspor_shared.meta import Meta


class Workshop(Aggregate):
    """A co-creation meeting. Only enrolled participants attend; inputs may be recorded
    from the day it is held until the process's follow-up window closes."""

    __module__ = STORED_TOPIC_MODULE

    if TYPE_CHECKING:  # the event classes eventsourcing makes of the @event methods below
        Scheduled: ClassVar[type[Aggregate.Created]]
        Held: ClassVar[type[Aggregate.Event]]

    @classmethod
    def schedule(
        cls,
        *,
        process: Process,
        title: str,
        on: date,
        format: WorkshopFormat | str,
        agenda: Sequence[str],
        meta: Meta,
        location: str | None = None,
        planned_on: date | None = None,
    ) -> Workshop:
        """``on``: the day it is to be held; ``planned_on``: the day it was put on the calendar."""
        process.check_phase(Activity.SCHEDULE_WORKSHOP)
        process.check_after_start("workshop.dates_in_order", "planned", planned_on)
        meeting_format = WorkshopFormat(format)
        if blank(title):
            raise InvalidWorkshop("workshop.details", "a workshop needs a title")
        if not agenda or any(blank(item) for item in agenda):
            raise InvalidWorkshop("workshop.agenda", "a workshop needs an agenda of at least one non-empty item")
        workshop = cls(
            process_id=str(process.id),
            title=title.strip(),
            on=on,
            format=meeting_format.value,
            agenda=[a.strip() for a in agenda],
            location=location,
            meta=meta,
            planned_on=planned_on,
        )
        process.add_workshop(workshop_id=str(workshop.id), meta=meta)
        return workshop

    @event("Scheduled")
    def __init__(
        self,
        process_id: str,
        title: str,
        on: date,
        format: str,
        agenda: list[str],
        location: str | None,
        meta: Meta,
        planned_on: date | None = None,
    ) -> None:
        self.process_id = process_id
        self.location = location
        self.title = title
        self.on = on
        self.format = WorkshopFormat(format)
        self.agenda = list(agenda)
        self.held_on: date | None = None
        self.inputs_until: date | None = None
        self.attendees: list[str] = []

    @property
    def is_held(self) -> bool:
        return self.held_on is not None

    def hold(self, *, process: Process, held_on: date, attendees: Sequence[str], today: date, meta: Meta) -> None:
        """Inputs are then accepted until ``held_on`` plus the process's follow-up days."""
        process.check_phase(Activity.HOLD_WORKSHOP)
        process.check_owns("workshop", [str(self.id)], process.workshop_ids)
        if self.is_held:
            raise WorkshopAlreadyHeld("workshop.held_once", f"workshop {self.id} was already held on {self.held_on}")
        if held_on > today:
            raise InvalidWorkshop(
                "workshop.held_in_past", f"held_on {held_on} is in the future: record a workshop once it has been held"
            )
        if not attendees:
            raise InvalidWorkshop("workshop.attendees", "a held workshop needs at least one attendee")
        twice = duplicates(attendees)
        if twice:
            raise InvalidWorkshop("workshop.attendees", "attendees listed twice: " + ", ".join(twice))
        process.check_enrolled("workshop.attendees_enrolled", attendees)
        inputs_until = held_on + timedelta(days=process.follow_up_days)
        self._held(
            process_id=self.process_id, held_on=held_on, attendees=list(attendees), inputs_until=inputs_until, meta=meta
        )

    @event("Held")
    def _held(self, process_id: str, held_on: date, attendees: list[str], inputs_until: date, meta: Meta) -> None:
        self.held_on = held_on
        self.inputs_until = inputs_until
        self.attendees = list(attendees)

    def check_accepts_inputs(self, *, on: date) -> None:
        """An input raised ``on`` that day is within the workshop's window."""
        if self.held_on is None or self.inputs_until is None:
            raise WorkshopNotHeld(
                "input.workshop_held", f"workshop {self.id} has not been held yet: record it as held first"
            )
        if not self.held_on <= on <= self.inputs_until:
            raise InputWindowClosed(
                "input.within_follow_up_window",
                f"inputs to workshop {self.id} were accepted from {self.held_on} to {self.inputs_until}; today is {on}",
            )
