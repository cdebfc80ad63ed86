"""Plans: proposal, the lifecycle (dated steps; adoption and the ends by a decision), anchoring
in a samfunnsdel goal, the place in the hierarchy and the next revision."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Response
from pydantic import Field

from plan_registry.api.dependencies import ExpectedVersion, PlannerMeta, Registry
from plan_registry.api.models import CommandAnswer, answered
from plan_registry.application import PlanRegistry
from plan_registry.domain import PlanType
from planspor_runtime.application import CommandResult
from planspor_runtime.bodies import Description, EffectiveDate, Label, RequestBody, StrictBool, Text, Title
from planspor_runtime.http import IdempotencyKey
from planspor_runtime.problems import COMMAND_PROBLEMS
from planspor_shared.meta import Meta

router = APIRouter(prefix="/plans", tags=["plans"], responses=COMMAND_PROBLEMS)


class PlanIn(RequestBody):
    name: Title = Field(examples=["Temaplan for idrett og fysisk aktivitet"])
    plan_type: PlanType
    legal_basis: Label = Field(default="", examples=["PBL §11-1"])
    owning_unit: Title = Field(examples=["Kultur og fritid"])
    description: Description = ""
    parent_plan_id: UUID | None = None
    initiated_through_strategy: StrictBool = Field(
        description="Recorded as said, never guessed; true names strategy_id."
    )
    strategy_id: UUID | None = None
    strategy_item_id: UUID | None = None
    proposed_on: EffectiveDate | None = Field(
        default=None, description="The day work on the plan started, YYYY-MM-DD; left out, today (Europe/Oslo)."
    )


class StepIn(RequestBody):
    """A dated step of the lifecycle (notice of start, planprogram adopted, consultation opened/closed, ...)."""

    action: Literal["step"]
    to: Literal[
        "notice_of_start",
        "planprogram_adopted",
        "in_preparation",
        "first_treatment",
        "consultation_open",
        "consultation_closed",
        "announced",
        "in_force",
        "under_revision",
    ]
    on: EffectiveDate | None = Field(default=None, description="The day of the step, YYYY-MM-DD; left out, today.")
    decision_id: UUID | None = None


class AdoptPlanIn(RequestBody):
    action: Literal["adopt"]
    decision_id: UUID


class RepealPlanIn(RequestBody):
    action: Literal["repeal"]
    decision_id: UUID


class ReplacePlanIn(RequestBody):
    action: Literal["replace"]
    decision_id: UUID
    successor_id: UUID


class MergePlanIn(RequestBody):
    action: Literal["merge"]
    decision_id: UUID
    target_id: UUID


StatusChange = StepIn | AdoptPlanIn | RepealPlanIn | ReplacePlanIn | MergePlanIn
StatusChangeIn = Annotated[StatusChange, Field(discriminator="action")]


class AnchorIn(RequestBody):
    goal_id: UUID
    anchored_on: EffectiveDate | None = Field(
        default=None, description="The day the plan was anchored, YYYY-MM-DD; left out, today (Europe/Oslo)."
    )


class ParentIn(RequestBody):
    parent_plan_id: UUID | None


class DuplicateIn(RequestBody):
    kept_plan_id: UUID = Field(description="The plan kept: the same plan, registered first.")
    reason: Text = Field(examples=["registered twice: imported from the planoversikt and entered by hand"])
    merged_on: EffectiveDate | None = Field(
        default=None, description="The day the duplicate was found, YYYY-MM-DD; left out, today (Europe/Oslo)."
    )


class RevisionIn(RequestBody):
    due: date
    reason: Description = ""
    on: EffectiveDate | None = Field(
        default=None, description="The day the revision date was set, YYYY-MM-DD; left out, today (Europe/Oslo)."
    )


@router.post("", status_code=201, summary="Propose a plan")
def propose_plan(
    body: PlanIn, app: Registry, meta: PlannerMeta, response: Response, key: IdempotencyKey = None
) -> CommandAnswer:
    return answered(app.propose_plan(meta=meta, idempotency_key=key, **body.model_dump()), response)


@router.post(
    "/{plan_id}/status-changes",
    summary="Move the plan along its lifecycle",
    description="`step` records a dated step; `adopt`, `repeal`, `replace` and `merge` need a decision. "
    "A statutory plan is adopted only with an adopted planprogram (PBL §4-1) and a six-week "
    "consultation (PBL §11-14) on record; the kommuneplan only by the kommunestyre (PBL §11-15).",
)
def change_status(
    plan_id: UUID,
    body: StatusChangeIn,
    app: Registry,
    meta: PlannerMeta,
    version: ExpectedVersion,
    response: Response,
    key: IdempotencyKey = None,
) -> CommandAnswer:
    return answered(_change_status(app, plan_id, body, meta=meta, key=key, version=version), response)


def _change_status(
    app: PlanRegistry, plan_id: UUID, body: StatusChange, *, meta: Meta, key: str | None, version: int | None
) -> CommandResult:
    if isinstance(body, StepIn):
        return app.advance_plan(
            plan_id,
            to=body.to,
            on=body.on,
            decision_id=body.decision_id,
            meta=meta,
            idempotency_key=key,
            expected_version=version,
        )
    if isinstance(body, AdoptPlanIn):
        return app.adopt_plan(
            plan_id, decision_id=body.decision_id, meta=meta, idempotency_key=key, expected_version=version
        )
    if isinstance(body, RepealPlanIn):
        return app.repeal_plan(
            plan_id, decision_id=body.decision_id, meta=meta, idempotency_key=key, expected_version=version
        )
    if isinstance(body, ReplacePlanIn):
        return app.replace_plan(
            plan_id,
            successor_id=body.successor_id,
            decision_id=body.decision_id,
            meta=meta,
            idempotency_key=key,
            expected_version=version,
        )
    return app.merge_plan(
        plan_id,
        target_id=body.target_id,
        decision_id=body.decision_id,
        meta=meta,
        idempotency_key=key,
        expected_version=version,
    )


@router.post("/{plan_id}/anchors", summary="Anchor the plan in a samfunnsdel goal")
def anchor(
    plan_id: UUID,
    body: AnchorIn,
    app: Registry,
    meta: PlannerMeta,
    version: ExpectedVersion,
    response: Response,
    key: IdempotencyKey = None,
) -> CommandAnswer:
    result = app.anchor_plan(
        plan_id,
        goal_id=body.goal_id,
        anchored_on=body.anchored_on,
        meta=meta,
        idempotency_key=key,
        expected_version=version,
    )
    return answered(result, response)


@router.put("/{plan_id}/parent", summary="Place the plan in the hierarchy (no cycles)")
def move(
    plan_id: UUID, body: ParentIn, app: Registry, meta: PlannerMeta, version: ExpectedVersion, response: Response
) -> CommandAnswer:
    return answered(
        app.move_plan(plan_id, parent_plan_id=body.parent_plan_id, meta=meta, expected_version=version), response
    )


@router.put("/{plan_id}/revision-schedule", summary="When the plan is next revised")
def schedule(
    plan_id: UUID, body: RevisionIn, app: Registry, meta: PlannerMeta, version: ExpectedVersion, response: Response
) -> CommandAnswer:
    result = app.schedule_revision(
        plan_id, due=body.due, reason=body.reason, on=body.on, meta=meta, expected_version=version
    )
    return answered(result, response)


@router.post(
    "/{plan_id}/duplicate-of",
    summary="Withdraw a plan registered twice in favour of the one kept (never deleted)",
    description="404 for an unknown plan or kept plan, 409 when it is already merged as a duplicate.",
)
def merge_duplicate(
    plan_id: UUID,
    body: DuplicateIn,
    app: Registry,
    meta: PlannerMeta,
    version: ExpectedVersion,
    response: Response,
    key: IdempotencyKey = None,
) -> CommandAnswer:
    result = app.merge_duplicate_plan(
        plan_id, meta=meta, idempotency_key=key, expected_version=version, **body.model_dump()
    )
    return answered(result, response)
