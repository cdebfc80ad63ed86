"""HTTP <-> the co-creation application. Validation at the edge (pydantic), rules in
the domain; errors become 4xx with ``{"error": rule, "paragraph", "message"}``.

Commands need the facilitator role and record the caller as the actor; reads are
open to facilitator, analyst and auditor. Every POST takes an ``Idempotency-Key``;
commands on an existing aggregate take ``If-Match: <version>``.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import uuid4

from fastapi import APIRouter, Depends, FastAPI, Header, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, model_validator

from planspor_runtime.access import Access, Principal, Role
from planspor_runtime.docs import serve_docs_locally
from cocreation.application import ApplicationError, CocreationApplication, ConcurrencyConflict, NotFound
from cocreation.domain import (
    Body,
    DomainError,
    InputKind,
    Meta,
    Method,
    ParticipantKind,
    Phase,
    PlanNeedKind,
    RecommendedAction,
    WorkshopFormat,
)

READ_ROLES = (Role.FACILITATOR, Role.ANALYST, Role.AUDITOR)

IdemKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200,
                                       description="Retrying a POST with the same key returns the first result")]
IfMatch = Annotated[str | None, Header(alias="If-Match",
                                       description="The aggregate version you read; a stale one gives 409")]

Name = Annotated[str, Field(min_length=1, max_length=200, pattern=r"\S")]
Short = Annotated[str, Field(min_length=1, max_length=500, pattern=r"\S")]
Text = Annotated[str, Field(min_length=1, max_length=20_000, pattern=r"\S")]
Ref = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^\S+$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --------------------------------------------------------------------------- request bodies


class StartProcess(Strict):
    title: Short
    purpose: Text
    election_period: Annotated[str, Field(pattern=r"^\d{4}-\d{4}$")]
    roles_and_limits: Text
    all_officials_invited: bool
    follow_up_days: int = Field(default=14, ge=0, le=90)

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "title": "Planstrategi 2024-2027: samskaping", "purpose": "Prioritise the planning work of the period",
        "election_period": "2024-2027", "roles_and_limits": "Officials prioritise; the administration advises",
        "all_officials_invited": True, "follow_up_days": 14}]})


class EnrollParticipant(Strict):
    name: Name
    kind: ParticipantKind
    role: Short
    party: Annotated[str, Field(max_length=100)] | None = None
    body: Body | None = None
    unit: Annotated[str, Field(max_length=200)] | None = None
    substitute: bool = False

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "name": "Kari Nordmann", "kind": "elected_official", "role": "member", "party": "H",
        "body": "municipal_council", "substitute": False}]})


class AdvancePhase(Strict):
    to: Phase


class ScheduleWorkshop(Strict):
    title: Short
    on: date
    format: WorkshopFormat
    agenda: Annotated[list[Short], Field(min_length=1, max_length=50)]
    location: Annotated[str, Field(max_length=200)] | None = None


class HoldWorkshop(Strict):
    held_on: date
    attendee_ids: Annotated[list[Ref], Field(min_length=1, max_length=1000)]


class RecordInput(Strict):
    author_id: Ref
    kind: InputKind
    text: Text
    plan_ids: Annotated[list[Ref], Field(max_length=100)] = []
    goal_ids: Annotated[list[Ref], Field(max_length=100)] = []
    recorded_on: date | None = None
    """The day it was raised, when entered afterwards; within the workshop's follow-up window, not in the future."""


class ProposePlanNeed(Strict):
    input_ids: Annotated[list[Ref], Field(min_length=1, max_length=500)]
    kind: PlanNeedKind
    title: Short
    rationale: Annotated[str, Field(max_length=20_000)] = ""
    plan_id: Ref | None = None
    merge_into_plan_id: Ref | None = None
    plan_type: Annotated[str, Field(max_length=100)] | None = None


class OpenPrioritisation(Strict):
    title: Annotated[str, Field(max_length=500)] = ""
    method: Method
    candidate_ids: Annotated[list[Ref], Field(min_length=2, max_length=200)]
    eligible_ids: Annotated[list[Ref], Field(min_length=1, max_length=1000)] | None = None
    """Omit for every enrolled elected official."""
    quorum: int = Field(ge=1)
    dots_per_participant: int | None = Field(default=None, ge=1, le=100)


class CastBallot(Strict):
    participant_id: Ref
    ranking: Annotated[list[Ref], Field(max_length=200)] = []
    approvals: Annotated[list[Ref], Field(max_length=200)] = []
    dots: dict[Ref, Annotated[int, Field(ge=0, le=100)]] = {}

    @model_validator(mode="after")
    def _one_kind(self) -> "CastBallot":
        if sum(bool(x) for x in (self.ranking, self.approvals, self.dots)) != 1:
            raise ValueError("fill exactly one of ranking (borda), approvals (approval) or dots (dot)")
        return self


class RecommendationItem(Strict):
    need_id: Ref
    action: RecommendedAction
    start_year: int = Field(ge=2000, le=2100)
    note: Annotated[str, Field(max_length=2000)] = ""


class IssueRecommendation(Strict):
    prioritisation_id: Ref
    summary: Annotated[str, Field(max_length=20_000)] = ""
    council_constituted_on: date | None = None
    """When the council of the period was constituted; the plan registry needs it to draft the strategy."""
    items: Annotated[list[RecommendationItem], Field(min_length=1, max_length=200)]


# --------------------------------------------------------------------------- responses


class Created(BaseModel):
    """The ids a command created or changed and the aggregate's new version."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [
        {"process_id": "3f1c...", "version": 1}]})
    version: int


class ErrorBody(BaseModel):
    error: str
    paragraph: str | None = None
    message: str


class ProcessView(BaseModel):
    model_config = ConfigDict(extra="allow")
    process_id: str
    title: str
    election_period: str
    phase: Phase
    version: int


ERRORS = {
    401: {"model": ErrorBody, "description": "missing or unknown bearer token"},
    403: {"model": ErrorBody, "description": "the token's role may not do this"},
    404: {"model": ErrorBody, "description": "unknown id"},
    409: {"model": ErrorBody, "description": "the state forbids it now, or a concurrent change"},
    422: {"model": ErrorBody, "description": "invalid input, naming the field or rule"},
}


# --------------------------------------------------------------------------- wiring


def _expected_version(if_match: str | None) -> int | None:
    if if_match is None:
        return None
    raw = if_match.strip().removeprefix("W/").strip('"')
    if not raw.isdigit():
        raise _BadHeader("If-Match must be the aggregate version you read, e.g. If-Match: 3")
    return int(raw)


class _BadHeader(Exception):
    pass


def create_api(application: CocreationApplication, access: Access, lifespan: Any = None) -> FastAPI:
    api = FastAPI(
        title="planspor co-creation",
        version="1",
        summary="Co-creation (samskaping): processes, workshops, inputs, plan needs, prioritisations, recommendation",
        lifespan=lifespan,
    )
    serve_docs_locally(api)
    router = APIRouter(prefix="/api/v1", responses=ERRORS)
    command = Depends(access.require(Role.FACILITATOR))
    read = Depends(access.require(*READ_ROLES))

    def meta(principal: Principal, request: Request) -> Meta:
        return Meta(actor=principal.as_actor(), correlation_id=request.headers.get("x-correlation-id") or str(uuid4()),
                    causation_id=request.headers.get("x-causation-id"))

    @router.post("/processes", status_code=201, response_model=Created, tags=["processes"],
                 summary="Start a co-creation process (its prerequisites are checked)")
    def start_process(body: StartProcess, request: Request, key: IdemKey = None, principal: Principal = command):
        return application.start_process(**body.model_dump(), meta=meta(principal, request), idempotency_key=key)

    @router.get("/processes", response_model=list[ProcessView], tags=["processes"], summary="List processes")
    def list_processes(principal: Principal = read):
        return application.list_processes()

    @router.get("/processes/{process_id}", response_model=ProcessView, tags=["processes"],
                summary="A process: phase, participants and the ids of what it holds")
    def get_process(process_id: str, principal: Principal = read):
        return application.get_process(process_id)

    @router.post("/processes/{process_id}/participants", status_code=201, response_model=Created,
                 tags=["processes"], summary="Enroll an elected official or a member of the administration")
    def enroll(process_id: str, body: EnrollParticipant, request: Request, key: IdemKey = None,
               if_match: IfMatch = None, principal: Principal = command):
        return application.enroll_participant(process_id, **body.model_dump(), meta=meta(principal, request),
                                              expected_version=_expected_version(if_match), idempotency_key=key)

    @router.post("/processes/{process_id}/phase", response_model=Created, tags=["processes"],
                 summary="Advance to the next phase (hand-over happens by issuing the recommendation)")
    def advance(process_id: str, body: AdvancePhase, request: Request, key: IdemKey = None,
                if_match: IfMatch = None, principal: Principal = command):
        return application.advance_phase(process_id, to=body.to, meta=meta(principal, request),
                                         expected_version=_expected_version(if_match), idempotency_key=key)

    @router.get("/processes/{process_id}/participation", tags=["reports"],
                summary="Participation report: who took part, by party and body; time from first input")
    def participation(process_id: str, principal: Principal = read) -> dict[str, Any]:
        return application.participation_report(process_id)

    @router.post("/processes/{process_id}/workshops", status_code=201, response_model=Created, tags=["workshops"],
                 summary="Schedule a workshop")
    def schedule(process_id: str, body: ScheduleWorkshop, request: Request, key: IdemKey = None,
                 principal: Principal = command):
        return application.schedule_workshop(process_id, **body.model_dump(), meta=meta(principal, request),
                                             idempotency_key=key)

    @router.get("/processes/{process_id}/workshops", tags=["workshops"], summary="The workshops of a process")
    def list_workshops(process_id: str, principal: Principal = read) -> list[dict[str, Any]]:
        return application.list_of(process_id, "workshops")

    @router.get("/workshops/{workshop_id}", tags=["workshops"], summary="A workshop")
    def get_workshop(workshop_id: str, principal: Principal = read) -> dict[str, Any]:
        return application.get_workshop(workshop_id)

    @router.post("/workshops/{workshop_id}/held", response_model=Created, tags=["workshops"],
                 summary="Record that a workshop was held and who attended (enrolled participants only)")
    def hold(workshop_id: str, body: HoldWorkshop, request: Request, key: IdemKey = None, if_match: IfMatch = None,
             principal: Principal = command):
        return application.hold_workshop(workshop_id, **body.model_dump(), meta=meta(principal, request),
                                         expected_version=_expected_version(if_match), idempotency_key=key)

    @router.post("/workshops/{workshop_id}/inputs", status_code=201, response_model=Created, tags=["inputs"],
                 summary="Record an input raised at a held workshop (within the follow-up window)")
    def record_input(workshop_id: str, body: RecordInput, request: Request, key: IdemKey = None,
                     principal: Principal = command):
        return application.record_input(workshop_id, **body.model_dump(), meta=meta(principal, request),
                                        idempotency_key=key)

    @router.get("/processes/{process_id}/inputs", tags=["inputs"], summary="The inputs of a process")
    def list_inputs(process_id: str, principal: Principal = read) -> list[dict[str, Any]]:
        return application.list_of(process_id, "inputs")

    @router.get("/inputs/{input_id}", tags=["inputs"], summary="An input")
    def get_input(input_id: str, principal: Principal = read) -> dict[str, Any]:
        return application.get_input(input_id)

    @router.post("/processes/{process_id}/plan-needs", status_code=201, response_model=Created,
                 tags=["plan needs"], summary="Propose a plan need derived from inputs")
    def propose(process_id: str, body: ProposePlanNeed, request: Request, key: IdemKey = None,
                principal: Principal = command):
        return application.propose_plan_need(process_id, **body.model_dump(), meta=meta(principal, request),
                                             idempotency_key=key)

    @router.get("/processes/{process_id}/plan-needs", tags=["plan needs"], summary="The plan needs of a process")
    def list_needs(process_id: str, principal: Principal = read) -> list[dict[str, Any]]:
        return application.list_of(process_id, "plan_needs")

    @router.get("/plan-needs/{plan_need_id}", tags=["plan needs"], summary="A plan need")
    def get_need(plan_need_id: str, principal: Principal = read) -> dict[str, Any]:
        return application.get_plan_need(plan_need_id)

    @router.post("/processes/{process_id}/prioritisations", status_code=201, response_model=Created,
                 tags=["prioritisations"], summary="Open a prioritisation (Borda, approval or dot voting)")
    def open_vote(process_id: str, body: OpenPrioritisation, request: Request, key: IdemKey = None,
                  principal: Principal = command):
        return application.open_prioritisation(process_id, **body.model_dump(), meta=meta(principal, request),
                                               idempotency_key=key)

    @router.get("/processes/{process_id}/prioritisations", tags=["prioritisations"],
                summary="The prioritisations of a process")
    def list_votes(process_id: str, principal: Principal = read) -> list[dict[str, Any]]:
        return application.list_of(process_id, "prioritisations")

    @router.get("/prioritisations/{prioritisation_id}", tags=["prioritisations"],
                summary="A prioritisation: ballots, status, result and the tie-break rule")
    def get_vote(prioritisation_id: str, principal: Principal = read) -> dict[str, Any]:
        return application.get_prioritisation(prioritisation_id)

    @router.post("/prioritisations/{prioritisation_id}/ballots", status_code=201, response_model=Created,
                 tags=["prioritisations"], summary="Cast or replace a participant's ballot")
    def cast(prioritisation_id: str, body: CastBallot, request: Request, key: IdemKey = None,
             if_match: IfMatch = None, principal: Principal = command):
        return application.cast_ballot(prioritisation_id, **body.model_dump(), meta=meta(principal, request),
                                       expected_version=_expected_version(if_match), idempotency_key=key)

    @router.post("/prioritisations/{prioritisation_id}/close", response_model=Created, tags=["prioritisations"],
                 summary="Close: check the quorum and make the result")
    def close(prioritisation_id: str, request: Request, key: IdemKey = None, if_match: IfMatch = None,
              principal: Principal = command):
        return application.close_prioritisation(prioritisation_id, meta=meta(principal, request),
                                                expected_version=_expected_version(if_match), idempotency_key=key)

    @router.post("/processes/{process_id}/recommendation", status_code=201, response_model=Created,
                 tags=["recommendation"], summary="Issue the recommendation once; this hands the process over")
    def issue(process_id: str, body: IssueRecommendation, request: Request, key: IdemKey = None,
              if_match: IfMatch = None, principal: Principal = command):
        return application.issue_recommendation(
            process_id, prioritisation_id=body.prioritisation_id, summary=body.summary,
            council_constituted_on=body.council_constituted_on,
            items=[i.model_dump() for i in body.items], meta=meta(principal, request),
            expected_version=_expected_version(if_match), idempotency_key=key)

    @router.get("/recommendations/{recommendation_id}", tags=["recommendation"], summary="A recommendation")
    def get_recommendation(recommendation_id: str, principal: Principal = read) -> dict[str, Any]:
        return application.get_recommendation(recommendation_id)

    @router.get("/history/{aggregate_id}", tags=["history"],
                summary="The stored events of any aggregate, oldest first")
    def history(aggregate_id: str, principal: Principal = read) -> list[dict[str, Any]]:
        return application.history(aggregate_id)

    @router.get("/plans", tags=["plan catalogue"], summary="The local plan catalogue (from plan-registry events)")
    def list_plans(principal: Principal = read) -> list[dict[str, Any]]:
        return application.list_plans()

    @router.get("/plans/{plan_id}", tags=["plan catalogue"], summary="A plan as co-creation knows it")
    def get_plan(plan_id: str, principal: Principal = read) -> dict[str, Any]:
        return application.get_plan(plan_id)

    api.include_router(router)

    @api.get("/health", tags=["operations"], summary="Health of the service and its store")
    def health(principal: Principal = Depends(access.require(Role.OPERATOR))) -> dict[str, Any]:
        application.notification_log.select(1, 1)
        return {"status": "ok", "service": "cocreation",
                "store": type(application.recorder).__module__}

    @api.get("/healthz", tags=["operations"], summary="Liveness (no auth)")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    install_error_handlers(api)
    return api


def install_error_handlers(api: FastAPI) -> None:
    @api.exception_handler(DomainError)
    async def domain_error(request: Request, error: DomainError):
        code = status.HTTP_409_CONFLICT if error.conflict else status.HTTP_422_UNPROCESSABLE_CONTENT
        return JSONResponse(error.as_dict(), status_code=code)

    @api.exception_handler(NotFound)
    async def not_found(request: Request, error: NotFound):
        return JSONResponse(error.as_dict(), status_code=404)

    @api.exception_handler(ConcurrencyConflict)
    async def conflict(request: Request, error: ConcurrencyConflict):
        return JSONResponse(error.as_dict(), status_code=409)

    @api.exception_handler(ApplicationError)
    async def application_error(request: Request, error: ApplicationError):
        return JSONResponse(error.as_dict(), status_code=422)

    @api.exception_handler(_BadHeader)
    async def bad_header(request: Request, error: _BadHeader):
        return JSONResponse({"error": "header.if_match", "paragraph": None, "message": str(error)}, status_code=422)

    @api.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError):
        problems = [
            {"field": ".".join(str(p) for p in (e["loc"][1:] if e["loc"][:1] == ("body",) else e["loc"]))
             or "(body)", "message": e["msg"]}
            for e in error.errors()
        ]
        message = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
        return JSONResponse({"error": "validation", "paragraph": None, "message": message, "fields": problems},
                            status_code=422)
