"""Co-creation (samskaping) between elected officials and the administration.

The seed's method is "first co-creation, then the traditional decision model":
a Process gathers participants, holds workshops (verksted), records inputs
(innspill), derives plan needs (planbehov), prioritises them by a vote and
hands a Recommendation to the formal track. Each rule is a ``check_*`` that
raises a named ``DomainError``; nothing here does I/O.

References between aggregates are kept as ``str`` ids inside events so that
ballots and lists survive JSON transcoding unchanged; aggregate ids are UUIDs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from typing import Any, Callable, Iterable, Mapping, Sequence
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import Transcoding

NAMESPACE = uuid5(NAMESPACE_URL, "https://planspor.no/cocreation")
"""Root of the deterministic ids this service derives (uuid5)."""


# --------------------------------------------------------------------------- errors


class DomainError(Exception):
    """A breach of a co-creation rule. ``conflict`` tells the API 409 (the state
    forbids it now) from 422 (the value itself is wrong)."""

    rule: str = "cocreation.rule"
    paragraph: str | None = None
    conflict: bool = True

    def __init__(self, message: str, *, rule: str | None = None, paragraph: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if rule is not None:
            self.rule = rule
        if paragraph is not None:
            self.paragraph = paragraph

    def as_dict(self) -> dict[str, Any]:
        return {"error": self.rule, "paragraph": self.paragraph, "message": self.message}


class InvalidValue(DomainError):
    """The command's values break a rule whatever the state (HTTP 422)."""

    conflict = False


class StateConflict(DomainError):
    """The aggregate's current state forbids the command (HTTP 409)."""

    conflict = True


class PrerequisiteMissing(InvalidValue):
    rule = "process.prerequisites"


class InvalidElectionPeriod(InvalidValue):
    rule = "process.election_period"


class WrongPhase(StateConflict):
    rule = "process.phase"


class ProcessHandedOver(StateConflict):
    rule = "process.nothing_after_hand_over"


class PhaseNotReady(StateConflict):
    rule = "process.phase_ready"


class InvalidParticipant(InvalidValue):
    rule = "participant.details"


class AlreadyEnrolled(StateConflict):
    rule = "participant.enrolled_once"


class NotEnrolled(InvalidValue):
    rule = "participant.enrolled"


class InvalidWorkshop(InvalidValue):
    rule = "workshop.details"


class WorkshopAlreadyHeld(StateConflict):
    rule = "workshop.held_once"


class WorkshopNotHeld(StateConflict):
    rule = "input.workshop_held"


class InputWindowClosed(StateConflict):
    rule = "input.within_follow_up_window"


class NotInProcess(InvalidValue):
    rule = "cocreation.same_process"


class UnknownPlan(InvalidValue):
    rule = "input.plan_known"

    def __init__(self, plan_ids: Iterable[str], rule: str | None = None) -> None:
        self.plan_ids = sorted(plan_ids)
        super().__init__(
            "unknown plan id(s) "
            + ", ".join(self.plan_ids)
            + ": the plan catalogue (from plan-registry's plan.* events) has no such plan",
            rule=rule,
        )


class InvalidInput(InvalidValue):
    rule = "input.details"


class InvalidPlanNeed(InvalidValue):
    rule = "plan_need.plans_match_kind"


class InvalidPrioritisation(InvalidValue):
    rule = "prioritisation.setup"


class PrioritisationClosed(StateConflict):
    rule = "prioritisation.open"


class NotEligible(InvalidValue):
    rule = "ballot.eligible"


class InvalidBallot(InvalidValue):
    rule = "ballot.valid"


class QuorumNotMet(StateConflict):
    rule = "prioritisation.quorum"


class PrioritisationNotMade(StateConflict):
    rule = "recommendation.prioritisation_made"


class RecommendationAlreadyIssued(StateConflict):
    rule = "recommendation.issued_once"


class InvalidRecommendation(InvalidValue):
    rule = "recommendation.items"


# --------------------------------------------------------------------------- values


@dataclass(frozen=True)
class Meta:
    """Who caused an event and why; carried into the integration event."""

    actor: Mapping[str, str]
    correlation_id: str | None = None
    causation_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "actor": dict(self.actor),
            "correlation_id": self.correlation_id,
            "causation_id": self.causation_id,
        }


class MetaAsDict(Transcoding):
    type = Meta
    name = "cocreation_meta"

    def encode(self, obj: Meta) -> dict[str, Any]:
        return obj.as_dict()

    def decode(self, data: dict[str, Any]) -> Meta:
        return Meta(actor=data["actor"], correlation_id=data["correlation_id"], causation_id=data["causation_id"])


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


TRANSCODINGS: tuple[Transcoding, ...] = (MetaAsDict(), DateAsISO())


class Phase(StrEnum):
    PREPARATION = "preparation"
    WORKSHOPS = "workshops"
    PRIORITISATION = "prioritisation"
    RECOMMENDATION = "recommendation"
    HANDED_OVER = "handed_over"


PHASE_ORDER: tuple[Phase, ...] = tuple(Phase)


class ParticipantKind(StrEnum):
    ELECTED_OFFICIAL = "elected_official"
    ADMINISTRATION = "administration"


class Body(StrEnum):
    """The body a participant sits in (the shared vocabulary of bodies)."""

    MUNICIPAL_COUNCIL = "municipal_council"  # kommunestyre
    EXECUTIVE_COMMITTEE = "executive_committee"  # formannskap
    PLANNING_COMMITTEE = "planning_committee"  # planutvalg
    CONTROL_COMMITTEE = "control_committee"  # kontrollutvalg
    SECTOR_COMMITTEE = "sector_committee"  # hovedutvalg / fagutvalg
    ADMINISTRATION = "administration"
    OTHER = "other"


PLAN_TYPES: frozenset[str] = frozenset({
    "kommuneplan_samfunnsdel", "kommuneplan_arealdel", "handlingsdel", "kommunedelplan", "temaplan", "sektorplan",
    "strategi", "omradereguleringsplan", "detaljreguleringsplan", "planprogram", "interkommunal_plan", "other",
})
"""The plan types of the municipal plan system (the shared vocabulary)."""


class WorkshopFormat(StrEnum):
    IN_PERSON = "in_person"
    DIGITAL = "digital"
    HYBRID = "hybrid"


class InputKind(StrEnum):
    NEED = "need"
    CONCERN = "concern"
    IDEA = "idea"
    PROPOSAL = "proposal"
    PREREQUISITE = "prerequisite"
    FEEDBACK = "feedback"


class PlanNeedKind(StrEnum):
    NEW = "new"
    REVISE = "revise"
    REPEAL = "repeal"
    MERGE = "merge"


class Method(StrEnum):
    BORDA = "borda"
    APPROVAL = "approval"
    DOTS = "dot"


class RecommendedAction(StrEnum):
    NEW = "new"
    REVISE = "revise"
    REPEAL = "repeal"
    MERGE = "merge"
    CONTINUE = "continue"


@dataclass(frozen=True)
class Participant:
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

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "kind": self.kind.value,
            "role": self.role,
            "party": self.party,
            "body": self.body.value if self.body else None,
            "substitute": self.substitute,
            "unit": self.unit,
        }


def _blank(text: str | None) -> bool:
    return text is None or not str(text).strip()


def _duplicates(items: Sequence[str]) -> list[str]:
    seen: set[str] = set()
    return sorted({i for i in items if i in seen or seen.add(i)})  # type: ignore[func-returns-value]


KnownPlans = Callable[[Iterable[str]], set[str]]
"""Given plan ids, returns those the local plan catalogue does NOT know."""


def check_plans_known(plan_ids: Sequence[str], unknown_of: KnownPlans, rule: str = "input.plan_known") -> None:
    unknown = unknown_of(plan_ids)
    if unknown:
        raise UnknownPlan(unknown, rule=rule)


# --------------------------------------------------------------------------- process


PERIOD = re.compile(r"^(\d{4})-(\d{4})$")


class Process(Aggregate):
    """A co-creation process for one election period (valgperiode).

    Prerequisites from the council seminar of 29 April 2022: a clear purpose,
    clear roles and limits, and a chance for every elected official to take part.
    Phases run strictly in order; hand-over happens only by issuing the
    recommendation, and nothing is added after it.
    """

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
    ) -> "Process":
        if _blank(title):
            raise InvalidValue("a process needs a title", rule="process.title")
        cls.check_prerequisites(purpose, roles_and_limits, all_officials_invited)
        cls.check_election_period(election_period)
        if not 0 <= follow_up_days <= 90:
            raise InvalidValue(
                "follow_up_days must be between 0 and 90: the window after a workshop in which inputs are accepted",
                rule="process.follow_up_window",
            )
        return cls(
            title=title.strip(),
            purpose=purpose.strip(),
            election_period=election_period,
            roles_and_limits=roles_and_limits.strip(),
            all_officials_invited=all_officials_invited,
            follow_up_days=follow_up_days,
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
    ) -> None:
        self.title = title
        self.purpose = purpose
        self.election_period = election_period
        self.roles_and_limits = roles_and_limits
        self.all_officials_invited = all_officials_invited
        self.follow_up_days = follow_up_days
        self.phase = Phase.PREPARATION
        self.participants: dict[str, Participant] = {}
        self.workshop_ids: list[str] = []
        self.input_ids: list[str] = []
        self.plan_need_ids: list[str] = []
        self.prioritisation_ids: list[str] = []
        self.recommendation_id: str | None = None

    # ---- rules

    @staticmethod
    def check_prerequisites(purpose: str, roles_and_limits: str, all_officials_invited: bool) -> None:
        if _blank(purpose):
            raise PrerequisiteMissing("state the purpose of the process: co-creation needs a clear purpose")
        if _blank(roles_and_limits):
            raise PrerequisiteMissing(
                "state roles_and_limits: who decides what, and what co-creation may not decide"
            )
        if not all_officials_invited:
            raise PrerequisiteMissing(
                "every elected official must be given the chance to take part: set all_officials_invited"
            )

    @staticmethod
    def check_election_period(period: str) -> None:
        match = PERIOD.match(period or "")
        if not match or int(match.group(2)) - int(match.group(1)) != 3:
            raise InvalidElectionPeriod(
                f"election_period '{period}' must be 'YYYY-YYYY' spanning four years, e.g. '2024-2027'"
            )

    @property
    def period_years(self) -> tuple[int, int]:
        start, end = self.election_period.split("-")
        return int(start), int(end)

    def check_not_handed_over(self) -> None:
        if self.phase is Phase.HANDED_OVER:
            raise ProcessHandedOver("the process has been handed over: nothing can be added to it")

    def check_phase(self, *allowed: Phase, doing: str) -> None:
        self.check_not_handed_over()
        if self.phase not in allowed:
            raise WrongPhase(
                f"cannot {doing} in phase '{self.phase.value}'; allowed in: " + ", ".join(p.value for p in allowed)
            )

    def check_enrolled(self, participant_ids: Iterable[str], rule: str = "participant.enrolled") -> None:
        missing = sorted(set(participant_ids) - set(self.participants))
        if missing:
            raise NotEnrolled("not enrolled in this process: " + ", ".join(missing), rule=rule)

    def check_owns(self, kind: str, ids: Iterable[str], own: Sequence[str]) -> None:
        foreign = sorted(set(ids) - set(own))
        if foreign:
            raise NotInProcess(f"{kind} not in this process: " + ", ".join(foreign))

    @property
    def elected_officials(self) -> list[Participant]:
        return [p for p in self.participants.values() if p.is_elected_official]

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
    ) -> None:
        """An elected official needs party and body; administration staff have a unit, no party."""
        self.check_phase(Phase.PREPARATION, Phase.WORKSHOPS, doing="enroll participants")
        kind = ParticipantKind(kind)
        body = Body(body) if body else None
        if _blank(name) or _blank(role):
            raise InvalidParticipant("a participant needs a name and a role")
        if kind is ParticipantKind.ELECTED_OFFICIAL and (_blank(party) or body is None):
            raise InvalidParticipant("an elected official needs a party and a body (e.g. municipal_council)")
        if kind is ParticipantKind.ADMINISTRATION and (party or substitute):
            raise InvalidParticipant("administration staff have no party and are not substitutes")
        if participant_id in self.participants:
            raise AlreadyEnrolled(f"participant {participant_id} is already enrolled")
        same = [
            p for p in self.participants.values() if p.name == name.strip() and p.body == body and p.kind is kind
        ]
        if same:
            raise AlreadyEnrolled(f"{name} is already enrolled as participant {same[0].id}")
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
        )

    @event("ParticipantEnrolled")
    def _enrolled(self, participant_id, name, kind, role, party, body, substitute, unit, meta) -> None:
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
        self, *, to: Phase | str, held_workshops: int, plan_needs: int, made_prioritisations: int, meta: Meta
    ) -> None:
        """Move to the next phase when the current one has produced what the next needs."""
        self.check_not_handed_over()
        to = Phase(to)
        if to is Phase.HANDED_OVER:
            raise PhaseNotReady(
                "a process is handed over only by issuing its recommendation", rule="process.hand_over_by_recommendation"
            )
        expected = PHASE_ORDER[PHASE_ORDER.index(self.phase) + 1]
        if to is not expected:
            raise PhaseNotReady(
                f"phases run in order: from '{self.phase.value}' the next is '{expected.value}', not '{to.value}'",
                rule="process.phase_order",
            )
        if to is Phase.WORKSHOPS and not self.elected_officials:
            raise PhaseNotReady("enroll at least one elected official before the workshops")
        if to is Phase.PRIORITISATION and (held_workshops < 1 or plan_needs < 1):
            raise PhaseNotReady("hold at least one workshop and propose at least one plan need before prioritising")
        if to is Phase.RECOMMENDATION and made_prioritisations < 1:
            raise PhaseNotReady("make (close) at least one prioritisation before the recommendation")
        self._advanced(from_phase=self.phase.value, phase=to.value, meta=meta)

    @event("PhaseAdvanced")
    def _advanced(self, from_phase: str, phase: str, meta: Meta) -> None:
        self.phase = Phase(phase)

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

    def hand_over(self, *, recommendation_id: str, meta: Meta) -> None:
        self.check_phase(Phase.RECOMMENDATION, doing="hand over")
        if self.recommendation_id is not None:
            raise RecommendationAlreadyIssued(f"recommendation {self.recommendation_id} was already issued")
        self._handed_over(recommendation_id=recommendation_id, meta=meta)

    @event("HandedOver")
    def _handed_over(self, recommendation_id: str, meta: Meta) -> None:
        self.recommendation_id = recommendation_id
        self.phase = Phase.HANDED_OVER


# --------------------------------------------------------------------------- workshop


class Workshop(Aggregate):
    """A co-creation meeting (verksted, kommunestyreseminar). Only enrolled
    participants attend; inputs may be recorded from the day it is held until
    the process's follow-up window closes."""

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
    ) -> "Workshop":
        process.check_phase(Phase.PREPARATION, Phase.WORKSHOPS, doing="schedule workshops")
        fmt = WorkshopFormat(format)
        if _blank(title):
            raise InvalidWorkshop("a workshop needs a title")
        if not agenda or any(_blank(item) for item in agenda):
            raise InvalidWorkshop("a workshop needs an agenda of at least one non-empty item", rule="workshop.agenda")
        workshop = cls(
            process_id=str(process.id),
            title=title.strip(),
            on=on,
            format=fmt.value,
            agenda=[a.strip() for a in agenda],
            location=location,
            meta=meta,
        )
        process.add_workshop(workshop_id=str(workshop.id), meta=meta)
        return workshop

    @event("Scheduled")
    def __init__(self, process_id, title, on: date, format, agenda, location, meta: Meta) -> None:
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
        process.check_phase(Phase.WORKSHOPS, doing="hold workshops")
        process.check_owns("workshop", [str(self.id)], process.workshop_ids)
        if self.is_held:
            raise WorkshopAlreadyHeld(f"workshop {self.id} was already held on {self.held_on}")
        if held_on > today:
            raise InvalidWorkshop(f"held_on {held_on} is in the future: record a workshop once it has been held",
                                  rule="workshop.held_in_past")
        if not attendees:
            raise InvalidWorkshop("a held workshop needs at least one attendee", rule="workshop.attendees")
        if _duplicates(attendees):
            raise InvalidWorkshop("attendees listed twice: " + ", ".join(_duplicates(attendees)),
                                  rule="workshop.attendees")
        process.check_enrolled(attendees, rule="workshop.attendees_enrolled")
        inputs_until = held_on + timedelta(days=process.follow_up_days)
        self._held(process_id=self.process_id, held_on=held_on, attendees=list(attendees), inputs_until=inputs_until,
                   meta=meta)

    @event("Held")
    def _held(self, process_id: str, held_on: date, attendees: list[str], inputs_until: date, meta: Meta) -> None:
        self.held_on = held_on
        self.inputs_until = inputs_until
        self.attendees = list(attendees)

    def check_accepts_inputs(self, *, today: date) -> None:
        if self.held_on is None:
            raise WorkshopNotHeld(f"workshop {self.id} has not been held yet: record it as held first")
        closes = self.inputs_until
        if not self.held_on <= today <= closes:
            raise InputWindowClosed(
                f"inputs to workshop {self.id} were accepted from {self.held_on} to {closes}; today is {today}"
            )


# --------------------------------------------------------------------------- input


class Input(Aggregate):
    """An input (innspill) raised at a workshop: what it says and what it concerns."""

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
        unknown_plans: KnownPlans,
        today: date,
        meta: Meta,
        recorded_on: date | None = None,
    ) -> "Input":
        """``recorded_on`` is the day the input was raised when it is entered afterwards (e.g. the
        minutes of a past seminar); it may not be in the future and must fall in the workshop's window."""
        process.check_phase(Phase.WORKSHOPS, doing="record inputs")
        process.check_owns("workshop", [str(workshop.id)], process.workshop_ids)
        kind = InputKind(kind)
        if _blank(text):
            raise InvalidInput("an input needs its text")
        if _duplicates(plan_ids) or _duplicates(goal_ids):
            raise InvalidInput("a plan or goal is listed twice in what the input concerns")
        process.check_enrolled([author_id], rule="input.author_enrolled")
        raised_on = recorded_on or today
        if raised_on > today:
            raise InvalidInput(f"recorded_on {raised_on} is in the future: record an input once it has been raised",
                               rule="input.recorded_in_past")
        workshop.check_accepts_inputs(today=raised_on)
        check_plans_known(plan_ids, unknown_plans)
        item = cls(
            process_id=str(process.id),
            workshop_id=str(workshop.id),
            author_id=author_id,
            kind=kind.value,
            text=text.strip(),
            plan_ids=list(plan_ids),
            goal_ids=list(goal_ids),
            recorded_on=raised_on,
            meta=meta,
        )
        process.add_input(input_id=str(item.id), meta=meta)
        return item

    @event("Recorded")
    def __init__(self, process_id, workshop_id, author_id, kind, text, plan_ids, goal_ids, recorded_on, meta) -> None:
        self.process_id = process_id
        self.workshop_id = workshop_id
        self.author_id = author_id
        self.kind = InputKind(kind)
        self.text = text
        self.plan_ids = list(plan_ids)
        self.goal_ids = list(goal_ids)
        self.recorded_on = recorded_on


# --------------------------------------------------------------------------- plan need


class PlanNeed(Aggregate):
    """A need (planbehov) for a new plan, or to revise, repeal or merge a plan,
    derived from one or more inputs. The plans named must fit the kind: none for
    new (a plan type may be proposed), ``plan_id`` for revise or repeal, and
    ``plan_id`` merged into another ``merge_into_plan_id`` for merge."""

    @classmethod
    def propose(
        cls,
        *,
        process: Process,
        input_ids: Sequence[str],
        kind: PlanNeedKind | str,
        title: str,
        rationale: str,
        plan_id: str | None,
        unknown_plans: KnownPlans,
        meta: Meta,
        merge_into_plan_id: str | None = None,
        plan_type: str | None = None,
    ) -> "PlanNeed":
        process.check_phase(Phase.WORKSHOPS, doing="propose plan needs")
        kind = PlanNeedKind(kind)
        if _blank(title):
            raise InvalidPlanNeed("a plan need needs a title", rule="plan_need.details")
        if not input_ids:
            raise InvalidPlanNeed("a plan need is derived from at least one input", rule="plan_need.derived_from_inputs")
        if _duplicates(input_ids):
            raise InvalidPlanNeed("an input is listed twice", rule="plan_need.details")
        process.check_owns("input", input_ids, process.input_ids)
        cls.check_plans_fit_kind(kind, plan_id, merge_into_plan_id, plan_type)
        check_plans_known([p for p in (plan_id, merge_into_plan_id) if p], unknown_plans, rule="plan_need.plan_known")
        need = cls(
            process_id=str(process.id),
            input_ids=list(input_ids),
            kind=kind.value,
            title=title.strip(),
            rationale=(rationale or "").strip(),
            plan_id=plan_id,
            merge_into_plan_id=merge_into_plan_id,
            plan_type=plan_type,
            meta=meta,
        )
        process.add_plan_need(plan_need_id=str(need.id), meta=meta)
        return need

    @staticmethod
    def check_plans_fit_kind(
        kind: PlanNeedKind, plan_id: str | None, merge_into_plan_id: str | None, plan_type: str | None
    ) -> None:
        if plan_type and plan_type not in PLAN_TYPES:
            raise InvalidPlanNeed(f"plan_type '{plan_type}' is not one of: " + ", ".join(sorted(PLAN_TYPES)),
                                  rule="plan_need.plan_type")
        if kind is PlanNeedKind.NEW:
            if plan_id or merge_into_plan_id:
                raise InvalidPlanNeed("a need for a new plan names no existing plan: leave plan_id empty")
            return
        if not plan_id:
            raise InvalidPlanNeed(f"a need to {kind.value} a plan names the plan: plan_id is required")
        if plan_type:
            raise InvalidPlanNeed("plan_type is proposed only for a new plan")
        if kind is PlanNeedKind.MERGE:
            if not merge_into_plan_id:
                raise InvalidPlanNeed("a need to merge names the plan to merge into: merge_into_plan_id")
            if merge_into_plan_id == plan_id:
                raise InvalidPlanNeed("a plan cannot be merged into itself")
        elif merge_into_plan_id:
            raise InvalidPlanNeed("merge_into_plan_id is only for a need to merge")

    @event("Proposed")
    def __init__(self, process_id, input_ids, kind, title, rationale, plan_id, merge_into_plan_id, plan_type,
                 meta) -> None:
        self.process_id = process_id
        self.input_ids = list(input_ids)
        self.kind = PlanNeedKind(kind)
        self.title = title
        self.rationale = rationale
        self.plan_id = plan_id
        self.merge_into_plan_id = merge_into_plan_id
        self.plan_type = plan_type


# --------------------------------------------------------------------------- counting


@dataclass(frozen=True)
class Ballot:
    """One participant's vote. Exactly one of the three fields is used, by method:
    ``ranking`` (Borda: every candidate, best first), ``approvals`` (approval:
    the candidates approved), ``dots`` (dot voting: candidate -> dots placed)."""

    ranking: tuple[str, ...] = ()
    approvals: tuple[str, ...] = ()
    dots: Mapping[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"ranking": list(self.ranking), "approvals": list(self.approvals), "dots": dict(self.dots)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Ballot":
        return cls(
            ranking=tuple(data.get("ranking") or ()),
            approvals=tuple(data.get("approvals") or ()),
            dots={str(k): int(v) for k, v in (data.get("dots") or {}).items()},
        )


@dataclass(frozen=True)
class Ranked:
    need_id: str
    rank: int
    score: int
    support: int

    def as_dict(self) -> dict[str, Any]:
        return {"need_id": self.need_id, "rank": self.rank, "score": self.score, "support": self.support}


TIE_BREAK = (
    "Highest score first. Equal scores: more support first (Borda: first places; dot: participants "
    "placing a dot; approval: approvals). Still equal: the order the candidates were listed in when "
    "the prioritisation was opened, fixed before any ballot."
)
"""The documented tie-break; ``count`` implements it and the events carry it."""


def check_ballot(method: Method, candidates: Sequence[str], ballot: Ballot, dots_per_participant: int | None) -> None:
    """A ballot fits its method: complete ranking, approvals, or at most N dots."""
    allowed = set(candidates)
    if method is Method.BORDA:
        if ballot.approvals or ballot.dots:
            raise InvalidBallot("a Borda ballot carries only a ranking")
        if _duplicates(list(ballot.ranking)):
            raise InvalidBallot("a candidate is ranked twice: " + ", ".join(_duplicates(list(ballot.ranking))))
        if set(ballot.ranking) != allowed:
            unknown = sorted(set(ballot.ranking) - allowed)
            missing = sorted(allowed - set(ballot.ranking))
            raise InvalidBallot(
                "a Borda ranking lists every candidate once"
                + (f"; not candidates: {', '.join(unknown)}" if unknown else "")
                + (f"; missing: {', '.join(missing)}" if missing else "")
            )
    elif method is Method.APPROVAL:
        if ballot.ranking or ballot.dots:
            raise InvalidBallot("an approval ballot carries only approvals")
        if not ballot.approvals:
            raise InvalidBallot("approve at least one candidate")
        if _duplicates(list(ballot.approvals)):
            raise InvalidBallot("a candidate is approved twice")
        unknown = sorted(set(ballot.approvals) - allowed)
        if unknown:
            raise InvalidBallot("not candidates: " + ", ".join(unknown))
    else:
        if ballot.ranking or ballot.approvals:
            raise InvalidBallot("a dot-voting ballot carries only dots")
        unknown = sorted(set(ballot.dots) - allowed)
        if unknown:
            raise InvalidBallot("not candidates: " + ", ".join(unknown))
        if any(v < 0 for v in ballot.dots.values()):
            raise InvalidBallot("dots cannot be negative")
        total = sum(ballot.dots.values())
        if total < 1 or total > (dots_per_participant or 0):
            raise InvalidBallot(f"place between 1 and {dots_per_participant} dots (placed {total})")


def count(method: Method, candidates: Sequence[str], ballots: Iterable[Ballot]) -> list[Ranked]:
    """Count ballots into a ranked result; see ``TIE_BREAK`` for equal scores.

    Borda: with n candidates, a ballot gives n-1 points to its first, n-2 to its
    second, ... 0 to its last. Approval: one point per approval. Dots: the dots.
    """
    n = len(candidates)
    score = {c: 0 for c in candidates}
    support = {c: 0 for c in candidates}
    for ballot in ballots:
        if method is Method.BORDA:
            for position, c in enumerate(ballot.ranking):
                score[c] += n - 1 - position
            if ballot.ranking:
                support[ballot.ranking[0]] += 1
        elif method is Method.APPROVAL:
            for c in ballot.approvals:
                score[c] += 1
                support[c] += 1
        else:
            for c, dots in ballot.dots.items():
                score[c] += dots
                if dots > 0:
                    support[c] += 1
    order = {c: i for i, c in enumerate(candidates)}
    ranked = sorted(candidates, key=lambda c: (-score[c], -support[c], order[c]))
    return [Ranked(need_id=c, rank=i + 1, score=score[c], support=support[c]) for i, c in enumerate(ranked)]


# --------------------------------------------------------------------------- prioritisation


class Prioritisation(Aggregate):
    """A vote among eligible participants over plan needs. One ballot per
    participant, replaceable until the prioritisation is closed; closing needs
    the quorum (the least number of ballots) and records the result so it never
    has to be recounted."""

    @classmethod
    def open(
        cls,
        *,
        process: Process,
        title: str,
        method: Method | str,
        candidate_ids: Sequence[str],
        eligible_ids: Sequence[str],
        quorum: int,
        dots_per_participant: int | None,
        meta: Meta,
    ) -> "Prioritisation":
        process.check_phase(Phase.PRIORITISATION, doing="open a prioritisation")
        method = Method(method)
        if len(candidate_ids) < 2:
            raise InvalidPrioritisation("a prioritisation needs at least two candidate plan needs",
                                        rule="prioritisation.candidates")
        if _duplicates(candidate_ids) or _duplicates(eligible_ids):
            raise InvalidPrioritisation("a candidate or participant is listed twice")
        process.check_owns("plan need", candidate_ids, process.plan_need_ids)
        if not eligible_ids:
            raise InvalidPrioritisation("name at least one eligible participant", rule="prioritisation.eligible")
        process.check_enrolled(eligible_ids, rule="prioritisation.eligible")
        if not 1 <= quorum <= len(eligible_ids):
            raise InvalidPrioritisation(
                f"quorum (the least number of ballots) must be between 1 and the {len(eligible_ids)} eligible",
                rule="prioritisation.quorum",
            )
        if method is Method.DOTS and not (dots_per_participant and dots_per_participant >= 1):
            raise InvalidPrioritisation("dot voting needs dots_per_participant of at least 1",
                                        rule="prioritisation.dots")
        if method is not Method.DOTS and dots_per_participant is not None:
            raise InvalidPrioritisation("dots_per_participant applies only to dot voting",
                                        rule="prioritisation.dots")
        prioritisation = cls(
            process_id=str(process.id),
            title=(title or "").strip(),
            method=method.value,
            candidate_ids=list(candidate_ids),
            eligible_ids=list(eligible_ids),
            quorum=quorum,
            dots_per_participant=dots_per_participant,
            tie_break=TIE_BREAK,
            meta=meta,
        )
        process.add_prioritisation(prioritisation_id=str(prioritisation.id), meta=meta)
        return prioritisation

    @event("Opened")
    def __init__(
        self, process_id, title, method, candidate_ids, eligible_ids, quorum, dots_per_participant, tie_break, meta
    ) -> None:
        self.process_id = process_id
        self.title = title
        self.method = Method(method)
        self.candidate_ids = list(candidate_ids)
        self.eligible_ids = list(eligible_ids)
        self.quorum = quorum
        self.dots_per_participant = dots_per_participant
        self.tie_break = tie_break
        self.ballots: dict[str, Ballot] = {}
        self.ballot_ids: dict[str, str] = {}
        self.casts = 0
        self.result: list[Ranked] | None = None

    @property
    def is_made(self) -> bool:
        return self.result is not None

    def check_open(self) -> None:
        if self.is_made:
            raise PrioritisationClosed(f"prioritisation {self.id} is closed: its result is made")

    def cast_ballot(self, *, participant_id: str, ballot: Ballot, meta: Meta) -> str:
        """Record or replace the participant's ballot; returns the new ballot's id.

        Ballot ids derive from the prioritisation and the count of casts, so a
        replayed aggregate gives every ballot the same id again."""
        self.check_open()
        if participant_id not in self.eligible_ids:
            raise NotEligible(f"participant {participant_id} is not eligible to vote in this prioritisation")
        check_ballot(self.method, self.candidate_ids, ballot, self.dots_per_participant)
        ballot = Ballot(ranking=ballot.ranking, approvals=ballot.approvals,
                        dots={c: n for c, n in ballot.dots.items() if n > 0})
        ballot_id = str(uuid5(NAMESPACE, f"ballot:{self.id}:{self.casts + 1}"))
        self._ballot_cast(
            process_id=self.process_id,
            method=self.method.value,
            ballot_id=ballot_id,
            participant_id=participant_id,
            ballot=ballot.as_dict(),
            replaces_ballot_id=self.ballot_ids.get(participant_id),
            meta=meta,
        )
        return ballot_id

    @event("BallotCast")
    def _ballot_cast(self, process_id, method, ballot_id, participant_id, ballot: dict, replaces_ballot_id,
                     meta: Meta) -> None:
        self.casts += 1
        self.ballots[participant_id] = Ballot.from_dict(ballot)
        self.ballot_ids[participant_id] = ballot_id

    def close(self, *, process: Process, meta: Meta) -> list[Ranked]:
        process.check_phase(Phase.PRIORITISATION, doing="close a prioritisation")
        self.check_open()
        if len(self.ballots) < self.quorum:
            raise QuorumNotMet(
                f"{len(self.ballots)} of {len(self.eligible_ids)} eligible have voted; the quorum is {self.quorum}"
            )
        result = count(self.method, self.candidate_ids, self.ballots.values())
        self._made(
            process_id=self.process_id,
            method=self.method.value,
            eligible_count=len(self.eligible_ids),
            tie_break=self.tie_break,
            result=[r.as_dict() for r in result],
            ballots_counted=len(self.ballots),
            counted_ballot_ids=[self.ballot_ids[p] for p in self.eligible_ids if p in self.ballot_ids],
            meta=meta,
        )
        return result

    @event("Made")
    def _made(self, process_id, method, eligible_count, tie_break, result: list[dict], ballots_counted: int,
              counted_ballot_ids: list[str], meta: Meta) -> None:
        self.result = [Ranked(**r) for r in result]
        self.counted_ballot_ids = list(counted_ballot_ids)


# --------------------------------------------------------------------------- recommendation


ACTIONS_FOR_NEED: dict[PlanNeedKind, frozenset[RecommendedAction]] = {
    PlanNeedKind.NEW: frozenset({RecommendedAction.NEW}),
    PlanNeedKind.REVISE: frozenset({RecommendedAction.REVISE, RecommendedAction.CONTINUE}),
    PlanNeedKind.REPEAL: frozenset({RecommendedAction.REPEAL, RecommendedAction.CONTINUE}),
    PlanNeedKind.MERGE: frozenset({RecommendedAction.MERGE, RecommendedAction.CONTINUE}),
}
"""What a need can become: what it asks for, or (for an existing plan) continuing it unchanged."""


@dataclass(frozen=True)
class RecommendedNeed:
    need_id: str
    action: RecommendedAction
    start_year: int
    note: str = ""


def recommendation_id_for(process_id: UUID | str) -> UUID:
    """One recommendation per process: its id is derived from the process."""
    return uuid5(NAMESPACE, f"recommendation:{process_id}")


class Recommendation(Aggregate):
    """The result of co-creation handed to the formal track: the plan needs put
    forward from a made prioritisation, each with an action and a start year
    inside the election period. Issued once; issuing hands the process over."""

    @classmethod
    def issue(
        cls,
        *,
        process: Process,
        prioritisation: Prioritisation,
        needs: Mapping[str, PlanNeed],
        items: Sequence[RecommendedNeed],
        summary: str,
        plan_titles: Mapping[str, str],
        today: date,
        meta: Meta,
        council_constituted_on: date | None = None,
    ) -> "Recommendation":
        """``needs`` are the plan needs put forward; ``plan_titles`` the catalogue's titles of their plans.
        ``council_constituted_on`` goes with it to the formal track: the plan registry counts the PBL §10-1
        year of the strategy it drafts from that date."""
        process.check_phase(Phase.RECOMMENDATION, doing="issue the recommendation")
        if process.recommendation_id is not None:
            raise RecommendationAlreadyIssued(f"recommendation {process.recommendation_id} was already issued")
        process.check_owns("prioritisation", [str(prioritisation.id)], process.prioritisation_ids)
        if not prioritisation.is_made:
            raise PrioritisationNotMade(f"prioritisation {prioritisation.id} is still open: close it first")
        if not items:
            raise InvalidRecommendation("put forward at least one plan need")
        ids = [i.need_id for i in items]
        if _duplicates(ids):
            raise InvalidRecommendation("a plan need is put forward twice: " + ", ".join(_duplicates(ids)))
        outside = sorted(set(ids) - set(prioritisation.candidate_ids))
        if outside:
            raise InvalidRecommendation(
                "only candidates of the prioritisation can be put forward; not candidates: " + ", ".join(outside),
                rule="recommendation.from_prioritisation",
            )
        first, last = process.period_years
        late = [i.need_id for i in items if not first <= i.start_year <= last]
        if late:
            raise InvalidRecommendation(
                f"start_year must lie in the election period {process.election_period}: " + ", ".join(late),
                rule="recommendation.timing_in_period",
            )
        for item in items:
            need = needs[item.need_id]
            action = RecommendedAction(item.action)
            if action not in ACTIONS_FOR_NEED[need.kind]:
                raise InvalidRecommendation(
                    f"plan need {item.need_id} asks to {need.kind.value}: action '{action.value}' does not fit; "
                    "use " + " or ".join(sorted(a.value for a in ACTIONS_FOR_NEED[need.kind])),
                    rule="recommendation.action_fits_need",
                )
        ranks = {r.need_id: r.rank for r in prioritisation.result or []}
        recommendation_id = recommendation_id_for(process.id)
        rows = []
        for item in items:
            need = needs[item.need_id]
            action = RecommendedAction(item.action)
            rows.append(
                {
                    "need_id": item.need_id,
                    "action": action.value,
                    "start_year": item.start_year,
                    "note": (item.note or "").strip(),
                    "rank": ranks[item.need_id],
                    "plan_id": need.plan_id,
                    "plan_title": plan_titles.get(need.plan_id or "", need.title),
                    "plan_type": need.plan_type,
                    "merge_into_plan_id": need.merge_into_plan_id if action is RecommendedAction.MERGE else None,
                }
            )
        recommendation = cls(
            id=recommendation_id,
            process_id=str(process.id),
            prioritisation_id=str(prioritisation.id),
            election_period=process.election_period,
            issued_on=today,
            items=rows,
            summary=(summary or "").strip(),
            council_constituted_on=council_constituted_on,
            meta=meta,
        )
        process.hand_over(recommendation_id=str(recommendation_id), meta=meta)
        return recommendation

    @event("Issued")
    def __init__(self, *, id: UUID, process_id, prioritisation_id, election_period, issued_on, items, summary,
                 meta, council_constituted_on: date | None = None) -> None:
        self.council_constituted_on = council_constituted_on
        self.process_id = process_id
        self.prioritisation_id = prioritisation_id
        self.election_period = election_period
        self.issued_on = issued_on
        self.items = [dict(i) for i in items]
        self.summary = summary
