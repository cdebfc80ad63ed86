"""The plan strategy (planstrategi): draft, items (one plan each), the kommuneplan assessment,
external inputs, the knowledge base, publication (the 30-day clock) and adoption."""

from __future__ import annotations

from datetime import date
from typing import Literal
from uuid import UUID

from fastapi import APIRouter, Response
from pydantic import Field

from plan_registry.api.dependencies import ExpectedVersion, PlannerMeta, Registry
from plan_registry.api.models import CommandAnswer, answered, new_id
from plan_registry.domain import EvidenceKind, KommuneplanAssessment, PartyKind, PlanType, StrategyAction
from planspor_runtime.bodies import Description, EffectiveDate, Heading, Reference, RequestBody, Text, Title, Url
from planspor_runtime.http import IdempotencyKey
from planspor_runtime.problems import COMMAND_PROBLEMS

router = APIRouter(prefix="/strategies", tags=["strategies"], responses=COMMAND_PROBLEMS)


class StrategyIn(RequestBody):
    election_period: str = Field(pattern=r"^\d{4}-\d{4}$", examples=["2024-2027"])
    council_constituted_on: date = Field(examples=["2023-10-19"])
    drafted_on: EffectiveDate | None = Field(
        default=None, description="The day the draft was made, YYYY-MM-DD; left out, today (Europe/Oslo)."
    )
    title: Heading = ""


class ItemIn(RequestBody):
    action: StrategyAction
    timing: Title = Field(examples=["2025"])
    rationale: Text
    origin: Literal["administration", "plan_need"] = "administration"
    plan_id: UUID | None = None
    plan_name: Heading | None = None
    plan_type: PlanType | None = None
    plan_need_id: UUID | None = None
    merge_into_plan_id: UUID | None = None
    set_on: EffectiveDate | None = Field(
        default=None, description="The day the item was written, YYYY-MM-DD; left out, today (Europe/Oslo)."
    )


class NewItemIn(ItemIn):
    item_id: UUID | None = Field(default=None, description="Chosen by the client, or made by the server.")


class AssessmentIn(RequestBody):
    samfunnsdel: KommuneplanAssessment
    arealdel: KommuneplanAssessment
    rationale: Description = ""
    assessed_on: EffectiveDate | None = Field(
        default=None, description="The day of the assessment, YYYY-MM-DD; left out, today (Europe/Oslo)."
    )


class ExternalInputIn(RequestBody):
    input_id: UUID | None = None
    source: PartyKind
    sender: Title = Field(examples=["Statsforvalteren i Oslo og Viken"])
    received_on: EffectiveDate | None = None
    summary: Text
    document_reference: Reference | None = None
    in_reply_to: UUID | None = Field(default=None, description="The request for views this input answers.")


class ViewRequestIn(RequestBody):
    request_id: UUID | None = None
    party_kind: PartyKind = Field(examples=["regional"])
    party_name: Title = Field(examples=["Viken fylkeskommune"])
    sent_on: EffectiveDate | None = Field(
        default=None, description="The day the request went out, YYYY-MM-DD; left out, today (Europe/Oslo)."
    )


class EvidenceIn(RequestBody):
    evidence_id: UUID | None = None
    kind: EvidenceKind
    title: Title = Field(examples=["Folkehelseoversikt 2023"])
    dated: EffectiveDate
    url: Url | None = None
    cited_on: EffectiveDate | None = Field(
        default=None, description="The day the strategy cited it, YYYY-MM-DD; left out, today (Europe/Oslo)."
    )


class PublicationIn(RequestBody):
    on: EffectiveDate | None = None
    planned_meeting_on: date | None = None


class AdoptionIn(RequestBody):
    decision_id: UUID


@router.post("", status_code=201, summary="Draft the plan strategy of an election period")
def draft(
    body: StrategyIn, app: Registry, meta: PlannerMeta, response: Response, key: IdempotencyKey = None
) -> CommandAnswer:
    return answered(app.draft_strategy(meta=meta, idempotency_key=key, **body.model_dump()), response)


@router.post(
    "/{strategy_id}/items",
    status_code=201,
    summary="Add an item (one plan)",
    description="After publication only a council amendment changes items.",
)
def add_item(
    strategy_id: UUID,
    body: NewItemIn,
    app: Registry,
    meta: PlannerMeta,
    version: ExpectedVersion,
    response: Response,
    key: IdempotencyKey = None,
) -> CommandAnswer:
    result = app.set_strategy_item(
        strategy_id,
        item_id=body.item_id or new_id(key),
        meta=meta,
        idempotency_key=key,
        expected_version=version,
        **body.model_dump(exclude={"item_id"}),
    )
    return answered(result, response)


@router.put("/{strategy_id}/items/{item_id}", summary="Set (create or change) an item")
def set_item(
    strategy_id: UUID,
    item_id: UUID,
    body: ItemIn,
    app: Registry,
    meta: PlannerMeta,
    version: ExpectedVersion,
    response: Response,
) -> CommandAnswer:
    result = app.set_strategy_item(
        strategy_id, item_id=item_id, meta=meta, expected_version=version, **body.model_dump()
    )
    return answered(result, response)


@router.delete("/{strategy_id}/items/{item_id}", summary="Remove an item")
def remove_item(
    strategy_id: UUID, item_id: UUID, app: Registry, meta: PlannerMeta, version: ExpectedVersion, response: Response
) -> CommandAnswer:
    return answered(
        app.remove_strategy_item(strategy_id, item_id=item_id, meta=meta, expected_version=version), response
    )


@router.put(
    "/{strategy_id}/kommuneplan-assessment", summary="Revise or continue the samfunnsdel and arealdel (PBL §10-1)"
)
def assess(
    strategy_id: UUID,
    body: AssessmentIn,
    app: Registry,
    meta: PlannerMeta,
    version: ExpectedVersion,
    response: Response,
) -> CommandAnswer:
    result = app.assess_kommuneplan(strategy_id, meta=meta, expected_version=version, **body.model_dump())
    return answered(result, response)


@router.post(
    "/{strategy_id}/external-inputs",
    status_code=201,
    summary="Record an input from the state, a regional body or a neighbour",
)
def receive_input(
    strategy_id: UUID,
    body: ExternalInputIn,
    app: Registry,
    meta: PlannerMeta,
    version: ExpectedVersion,
    response: Response,
    key: IdempotencyKey = None,
) -> CommandAnswer:
    result = app.receive_input(
        strategy_id,
        input_id=body.input_id or new_id(key),
        meta=meta,
        idempotency_key=key,
        expected_version=version,
        **body.model_dump(exclude={"input_id"}),
    )
    return answered(result, response)


@router.post(
    "/{strategy_id}/view-requests",
    status_code=201,
    summary="Record that views were requested from a body (PBL §10-1 second paragraph)",
)
def request_views(
    strategy_id: UUID,
    body: ViewRequestIn,
    app: Registry,
    meta: PlannerMeta,
    version: ExpectedVersion,
    response: Response,
    key: IdempotencyKey = None,
) -> CommandAnswer:
    result = app.request_views(
        strategy_id,
        request_id=body.request_id or new_id(key),
        meta=meta,
        idempotency_key=key,
        expected_version=version,
        **body.model_dump(exclude={"request_id"}),
    )
    return answered(result, response)


@router.post("/{strategy_id}/evidence", status_code=201, summary="Cite a document of the knowledge base")
def cite(
    strategy_id: UUID,
    body: EvidenceIn,
    app: Registry,
    meta: PlannerMeta,
    version: ExpectedVersion,
    response: Response,
    key: IdempotencyKey = None,
) -> CommandAnswer:
    result = app.cite_evidence(
        strategy_id,
        evidence_id=body.evidence_id or new_id(key),
        meta=meta,
        idempotency_key=key,
        expected_version=version,
        **body.model_dump(exclude={"evidence_id"}),
    )
    return answered(result, response)


@router.post("/{strategy_id}/publication", summary="Publish the proposal (30-day clock)")
def publish(
    strategy_id: UUID,
    body: PublicationIn,
    app: Registry,
    meta: PlannerMeta,
    version: ExpectedVersion,
    response: Response,
    key: IdempotencyKey = None,
) -> CommandAnswer:
    result = app.publish_strategy(
        strategy_id, meta=meta, idempotency_key=key, expected_version=version, **body.model_dump()
    )
    return answered(result, response)


@router.post(
    "/{strategy_id}/adoption",
    summary="Adopt by a decision of the kommunestyre",
    description="PBL §10-1: by the municipal council, the kommuneplan assessed, the proposal published at "
    "least 30 days before the meeting. Adopted amendments of the decision that change items are "
    "applied first, each as its own event caused by the decision.",
)
def adopt(
    strategy_id: UUID,
    body: AdoptionIn,
    app: Registry,
    meta: PlannerMeta,
    version: ExpectedVersion,
    response: Response,
    key: IdempotencyKey = None,
) -> CommandAnswer:
    result = app.adopt_strategy(
        strategy_id, decision_id=body.decision_id, meta=meta, idempotency_key=key, expected_version=version
    )
    return answered(result, response)
