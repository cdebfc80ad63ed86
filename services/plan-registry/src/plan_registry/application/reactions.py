"""The reaction to co-creation's ``recommendation.issued``: the register drafts the strategy.

The service is the actor (``SYSTEM_ACTOR``) and the event is the cause. Ids derive
from the recommendation and its plan needs (``strategy_id_for``, ``strategy_item_id``),
so a redelivered or concurrently delivered event finds the strategy the first
delivery drafted and changes nothing: the effect happens once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any
from uuid import UUID

from plan_registry.domain import InvalidValue, ItemOrigin, PlanStrategy, strategy_id_for, strategy_item_id
from planspor_runtime.application import (
    AggregateNotFound,
    Changed,
    CommandResult,
    ConcurrencyConflict,
    ServiceApplication,
    request_of,
)
from planspor_shared.envelope import Envelope, parse_payload
from planspor_shared.events.cocreation import RecommendationIssued
from planspor_shared.meta import Actor, Meta

SYSTEM_ACTOR = Actor(id="service:plan-registry", name="plan-registry", role="system")
"""The actor of what the register does on its own, in reaction to another service's event."""


def _uuid(value: Any) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


class RecommendationReaction(ServiceApplication):
    def on_recommendation_issued(self, envelope: Envelope) -> bool:
        """True if it drafted the strategy, False if the strategy was already there (a redelivery)."""
        payload = parse_payload(envelope)
        if not isinstance(payload, RecommendationIssued):
            raise ValueError(f"on_recommendation_issued got {payload.event_type}")
        if payload.council_constituted_on is None:
            raise InvalidValue(
                "strategy.council_constituted_on_required",
                f"recommendation {payload.recommendation_id} has no council_constituted_on: the strategy's "
                "PBL §10-1 year is counted from it and is not guessed",
            )
        if self._drafted(strategy_id_for(payload.recommendation_id)) is not None:
            return False
        meta = Meta.of(
            SYSTEM_ACTOR,
            correlation_id=envelope.correlation_id or str(envelope.event_id),
            causation_id=str(envelope.event_id),
        )
        self.draft_from_recommendation(
            recommendation_id=payload.recommendation_id,
            process_id=payload.process_id,
            election_period=payload.election_period,
            council_constituted_on=payload.council_constituted_on,
            summary=payload.summary,
            drafted_on=payload.issued_on,
            needs=[item.model_dump(mode="python") for item in payload.items],
            meta=meta,
        )
        return True

    def draft_from_recommendation(
        self,
        *,
        recommendation_id: str,
        process_id: str | None,
        election_period: str,
        council_constituted_on: date,
        summary: str,
        needs: Iterable[Mapping[str, Any]],
        meta: Meta,
        drafted_on: date | None = None,
    ) -> CommandResult:
        """One strategy per recommendation and one item per plan need (origin ``plan_need``)."""
        request = request_of(
            locals(), omit=("drafted_on",) if drafted_on is None else (), needs=[dict(need) for need in needs]
        )
        strategy_id = strategy_id_for(recommendation_id)
        listed: list[dict[str, Any]] = request["needs"]

        def run() -> Changed:
            strategy = PlanStrategy.draft(
                election_period=election_period,
                council_constituted_on=council_constituted_on,
                title=f"Planstrategi {election_period}",
                recommendation_id=_uuid(recommendation_id),
                process_id=_uuid(process_id) if process_id else None,
                drafted_on=drafted_on,
                meta=meta,
            )
            for need in listed:
                plan_need_id = _uuid(need["plan_need_id"])
                strategy.set_item(
                    item_id=strategy_item_id(strategy.id, plan_need_id),
                    action=need["action"],
                    plan_id=_uuid(need["plan_id"]) if need.get("plan_id") else None,
                    plan_name=need.get("plan_title"),
                    plan_type=need.get("plan_type"),
                    timing=need["timing"],
                    rationale=need.get("rationale") or summary or f"Plan need {plan_need_id} from co-creation",
                    origin=ItemOrigin.PLAN_NEED,
                    plan_need_id=plan_need_id,
                    merge_into_plan_id=_uuid(need["merge_into_plan_id"]) if need.get("merge_into_plan_id") else None,
                    on=drafted_on,
                    meta=meta,
                )
            return Changed(strategy)

        drafted = self._drafted(strategy_id)
        if drafted is not None:
            return drafted
        try:
            return self.command("draft_from_recommendation", request, run)
        except ConcurrencyConflict:  # a concurrent delivery saved it first: same ids, same effect
            drafted = self._drafted(strategy_id)
            if drafted is None:
                raise
            return drafted

    def _drafted(self, strategy_id: UUID) -> CommandResult | None:
        try:
            strategy = self.get(PlanStrategy, strategy_id)
        except AggregateNotFound:
            return None
        return CommandResult(id=strategy.id, version=strategy.version)
