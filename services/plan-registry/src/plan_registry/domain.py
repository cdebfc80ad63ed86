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
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, Iterable, Mapping, TypeVar
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from eventsourcing.domain import Aggregate, event

NAMESPACE = uuid5(NAMESPACE_URL, "https://planspor.no/plan-registry")
"""Namespace of every id this service derives from a cause (uuid5)."""

CONSULTATION_MINIMUM_DAYS = 42
"""PBL §11-14: consultation and public inspection of at least six weeks."""

PUBLICATION_MINIMUM_DAYS = 30
"""PBL §10-1: the proposed strategy is public at least 30 days before treatment."""


# --------------------------------------------------------------------------- errors


class DomainError(Exception):
    """A broken rule. ``kind`` tells the edge how to answer: ``conflict`` (409,
    the state does not allow it), ``invalid`` (422, the value is wrong) or
    ``not_found`` (404, a referenced part does not exist)."""

    kind = "conflict"

    def __init__(self, rule: str, message: str, paragraph: str | None = None) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message
        self.paragraph = paragraph

    def as_dict(self) -> dict[str, Any]:
        return {"error": self.rule, "paragraph": self.paragraph, "message": self.message}


class InvalidValue(DomainError):
    kind = "invalid"


class NotFound(DomainError):
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


# --------------------------------------------------------------------------- values


@dataclass(frozen=True)
class Actor:
    id: str
    name: str
    role: str

    def as_dict(self) -> dict[str, str]:
        return {"id": self.id, "name": self.name, "role": self.role}


@dataclass(frozen=True)
class Meta:
    """Who caused an event and why: carried into the integration event."""

    actor: Actor
    correlation_id: str | None = None
    causation_id: str | None = None

    @classmethod
    def of(
        cls,
        actor: Mapping[str, str] | Actor,
        correlation_id: str | None = None,
        causation_id: str | None = None,
    ) -> Meta:
        if not isinstance(actor, Actor):
            actor = Actor(id=str(actor["id"]), name=str(actor["name"]), role=str(actor["role"]))
        return cls(actor=actor, correlation_id=correlation_id, causation_id=causation_id)

    def caused_by(self, causation_id: str) -> Meta:
        return Meta(actor=self.actor, correlation_id=self.correlation_id or causation_id, causation_id=causation_id)

    def as_dict(self) -> dict[str, Any]:
        return {
            "actor": self.actor.as_dict(),
            "correlation_id": self.correlation_id,
            "causation_id": self.causation_id,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Meta:
        return cls.of(data["actor"], data.get("correlation_id"), data.get("causation_id"))


class PlanType(StrEnum):
    """Plan types of domain.md, with the codes of the shared contract (Norwegian legal categories)."""

    KOMMUNEPLAN_SAMFUNNSDEL = "kommuneplan_samfunnsdel"  # social element
    KOMMUNEPLAN_AREALDEL = "kommuneplan_arealdel"  # land use
    HANDLINGSDEL = "handlingsdel"  # action part, revised yearly (PBL §11-1, §11-4)
    KOMMUNEDELPLAN = "kommunedelplan"  # municipal sub-plan
    TEMAPLAN = "temaplan"  # thematic plan
    SEKTORPLAN = "sektorplan"  # sector plan
    STRATEGI = "strategi"  # strategy
    OMRADEREGULERINGSPLAN = "omradereguleringsplan"  # area zoning plan
    DETALJREGULERINGSPLAN = "detaljreguleringsplan"  # detailed zoning plan
    INTERKOMMUNAL_PLAN = "interkommunal_plan"  # inter-municipal plan
    OTHER = "other"

    @property
    def is_statutory(self) -> bool:
        """Kommuneplan samfunnsdel/arealdel and kommunedelplaner need planprogram and consultation."""
        return self in STATUTORY_PLAN_TYPES

    @property
    def is_kommuneplan(self) -> bool:
        return self in KOMMUNEPLAN_PARTS


KOMMUNEPLAN_PARTS = frozenset({PlanType.KOMMUNEPLAN_SAMFUNNSDEL, PlanType.KOMMUNEPLAN_AREALDEL, PlanType.HANDLINGSDEL})
"""PBL §11-15: the council itself adopts these."""

STATUTORY_PLAN_TYPES = frozenset(
    {PlanType.KOMMUNEPLAN_SAMFUNNSDEL, PlanType.KOMMUNEPLAN_AREALDEL, PlanType.KOMMUNEDELPLAN}
)
"""PBL §4-1 and §11-14 before adoption. The handlingsdel is a kommuneplan part but is
revised every year with the økonomiplan (PBL §11-4): it has no planprogram."""

NORWEGIAN: dict[str, str] = {
    PlanType.KOMMUNEPLAN_SAMFUNNSDEL: "kommuneplanens samfunnsdel",
    PlanType.KOMMUNEPLAN_AREALDEL: "kommuneplanens arealdel",
    PlanType.HANDLINGSDEL: "kommuneplanens handlingsdel",
    PlanType.KOMMUNEDELPLAN: "kommunedelplan",
    PlanType.TEMAPLAN: "temaplan",
    PlanType.SEKTORPLAN: "sektorplan",
    PlanType.STRATEGI: "strategi",
    PlanType.OMRADEREGULERINGSPLAN: "områderegulering",
    PlanType.DETALJREGULERINGSPLAN: "detaljregulering",
    PlanType.INTERKOMMUNAL_PLAN: "interkommunal plan",
    PlanType.OTHER: "annen plan",
}


class PlanStatus(StrEnum):
    PROPOSED = "proposed"  # identified, e.g. in the strategy
    NOTICE_OF_START = "notice_of_start"  # varsel om oppstart, planprogram on consultation
    PLANPROGRAM_ADOPTED = "planprogram_adopted"
    IN_PREPARATION = "in_preparation"  # under utarbeidelse
    FIRST_TREATMENT = "first_treatment"  # førstegangsbehandling
    CONSULTATION_OPEN = "consultation_open"  # høring og offentlig ettersyn
    CONSULTATION_CLOSED = "consultation_closed"
    ADOPTED = "adopted"  # vedtatt
    ANNOUNCED = "announced"  # kunngjort
    IN_FORCE = "in_force"  # gjeldende
    UNDER_REVISION = "under_revision"
    REPEALED = "repealed"  # opphevet
    REPLACED = "replaced"  # erstattet
    MERGED = "merged"  # slått sammen


ENDED = frozenset({PlanStatus.REPEALED, PlanStatus.REPLACED, PlanStatus.MERGED})
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
    PlanStatus.IN_FORCE: frozenset({PlanStatus.UNDER_REVISION} | ENDED),
    PlanStatus.UNDER_REVISION: _PROCESS | ENDED,
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


class Body(StrEnum):
    MUNICIPAL_COUNCIL = "municipal_council"  # kommunestyre
    EXECUTIVE_COMMITTEE = "executive_committee"  # formannskap
    PLANNING_COMMITTEE = "planning_committee"  # planutvalg
    CONTROL_COMMITTEE = "control_committee"  # kontrollutvalg
    SECTOR_COMMITTEE = "sector_committee"  # hovedutvalg
    ADMINISTRATION = "administration"  # kommunedirektør, delegated
    OTHER = "other"


class Outcome(StrEnum):
    ADOPTED = "adopted"
    ADOPTED_WITH_AMENDMENTS = "adopted_with_amendments"
    REJECTED = "rejected"
    POSTPONED = "postponed"
    SENT_BACK = "sent_back"
    NOTED = "noted"


ADOPTING_OUTCOMES = frozenset({Outcome.ADOPTED, Outcome.ADOPTED_WITH_AMENDMENTS})


class ItemAction(StrEnum):
    CONTINUE = "continue"
    REVISE = "revise"
    NEW = "new"
    REPEAL = "repeal"
    MERGE = "merge"


class ItemOrigin(StrEnum):
    PLAN_NEED = "plan_need"
    ADMINISTRATION = "administration"
    COUNCIL_AMENDMENT = "council_amendment"


class Assessment(StrEnum):
    REVISE = "revise"
    CONTINUE = "continue"


class InputSource(StrEnum):
    """Who sent an external input (PBL §10-1 asks state, regional bodies and neighbours)."""

    STATE = "state"
    REGIONAL = "regional"
    NEIGHBOUR_MUNICIPALITY = "neighbour_municipality"
    OTHER = "other"


class EvidenceKind(StrEnum):
    KNOWLEDGE_BASE = "knowledge_base"
    PUBLIC_HEALTH_OVERVIEW = "public_health_overview"
    TRENDS_AND_CHALLENGES = "trends_and_challenges"
    OTHER = "other"


class StrategyStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ADOPTED = "adopted"


class IndicatorSource(StrEnum):
    KOSTRA = "KOSTRA"
    SSB = "SSB"
    LOCAL = "local"


class AmendmentChange(StrEnum):
    SET_ITEM = "set_item"
    REMOVE_ITEM = "remove_item"


# --------------------------------------------------------------------------- helpers


E = TypeVar("E", bound=StrEnum)


def _choice(vocabulary: type[E], value: Any, rule: str, field: str) -> E:
    """A value of one of the domain's vocabularies, or an InvalidValue listing them."""
    try:
        return vocabulary(value)
    except ValueError:
        raise InvalidValue(rule, f"{field} '{value}' is not one of "
                           + ", ".join(v.value for v in vocabulary)) from None


def _required_text(field: str, value: str, rule: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidValue(rule, f"{field} must not be empty")
    return value.strip()


SDG_TARGET = re.compile(r"^(?P<goal>1[0-7]|[1-9])\.(?:[1-9][0-9]?|[a-z])$")
PERIOD = re.compile(r"^\d{4}(?:-(?:Q[1-4]|T[1-3]|H[12]|0[1-9]|1[0-2]))?$")
ELECTION_PERIOD = re.compile(r"^(?P<start>\d{4})-(?P<end>\d{4})$")


def check_sdg_target(target: str) -> str:
    """UN SDG targets are '<goal>.<target>' with goal 1-17 (for example '3.4', '11.a')."""
    match = SDG_TARGET.match(target or "")
    if not match:
        raise InvalidValue(
            "goal.sdg_target_format",
            f"SDG target '{target}' is not of the form '<goal 1-17>.<target>' (for example '3.4' or '11.a')",
        )
    return target


def check_no_cycle(plan_id: UUID, parent_id: UUID, ancestors_of_parent: Iterable[UUID]) -> None:
    """The plan hierarchy is a forest: no plan is its own ancestor."""
    if parent_id == plan_id or plan_id in set(ancestors_of_parent):
        raise HierarchyCycle(
            "plan.hierarchy_without_cycles",
            f"plan {plan_id} cannot be part of {parent_id}: that would make it its own ancestor",
        )


def strategy_item_id(strategy_id: UUID, plan_need_id: UUID) -> UUID:
    """One item per plan need: a redelivered recommendation sets the same item."""
    return uuid5(NAMESPACE, f"strategy-item:{strategy_id}:{plan_need_id}")


def strategy_id_for(recommendation_id: UUID) -> UUID:
    return uuid5(NAMESPACE, f"strategy:{recommendation_id}")


def amendment_item_id(decision_id: UUID, number: int) -> UUID:
    """The item a council amendment adds: derived from the decision and the amendment number."""
    return uuid5(NAMESPACE, f"amendment-item:{decision_id}:{number}")


def check_election_period(period: str) -> tuple[int, int]:
    """A valgperiode as the shared contract writes it: four years, e.g. 2024-2027."""
    match = ELECTION_PERIOD.match(period or "")
    if not match or int(match["end"]) != int(match["start"]) + 3:
        raise InvalidValue(
            "strategy.election_period_format",
            f"election_period '{period}' must be 'YYYY-YYYY' spanning four years (for example 2024-2027)",
        )
    return int(match["start"]), int(match["end"])


def to_decimal(field: str, value: Any) -> Decimal:
    """Exact numbers: a float is taken by its shortest decimal form (0.1 stays 0.1)."""
    try:
        number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise InvalidValue("value.number", f"{field} '{value}' is not a number") from None
    if not number.is_finite():
        raise InvalidValue("value.number", f"{field} must be a finite number")
    return number


# --------------------------------------------------------------------------- Goal


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def _str(u: Any) -> str | None:
    return str(u) if u is not None else None


class Goal(Aggregate):
    """A goal (hovedmål) or sub-goal (delmål) of kommuneplanens samfunnsdel."""

    @staticmethod
    def create_id(**_: Any) -> UUID:
        return uuid4()

    @classmethod
    def define(
        cls,
        *,
        title: str,
        description: str = "",
        parent: Goal | None = None,
        samfunnsdel_plan_id: UUID | None = None,
        sdg_targets: Iterable[str] = (),
        meta: Meta,
    ) -> Goal:
        title = _required_text("title", title, "goal.title_required")
        targets = sorted({check_sdg_target(t) for t in sdg_targets})
        return cls(
            title=title,
            description=description or "",
            parent_id=parent.id if parent else None,
            samfunnsdel_plan_id=samfunnsdel_plan_id,
            sdg_targets=targets,
            meta=meta,
        )

    @event("Defined")
    def __init__(
        self,
        *,
        title: str,
        description: str,
        parent_id: UUID | None,
        samfunnsdel_plan_id: UUID | None,
        sdg_targets: list[str],
        meta: Meta,
    ) -> None:
        self.title = title
        self.description = description
        self.parent_id = parent_id
        self.samfunnsdel_plan_id = samfunnsdel_plan_id
        self.sdg_targets = tuple(sdg_targets)

    @property
    def level(self) -> str:
        return "sub_goal" if self.parent_id else "main_goal"

    def state(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "version": self.version,
            "title": self.title,
            "description": self.description,
            "level": self.level,
            "parent_id": _str(self.parent_id),
            "samfunnsdel_plan_id": _str(self.samfunnsdel_plan_id),
            "sdg_targets": list(self.sdg_targets),
        }


# --------------------------------------------------------------------------- Indicator


class Indicator(Aggregate):
    """What measures a goal; one measurement per period, and a correction is its own event."""

    @staticmethod
    def create_id(**_: Any) -> UUID:
        return uuid4()

    @classmethod
    def define(
        cls,
        *,
        goal: Goal,
        name: str,
        unit: str,
        source: IndicatorSource | str,
        source_reference: str = "",
        description: str = "",
        baseline_value: Decimal | float | str | None = None,
        baseline_period: str | None = None,
        target_value: Decimal | float | str | None = None,
        target_year: int | None = None,
        meta: Meta,
    ) -> Indicator:
        name = _required_text("name", name, "indicator.name_required")
        unit = _required_text("unit", unit, "indicator.unit_required")
        source = _choice(IndicatorSource, source, "indicator.source_known", "source")
        if (baseline_value is None) != (baseline_period is None):
            raise InvalidValue("indicator.baseline_complete", "baseline needs both a value and a period")
        if (target_value is None) != (target_year is None):
            raise InvalidValue("indicator.target_complete", "target needs both a value and a target year")
        if baseline_period is not None:
            cls.check_period(baseline_period)
            if target_year is not None and target_year < int(baseline_period[:4]):
                raise InvalidValue(
                    "indicator.target_after_baseline",
                    f"target year {target_year} is before the baseline period {baseline_period}",
                )
        return cls(
            goal_id=goal.id,
            name=name,
            unit=unit,
            description=description or "",
            source=source.value,
            source_reference=source_reference or "",
            baseline_value=None if baseline_value is None else to_decimal("baseline_value", baseline_value),
            baseline_period=baseline_period,
            target_value=None if target_value is None else to_decimal("target_value", target_value),
            target_year=target_year,
            meta=meta,
        )

    @event("Defined")
    def __init__(
        self,
        *,
        goal_id: UUID,
        name: str,
        unit: str,
        description: str,
        source: str,
        source_reference: str,
        baseline_value: Decimal | None,
        baseline_period: str | None,
        target_value: Decimal | None,
        target_year: int | None,
        meta: Meta,
    ) -> None:
        self.goal_id = goal_id
        self.name = name
        self.unit = unit
        self.description = description
        self.source = IndicatorSource(source)
        self.source_reference = source_reference
        self.baseline_value = baseline_value
        self.baseline_period = baseline_period
        self.target_value = target_value
        self.target_year = target_year
        self.measurements: dict[str, dict[str, Any]] = {}

    @staticmethod
    def check_period(period: str) -> str:
        if not isinstance(period, str) or not PERIOD.match(period):
            raise InvalidValue(
                "indicator.period_format",
                f"period '{period}' must be a year, optionally with -01..-12, -Q1..Q4, -H1/H2 or -T1..T3",
            )
        return period

    def measure(
        self, *, period: str, value: Decimal | float | str, measured_on: date | None = None, meta: Meta
    ) -> None:
        self.check_period(period)
        if period in self.measurements:
            raise DuplicateMeasurement(
                "indicator.one_measurement_per_period",
                f"period {period} is already measured ({self.measurements[period]['value']}); record a correction",
            )
        self._measure(
            period=period, value=to_decimal("value", value), source=self.source.value, measured_on=measured_on,
            meta=meta,
        )

    @event("Measured")
    def _measure(self, period: str, value: Decimal, source: str, measured_on: date | None, meta: Meta) -> None:
        self.measurements[period] = {"value": value, "measured_on": measured_on, "corrections": 0}

    def correct_measurement(self, *, period: str, value: Decimal | float | str, reason: str, meta: Meta) -> None:
        if period not in self.measurements:
            raise NotFound(
                "indicator.correct_existing_measurement", f"period {period} has no measurement to correct"
            )
        reason = _required_text("reason", reason, "indicator.correction_reason_required")
        value = to_decimal("value", value)
        previous = self.measurements[period]["value"]
        if value == previous:
            raise AlreadyDone("indicator.correction_changes_value", f"period {period} already has value {value}")
        self._correct(period=period, value=value, previous_value=previous, source=self.source.value, reason=reason,
                      meta=meta)

    @event("MeasurementCorrected")
    def _correct(
        self, period: str, value: Decimal, previous_value: Decimal, source: str, reason: str, meta: Meta
    ) -> None:
        measurement = self.measurements[period]
        measurement["value"] = value
        measurement["corrections"] += 1

    def state(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "version": self.version,
            "goal_id": str(self.goal_id),
            "name": self.name,
            "unit": self.unit,
            "description": self.description,
            "source": self.source.value,
            "source_reference": self.source_reference,
            "baseline": None
            if self.baseline_period is None
            else {"value": str(self.baseline_value), "period": self.baseline_period},
            "target": None if self.target_year is None else {"value": str(self.target_value), "year": self.target_year},
            "measurements": [
                {
                    "period": period,
                    "value": str(m["value"]),
                    "measured_on": _iso(m["measured_on"]),
                    "corrections": m["corrections"],
                }
                for period, m in sorted(self.measurements.items())
            ],
        }


# --------------------------------------------------------------------------- Decision


@dataclass(frozen=True)
class Amendment:
    """An amendment (endringsforslag) in a decision. An adopted one with a ``change``
    changes a strategy item; it is numbered by its place in the decision (1, 2, ...)."""

    text: str
    adopted: bool = True
    proposed_by: str | None = None
    change: AmendmentChange | None = None
    item_id: UUID | None = None
    plan_id: UUID | None = None
    plan_name: str | None = None
    action: ItemAction | None = None
    timing: str | None = None
    rationale: str | None = None
    merge_into_plan_id: UUID | None = None

    def as_dict(self) -> dict[str, Any]:
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
        def uuid_or_none(v: Any) -> UUID | None:
            return v if v is None or isinstance(v, UUID) else UUID(str(v))

        return cls(
            text=data["text"],
            adopted=bool(data.get("adopted", True)),
            proposed_by=data.get("proposed_by"),
            change=AmendmentChange(data["change"]) if data.get("change") else None,
            item_id=uuid_or_none(data.get("item_id")),
            plan_id=uuid_or_none(data.get("plan_id")),
            plan_name=data.get("plan_name"),
            action=ItemAction(data["action"]) if data.get("action") else None,
            timing=data.get("timing"),
            rationale=data.get("rationale"),
            merge_into_plan_id=uuid_or_none(data.get("merge_into_plan_id")),
        )


class Decision(Aggregate):
    """A formal decision (vedtak): what a body decided, with votes and amendments.

    A decision is a fact of the archive: recorded once, never edited. It may name what
    it concerns (``strategy_id``, ``plan_ids``); then it adopts nothing else.
    """

    @staticmethod
    def create_id(**_: Any) -> UUID:
        return uuid4()

    @classmethod
    def record(
        cls,
        *,
        body: Body | str,
        case_number: str,
        meeting_date: date,
        subject: str,
        outcome: Outcome | str,
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
        body = _choice(Body, body, "decision.body_known", "body")
        outcome = _choice(Outcome, outcome, "decision.outcome_known", "outcome")
        case_number = _required_text("case_number", case_number, "decision.case_number_required")
        subject = _required_text("subject", subject, "decision.subject_required")
        counts = {"for": votes_for, "against": votes_against, "blank": votes_blank}
        for name, count in counts.items():
            if count is not None and count < 0:
                raise InvalidValue("decision.votes_not_negative", f"votes_{name} must not be negative ({count})")
        if (votes_for is None) != (votes_against is None):
            raise InvalidValue("decision.votes_complete", "votes_for and votes_against go together")
        if unanimous and votes_against:
            raise InvalidValue("decision.unanimous_without_votes_against",
                               f"a unanimous decision has no votes against ({votes_against})")
        amendments = list(amendments)
        for number, amendment in enumerate(amendments, start=1):
            cls.check_amendment(number, amendment)
        changes = [a for a in amendments if a.change and a.adopted]
        if changes and outcome is not Outcome.ADOPTED_WITH_AMENDMENTS:
            raise InvalidValue(
                "decision.amendments_need_amended_outcome",
                f"adopted amendments change strategy items, so the outcome must be "
                f"'{Outcome.ADOPTED_WITH_AMENDMENTS.value}', not '{outcome.value}'",
            )
        if changes and strategy_id is None:
            raise InvalidValue("decision.amendments_name_strategy",
                               "amendments that change strategy items need the decision's strategy_id")
        plan_ids = list(dict.fromkeys(plan_ids))
        return cls(
            body=body.value,
            body_name=body_name,
            case_number=case_number,
            meeting_date=meeting_date,
            subject=subject,
            text=text or "",
            outcome=outcome.value,
            votes=counts,
            unanimous=bool(unanimous),
            amendments=[a.as_dict() for a in amendments],
            strategy_id=strategy_id,
            plan_ids=plan_ids,
            meta=meta,
        )

    @staticmethod
    def check_amendment(number: int, amendment: Amendment) -> None:
        where = f"amendments[{number - 1}]"
        _required_text(f"{where}.text", amendment.text, "decision.amendment_text_required")
        if amendment.change is AmendmentChange.REMOVE_ITEM and amendment.item_id is None:
            raise InvalidValue("decision.amendment_names_item", f"{where} removes an item: give its item_id")
        if amendment.change is AmendmentChange.SET_ITEM:
            if amendment.action is None:
                raise InvalidValue("decision.amendment_item_action", f"{where} sets an item: give its action")
            check_item_target(amendment.action, amendment.plan_id, amendment.plan_name, where)
            if (amendment.action is ItemAction.MERGE) != (amendment.merge_into_plan_id is not None):
                raise InvalidValue(
                    "strategy.merge_names_target", f"{where}: merge_into_plan_id goes with action 'merge' only"
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
        self.outcome = Outcome(outcome)
        self.votes = dict(votes)
        self.unanimous = unanimous
        self.amendments = tuple(Amendment.from_dict(a) for a in amendments)
        self.strategy_id = strategy_id
        self.plan_ids = tuple(plan_ids)

    def check_adopts(self, subject_id: UUID, what: str, *, is_strategy: bool = False) -> None:
        if self.outcome not in ADOPTING_OUTCOMES:
            raise DecisionDoesNotAdopt(
                "decision.outcome_adopts",
                f"decision {self.case_number} has outcome '{self.outcome.value}': it does not adopt the {what}",
            )
        named = (self.strategy_id,) if is_strategy and self.strategy_id else () if is_strategy else self.plan_ids
        if named and subject_id not in named:
            raise DecisionDoesNotAdopt(
                "decision.concerns_subject",
                f"decision {self.case_number} concerns {', '.join(map(str, named))}, not this {what} ({subject_id})",
            )

    def state(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "version": self.version,
            "body": self.body.value,
            "body_name": self.body_name,
            "case_number": self.case_number,
            "meeting_date": self.meeting_date.isoformat(),
            "subject": self.subject,
            "text": self.text,
            "outcome": self.outcome.value,
            "votes": dict(self.votes),
            "unanimous": self.unanimous,
            "amendments": [
                {"number": n, **{k: (_str(v) if k.endswith("_id") else v) for k, v in a.as_dict().items()}}
                for n, a in enumerate(self.amendments, start=1)
            ],
            "strategy_id": _str(self.strategy_id),
            "plan_ids": [str(p) for p in self.plan_ids],
        }


# --------------------------------------------------------------------------- Plan


class Plan(Aggregate):
    """A plan of the municipality's plan system and its lifecycle."""

    @staticmethod
    def create_id(**_: Any) -> UUID:
        return uuid4()

    @classmethod
    def propose(
        cls,
        *,
        name: str,
        plan_type: PlanType | str,
        legal_basis: str,
        owning_unit: str,
        description: str = "",
        parent: Plan | None = None,
        initiated_through_strategy: bool,
        strategy_id: UUID | None = None,
        strategy_item_id: UUID | None = None,
        meta: Meta,
    ) -> Plan:
        """Whether the plan was started through the adopted strategy is what the
        proposer says and names (the strategy), never inferred."""
        name = _required_text("name", name, "plan.name_required")
        owning_unit = _required_text("owning_unit", owning_unit, "plan.owning_unit_required")
        plan_type = _choice(PlanType, plan_type, "plan.type_known", "plan_type")
        if initiated_through_strategy and strategy_id is None:
            raise InvalidValue(
                "plan.initiating_strategy_named",
                "a plan initiated through the strategy names that strategy (strategy_id)",
            )
        if not initiated_through_strategy and (strategy_id is not None or strategy_item_id is not None):
            raise InvalidValue(
                "plan.initiating_strategy_named",
                "strategy_id / strategy_item_id are given, but initiated_through_strategy is false",
            )
        if parent is not None:
            parent.check_can_be_parent()
        return cls(
            name=name,
            plan_type=plan_type.value,
            legal_basis=legal_basis or "",
            owning_unit=owning_unit,
            description=description or "",
            parent_id=parent.id if parent else None,
            initiated_through_strategy=bool(initiated_through_strategy),
            strategy_id=strategy_id,
            strategy_item_id=strategy_item_id,
            meta=meta,
        )

    @event("Proposed")
    def __init__(
        self,
        *,
        name: str,
        plan_type: str,
        legal_basis: str,
        owning_unit: str,
        description: str,
        parent_id: UUID | None,
        initiated_through_strategy: bool,
        strategy_id: UUID | None,
        strategy_item_id: UUID | None,
        meta: Meta,
    ) -> None:
        self.name = name
        self.plan_type = PlanType(plan_type)
        self.legal_basis = legal_basis
        self.owning_unit = owning_unit
        self.description = description
        self.parent_id = parent_id
        self.initiated_through_strategy = initiated_through_strategy
        self.strategy_id = strategy_id
        self.strategy_item_id = strategy_item_id
        self.status = PlanStatus.PROPOSED
        self.goal_ids: tuple[UUID, ...] = ()
        self.planprogram_adopted_on: date | None = None
        self.consultations: list[dict[str, Any]] = []
        self.adopted_on: date | None = None
        self.adopted_by: UUID | None = None
        self.in_force_from: date | None = None
        self.revision_due: date | None = None
        self.revision_reason: str = ""
        self.ended_on: date | None = None
        self.ended_by: UUID | None = None
        self.successor_id: UUID | None = None
        self.status_history: list[dict[str, Any]] = []

    # -- rules

    @property
    def is_ended(self) -> bool:
        return self.status in ENDED

    def check_transition(self, to: PlanStatus) -> None:
        if to not in PLAN_TRANSITIONS[self.status]:
            allowed = ", ".join(sorted(s.value for s in PLAN_TRANSITIONS[self.status])) or "none (the plan has ended)"
            raise TransitionNotAllowed(
                "plan.lifecycle_transition",
                f"a plan that is {self.status.value} cannot become {to.value}; allowed next: {allowed}",
            )

    def check_not_ended(self, doing: str) -> None:
        if self.is_ended:
            raise TransitionNotAllowed("plan.not_ended", f"the plan is {self.status.value}; it cannot be {doing}")

    def check_can_be_parent(self) -> None:
        if self.is_ended:
            raise InvalidMergeTarget(
                "plan.parent_not_ended", f"plan {self.id} is {self.status.value} and cannot be a parent plan"
            )

    def check_statutory_process(self) -> None:
        """PBL §4-1 and §11-14: an adopted planprogram and six weeks' consultation on record."""
        if not self.plan_type.is_statutory:
            return
        if self.planprogram_adopted_on is None:
            raise StatutoryProcessIncomplete(
                "plan.planprogram_before_adoption",
                f"PBL §4-1: a {NORWEGIAN[self.plan_type]} needs an adopted planprogram before adoption",
                paragraph="PBL §4-1",
            )
        long_enough = [
            c for c in self.consultations
            if c["closed_on"] is not None and (c["closed_on"] - c["opened_on"]).days >= CONSULTATION_MINIMUM_DAYS
        ]
        if not long_enough:
            held = ", ".join(f"{c['opened_on']} to {c['closed_on'] or 'open'}" for c in self.consultations) or "none"
            raise StatutoryProcessIncomplete(
                "plan.consultation_six_weeks",
                f"PBL §11-14: a {NORWEGIAN[self.plan_type]} needs a closed consultation of at least six weeks "
                f"({CONSULTATION_MINIMUM_DAYS} days) on record before adoption; on record: {held}",
                paragraph="PBL §11-14",
            )

    def _check_date(self, on: date) -> None:
        last = self.status_history[-1]["on"] if self.status_history else None
        if last is not None and on < last:
            raise InvalidValue("plan.dates_in_order", f"date {on} is before the last status change ({last})")

    # -- commands

    def advance(self, *, to: PlanStatus | str, on: date, decision: Decision | None = None, meta: Meta) -> None:
        """A dated step of the lifecycle; adoption and the ends have their own commands."""
        try:
            to = PlanStatus(to)
        except ValueError:
            raise InvalidValue("plan.status_known", f"status '{to}' is not a plan status") from None
        if to not in DATED_STEPS:
            raise InvalidValue(
                "plan.step_needs_its_command",
                f"'{to.value}' is recorded by its own command (adopt, repeal, replace, merge)",
            )
        self.check_transition(to)
        self._check_date(on)
        if to is PlanStatus.CONSULTATION_OPEN and self.plan_type.is_statutory and self.planprogram_adopted_on is None:
            raise StatutoryProcessIncomplete(
                "plan.planprogram_before_consultation",
                f"PBL §4-1: a {NORWEGIAN[self.plan_type]} goes on consultation after its planprogram is adopted",
                paragraph="PBL §4-1",
            )
        self._record_status(to, on, meta=meta, decision_id=decision.id if decision else None)

    def start_preparation(self, *, on: date, meta: Meta) -> None:
        self.advance(to=PlanStatus.IN_PREPARATION, on=on, meta=meta)

    def adopt_planprogram(self, *, on: date, decision: Decision | None = None, meta: Meta) -> None:
        self.advance(to=PlanStatus.PLANPROGRAM_ADOPTED, on=on, decision=decision, meta=meta)

    def open_consultation(self, *, on: date, meta: Meta) -> None:
        self.advance(to=PlanStatus.CONSULTATION_OPEN, on=on, meta=meta)

    def close_consultation(self, *, on: date, meta: Meta) -> None:
        """Recorded however short it was: the adoption rule judges the length."""
        self.advance(to=PlanStatus.CONSULTATION_CLOSED, on=on, meta=meta)

    def bring_into_force(self, *, on: date, meta: Meta) -> None:
        self.advance(to=PlanStatus.IN_FORCE, on=on, meta=meta)

    def start_revision(self, *, on: date, meta: Meta) -> None:
        self.advance(to=PlanStatus.UNDER_REVISION, on=on, meta=meta)

    def adopt(self, *, decision: Decision, meta: Meta) -> None:
        self.check_transition(PlanStatus.ADOPTED)
        self._check_date(decision.meeting_date)
        decision.check_adopts(self.id, "plan")
        if self.plan_type.is_kommuneplan and decision.body is not Body.MUNICIPAL_COUNCIL:
            raise WrongBody(
                "plan.kommuneplan_adopted_by_council",
                f"PBL §11-15: the kommuneplan is adopted by the kommunestyre itself, not by {decision.body.value}",
                paragraph="PBL §11-15",
            )
        self.check_statutory_process()
        self._record_status(PlanStatus.ADOPTED, decision.meeting_date, meta=meta, decision_id=decision.id)

    def repeal(self, *, decision: Decision, meta: Meta) -> None:
        self.check_transition(PlanStatus.REPEALED)
        self._check_date(decision.meeting_date)
        decision.check_adopts(self.id, "repeal of the plan")
        self._record_status(PlanStatus.REPEALED, decision.meeting_date, meta=meta, decision_id=decision.id)

    def replace_by(self, *, successor: Plan, decision: Decision, meta: Meta) -> None:
        self._check_successor(successor, "replaced by")
        self.check_transition(PlanStatus.REPLACED)
        self._check_date(decision.meeting_date)
        decision.check_adopts(self.id, "replacement of the plan")
        self._record_status(PlanStatus.REPLACED, decision.meeting_date, meta=meta, decision_id=decision.id,
                            related_plan_id=successor.id)

    def merge_into(self, *, target: Plan, decision: Decision, meta: Meta) -> None:
        self._check_successor(target, "merged into")
        self.check_transition(PlanStatus.MERGED)
        self._check_date(decision.meeting_date)
        decision.check_adopts(self.id, "merger of the plan")
        self._record_status(PlanStatus.MERGED, decision.meeting_date, meta=meta, decision_id=decision.id,
                            related_plan_id=target.id)

    def _check_successor(self, other: Plan, relation: str) -> None:
        if other.id == self.id:
            raise InvalidMergeTarget("plan.successor_not_itself", f"a plan cannot be {relation} itself")
        if other.is_ended:
            raise InvalidMergeTarget(
                "plan.successor_not_ended",
                f"plan {other.id} is {other.status.value}: a plan cannot be {relation} a plan that has ended",
            )

    def _record_status(
        self,
        to: PlanStatus,
        on: date,
        *,
        meta: Meta,
        decision_id: UUID | None = None,
        related_plan_id: UUID | None = None,
    ) -> None:
        consultation_from = consultation_until = None
        if to is PlanStatus.CONSULTATION_OPEN:
            consultation_from = on
        elif to is PlanStatus.CONSULTATION_CLOSED:
            consultation_from, consultation_until = self.consultations[-1]["opened_on"], on
        self._change_status(
            from_status=self.status.value,
            status=to.value,
            on=on,
            decision_id=decision_id,
            related_plan_id=related_plan_id,
            consultation_from=consultation_from,
            consultation_until=consultation_until,
            meta=meta,
        )

    @event("StatusChanged")
    def _change_status(
        self,
        from_status: str,
        status: str,
        on: date,
        decision_id: UUID | None,
        related_plan_id: UUID | None,
        consultation_from: date | None,
        consultation_until: date | None,
        meta: Meta,
    ) -> None:
        new = PlanStatus(status)
        self.status = new
        self.status_history.append({"status": new.value, "on": on, "decision_id": decision_id})
        if new is PlanStatus.PLANPROGRAM_ADOPTED:
            self.planprogram_adopted_on = on
        elif new is PlanStatus.CONSULTATION_OPEN:
            self.consultations.append({"opened_on": on, "closed_on": None})
        elif new is PlanStatus.CONSULTATION_CLOSED:
            self.consultations[-1]["closed_on"] = on
        elif new is PlanStatus.ADOPTED:
            self.adopted_on, self.adopted_by = on, decision_id
        elif new is PlanStatus.IN_FORCE:
            self.in_force_from = on
        elif new is PlanStatus.UNDER_REVISION:
            self.planprogram_adopted_on = None
            self.consultations = []
        elif new in ENDED:
            self.ended_on, self.ended_by, self.successor_id = on, decision_id, related_plan_id

    def anchor_in(self, goal: Goal, *, meta: Meta) -> None:
        self.check_not_ended("anchored")
        if goal.id in self.goal_ids:
            raise AlreadyDone("plan.anchored_once", f"the plan is already anchored in goal {goal.id}")
        self._anchor(goal_id=goal.id, meta=meta)

    @event("Anchored")
    def _anchor(self, goal_id: UUID, meta: Meta) -> None:
        self.goal_ids = (*self.goal_ids, goal_id)

    def move_under(self, parent: Plan | None, *, ancestors_of_parent: Iterable[UUID] = (), meta: Meta) -> None:
        """Places the plan in the hierarchy; the application walks ``ancestors_of_parent``."""
        self.check_not_ended("moved in the hierarchy")
        if parent is not None:
            check_no_cycle(self.id, parent.id, ancestors_of_parent)
            parent.check_can_be_parent()
        new_parent = parent.id if parent else None
        if new_parent == self.parent_id:
            raise AlreadyDone("plan.parent_changed", "the plan already has this parent")
        self._move(parent_id=new_parent, previous_parent_id=self.parent_id, meta=meta)

    @event("ParentChanged")
    def _move(self, parent_id: UUID | None, previous_parent_id: UUID | None, meta: Meta) -> None:
        self.parent_id = parent_id

    def schedule_revision(self, *, due: date, reason: str = "", meta: Meta) -> None:
        self.check_not_ended("scheduled for revision")
        self._schedule_revision(due=due, reason=reason or "", meta=meta)

    @event("RevisionScheduled")
    def _schedule_revision(self, due: date, reason: str, meta: Meta) -> None:
        self.revision_due = due
        self.revision_reason = reason

    def state(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "version": self.version,
            "name": self.name,
            "plan_type": self.plan_type.value,
            "plan_type_no": NORWEGIAN[self.plan_type],
            "statutory": self.plan_type.is_statutory,
            "legal_basis": self.legal_basis,
            "owning_unit": self.owning_unit,
            "description": self.description,
            "parent_id": _str(self.parent_id),
            "initiated_through_strategy": self.initiated_through_strategy,
            "strategy_id": _str(self.strategy_id),
            "strategy_item_id": _str(self.strategy_item_id),
            "status": self.status.value,
            "goal_ids": [str(g) for g in self.goal_ids],
            "planprogram_adopted_on": _iso(self.planprogram_adopted_on),
            "consultations": [
                {"opened_on": _iso(c["opened_on"]), "closed_on": _iso(c["closed_on"])} for c in self.consultations
            ],
            "adopted_on": _iso(self.adopted_on),
            "adopted_by_decision_id": _str(self.adopted_by),
            "in_force_from": _iso(self.in_force_from),
            "revision_due": _iso(self.revision_due),
            "revision_reason": self.revision_reason,
            "ended_on": _iso(self.ended_on),
            "ended_by_decision_id": _str(self.ended_by),
            "successor_id": _str(self.successor_id),
            "status_history": [
                {"status": h["status"], "on": _iso(h["on"]), "decision_id": _str(h["decision_id"])}
                for h in self.status_history
            ],
        }


# --------------------------------------------------------------------------- PlanStrategy


def check_item_target(action: ItemAction, plan_id: UUID | None, plan_name: str | None, where: str = "item") -> None:
    """A new plan is named; every other action concerns a plan of the register."""
    if action is ItemAction.NEW:
        if not (plan_name or "").strip() and plan_id is None:
            raise InvalidValue("strategy.new_item_named", f"{where}: a new plan needs a plan_name")
    elif plan_id is None:
        raise InvalidValue(
            "strategy.item_concerns_plan", f"{where}: action '{action.value}' concerns an existing plan: give plan_id"
        )


class PlanStrategy(Aggregate):
    """The council's plan strategy (planstrategi) for one election period (PBL §10-1).

    Missing the one-year deadline or citing an old folkehelseoversikt does not block
    anything here: the register records what happened; the compliance report flags it.
    """

    @staticmethod
    def create_id(recommendation_id: UUID | str | None = None, **_: Any) -> UUID:
        """A strategy drafted from a recommendation has an id derived from it, so a
        redelivered recommendation cannot draft a second strategy."""
        return strategy_id_for(recommendation_id) if recommendation_id else uuid4()

    @classmethod
    def draft(
        cls,
        *,
        election_period: str,
        council_constituted_on: date,
        title: str = "",
        recommendation_id: UUID | None = None,
        process_id: UUID | None = None,
        meta: Meta,
    ) -> PlanStrategy:
        start, _ = check_election_period(election_period)
        if council_constituted_on.year not in (start - 1, start):
            raise InvalidValue(
                "strategy.constituted_at_period_start",
                f"the council of {election_period} is constituted in the autumn of {start - 1} or in {start}, "
                f"not on {council_constituted_on}",
            )
        return cls(
            election_period=election_period,
            council_constituted_on=council_constituted_on,
            title=(title or "").strip() or f"Planstrategi {election_period}",
            recommendation_id=recommendation_id,
            process_id=process_id,
            meta=meta,
        )

    @event("Drafted")
    def __init__(
        self,
        *,
        election_period: str,
        council_constituted_on: date,
        title: str,
        recommendation_id: UUID | None,
        process_id: UUID | None,
        meta: Meta,
    ) -> None:
        self.election_period = election_period
        self.council_constituted_on = council_constituted_on
        self.title = title
        self.recommendation_id = recommendation_id
        self.process_id = process_id
        self.status = StrategyStatus.DRAFT
        self.items: dict[UUID, dict[str, Any]] = {}
        self.samfunnsdel: Assessment | None = None
        self.arealdel: Assessment | None = None
        self.assessment_rationale = ""
        self.external_inputs: list[dict[str, Any]] = []
        self.evidence: list[dict[str, Any]] = []
        self.published_on: date | None = None
        self.planned_meeting_on: date | None = None
        self.adopted_on: date | None = None
        self.adopted_by: UUID | None = None

    # -- rules

    def check_not_adopted(self) -> None:
        if self.status is StrategyStatus.ADOPTED:
            raise TransitionNotAllowed(
                "strategy.adopted_is_final", "the strategy is adopted; the next change is a new strategy"
            )

    def check_items_open(self, origin: ItemOrigin) -> None:
        self.check_not_adopted()
        if self.status is StrategyStatus.PUBLISHED and origin is not ItemOrigin.COUNCIL_AMENDMENT:
            raise ItemsFrozen(
                "strategy.items_frozen_after_publication",
                "the proposal is published: only a council amendment changes its items now",
                paragraph="PBL §10-1",
            )

    def check_adoptable(self, decision: Decision) -> None:
        """PBL §10-1: by the council, kommuneplan assessed, public 30 days before the meeting."""
        self.check_not_adopted()
        if decision.body is not Body.MUNICIPAL_COUNCIL:
            raise WrongBody(
                "strategy.adopted_by_council",
                f"PBL §10-1: the plan strategy is adopted by the kommunestyre (municipal_council), "
                f"not by {decision.body.value}",
                paragraph="PBL §10-1",
            )
        decision.check_adopts(self.id, "strategy", is_strategy=True)
        missing = [n for n, v in (("samfunnsdel", self.samfunnsdel), ("arealdel", self.arealdel)) if v is None]
        if missing:
            raise KommuneplanNotAssessed(
                "strategy.kommuneplan_assessed",
                "PBL §10-1: decide whether the kommuneplan is revised or continued before adoption; not assessed: "
                + ", ".join(missing),
                paragraph="PBL §10-1",
            )
        if self.published_on is None:
            raise PublicationTooLate(
                "strategy.published_30_days_before_meeting",
                f"PBL §10-1: not published, meeting {decision.meeting_date}, {PUBLICATION_MINIMUM_DAYS} days required",
                paragraph="PBL §10-1",
            )
        if (decision.meeting_date - self.published_on).days < PUBLICATION_MINIMUM_DAYS:
            raise PublicationTooLate(
                "strategy.published_30_days_before_meeting",
                f"PBL §10-1: published {self.published_on}, meeting {decision.meeting_date}, "
                f"{PUBLICATION_MINIMUM_DAYS} days required",
                paragraph="PBL §10-1",
            )

    # -- commands

    def set_item(
        self,
        *,
        item_id: UUID,
        action: ItemAction | str,
        plan_id: UUID | None = None,
        plan_name: str | None = None,
        plan_type: PlanType | str | None = None,
        timing: str,
        rationale: str,
        origin: ItemOrigin | str,
        plan_need_id: UUID | None = None,
        decision_id: UUID | None = None,
        amendment_number: int | None = None,
        merge_into_plan_id: UUID | None = None,
        meta: Meta,
    ) -> None:
        action = _choice(ItemAction, action, "strategy.item_action_known", "action")
        origin = _choice(ItemOrigin, origin, "strategy.item_origin_known", "origin")
        plan_type = _choice(PlanType, plan_type, "plan.type_known", "plan_type") if plan_type else None
        self.check_items_open(origin)
        check_item_target(action, plan_id, plan_name)
        timing = _required_text("timing", timing, "strategy.item_timing_required")
        rationale = _required_text("rationale", rationale, "strategy.item_rationale_required")
        if origin is ItemOrigin.PLAN_NEED and plan_need_id is None:
            raise InvalidValue("strategy.item_need_named", "an item from co-creation names its plan_need_id")
        if origin is ItemOrigin.COUNCIL_AMENDMENT and decision_id is None:
            raise InvalidValue("strategy.amendment_names_decision", "a council amendment names its decision_id")
        if action is ItemAction.MERGE:
            if merge_into_plan_id is None:
                raise InvalidValue("strategy.merge_names_target", "a merge item names merge_into_plan_id")
            if merge_into_plan_id == plan_id:
                raise InvalidMergeTarget("plan.successor_not_itself", "a plan cannot be merged into itself")
        elif merge_into_plan_id is not None:
            raise InvalidValue("strategy.merge_names_target", "merge_into_plan_id is only for action 'merge'")
        item = {
            "action": action.value,
            "plan_id": plan_id,
            "plan_name": (plan_name or "").strip() or None,
            "plan_type": plan_type.value if plan_type else None,
            "timing": timing,
            "rationale": rationale,
            "origin": origin.value,
            "plan_need_id": plan_need_id,
            "decision_id": decision_id,
            "amendment_number": amendment_number,
            "merge_into_plan_id": merge_into_plan_id,
        }
        if self.items.get(item_id) == item:
            raise AlreadyDone("strategy.item_changed", f"item {item_id} already reads like this")
        self._set_item(item_id=item_id, item=item, meta=meta)

    @event("ItemSet")
    def _set_item(self, item_id: UUID, item: dict[str, Any], meta: Meta) -> None:
        self.items[item_id] = dict(item)

    def remove_item(
        self,
        *,
        item_id: UUID,
        origin: ItemOrigin | str,
        decision_id: UUID | None = None,
        amendment_number: int | None = None,
        reason: str = "",
        meta: Meta,
    ) -> None:
        origin = ItemOrigin(origin)
        self.check_items_open(origin)
        if item_id not in self.items:
            raise NotFound("strategy.item_exists", f"the strategy has no item {item_id}")
        if origin is ItemOrigin.COUNCIL_AMENDMENT and decision_id is None:
            raise InvalidValue("strategy.amendment_names_decision", "a council amendment names its decision_id")
        self._remove_item(item_id=item_id, origin=origin.value, decision_id=decision_id,
                          amendment_number=amendment_number, reason=reason or "", meta=meta)

    @event("ItemRemoved")
    def _remove_item(self, item_id: UUID, origin: str, decision_id: UUID | None, amendment_number: int | None,
                     reason: str, meta: Meta) -> None:
        del self.items[item_id]

    def assess_kommuneplan(self, *, samfunnsdel: Assessment | str, arealdel: Assessment | str,
                           rationale: str = "", meta: Meta) -> None:
        self.check_not_adopted()
        try:
            samfunnsdel, arealdel = Assessment(samfunnsdel), Assessment(arealdel)
        except ValueError:
            raise InvalidValue("strategy.assessment_known",
                               "samfunnsdel and arealdel are each 'revise' or 'continue'") from None
        self._assess(samfunnsdel=samfunnsdel.value, arealdel=arealdel.value, rationale=rationale or "", meta=meta)

    @event("KommuneplanAssessed")
    def _assess(self, samfunnsdel: str, arealdel: str, rationale: str, meta: Meta) -> None:
        self.samfunnsdel = Assessment(samfunnsdel)
        self.arealdel = Assessment(arealdel)
        self.assessment_rationale = rationale

    def receive_input(self, *, input_id: UUID, source: InputSource | str, sender: str, received_on: date,
                      summary: str, document_reference: str | None = None, meta: Meta) -> None:
        """PBL §10-1: the views of state, regional bodies and neighbours are on record."""
        self.check_not_adopted()
        source = _choice(InputSource, source, "strategy.input_source_known", "source")
        sender = _required_text("sender", sender, "strategy.input_sender_required")
        summary = _required_text("summary", summary, "strategy.input_summary_required")
        if any(i["input_id"] == input_id for i in self.external_inputs):
            raise AlreadyDone("strategy.input_received_once", f"input {input_id} is already on record")
        self._receive_input(input_id=input_id, source=source.value, sender=sender, received_on=received_on,
                            summary=summary, document_reference=document_reference, meta=meta)

    @event("InputReceived")
    def _receive_input(self, input_id: UUID, source: str, sender: str, received_on: date, summary: str,
                       document_reference: str | None, meta: Meta) -> None:
        self.external_inputs.append(
            {"input_id": input_id, "source": source, "sender": sender, "received_on": received_on,
             "summary": summary, "document_reference": document_reference}
        )

    def cite_evidence(self, *, evidence_id: UUID, kind: EvidenceKind | str, title: str, dated: date,
                      url: str | None = None, meta: Meta) -> None:
        """The knowledge base (kunnskapsgrunnlag) the strategy builds on; whether a
        folkehelseoversikt is too old is for the compliance report to say."""
        self.check_not_adopted()
        kind = _choice(EvidenceKind, kind, "strategy.evidence_kind_known", "kind")
        title = _required_text("title", title, "strategy.evidence_title_required")
        if any(e["evidence_id"] == evidence_id for e in self.evidence):
            raise AlreadyDone("strategy.evidence_cited_once", f"evidence {evidence_id} is already cited")
        self._cite(evidence_id=evidence_id, kind=kind.value, title=title, dated=dated, url=url, meta=meta)

    @event("EvidenceCited")
    def _cite(self, evidence_id: UUID, kind: str, title: str, dated: date, url: str | None, meta: Meta) -> None:
        self.evidence.append({"evidence_id": evidence_id, "kind": kind, "title": title, "dated": dated, "url": url})

    def publish(self, *, on: date, planned_meeting_on: date | None = None, meta: Meta) -> None:
        """Starts the 30-day clock (PBL §10-1)."""
        self.check_not_adopted()
        if self.status is StrategyStatus.PUBLISHED:
            raise AlreadyDone("strategy.published_once", f"the proposal was published on {self.published_on}")
        if on < self.council_constituted_on:
            raise InvalidValue(
                "strategy.published_after_constitution",
                f"published {on} is before the council was constituted ({self.council_constituted_on})",
            )
        if planned_meeting_on is not None and planned_meeting_on < on:
            raise InvalidValue("strategy.meeting_after_publication",
                               f"planned meeting {planned_meeting_on} is before publication {on}")
        self._publish(on=on, planned_meeting_on=planned_meeting_on, meta=meta)

    @event("Published")
    def _publish(self, on: date, planned_meeting_on: date | None, meta: Meta) -> None:
        self.status = StrategyStatus.PUBLISHED
        self.published_on = on
        self.planned_meeting_on = planned_meeting_on

    def adopt(self, *, decision: Decision, meta: Meta) -> None:
        """Applies the decision's adopted item amendments, each its own event caused by
        the decision (origin council_amendment), then records the adoption."""
        self.check_adoptable(decision)
        amended = meta.caused_by(str(decision.id))
        changes = [(n, a) for n, a in enumerate(decision.amendments, start=1) if a.adopted and a.change]
        for number, amendment in changes:
            if amendment.change is AmendmentChange.REMOVE_ITEM and amendment.item_id not in self.items:
                raise NotFound(
                    "strategy.item_exists",
                    f"amendment {number} removes item {amendment.item_id}, which the strategy does not have",
                )
        for number, amendment in changes:
            if amendment.change is AmendmentChange.SET_ITEM:
                assert amendment.action is not None
                item_id = amendment.item_id or amendment_item_id(decision.id, number)
                current = self.items.get(item_id, {})
                self.set_item(
                    item_id=item_id,
                    action=amendment.action,
                    plan_id=amendment.plan_id,
                    plan_name=amendment.plan_name or current.get("plan_name"),
                    plan_type=current.get("plan_type"),
                    timing=amendment.timing or current.get("timing") or "decided by the council",
                    rationale=amendment.rationale or current.get("rationale") or amendment.text,
                    origin=ItemOrigin.COUNCIL_AMENDMENT,
                    decision_id=decision.id,
                    amendment_number=number,
                    merge_into_plan_id=amendment.merge_into_plan_id,
                    meta=amended,
                )
            else:
                assert amendment.item_id is not None
                self.remove_item(item_id=amendment.item_id, origin=ItemOrigin.COUNCIL_AMENDMENT,
                                 decision_id=decision.id, amendment_number=number, reason=amendment.text,
                                 meta=amended)
        self._adopt(decision_id=decision.id, on=decision.meeting_date, meta=amended)

    @event("Adopted")
    def _adopt(self, decision_id: UUID, on: date, meta: Meta) -> None:
        self.status = StrategyStatus.ADOPTED
        self.adopted_on = on
        self.adopted_by = decision_id

    @property
    def adopted_within_a_year(self) -> bool | None:
        """PBL §10-1 deadline: recorded, not enforced."""
        if self.adopted_on is None:
            return None
        constituted = self.council_constituted_on
        try:
            deadline = constituted.replace(year=constituted.year + 1)
        except ValueError:
            deadline = constituted.replace(year=constituted.year + 1, day=28)
        return self.adopted_on <= deadline

    def state(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "version": self.version,
            "title": self.title,
            "election_period": self.election_period,
            "council_constituted_on": _iso(self.council_constituted_on),
            "recommendation_id": _str(self.recommendation_id),
            "process_id": _str(self.process_id),
            "status": self.status.value,
            "items": [
                {"item_id": str(item_id), **{k: (_str(v) if k.endswith("_id") else v) for k, v in item.items()}}
                for item_id, item in sorted(self.items.items(), key=lambda kv: str(kv[0]))
            ],
            "kommuneplan_assessment": {
                "samfunnsdel": self.samfunnsdel.value if self.samfunnsdel else None,
                "arealdel": self.arealdel.value if self.arealdel else None,
                "rationale": self.assessment_rationale,
            },
            "external_inputs": [
                {**i, "input_id": str(i["input_id"]), "received_on": _iso(i["received_on"])}
                for i in self.external_inputs
            ],
            "evidence": [{**e, "evidence_id": str(e["evidence_id"]), "dated": _iso(e["dated"])} for e in self.evidence],
            "published_on": _iso(self.published_on),
            "planned_meeting_on": _iso(self.planned_meeting_on),
            "adopted_on": _iso(self.adopted_on),
            "adopted_by_decision_id": _str(self.adopted_by),
            "adopted_within_a_year": self.adopted_within_a_year,
        }
