"""The bodies of co-creation's HTTP API: validated at the edge (pydantic), rules left to the domain.

The text fields are the contracts' bounded types (``planspor_shared.limits``): ``Title`` at most
500 characters, ``Text`` and ``Description`` 20,000, ``PersonName`` 300, ``Label`` 100, ``Ref``
an id of at most 200; lists have a maximum length; numbers and booleans are strict (``false``
is not a number, ``0`` not a boolean).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Self

from fastapi import Response
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, model_validator

from cocreation.domain import (
    Body,
    InputKind,
    ParticipantKind,
    PlanNeedKind,
    PrioritisationMethod,
    ProcessPhase,
    StrategyAction,
    WorkshopFormat,
)
from planspor_runtime.application import CommandResult
from planspor_runtime.bodies import (
    Description,
    EffectiveDate,
    Heading,
    Label,
    Name,
    NonBlank,
    PersonName,
    Ref,
    RequestBody,
    Text,
    Title,
)
from planspor_runtime.http import answer
from planspor_shared.limits import ITEMS_MAX

# --------------------------------------------------------------------------- requests


class StartProcess(RequestBody):
    title: Title
    purpose: Text
    election_period: Annotated[str, Field(pattern=r"^\d{4}-\d{4}$")]
    roles_and_limits: Text
    all_officials_invited: StrictBool
    follow_up_days: StrictInt = Field(default=14, ge=0, le=90)
    started_on: EffectiveDate | None = None
    """The day the process began, YYYY-MM-DD; left out, today (Europe/Oslo)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "title": "Planstrategi 2024-2027: samskaping",
                    "purpose": "Prioritise the planning work of the period",
                    "election_period": "2024-2027",
                    "roles_and_limits": "Officials prioritise; the administration advises",
                    "all_officials_invited": True,
                    "follow_up_days": 14,
                }
            ]
        },
    )


class EnrollParticipant(RequestBody):
    name: PersonName
    kind: ParticipantKind
    role: Annotated[Label, NonBlank]
    party: Label | None = None
    body: Body | None = None
    unit: Name | None = None
    substitute: StrictBool = False
    enrolled_on: EffectiveDate | None = None
    """The day the participant joined the process, YYYY-MM-DD; left out, today (Europe/Oslo)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "Kari Nordmann",
                    "kind": "elected_official",
                    "role": "member",
                    "party": "H",
                    "body": "municipal_council",
                    "substitute": False,
                }
            ]
        },
    )


class AdvancePhase(RequestBody):
    to: ProcessPhase
    on: EffectiveDate | None = None
    """The day the phase changed, YYYY-MM-DD; left out, today (Europe/Oslo)."""


class ScheduleWorkshop(RequestBody):
    title: Title
    on: date
    format: WorkshopFormat
    agenda: Annotated[list[Title], Field(min_length=1, max_length=50)]
    location: Name | None = None
    planned_on: EffectiveDate | None = None
    """The day the workshop was put on the calendar, YYYY-MM-DD; left out, today (Europe/Oslo)."""


class HoldWorkshop(RequestBody):
    held_on: EffectiveDate | None = None
    """The day it was held, YYYY-MM-DD; left out, today (Europe/Oslo)."""
    attendee_ids: Annotated[list[Ref], Field(min_length=1, max_length=1000)]


class RecordInput(RequestBody):
    author_id: Ref
    kind: InputKind
    text: Text
    plan_ids: Annotated[list[Ref], Field(max_length=100)] = []
    goal_ids: Annotated[list[Ref], Field(max_length=100)] = []
    recorded_on: EffectiveDate | None = None
    """The day it was raised, when entered afterwards; within the workshop's follow-up window, not in the future."""


class ProposePlanNeed(RequestBody):
    input_ids: Annotated[list[Ref], Field(min_length=1, max_length=500)]
    kind: PlanNeedKind
    title: Title
    rationale: Description = ""
    plan_id: Ref | None = None
    merge_into_plan_id: Ref | None = None
    plan_type: Label | None = None
    proposed_on: EffectiveDate | None = None
    """The day the need was put forward, YYYY-MM-DD; left out, today (Europe/Oslo)."""


class OpenPrioritisation(RequestBody):
    title: Heading = ""
    method: PrioritisationMethod
    candidate_ids: Annotated[list[Ref], Field(min_length=2, max_length=200)]
    eligible_ids: Annotated[list[Ref], Field(min_length=1, max_length=1000)] | None = None
    """Omit for every enrolled elected official."""
    quorum: StrictInt = Field(ge=1)
    dots_per_participant: StrictInt | None = Field(default=None, ge=1, le=100)
    opened_on: EffectiveDate | None = None
    """The day voting opened, YYYY-MM-DD; left out, today (Europe/Oslo)."""


class CastBallot(RequestBody):
    participant_id: Ref
    ranking: Annotated[list[Ref], Field(max_length=200)] = []
    approvals: Annotated[list[Ref], Field(max_length=200)] = []
    dots: Annotated[dict[Ref, Annotated[StrictInt, Field(ge=0, le=100)]], Field(max_length=ITEMS_MAX)] = {}
    cast_on: EffectiveDate | None = None
    """The day the ballot was cast, YYYY-MM-DD; left out, today (Europe/Oslo)."""

    @model_validator(mode="after")
    def _one_kind(self) -> Self:
        if sum(bool(x) for x in (self.ranking, self.approvals, self.dots)) != 1:
            raise ValueError("fill exactly one of ranking (borda), approvals (approval) or dots (dot)")
        return self


class ClosePrioritisation(RequestBody):
    made_on: EffectiveDate | None = None
    """The day the result was made, YYYY-MM-DD; left out, today (Europe/Oslo)."""


class RecommendationItem(RequestBody):
    need_id: Ref
    action: StrategyAction
    start_year: StrictInt = Field(ge=2000, le=2100)
    note: Description = ""


class IssueRecommendation(RequestBody):
    prioritisation_id: Ref
    summary: Description = ""
    council_constituted_on: date | None = None
    """When the council of the period was constituted; the plan registry needs it to draft the strategy."""
    issued_on: EffectiveDate | None = None
    """The day it was handed to the formal track, YYYY-MM-DD; left out, today (Europe/Oslo)."""
    items: Annotated[list[RecommendationItem], Field(min_length=1, max_length=200)]


# --------------------------------------------------------------------------- responses


class Created(BaseModel):
    """The ids a command created or changed and the aggregate's new version (also in the ``ETag``)."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [{"process_id": "3f1c...", "version": 1}]})
    version: int


def answered(result: CommandResult, response: Response) -> dict[str, Any]:
    """The command's answer (the ids it made or changed, and ``version``), with ``ETag`` the version it recorded."""
    answer(result, response)
    return {**result.extra, "version": result.version}


class ProcessView(BaseModel):
    model_config = ConfigDict(extra="allow")
    process_id: str
    title: str
    election_period: str
    phase: ProcessPhase
    version: int


class ProcessPage(BaseModel):
    """A page of processes (``planspor_runtime.paging``): ``next`` is the cursor of the next page, null on the last."""

    items: list[ProcessView]
    next: str | None
