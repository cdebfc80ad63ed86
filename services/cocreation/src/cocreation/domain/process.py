"""The co-creation process: one round for an election period, its participants and its phases."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, ClassVar

from eventsourcing.domain import Aggregate, event

from cocreation.domain.checks import blank
from cocreation.domain.errors import (
    AlreadyEnrolled,
    InvalidElectionPeriod,
    InvalidParticipant,
    InvalidValue,
    NotEnrolled,
    NotInProcess,
    PhaseNotReady,
    PrerequisiteMissing,
    ProcessHandedOver,
    RecommendationAlreadyIssued,
    WrongPhase,
)
from cocreation.domain.ids import STORED_TOPIC_MODULE
from cocreation.domain.phases import ALLOWED_IN, Activity, next_phase
from cocreation.domain.vocabulary import Body, ParticipantKind, ProcessPhase
from planspor_shared.meta import Meta

PERIOD = re.compile(r"^(\d{4})-(\d{4})$")
FOLLOW_UP_DAYS = range(0, 91)
"""The window after a workshop in which inputs to it are accepted, in days."""


@dataclass(frozen=True)
class Participant:
    """An elected official (party, body, substitute or not) or a member of the administration (unit)."""

    id: str
    name: str
    kind: ParticipantKind
    role: str
    party: str | None = None
    body: Body | None = None
    substitute: bool = False
    unit: str | None = None

    @property
    def is_elected_official(self) -> bool:
        return self.kind is ParticipantKind.ELECTED_OFFICIAL


class Process(Aggregate):
    """A co-creation process for one election period (valgperiode).

    Prerequisites from the council seminar of 29 April 2022: a clear purpose,
    clear roles and limits, and a chance for every elected official to take part.
    Phases run strictly in order (``phases``); hand-over happens only by issuing the
    recommendation, and nothing is added after it.
    """

    __module__ = STORED_TOPIC_MODULE

    if TYPE_CHECKING:  # the event classes eventsourcing makes of the @event methods below
        Started: ClassVar[type[Aggregate.Created]]
        ParticipantEnrolled: ClassVar[type[Aggregate.Event]]
        PhaseAdvanced: ClassVar[type[Aggregate.Event]]
        WorkshopAdded: ClassVar[type[Aggregate.Event]]
        InputAdded: ClassVar[type[Aggregate.Event]]
        PlanNeedAdded: ClassVar[type[Aggregate.Event]]
        PrioritisationAdded: ClassVar[type[Aggregate.Event]]
        HandedOver: ClassVar[type[Aggregate.Event]]

    @classmethod
    def start(
        cls,
        *,
        title: str,
        purpose: str,
        election_period: str,
        roles_and_limits: str,
        all_officials_invited: bool,
        follow_up_days: int,
        meta: Meta,
        started_on: date | None = None,
    ) -> Process:
        """``started_on`` is the day the process began in the municipality (effective time)."""
        if blank(title):
            raise InvalidValue("process.title", "a process needs a title")
        cls.check_prerequisites(purpose, roles_and_limits, all_officials_invited)
        cls.check_election_period(election_period)
        if follow_up_days not in FOLLOW_UP_DAYS:
            raise InvalidValue(
                "process.follow_up_window",
                "follow_up_days must be between 0 and 90: the window after a workshop in which inputs are accepted",
            )
        return cls(
            title=title.strip(),
            purpose=purpose.strip(),
            election_period=election_period,
            roles_and_limits=roles_and_limits.strip(),
            all_officials_invited=all_officials_invited,
            follow_up_days=follow_up_days,
            started_on=started_on,
            meta=meta,
        )

    @event("Started")
    def __init__(
        self,
        title: str,
        purpose: str,
        election_period: str,
        roles_and_limits: str,
        all_officials_invited: bool,
        follow_up_days: int,
        meta: Meta,
        started_on: date | None = None,
    ) -> None:
        self.title = title
        self.started_on = started_on
        self.purpose = purpose
        self.election_period = election_period
        self.roles_and_limits = roles_and_limits
        self.all_officials_invited = all_officials_invited
        self.follow_up_days = follow_up_days
        self.phase = ProcessPhase.PREPARATION
        self.participants: dict[str, Participant] = {}
        self.workshop_ids: list[str] = []
        self.input_ids: list[str] = []
        self.plan_need_ids: list[str] = []
        self.prioritisation_ids: list[str] = []
        self.recommendation_id: str | None = None

    # ---- rules

    @staticmethod
    def check_prerequisites(purpose: str, roles_and_limits: str, all_officials_invited: bool) -> None:
        rule = "process.prerequisites"
        if blank(purpose):
            raise PrerequisiteMissing(rule, "state the purpose of the process: co-creation needs a clear purpose")
        if blank(roles_and_limits):
            raise PrerequisiteMissing(
                rule, "state roles_and_limits: who decides what, and what co-creation may not decide"
            )
        if not all_officials_invited:
            raise PrerequisiteMissing(
                rule, "every elected official must be given the chance to take part: set all_officials_invited"
            )

    @staticmethod
    def check_election_period(period: str) -> None:
        match = PERIOD.match(period or "")
        if not match or int(match.group(2)) - int(match.group(1)) != 3:
            raise InvalidElectionPeriod(
                "process.election_period",
                f"election_period '{period}' must be 'YYYY-YYYY' spanning four years, e.g. '2024-2027'",
            )

    @property
    def period_years(self) -> tuple[int, int]:
        start, end = self.election_period.split("-")
        return int(start), int(end)

    def check_not_handed_over(self) -> None:
        if self.phase is ProcessPhase.HANDED_OVER:
            raise ProcessHandedOver(
                "process.nothing_after_hand_over", "the process has been handed over: nothing can be added to it"
            )

    def check_phase(self, activity: Activity) -> None:
        """The process is in a phase that allows ``activity`` (``phases.ALLOWED_IN``)."""
        self.check_not_handed_over()
        allowed = ALLOWED_IN[activity]
        if self.phase not in allowed:
            raise WrongPhase(
                "process.phase",
                f"cannot {activity.value} in phase '{self.phase.value}'; allowed in: "
                + ", ".join(p.value for p in allowed),
            )

    def check_enrolled(self, rule: str, participant_ids: Iterable[str]) -> None:
        missing = sorted(set(participant_ids) - set(self.participants))
        if missing:
            raise NotEnrolled(rule, "not enrolled in this process: " + ", ".join(missing))

    def check_owns(self, kind: str, ids: Iterable[str], own: Sequence[str]) -> None:
        """Every id in ``ids`` is one of this process's ``own`` (its workshops, inputs, ...)."""
        foreign = sorted(set(ids) - set(own))
        if foreign:
            raise NotInProcess("cocreation.same_process", f"{kind} not in this process: " + ", ".join(foreign))

    @property
    def elected_officials(self) -> list[Participant]:
        return [p for p in self.participants.values() if p.is_elected_official]

    def check_after_start(self, rule: str, what: str, on: date | None) -> None:
        """A day of this process (effective time) is not before the process started."""
        if on is not None and self.started_on is not None and on < self.started_on:
            raise InvalidValue(rule, f"{what} {on} is before the process started ({self.started_on})")

    # ---- commands

    def enroll(
        self,
        *,
        participant_id: str,
        name: str,
        kind: ParticipantKind | str,
        role: str,
        party: str | None,
        body: Body | str | None,
        substitute: bool,
        meta: Meta,
        unit: str | None = None,
        on: date | None = None,
    ) -> None:
        """An elected official needs party and body; administration staff have a unit, no party. ``on``: the
        day the participant joined (not before the process started)."""
        self.check_phase(Activity.ENROLL)
        kind = ParticipantKind(kind)
        body = Body(body) if body else None
        rule = "participant.details"
        if blank(name) or blank(role):
            raise InvalidParticipant(rule, "a participant needs a name and a role")
        if kind is ParticipantKind.ELECTED_OFFICIAL and (blank(party) or body is None):
            raise InvalidParticipant(rule, "an elected official needs a party and a body (e.g. municipal_council)")
        if kind is ParticipantKind.ADMINISTRATION and (party or substitute):
            raise InvalidParticipant(rule, "administration staff have no party and are not substitutes")
        self.check_after_start("participant.dates_in_order", "enrolled", on)
        if participant_id in self.participants:
            raise AlreadyEnrolled("participant.enrolled_once", f"participant {participant_id} is already enrolled")
        same = [p for p in self.participants.values() if p.name == name.strip() and p.body == body and p.kind is kind]
        if same:
            raise AlreadyEnrolled(
                "participant.enrolled_once", f"{name} is already enrolled as participant {same[0].id}"
            )
        self._enrolled(
            participant_id=participant_id,
            name=name.strip(),
            kind=kind.value,
            role=role.strip(),
            party=party.strip() if party else None,
            body=body.value if body else None,
            substitute=substitute,
            unit=unit.strip() if unit else None,
            meta=meta,
            enrolled_on=on,
        )

    @event("ParticipantEnrolled")
    def _enrolled(
        self,
        participant_id: str,
        name: str,
        kind: str,
        role: str,
        party: str | None,
        body: str | None,
        substitute: bool,
        unit: str | None,
        meta: Meta,
        enrolled_on: date | None = None,
    ) -> None:
        self.participants[participant_id] = Participant(
            id=participant_id,
            name=name,
            kind=ParticipantKind(kind),
            role=role,
            party=party,
            body=Body(body) if body else None,
            substitute=substitute,
            unit=unit,
        )

    def advance(
        self,
        *,
        to: ProcessPhase | str,
        held_workshops: int,
        plan_needs: int,
        made_prioritisations: int,
        meta: Meta,
        on: date | None = None,
    ) -> None:
        """Move to the next phase when the current one has produced what the next needs; ``on`` is the day it
        happened (effective time), never before the process started."""
        self.check_not_handed_over()
        to = ProcessPhase(to)
        if to is ProcessPhase.HANDED_OVER:
            raise PhaseNotReady(
                "process.hand_over_by_recommendation", "a process is handed over only by issuing its recommendation"
            )
        expected = next_phase(self.phase)
        if to is not expected:
            raise PhaseNotReady(
                "process.phase_order",
                f"phases run in order: from '{self.phase.value}' the next is '{expected}', not '{to.value}'",
            )
        rule = "process.phase_ready"
        if to is ProcessPhase.WORKSHOPS and not self.elected_officials:
            raise PhaseNotReady(rule, "enroll at least one elected official before the workshops")
        if to is ProcessPhase.PRIORITISATION and (held_workshops < 1 or plan_needs < 1):
            raise PhaseNotReady(
                rule, "hold at least one workshop and propose at least one plan need before prioritising"
            )
        if to is ProcessPhase.RECOMMENDATION and made_prioritisations < 1:
            raise PhaseNotReady(rule, "make (close) at least one prioritisation before the recommendation")
        self.check_after_start("process.dates_in_order", "phase change", on)
        self._advanced(from_phase=self.phase.value, phase=to.value, meta=meta, on=on)

    @event("PhaseAdvanced")
    def _advanced(self, from_phase: str, phase: str, meta: Meta, on: date | None = None) -> None:
        self.phase = ProcessPhase(phase)

    # Registration of child aggregates on the process: saved in the same
    # transaction as the child, so a concurrent hand-over makes one of them fail.

    @event("WorkshopAdded")
    def add_workshop(self, workshop_id: str, meta: Meta) -> None:
        self.workshop_ids.append(workshop_id)

    @event("InputAdded")
    def add_input(self, input_id: str, meta: Meta) -> None:
        self.input_ids.append(input_id)

    @event("PlanNeedAdded")
    def add_plan_need(self, plan_need_id: str, meta: Meta) -> None:
        self.plan_need_ids.append(plan_need_id)

    @event("PrioritisationAdded")
    def add_prioritisation(self, prioritisation_id: str, meta: Meta) -> None:
        self.prioritisation_ids.append(prioritisation_id)

    def hand_over(self, *, recommendation_id: str, meta: Meta, on: date | None = None) -> None:
        self.check_phase(Activity.HAND_OVER)
        if self.recommendation_id is not None:
            raise RecommendationAlreadyIssued(
                "recommendation.issued_once", f"recommendation {self.recommendation_id} was already issued"
            )
        self._handed_over(recommendation_id=recommendation_id, meta=meta, on=on)

    @event("HandedOver")
    def _handed_over(self, recommendation_id: str, meta: Meta, on: date | None = None) -> None:
        self.recommendation_id = recommendation_id
        self.phase = ProcessPhase.HANDED_OVER
