"""The closed vocabularies of the plan registry's events (goal levels, plan statuses, decision outcomes, ...) and
the value types their payloads share (SDG targets, periods, votes, amendments); the events themselves are in
``planspor_shared.events.plan_registry``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field

from planspor_shared.events.base import Name, Text, ValueObject


class GoalLevel(StrEnum):
    """Main goal (hovedmål) or sub-goal (delmål) of kommuneplanens samfunnsdel."""

    MAIN_GOAL = "main_goal"
    SUB_GOAL = "sub_goal"


class IndicatorSource(StrEnum):
    """Where a measurement comes from: KOSTRA, Statistics Norway (SSB), or the municipality itself."""

    KOSTRA = "KOSTRA"
    SSB = "SSB"
    LOCAL = "local"


class PlanStatus(StrEnum):
    """Lifecycle of a plan (domain.md, "Lifecycle of a statutory plan"); lighter plans skip the statutory steps."""

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
    UNDER_REVISION = "under_revision"  # under revisjon
    REPLACED = "replaced"  # erstattet
    REPEALED = "repealed"  # opphevet
    MERGED = "merged"  # slått sammen med en annen plan


ENDED_PLAN_STATUSES: frozenset[PlanStatus] = frozenset({PlanStatus.REPLACED, PlanStatus.REPEALED, PlanStatus.MERGED})


class KommuneplanAssessment(StrEnum):
    """The strategy's decision on a part of the kommuneplan (PBL §10-1): revise it or continue it unchanged."""

    REVISE = "revise"
    CONTINUE = "continue"


class ItemOrigin(StrEnum):
    """Where a strategy item came from: a co-creation plan need, the administration, or a council amendment."""

    PLAN_NEED = "plan_need"
    ADMINISTRATION = "administration"
    COUNCIL_AMENDMENT = "council_amendment"


class DecisionOutcome(StrEnum):
    ADOPTED = "adopted"  # vedtatt som innstilt
    ADOPTED_WITH_AMENDMENTS = "adopted_with_amendments"  # vedtatt med endringer
    REJECTED = "rejected"  # forkastet
    POSTPONED = "postponed"  # utsatt
    SENT_BACK = "sent_back"  # sendt tilbake / returnert
    NOTED = "noted"  # tatt til orientering


class PartyKind(StrEnum):
    """Who sent an external input (PBL §10-1: state, regional bodies and neighbouring municipalities are asked)."""

    STATE = "state"  # statlige organer, e.g. Statsforvalteren
    REGIONAL = "regional"  # fylkeskommunen
    NEIGHBOUR_MUNICIPALITY = "neighbour_municipality"  # nabokommuner
    OTHER = "other"  # organisations, the public


class EvidenceKind(StrEnum):
    """A document of the knowledge base (kunnskapsgrunnlag) a strategy builds on."""

    KNOWLEDGE_BASE = "knowledge_base"  # kunnskapsgrunnlag
    PUBLIC_HEALTH_OVERVIEW = "public_health_overview"  # folkehelseoversikt (folkehelseloven §5, §6)
    TRENDS_AND_CHALLENGES = "trends_and_challenges"  # utviklingstrekk og utfordringsbilde
    OTHER = "other"


# --- value types of the payloads -------------------------------------------------------------


SdgTarget = Annotated[str, Field(pattern=r"^(1[0-7]|[1-9])\.([1-9][0-9]?|[a-z])$", examples=["3.4", "11.a"])]
"""A UN Sustainable Development Goal target, e.g. ``3.4`` or ``11.a``."""

Period = Annotated[
    str,
    Field(pattern=r"^\d{4}(-(0[1-9]|1[0-2])|-Q[1-4]|-H[12]|-T[1-3])?$", examples=["2023", "2023-Q4", "2023-05"]),
]
"""A measurement period: a year, a month, a quarter, a half-year or a school term (tertial)."""


def _unique_sdg(values: tuple[str, ...]) -> tuple[str, ...]:
    if len(set(values)) != len(values):
        raise ValueError("an SDG target appears more than once")
    return values


class Votes(ValueObject):
    """How a body voted (Popolo vote event counts)."""

    in_favour: int = Field(ge=0)
    against: int = Field(ge=0)
    blank: int = Field(default=0, ge=0)


class Amendment(ValueObject):
    """A proposal to change the motion (endringsforslag); adopted ones that change the strategy become their own events."""

    number: int = Field(ge=1)
    text: Text
    proposed_by: Name | None = Field(default=None, examples=["H, V"])
    """The party or parties (or representative) behind it."""
    adopted: bool
    votes: Votes | None = None


def _unique_numbers(amendments: tuple[Amendment, ...]) -> tuple[Amendment, ...]:
    numbers = [amendment.number for amendment in amendments]
    if len(set(numbers)) != len(numbers):
        raise ValueError("amendment numbers must be unique within a decision")
    return amendments
