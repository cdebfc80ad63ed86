"""Co-creation (samskaping) between elected officials and the administration.

The seed's method is "first co-creation, then the traditional decision model":
a Process gathers participants, holds workshops (verksted), records inputs
(innspill), derives plan needs (planbehov), prioritises them by a vote and
hands a Recommendation to the formal track. Each rule is a ``check_*`` that
raises a named ``DomainError``; nothing here does I/O.

One module per aggregate (``process``, ``workshop``, ``input``, ``plan_need``,
``prioritisation``, ``recommendation``), the refusals (``errors``), the words
(``vocabulary``, from the contracts), the phases (``phases``) and the counting
methods (``counting``). References between aggregates are kept as ``str`` ids
inside events so that ballots and lists survive JSON transcoding unchanged;
aggregate ids are UUIDs. Stored topics name this package (``cocreation.domain:Process.Started``,
``ids.STORED_TOPIC_MODULE``) whichever module defines the aggregate; events stored
before the domain became a package resolve through the names below.
"""

from cocreation.domain.checks import UnknownPlans
from cocreation.domain.counting import TIE_BREAK, Ballot, Ranked, check_ballot, count
from cocreation.domain.errors import (
    AlreadyEnrolled,
    DomainError,
    InputWindowClosed,
    InvalidBallot,
    InvalidElectionPeriod,
    InvalidInput,
    InvalidParticipant,
    InvalidPlanNeed,
    InvalidPrioritisation,
    InvalidRecommendation,
    InvalidValue,
    InvalidWorkshop,
    NotEligible,
    NotEnrolled,
    NotFound,
    NotInProcess,
    PhaseNotReady,
    PrerequisiteMissing,
    PrioritisationClosed,
    PrioritisationNotMade,
    ProcessHandedOver,
    QuorumNotMet,
    RecommendationAlreadyIssued,
    UnknownPlan,
    WorkshopAlreadyHeld,
    WorkshopNotHeld,
    WrongPhase,
)
from cocreation.domain.ids import NAMESPACE, STORED_TOPIC_MODULE, ballot_id_for, recommendation_id_for
from cocreation.domain.input import Input
from cocreation.domain.phases import ALLOWED_IN, PHASE_ORDER, Activity, next_phase
from cocreation.domain.plan_need import PlanNeed
from cocreation.domain.prioritisation import Prioritisation
from cocreation.domain.process import Participant, Process
from cocreation.domain.recommendation import Recommendation, RecommendedNeed
from cocreation.domain.vocabulary import (
    ACTIONS_FOR_NEED,
    Body,
    InputKind,
    ParticipantKind,
    PlanNeedKind,
    PlanType,
    PrioritisationMethod,
    ProcessPhase,
    StrategyAction,
    WorkshopFormat,
)
from cocreation.domain.workshop import Workshop

AGGREGATES = (Process, Workshop, Input, PlanNeed, Prioritisation, Recommendation)
"""Every aggregate of the domain (their events are what ``contracts`` maps)."""

__all__ = [
    "ACTIONS_FOR_NEED",
    "AGGREGATES",
    "ALLOWED_IN",
    "NAMESPACE",
    "PHASE_ORDER",
    "STORED_TOPIC_MODULE",
    "TIE_BREAK",
    "Activity",
    "AlreadyEnrolled",
    "Ballot",
    "Body",
    "DomainError",
    "Input",
    "InputKind",
    "InputWindowClosed",
    "InvalidBallot",
    "InvalidElectionPeriod",
    "InvalidInput",
    "InvalidParticipant",
    "InvalidPlanNeed",
    "InvalidPrioritisation",
    "InvalidRecommendation",
    "InvalidValue",
    "InvalidWorkshop",
    "NotEligible",
    "NotEnrolled",
    "NotFound",
    "NotInProcess",
    "Participant",
    "ParticipantKind",
    "PhaseNotReady",
    "PlanNeed",
    "PlanNeedKind",
    "PlanType",
    "PrerequisiteMissing",
    "Prioritisation",
    "PrioritisationClosed",
    "PrioritisationMethod",
    "PrioritisationNotMade",
    "Process",
    "ProcessHandedOver",
    "ProcessPhase",
    "QuorumNotMet",
    "Ranked",
    "Recommendation",
    "RecommendationAlreadyIssued",
    "RecommendedNeed",
    "StrategyAction",
    "UnknownPlan",
    "UnknownPlans",
    "Workshop",
    "WorkshopAlreadyHeld",
    "WorkshopFormat",
    "WorkshopNotHeld",
    "WrongPhase",
    "ballot_id_for",
    "check_ballot",
    "count",
    "next_phase",
    "recommendation_id_for",
]
