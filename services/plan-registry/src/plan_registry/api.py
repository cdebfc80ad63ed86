"""HTTP API of the plan register: resources under /api/v1, errors as the house rules say.

- pydantic validation -> 422 ``{"error": "request.invalid", "message": "<field>: <problem>; ..."}``
- a broken rule -> 409 (state) or 422 (value) ``{"error": <rule>, "paragraph": ..., "message": ...}``
- unknown id -> 404; a stale ``If-Match`` or a concurrent change -> 409
- every POST takes an ``Idempotency-Key``: a retry returns the first result
- commands record the caller (``principal.as_actor()``) as the events' actor
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal, Union
from uuid import UUID, uuid4

from fastapi import APIRouter, Depends, FastAPI, Header, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from planspor_runtime.access import Access, Principal, Role
from planspor_runtime.docs import serve_docs_locally

from plan_registry.application import ConcurrencyConflict, PlanRegistry
from plan_registry.domain import (
    Amendment,
    AmendmentChange,
    Assessment,
    Body,
    DomainError,
    EvidenceKind,
    IndicatorSource,
    InputSource,
    ItemAction,
    ItemOrigin,
    Meta,
    Outcome,
    PlanType,
)

READERS = (Role.PLANNER, Role.ANALYST, Role.AUDITOR)
WRITERS = (Role.PLANNER,)

IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", max_length=200,
           description="A retry with the same key returns the first result instead of acting twice."),
]
IfMatch = Annotated[
    str | None,
    Header(alias="If-Match", description='The version you last read (the ETag, e.g. "3"); a stale one gets 409.'),
]
CorrelationId = Annotated[str | None, Header(alias="X-Correlation-Id", max_length=200)]

Text = Annotated[str, Field(min_length=1, max_length=500, pattern=r"\S")]
LongText = Annotated[str, Field(min_length=1, max_length=20_000, pattern=r"\S")]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ------------------------------------------------------------------ responses


class CommandResult(BaseModel):
    """The id the command created or changed, and the aggregate's version after it (its ETag)."""

    id: UUID
    version: int = Field(examples=[3])

    model_config = ConfigDict(json_schema_extra={"examples": [{"id": "0d9d6c6e-4c55-4f0e-9a43-3e3bd0d6a1b2",
                                                                 "version": 1}]})


class ErrorBody(BaseModel):
    error: str = Field(examples=["strategy.published_30_days_before_meeting"])
    paragraph: str | None = Field(default=None, examples=["PBL §10-1"])
    message: str = Field(examples=["PBL §10-1: published 2024-09-20, meeting 2024-10-01, 30 days required"])


class HistoryEvent(BaseModel):
    type: str = Field(examples=["Plan.StatusChanged"])
    version: int
    timestamp: str
    actor: dict[str, str] | None
    correlation_id: str | None
    causation_id: str | None
    data: dict[str, Any]


ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Missing or unknown bearer token"},
    403: {"description": "The token's role may not do this"},
    404: {"model": ErrorBody, "description": "Unknown id"},
    409: {"model": ErrorBody, "description": "A rule forbids it in this state, or someone changed it first"},
    422: {"model": ErrorBody, "description": "A field or value is invalid (the message names it)"},
}

# ------------------------------------------------------------------ requests


class GoalIn(Model):
    title: Text = Field(examples=["Gode liv i Bærum"])
    description: str = ""
    parent_goal_id: UUID | None = Field(default=None, description="Makes it a sub-goal (delmål).")
    samfunnsdel_plan_id: UUID | None = None
    sdg_targets: list[str] = Field(default_factory=list, max_length=169, examples=[["3.4", "11.a"]])


class IndicatorIn(Model):
    goal_id: UUID
    name: Text = Field(examples=["Andel fysisk aktive"])
    unit: Text = Field(examples=["%"])
    source: IndicatorSource = Field(examples=["KOSTRA"])
    source_reference: str = ""
    description: str = ""
    baseline_value: Decimal | None = Field(default=None, allow_inf_nan=False)
    baseline_period: str | None = Field(default=None, examples=["2020"])
    target_value: Decimal | None = Field(default=None, allow_inf_nan=False)
    target_year: int | None = Field(default=None, ge=1900, le=2200)


class MeasurementIn(Model):
    period: str = Field(examples=["2023", "2024-Q1"])
    value: Decimal = Field(allow_inf_nan=False, examples=["62.5"])
    measured_on: date | None = None


class CorrectionIn(Model):
    value: Decimal = Field(allow_inf_nan=False)
    reason: Text = Field(examples=["KOSTRA revised the figure"])


class PlanIn(Model):
    name: Text = Field(examples=["Temaplan for idrett og fysisk aktivitet"])
    plan_type: PlanType
    legal_basis: str = Field(default="", examples=["PBL §11-1"])
    owning_unit: Text = Field(examples=["Kultur og fritid"])
    description: str = ""
    parent_plan_id: UUID | None = None
    initiated_through_strategy: bool = Field(description="Recorded as said, never guessed; true names strategy_id.")
    strategy_id: UUID | None = None
    strategy_item_id: UUID | None = None


class StepIn(Model):
    """A dated step of the lifecycle (notice of start, planprogram adopted, consultation opened/closed, ...)."""

    action: Literal["step"]
    to: Literal["notice_of_start", "planprogram_adopted", "in_preparation", "first_treatment",
                "consultation_open", "consultation_closed", "announced", "in_force", "under_revision"]
    on: date
    decision_id: UUID | None = None


class AdoptPlanIn(Model):
    action: Literal["adopt"]
    decision_id: UUID


class RepealPlanIn(Model):
    action: Literal["repeal"]
    decision_id: UUID


class ReplacePlanIn(Model):
    action: Literal["replace"]
    decision_id: UUID
    successor_id: UUID


class MergePlanIn(Model):
    action: Literal["merge"]
    decision_id: UUID
    target_id: UUID


StatusChangeIn = Annotated[
    Union[StepIn, AdoptPlanIn, RepealPlanIn, ReplacePlanIn, MergePlanIn], Field(discriminator="action")
]


class AnchorIn(Model):
    goal_id: UUID


class ParentIn(Model):
    parent_plan_id: UUID | None


class RevisionIn(Model):
    due: date
    reason: str = ""


class AmendmentIn(Model):
    text: LongText
    adopted: bool = True
    proposed_by: str | None = Field(default=None, examples=["H, V"])
    change: AmendmentChange | None = Field(default=None, description="Set when it changes a strategy item.")
    item_id: UUID | None = None
    plan_id: UUID | None = None
    plan_name: str | None = None
    action: ItemAction | None = None
    timing: str | None = None
    rationale: str | None = None
    merge_into_plan_id: UUID | None = None


class DecisionIn(Model):
    body: Body = Field(examples=["municipal_council"])
    body_name: str | None = Field(default=None, examples=["Bærum kommunestyre"])
    case_number: Text = Field(examples=["20/12345"])
    meeting_date: date
    subject: Text = Field(examples=["Kommunal planstrategi 2024-2027"])
    outcome: Outcome
    text: str = ""
    votes_for: int | None = Field(default=None, ge=0)
    votes_against: int | None = Field(default=None, ge=0)
    votes_blank: int | None = Field(default=None, ge=0)
    unanimous: bool = False
    amendments: list[AmendmentIn] = Field(default_factory=list, max_length=500)
    strategy_id: UUID | None = None
    plan_ids: list[UUID] = Field(default_factory=list, max_length=1000)


class StrategyIn(Model):
    election_period: str = Field(pattern=r"^\d{4}-\d{4}$", examples=["2024-2027"])
    council_constituted_on: date = Field(examples=["2023-10-19"])
    title: str = ""


class ItemIn(Model):
    action: ItemAction
    timing: Text = Field(examples=["2025"])
    rationale: LongText
    origin: Literal["administration", "plan_need"] = "administration"
    plan_id: UUID | None = None
    plan_name: str | None = None
    plan_type: PlanType | None = None
    plan_need_id: UUID | None = None
    merge_into_plan_id: UUID | None = None


class NewItemIn(ItemIn):
    item_id: UUID | None = Field(default=None, description="Chosen by the client, or made by the server.")


class AssessmentIn(Model):
    samfunnsdel: Assessment
    arealdel: Assessment
    rationale: str = ""


class ExternalInputIn(Model):
    input_id: UUID | None = None
    source: InputSource
    sender: Text = Field(examples=["Statsforvalteren i Oslo og Viken"])
    received_on: date
    summary: LongText
    document_reference: str | None = None


class EvidenceIn(Model):
    evidence_id: UUID | None = None
    kind: EvidenceKind
    title: Text = Field(examples=["Folkehelseoversikt 2023"])
    dated: date
    url: str | None = None


class PublicationIn(Model):
    on: date
    planned_meeting_on: date | None = None


class AdoptionIn(Model):
    decision_id: UUID


# ------------------------------------------------------------------ the app


def _expected_version(if_match: str | None) -> int | None:
    if if_match is None or if_match.strip() == "*":
        return None
    raw = if_match.strip().removeprefix("W/").strip('"')
    if not raw.isdigit():
        raise DomainError("request.if_match", f"If-Match must be a version such as \"3\", not {if_match!r}")
    return int(raw)


def _described(error: RequestValidationError) -> str:
    parts = []
    for problem in error.errors():
        location = ".".join(str(p) for p in problem["loc"] if p not in ("body",)) or "body"
        parts.append(f"{location}: {problem['msg']}")
    return "; ".join(parts)


def create_api(application: PlanRegistry, access: Access, lifespan: Any = None) -> FastAPI:
    api = FastAPI(
        title="planspor plan-registry",
        version="1",
        description="Plans, goals, indicators, plan strategies (planstrategi) and decisions (vedtak) of a "
        "municipality, with the rules of the Planning and Building Act. Every change is an event.",
        lifespan=lifespan,
    )
    serve_docs_locally(api)
    app = application

    @api.exception_handler(DomainError)
    async def _domain_error(_: Request, error: DomainError) -> JSONResponse:
        status = {"invalid": 422, "not_found": 404}.get(error.kind, 409)
        if error.rule == "request.if_match":
            status = 422
        return JSONResponse(error.as_dict(), status_code=status)

    @api.exception_handler(ConcurrencyConflict)
    async def _conflict(_: Request, error: ConcurrencyConflict) -> JSONResponse:
        return JSONResponse({"error": "concurrency.conflict", "paragraph": None, "message": error.message},
                            status_code=409)

    @api.exception_handler(RequestValidationError)
    async def _invalid(_: Request, error: RequestValidationError) -> JSONResponse:
        return JSONResponse(
            {"error": "request.invalid", "paragraph": None, "message": _described(error),
             "detail": [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in error.errors()]},
            status_code=422,
        )

    read = Depends(access.require(*READERS))
    write = access.require(*WRITERS)

    def meta(principal: Principal, correlation_id: str | None) -> Meta:
        return Meta.of(principal.as_actor(), correlation_id=correlation_id)

    def result(kind: str, aggregate_id: UUID, response: Response, owner_id: UUID | None = None) -> CommandResult:
        version = app.version_of(kind, owner_id or aggregate_id)
        response.headers["ETag"] = f'"{version}"'
        return CommandResult(id=aggregate_id, version=version)

    @api.get("/healthz", summary="Liveness (no auth)", tags=["health"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @api.get("/health", summary="Health of the service and its store", tags=["health"],
             dependencies=[Depends(access.require(Role.OPERATOR))], responses=ERRORS)
    def health() -> dict[str, Any]:
        return {"status": "ok", "service": "plan-registry", "position": app.recorder.max_notification_id() or 0}

    v1 = APIRouter(prefix="/api/v1", responses=ERRORS)

    # -- reads, the same for every kind

    def add_reads(kind: str, path: str, tag: str) -> None:
        def list_all(limit: int = 1000) -> list[dict[str, Any]]:
            return app.list(kind, limit=limit)

        def get_one(aggregate_id: UUID, response: Response) -> dict[str, Any]:
            state = app.get(kind, aggregate_id)
            response.headers["ETag"] = f'"{state["version"]}"'
            return state

        def history(aggregate_id: UUID) -> list[HistoryEvent]:
            return [HistoryEvent(**e) for e in app.history(kind, aggregate_id)]

        v1.add_api_route(f"/{path}", list_all, methods=["GET"], summary=f"List {tag}", tags=[tag],
                         dependencies=[read], response_model=list[dict[str, Any]])
        v1.add_api_route(f"/{path}/{{aggregate_id}}", get_one, methods=["GET"], summary=f"One of the {tag}",
                         tags=[tag], dependencies=[read], response_model=dict[str, Any],
                         description="Current state; the ETag header is the version to send as If-Match.")
        v1.add_api_route(f"/{path}/{{aggregate_id}}/history", history, methods=["GET"],
                         summary=f"Stored events of one of the {tag}", tags=[tag], dependencies=[read],
                         response_model=list[HistoryEvent])

    for kind, path, tag in (("goal", "goals", "goals"), ("indicator", "indicators", "indicators"),
                            ("plan", "plans", "plans"), ("decision", "decisions", "decisions"),
                            ("strategy", "strategies", "strategies")):
        add_reads(kind, path, tag)

    # -- goals and indicators

    @v1.post("/goals", status_code=201, summary="Define a goal of the samfunnsdel", tags=["goals"])
    def define_goal(body: GoalIn, response: Response, principal: Principal = Depends(write),
                    key: IdempotencyKey = None, correlation: CorrelationId = None) -> CommandResult:
        goal = app.define_goal(meta=meta(principal, correlation), idempotency_key=key, **body.model_dump())
        return result("goal", goal, response)

    @v1.post("/indicators", status_code=201, summary="Define an indicator of a goal", tags=["indicators"])
    def define_indicator(body: IndicatorIn, response: Response, principal: Principal = Depends(write),
                         key: IdempotencyKey = None, correlation: CorrelationId = None) -> CommandResult:
        indicator = app.define_indicator(meta=meta(principal, correlation), idempotency_key=key,
                                         **body.model_dump())
        return result("indicator", indicator, response)

    @v1.post("/indicators/{indicator_id}/measurements", summary="Record the value for a period",
             tags=["indicators"])
    def measure(indicator_id: UUID, body: MeasurementIn, response: Response,
                principal: Principal = Depends(write), key: IdempotencyKey = None, if_match: IfMatch = None,
                correlation: CorrelationId = None) -> CommandResult:
        app.record_measurement(indicator_id, meta=meta(principal, correlation), idempotency_key=key,
                               expected_version=_expected_version(if_match), **body.model_dump())
        return result("indicator", indicator_id, response)

    @v1.post("/indicators/{indicator_id}/measurements/{period}/corrections",
             summary="Correct a period's value (its own event)", tags=["indicators"])
    def correct(indicator_id: UUID, period: str, body: CorrectionIn, response: Response,
                principal: Principal = Depends(write), key: IdempotencyKey = None, if_match: IfMatch = None,
                correlation: CorrelationId = None) -> CommandResult:
        app.correct_measurement(indicator_id, period=period, meta=meta(principal, correlation),
                                idempotency_key=key, expected_version=_expected_version(if_match),
                                **body.model_dump())
        return result("indicator", indicator_id, response)

    # -- plans

    @v1.post("/plans", status_code=201, summary="Propose a plan", tags=["plans"])
    def propose_plan(body: PlanIn, response: Response, principal: Principal = Depends(write),
                     key: IdempotencyKey = None, correlation: CorrelationId = None) -> CommandResult:
        plan = app.propose_plan(meta=meta(principal, correlation), idempotency_key=key, **body.model_dump())
        return result("plan", plan, response)

    @v1.post("/plans/{plan_id}/status-changes", summary="Move the plan along its lifecycle", tags=["plans"],
             description="`step` records a dated step; `adopt`, `repeal`, `replace` and `merge` need a decision. "
             "A statutory plan is adopted only with an adopted planprogram (PBL §4-1) and a six-week "
             "consultation (PBL §11-14) on record; the kommuneplan only by the kommunestyre (PBL §11-15).")
    def change_status(plan_id: UUID, body: StatusChangeIn, response: Response,
                      principal: Principal = Depends(write), key: IdempotencyKey = None, if_match: IfMatch = None,
                      correlation: CorrelationId = None) -> CommandResult:
        common = dict(meta=meta(principal, correlation), idempotency_key=key,
                      expected_version=_expected_version(if_match))
        if isinstance(body, StepIn):
            app.advance_plan(plan_id, to=body.to, on=body.on, decision_id=body.decision_id, **common)
        elif isinstance(body, AdoptPlanIn):
            app.adopt_plan(plan_id, decision_id=body.decision_id, **common)
        elif isinstance(body, RepealPlanIn):
            app.repeal_plan(plan_id, decision_id=body.decision_id, **common)
        elif isinstance(body, ReplacePlanIn):
            app.replace_plan(plan_id, successor_id=body.successor_id, decision_id=body.decision_id, **common)
        else:
            app.merge_plan(plan_id, target_id=body.target_id, decision_id=body.decision_id, **common)
        return result("plan", plan_id, response)

    @v1.post("/plans/{plan_id}/anchors", summary="Anchor the plan in a samfunnsdel goal", tags=["plans"])
    def anchor(plan_id: UUID, body: AnchorIn, response: Response, principal: Principal = Depends(write),
               key: IdempotencyKey = None, if_match: IfMatch = None,
               correlation: CorrelationId = None) -> CommandResult:
        app.anchor_plan(plan_id, goal_id=body.goal_id, meta=meta(principal, correlation), idempotency_key=key,
                        expected_version=_expected_version(if_match))
        return result("plan", plan_id, response)

    @v1.put("/plans/{plan_id}/parent", summary="Place the plan in the hierarchy (no cycles)", tags=["plans"])
    def move(plan_id: UUID, body: ParentIn, response: Response, principal: Principal = Depends(write),
             if_match: IfMatch = None, correlation: CorrelationId = None) -> CommandResult:
        app.move_plan(plan_id, parent_plan_id=body.parent_plan_id, meta=meta(principal, correlation),
                      expected_version=_expected_version(if_match))
        return result("plan", plan_id, response)

    @v1.put("/plans/{plan_id}/revision-schedule", summary="When the plan is next revised", tags=["plans"])
    def schedule(plan_id: UUID, body: RevisionIn, response: Response, principal: Principal = Depends(write),
                 if_match: IfMatch = None, correlation: CorrelationId = None) -> CommandResult:
        app.schedule_revision(plan_id, due=body.due, reason=body.reason, meta=meta(principal, correlation),
                              expected_version=_expected_version(if_match))
        return result("plan", plan_id, response)

    # -- decisions

    @v1.post("/decisions", status_code=201, summary="Record a formal decision (vedtak)", tags=["decisions"])
    def record_decision(body: DecisionIn, response: Response, principal: Principal = Depends(write),
                        key: IdempotencyKey = None, correlation: CorrelationId = None) -> CommandResult:
        fields = body.model_dump(exclude={"amendments"})
        amendments = [Amendment(**a.model_dump()) for a in body.amendments]
        decision = app.record_decision(amendments=amendments, meta=meta(principal, correlation),
                                       idempotency_key=key, **fields)
        return result("decision", decision, response)

    # -- strategies

    @v1.post("/strategies", status_code=201, summary="Draft the plan strategy of an election period",
             tags=["strategies"])
    def draft(body: StrategyIn, response: Response, principal: Principal = Depends(write),
              key: IdempotencyKey = None, correlation: CorrelationId = None) -> CommandResult:
        strategy = app.draft_strategy(meta=meta(principal, correlation), idempotency_key=key, **body.model_dump())
        return result("strategy", strategy, response)

    @v1.post("/strategies/{strategy_id}/items", status_code=201, summary="Add an item (one plan)",
             tags=["strategies"], description="After publication only a council amendment changes items.")
    def add_item(strategy_id: UUID, body: NewItemIn, response: Response, principal: Principal = Depends(write),
                 key: IdempotencyKey = None, if_match: IfMatch = None,
                 correlation: CorrelationId = None) -> CommandResult:
        fields = body.model_dump(exclude={"item_id"})
        item = app.set_strategy_item(strategy_id, item_id=body.item_id or uuid4(), meta=meta(principal, correlation),
                                     idempotency_key=key, expected_version=_expected_version(if_match), **fields)
        return result("strategy", item, response, owner_id=strategy_id)

    @v1.put("/strategies/{strategy_id}/items/{item_id}", summary="Set (create or change) an item",
            tags=["strategies"])
    def set_item(strategy_id: UUID, item_id: UUID, body: ItemIn, response: Response,
                 principal: Principal = Depends(write), if_match: IfMatch = None,
                 correlation: CorrelationId = None) -> CommandResult:
        app.set_strategy_item(strategy_id, item_id=item_id, meta=meta(principal, correlation),
                              expected_version=_expected_version(if_match), **body.model_dump())
        return result("strategy", item_id, response, owner_id=strategy_id)

    @v1.delete("/strategies/{strategy_id}/items/{item_id}", summary="Remove an item", tags=["strategies"])
    def remove_item(strategy_id: UUID, item_id: UUID, response: Response, principal: Principal = Depends(write),
                    if_match: IfMatch = None, correlation: CorrelationId = None) -> CommandResult:
        app.remove_strategy_item(strategy_id, item_id=item_id, meta=meta(principal, correlation),
                                 expected_version=_expected_version(if_match))
        return result("strategy", item_id, response, owner_id=strategy_id)

    @v1.put("/strategies/{strategy_id}/kommuneplan-assessment",
            summary="Revise or continue the samfunnsdel and arealdel (PBL §10-1)", tags=["strategies"])
    def assess(strategy_id: UUID, body: AssessmentIn, response: Response, principal: Principal = Depends(write),
               if_match: IfMatch = None, correlation: CorrelationId = None) -> CommandResult:
        app.assess_kommuneplan(strategy_id, meta=meta(principal, correlation),
                               expected_version=_expected_version(if_match), **body.model_dump())
        return result("strategy", strategy_id, response)

    @v1.post("/strategies/{strategy_id}/external-inputs", status_code=201,
             summary="Record an input from the state, a regional body or a neighbour", tags=["strategies"])
    def receive_input(strategy_id: UUID, body: ExternalInputIn, response: Response,
                      principal: Principal = Depends(write), key: IdempotencyKey = None, if_match: IfMatch = None,
                      correlation: CorrelationId = None) -> CommandResult:
        fields = body.model_dump(exclude={"input_id"})
        input_id = app.receive_input(strategy_id, input_id=body.input_id or uuid4(),
                                     meta=meta(principal, correlation), idempotency_key=key,
                                     expected_version=_expected_version(if_match), **fields)
        return result("strategy", input_id, response, owner_id=strategy_id)

    @v1.post("/strategies/{strategy_id}/evidence", status_code=201,
             summary="Cite a document of the knowledge base", tags=["strategies"])
    def cite(strategy_id: UUID, body: EvidenceIn, response: Response, principal: Principal = Depends(write),
             key: IdempotencyKey = None, if_match: IfMatch = None,
             correlation: CorrelationId = None) -> CommandResult:
        fields = body.model_dump(exclude={"evidence_id"})
        evidence_id = app.cite_evidence(strategy_id, evidence_id=body.evidence_id or uuid4(),
                                        meta=meta(principal, correlation), idempotency_key=key,
                                        expected_version=_expected_version(if_match), **fields)
        return result("strategy", evidence_id, response, owner_id=strategy_id)

    @v1.post("/strategies/{strategy_id}/publication", summary="Publish the proposal (30-day clock)",
             tags=["strategies"])
    def publish(strategy_id: UUID, body: PublicationIn, response: Response, principal: Principal = Depends(write),
                key: IdempotencyKey = None, if_match: IfMatch = None,
                correlation: CorrelationId = None) -> CommandResult:
        app.publish_strategy(strategy_id, meta=meta(principal, correlation), idempotency_key=key,
                             expected_version=_expected_version(if_match), **body.model_dump())
        return result("strategy", strategy_id, response)

    @v1.post("/strategies/{strategy_id}/adoption", summary="Adopt by a decision of the kommunestyre",
             tags=["strategies"],
             description="PBL §10-1: by the municipal council, the kommuneplan assessed, the proposal published at "
             "least 30 days before the meeting. Adopted amendments of the decision that change items are "
             "applied first, each as its own event caused by the decision.")
    def adopt(strategy_id: UUID, body: AdoptionIn, response: Response, principal: Principal = Depends(write),
              key: IdempotencyKey = None, if_match: IfMatch = None,
              correlation: CorrelationId = None) -> CommandResult:
        app.adopt_strategy(strategy_id, decision_id=body.decision_id, meta=meta(principal, correlation),
                           idempotency_key=key, expected_version=_expected_version(if_match))
        return result("strategy", strategy_id, response)

    api.include_router(v1)
    return api
