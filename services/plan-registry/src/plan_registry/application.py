"""The plan register's application: commands (get -> call -> save, return ids) and
queries (plain data: current state and the history of any aggregate).

Guarantees at this boundary:
- a refused command stores nothing: aggregates are saved only after every rule passed;
- optimistic concurrency: ``expected_version`` that is not the stored version, or a
  concurrent save of the same aggregate, raises ``ConcurrencyConflict``;
- idempotency: a command given an ``idempotency_key`` saves an ``IdempotencyRecord``
  (id uuid5 of the key) in the same transaction as its events, so a retry returns
  the first result and acts once;
- reactions derive their ids from the cause, so a redelivered event changes nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar
from uuid import UUID, uuid5

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Transcoding
from eventsourcing.utils import get_topic

from plan_registry.domain import (
    NAMESPACE,
    Amendment,
    Decision,
    DomainError,
    Goal,
    InvalidValue,
    Indicator,
    ItemOrigin,
    Meta,
    NotFound,
    Plan,
    PlanStatus,
    PlanStrategy,
    strategy_id_for,
    strategy_item_id,
)

A = TypeVar("A", bound=Aggregate)

SYSTEM_ACTOR = {"id": "service:plan-registry", "name": "plan-registry", "role": "system"}
"""The actor of what the register does on its own, in reaction to another service's event."""


class ConcurrencyConflict(Exception):
    """Someone else changed the aggregate first (HTTP 409)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class IdempotencyKeyReused(DomainError):
    """The same Idempotency-Key was sent with a different request."""


class IdempotencyRecord(Aggregate):
    """The first response to a request with an Idempotency-Key."""

    @staticmethod
    def create_id(key: str) -> UUID:
        return idempotency_record_id(key)

    @event("Recorded")
    def __init__(self, *, key: str, command: str, fingerprint: str, response: dict[str, Any]) -> None:
        self.key = key
        self.command = command
        self.fingerprint = fingerprint
        self.response = response


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class MetaAsDict(Transcoding):
    type = Meta
    name = "planspor_meta"

    def encode(self, obj: Meta) -> dict[str, Any]:
        return obj.as_dict()

    def decode(self, data: dict[str, Any]) -> Meta:
        return Meta.from_dict(data)


def idempotency_record_id(key: str) -> UUID:
    return uuid5(NAMESPACE, f"idempotency:{key}")


def _fingerprint(request: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(request, sort_keys=True, default=str).encode()).hexdigest()


KINDS: dict[str, type[Aggregate]] = {
    "goal": Goal,
    "indicator": Indicator,
    "plan": Plan,
    "strategy": PlanStrategy,
    "decision": Decision,
}


class PlanRegistry(Application[UUID]):
    """Plans, goals, indicators, plan strategies and decisions of one municipality."""

    name = "plan_registry"
    log_section_size = 1000
    env = {"PERSISTENCE_MODULE": "eventsourcing.popo"}

    def construct_env(self, name: str, env: Mapping[str, str] | None = None):  # type: ignore[override]
        """Only the env given (from Settings) configures persistence: nothing here reads os.environ."""
        from eventsourcing.utils import Environment

        merged = dict(type(self).env)
        merged.update(env or {})
        return Environment(name, merged)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())
        transcoder.register(MetaAsDict())

    # ------------------------------------------------------------------ plumbing

    def _get(self, kind: type[A], aggregate_id: UUID, expected_version: int | None = None) -> A:
        try:
            aggregate = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise NotFound(f"{kind.__name__.lower()}.exists", f"no {self._label(kind)} with id {aggregate_id}") \
                from None
        if not isinstance(aggregate, kind):
            raise NotFound(f"{kind.__name__.lower()}.exists", f"no {self._label(kind)} with id {aggregate_id}")
        if expected_version is not None and aggregate.version != expected_version:
            raise ConcurrencyConflict(
                f"{self._label(kind)} {aggregate_id} is at version {aggregate.version}, not {expected_version}: "
                "reload it and try again"
            )
        return aggregate

    @staticmethod
    def _label(kind: type[Aggregate]) -> str:
        return {"PlanStrategy": "strategy"}.get(kind.__name__, kind.__name__.lower())

    def _commit(self, *aggregates: Aggregate | None) -> None:
        try:
            self.save(*aggregates)
        except IntegrityError:
            raise ConcurrencyConflict("the aggregate was changed concurrently: reload it and try again") from None

    def _idempotent(
        self,
        key: str | None,
        command: str,
        request: Mapping[str, Any],
        run: Callable[[], tuple[UUID, list[Aggregate]]],
    ) -> UUID:
        """Runs ``run`` once per key; a retry returns the id of the first run."""
        if not key:
            result, aggregates = run()
            self._commit(*aggregates)
            return result
        record_id = idempotency_record_id(key)
        fingerprint = _fingerprint({"command": command, **request})
        previous = self._previous(record_id, key, fingerprint)
        if previous is not None:
            return previous
        result, aggregates = run()
        record = IdempotencyRecord(
            key=key, command=command, fingerprint=fingerprint, response={"id": str(result)}
        )
        try:
            self.save(*aggregates, record)
        except IntegrityError:
            previous = self._previous(record_id, key, fingerprint)
            if previous is not None:
                return previous
            raise ConcurrencyConflict("the aggregate was changed concurrently: reload it and try again") from None
        return result

    def _previous(self, record_id: UUID, key: str, fingerprint: str) -> UUID | None:
        try:
            record = self.repository.get(record_id)
        except AggregateNotFoundError:
            return None
        if record.fingerprint != fingerprint:
            raise IdempotencyKeyReused(
                "request.idempotency_key_reused",
                f"Idempotency-Key '{key}' was used for a different request ({record.command}); use a new key",
            )
        return UUID(record.response["id"])

    def _ancestors(self, plan: Plan) -> list[UUID]:
        """Walks up the hierarchy from ``plan`` (bounded, in case stored data loops)."""
        chain: list[UUID] = []
        current = plan
        while current.parent_id is not None and current.parent_id not in chain and len(chain) < 10_000:
            chain.append(current.parent_id)
            current = self._get(Plan, current.parent_id)
        return chain

    # ------------------------------------------------------------------ goals and indicators

    def define_goal(
        self,
        *,
        title: str,
        description: str = "",
        parent_goal_id: UUID | None = None,
        samfunnsdel_plan_id: UUID | None = None,
        sdg_targets: Iterable[str] = (),
        meta: Meta,
        idempotency_key: str | None = None,
    ) -> UUID:
        sdg_targets = list(sdg_targets)

        def run() -> tuple[UUID, list[Aggregate]]:
            parent = self._get(Goal, parent_goal_id) if parent_goal_id else None
            if samfunnsdel_plan_id:
                self._get(Plan, samfunnsdel_plan_id)
            goal = Goal.define(title=title, description=description, parent=parent,
                               samfunnsdel_plan_id=samfunnsdel_plan_id, sdg_targets=sdg_targets, meta=meta)
            return goal.id, [goal]

        return self._idempotent(idempotency_key, "define_goal", dict(
            title=title, description=description, parent_goal_id=parent_goal_id,
            samfunnsdel_plan_id=samfunnsdel_plan_id, sdg_targets=sdg_targets), run)

    def define_indicator(
        self,
        *,
        goal_id: UUID,
        name: str,
        unit: str,
        source: str,
        source_reference: str = "",
        description: str = "",
        baseline_value: Decimal | None = None,
        baseline_period: str | None = None,
        target_value: Decimal | None = None,
        target_year: int | None = None,
        meta: Meta,
        idempotency_key: str | None = None,
    ) -> UUID:
        request = dict(goal_id=goal_id, name=name, unit=unit, source=source, source_reference=source_reference,
                       description=description, baseline_value=baseline_value, baseline_period=baseline_period,
                       target_value=target_value, target_year=target_year)

        def run() -> tuple[UUID, list[Aggregate]]:
            goal = self._get(Goal, goal_id)
            indicator = Indicator.define(goal=goal, meta=meta, **{k: v for k, v in request.items() if k != "goal_id"})
            return indicator.id, [indicator]

        return self._idempotent(idempotency_key, "define_indicator", request, run)

    def record_measurement(
        self,
        indicator_id: UUID,
        *,
        period: str,
        value: Decimal,
        measured_on: date | None = None,
        expected_version: int | None = None,
        meta: Meta,
        idempotency_key: str | None = None,
    ) -> UUID:
        def run() -> tuple[UUID, list[Aggregate]]:
            indicator = self._get(Indicator, indicator_id, expected_version)
            indicator.measure(period=period, value=value, measured_on=measured_on, meta=meta)
            return indicator.id, [indicator]

        return self._idempotent(idempotency_key, "record_measurement", dict(
            indicator_id=indicator_id, period=period, value=value, measured_on=measured_on), run)

    def correct_measurement(
        self,
        indicator_id: UUID,
        *,
        period: str,
        value: Decimal,
        reason: str,
        expected_version: int | None = None,
        meta: Meta,
        idempotency_key: str | None = None,
    ) -> UUID:
        def run() -> tuple[UUID, list[Aggregate]]:
            indicator = self._get(Indicator, indicator_id, expected_version)
            indicator.correct_measurement(period=period, value=value, reason=reason, meta=meta)
            return indicator.id, [indicator]

        return self._idempotent(idempotency_key, "correct_measurement", dict(
            indicator_id=indicator_id, period=period, value=value, reason=reason), run)

    # ------------------------------------------------------------------ plans

    def propose_plan(
        self,
        *,
        name: str,
        plan_type: str,
        legal_basis: str,
        owning_unit: str,
        initiated_through_strategy: bool,
        description: str = "",
        parent_plan_id: UUID | None = None,
        strategy_id: UUID | None = None,
        strategy_item_id: UUID | None = None,
        meta: Meta,
        idempotency_key: str | None = None,
    ) -> UUID:
        request = dict(name=name, plan_type=plan_type, legal_basis=legal_basis, owning_unit=owning_unit,
                       initiated_through_strategy=initiated_through_strategy, description=description,
                       parent_plan_id=parent_plan_id, strategy_id=strategy_id, strategy_item_id=strategy_item_id)

        def run() -> tuple[UUID, list[Aggregate]]:
            parent = self._get(Plan, parent_plan_id) if parent_plan_id else None
            if strategy_id:
                self._get(PlanStrategy, strategy_id)
            plan = Plan.propose(
                name=name, plan_type=plan_type, legal_basis=legal_basis, owning_unit=owning_unit,
                description=description, parent=parent, initiated_through_strategy=initiated_through_strategy,
                strategy_id=strategy_id, strategy_item_id=strategy_item_id, meta=meta,
            )
            return plan.id, [plan]

        return self._idempotent(idempotency_key, "propose_plan", request, run)

    def _plan_command(
        self,
        command: str,
        plan_id: UUID,
        expected_version: int | None,
        idempotency_key: str | None,
        request: dict[str, Any],
        act: Callable[[Plan], None],
    ) -> UUID:
        def run() -> tuple[UUID, list[Aggregate]]:
            plan = self._get(Plan, plan_id, expected_version)
            act(plan)
            return plan.id, [plan]

        return self._idempotent(idempotency_key, command, {"plan_id": plan_id, **request}, run)

    def advance_plan(
        self,
        plan_id: UUID,
        *,
        to: PlanStatus | str,
        on: date,
        decision_id: UUID | None = None,
        expected_version: int | None = None,
        meta: Meta,
        idempotency_key: str | None = None,
    ) -> UUID:
        def act(plan: Plan) -> None:
            decision = self._get(Decision, decision_id) if decision_id else None
            plan.advance(to=to, on=on, decision=decision, meta=meta)

        return self._plan_command("advance_plan", plan_id, expected_version, idempotency_key,
                                  dict(to=str(to), on=on, decision_id=decision_id), act)

    def adopt_plan(self, plan_id: UUID, *, decision_id: UUID, expected_version: int | None = None, meta: Meta,
                   idempotency_key: str | None = None) -> UUID:
        return self._plan_command(
            "adopt_plan", plan_id, expected_version, idempotency_key, dict(decision_id=decision_id),
            lambda plan: plan.adopt(decision=self._get(Decision, decision_id), meta=meta),
        )

    def repeal_plan(self, plan_id: UUID, *, decision_id: UUID, expected_version: int | None = None, meta: Meta,
                    idempotency_key: str | None = None) -> UUID:
        return self._plan_command(
            "repeal_plan", plan_id, expected_version, idempotency_key, dict(decision_id=decision_id),
            lambda plan: plan.repeal(decision=self._get(Decision, decision_id), meta=meta),
        )

    def replace_plan(self, plan_id: UUID, *, successor_id: UUID, decision_id: UUID,
                     expected_version: int | None = None, meta: Meta, idempotency_key: str | None = None) -> UUID:
        return self._plan_command(
            "replace_plan", plan_id, expected_version, idempotency_key,
            dict(successor_id=successor_id, decision_id=decision_id),
            lambda plan: plan.replace_by(successor=self._get(Plan, successor_id),
                                         decision=self._get(Decision, decision_id), meta=meta),
        )

    def merge_plan(self, plan_id: UUID, *, target_id: UUID, decision_id: UUID, expected_version: int | None = None,
                   meta: Meta, idempotency_key: str | None = None) -> UUID:
        return self._plan_command(
            "merge_plan", plan_id, expected_version, idempotency_key,
            dict(target_id=target_id, decision_id=decision_id),
            lambda plan: plan.merge_into(target=self._get(Plan, target_id),
                                         decision=self._get(Decision, decision_id), meta=meta),
        )

    def anchor_plan(self, plan_id: UUID, *, goal_id: UUID, expected_version: int | None = None, meta: Meta,
                    idempotency_key: str | None = None) -> UUID:
        return self._plan_command(
            "anchor_plan", plan_id, expected_version, idempotency_key, dict(goal_id=goal_id),
            lambda plan: plan.anchor_in(self._get(Goal, goal_id), meta=meta),
        )

    def move_plan(self, plan_id: UUID, *, parent_plan_id: UUID | None, expected_version: int | None = None,
                  meta: Meta, idempotency_key: str | None = None) -> UUID:
        def act(plan: Plan) -> None:
            if parent_plan_id is None:
                plan.move_under(None, meta=meta)
                return
            parent = self._get(Plan, parent_plan_id)
            plan.move_under(parent, ancestors_of_parent=self._ancestors(parent), meta=meta)

        return self._plan_command("move_plan", plan_id, expected_version, idempotency_key,
                                  dict(parent_plan_id=parent_plan_id), act)

    def schedule_revision(self, plan_id: UUID, *, due: date, reason: str = "", expected_version: int | None = None,
                          meta: Meta, idempotency_key: str | None = None) -> UUID:
        return self._plan_command(
            "schedule_revision", plan_id, expected_version, idempotency_key, dict(due=due, reason=reason),
            lambda plan: plan.schedule_revision(due=due, reason=reason, meta=meta),
        )

    # ------------------------------------------------------------------ decisions

    def record_decision(
        self,
        *,
        body: str,
        case_number: str,
        meeting_date: date,
        subject: str,
        outcome: str,
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
        idempotency_key: str | None = None,
    ) -> UUID:
        amendments, plan_ids = list(amendments), list(plan_ids)
        request = dict(body=body, case_number=case_number, meeting_date=meeting_date, subject=subject,
                       outcome=outcome, body_name=body_name, text=text, votes_for=votes_for,
                       votes_against=votes_against, votes_blank=votes_blank, unanimous=unanimous,
                       strategy_id=strategy_id, plan_ids=plan_ids)

        def run() -> tuple[UUID, list[Aggregate]]:
            if strategy_id:
                self._get(PlanStrategy, strategy_id)
            for plan_id in plan_ids:
                self._get(Plan, plan_id)
            decision = Decision.record(amendments=amendments, meta=meta, **request)
            return decision.id, [decision]

        return self._idempotent(idempotency_key, "record_decision",
                                {**request, "amendments": [a.as_dict() for a in amendments]}, run)

    # ------------------------------------------------------------------ strategies

    def draft_strategy(
        self,
        *,
        election_period: str,
        council_constituted_on: date,
        title: str = "",
        meta: Meta,
        idempotency_key: str | None = None,
    ) -> UUID:
        def run() -> tuple[UUID, list[Aggregate]]:
            strategy = PlanStrategy.draft(election_period=election_period,
                                          council_constituted_on=council_constituted_on, title=title, meta=meta)
            return strategy.id, [strategy]

        return self._idempotent(idempotency_key, "draft_strategy", dict(
            election_period=election_period, council_constituted_on=council_constituted_on, title=title), run)

    def _strategy_command(self, command: str, strategy_id: UUID, expected_version: int | None,
                          idempotency_key: str | None, request: dict[str, Any],
                          act: Callable[[PlanStrategy], Any]) -> UUID:
        def run() -> tuple[UUID, list[Aggregate]]:
            strategy = self._get(PlanStrategy, strategy_id, expected_version)
            result = act(strategy)
            return (result if isinstance(result, UUID) else strategy.id), [strategy]

        return self._idempotent(idempotency_key, command, {"strategy_id": strategy_id, **request}, run)

    def set_strategy_item(
        self,
        strategy_id: UUID,
        *,
        item_id: UUID,
        action: str,
        timing: str,
        rationale: str,
        origin: str = ItemOrigin.ADMINISTRATION.value,
        plan_id: UUID | None = None,
        plan_name: str | None = None,
        plan_type: str | None = None,
        plan_need_id: UUID | None = None,
        decision_id: UUID | None = None,
        merge_into_plan_id: UUID | None = None,
        expected_version: int | None = None,
        meta: Meta,
        idempotency_key: str | None = None,
    ) -> UUID:
        """Returns the item id. Plans named by the item must be in the register."""
        request = dict(item_id=item_id, action=action, timing=timing, rationale=rationale, origin=origin,
                       plan_id=plan_id, plan_name=plan_name, plan_type=plan_type, plan_need_id=plan_need_id,
                       decision_id=decision_id, merge_into_plan_id=merge_into_plan_id)

        def act(strategy: PlanStrategy) -> UUID:
            for other in (plan_id, merge_into_plan_id):
                if other:
                    self._get(Plan, other)
            if decision_id:
                self._get(Decision, decision_id)
            strategy.set_item(meta=meta, **request)
            return item_id

        return self._strategy_command("set_strategy_item", strategy_id, expected_version, idempotency_key,
                                      request, act)

    def remove_strategy_item(self, strategy_id: UUID, *, item_id: UUID, reason: str = "",
                             expected_version: int | None = None, meta: Meta,
                             idempotency_key: str | None = None) -> UUID:
        return self._strategy_command(
            "remove_strategy_item", strategy_id, expected_version, idempotency_key,
            dict(item_id=item_id, reason=reason),
            lambda s: s.remove_item(item_id=item_id, origin=ItemOrigin.ADMINISTRATION, reason=reason, meta=meta),
        )

    def assess_kommuneplan(self, strategy_id: UUID, *, samfunnsdel: str, arealdel: str, rationale: str = "",
                           expected_version: int | None = None, meta: Meta,
                           idempotency_key: str | None = None) -> UUID:
        return self._strategy_command(
            "assess_kommuneplan", strategy_id, expected_version, idempotency_key,
            dict(samfunnsdel=samfunnsdel, arealdel=arealdel, rationale=rationale),
            lambda s: s.assess_kommuneplan(samfunnsdel=samfunnsdel, arealdel=arealdel, rationale=rationale,
                                           meta=meta),
        )

    def receive_input(self, strategy_id: UUID, *, input_id: UUID, source: str, sender: str, received_on: date,
                      summary: str, document_reference: str | None = None, expected_version: int | None = None,
                      meta: Meta, idempotency_key: str | None = None) -> UUID:
        """Returns the input id."""
        request = dict(input_id=input_id, source=source, sender=sender, received_on=received_on, summary=summary,
                       document_reference=document_reference)

        def act(strategy: PlanStrategy) -> UUID:
            strategy.receive_input(meta=meta, **request)
            return input_id

        return self._strategy_command("receive_input", strategy_id, expected_version, idempotency_key, request, act)

    def cite_evidence(self, strategy_id: UUID, *, evidence_id: UUID, kind: str, title: str, dated: date,
                      url: str | None = None, expected_version: int | None = None, meta: Meta,
                      idempotency_key: str | None = None) -> UUID:
        """Returns the evidence id."""
        request = dict(evidence_id=evidence_id, kind=kind, title=title, dated=dated, url=url)

        def act(strategy: PlanStrategy) -> UUID:
            strategy.cite_evidence(meta=meta, **request)
            return evidence_id

        return self._strategy_command("cite_evidence", strategy_id, expected_version, idempotency_key, request, act)

    def publish_strategy(self, strategy_id: UUID, *, on: date, planned_meeting_on: date | None = None,
                         expected_version: int | None = None, meta: Meta,
                         idempotency_key: str | None = None) -> UUID:
        return self._strategy_command(
            "publish_strategy", strategy_id, expected_version, idempotency_key,
            dict(on=on, planned_meeting_on=planned_meeting_on),
            lambda s: s.publish(on=on, planned_meeting_on=planned_meeting_on, meta=meta),
        )

    def adopt_strategy(self, strategy_id: UUID, *, decision_id: UUID, expected_version: int | None = None,
                       meta: Meta, idempotency_key: str | None = None) -> UUID:
        def act(strategy: PlanStrategy) -> None:
            decision = self._get(Decision, decision_id)
            for amendment in decision.amendments:
                for other in (amendment.plan_id, amendment.merge_into_plan_id):
                    if amendment.adopted and amendment.change and other:
                        self._get(Plan, other)
            strategy.adopt(decision=decision, meta=meta)

        return self._strategy_command("adopt_strategy", strategy_id, expected_version, idempotency_key,
                                      dict(decision_id=decision_id), act)

    # ------------------------------------------------------------------ reaction

    def on_recommendation_issued(self, envelope: Any) -> bool:
        """co-creation's ``recommendation.issued`` drafts the strategy and its items, each
        item's origin the plan need. True if it drafted, False if the strategy was already
        there (a redelivery). The service is the actor; the event is the cause."""
        from planspor_shared.envelope import parse_payload

        payload = parse_payload(envelope)
        if payload.event_type != "recommendation.issued":
            raise ValueError(f"on_recommendation_issued got {payload.event_type}")
        if payload.council_constituted_on is None:
            raise InvalidValue(
                "strategy.council_constituted_on_required",
                f"recommendation {payload.recommendation_id} has no council_constituted_on: the strategy's "
                "PBL §10-1 year is counted from it and is not guessed",
            )
        if self.exists(strategy_id_for(payload.recommendation_id)):
            return False
        meta = Meta.of(SYSTEM_ACTOR, correlation_id=envelope.correlation_id or str(envelope.event_id),
                       causation_id=str(envelope.event_id))
        self.draft_from_recommendation(
            recommendation_id=payload.recommendation_id,
            process_id=payload.process_id,
            election_period=payload.election_period,
            council_constituted_on=payload.council_constituted_on,
            summary=payload.summary,
            needs=[item.model_dump(mode="python") for item in payload.items],
            meta=meta,
        )
        return True

    def exists(self, aggregate_id: UUID) -> bool:
        try:
            self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return False
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
    ) -> UUID:
        """The reaction to ``recommendation.issued``: one strategy per recommendation and
        one item per plan need, with ids derived from them. A redelivery finds the
        strategy and changes nothing, so the effect happens once."""
        strategy_id = strategy_id_for(recommendation_id)
        try:
            self.repository.get(strategy_id)
            return strategy_id
        except AggregateNotFoundError:
            pass
        strategy = PlanStrategy.draft(
            election_period=election_period,
            council_constituted_on=council_constituted_on,
            title=f"Planstrategi {election_period}",
            recommendation_id=_as_uuid(recommendation_id),
            process_id=_as_uuid(process_id) if process_id else None,
            meta=meta,
        )
        assert strategy.id == strategy_id
        for need in needs:
            plan_need_id = _as_uuid(need["plan_need_id"])
            strategy.set_item(
                item_id=strategy_item_id(strategy.id, plan_need_id),
                action=need["action"],
                plan_id=_as_uuid(need["plan_id"]) if need.get("plan_id") else None,
                plan_name=need.get("plan_title"),
                plan_type=need.get("plan_type"),
                timing=need["timing"],
                rationale=need.get("rationale") or summary or f"Plan need {plan_need_id} from co-creation",
                origin=ItemOrigin.PLAN_NEED,
                plan_need_id=plan_need_id,
                merge_into_plan_id=_as_uuid(need["merge_into_plan_id"]) if need.get("merge_into_plan_id") else None,
                meta=meta,
            )
        try:
            self.save(strategy)
        except IntegrityError:
            pass  # a concurrent delivery saved it first: same ids, same effect
        return strategy_id

    # ------------------------------------------------------------------ queries

    def get(self, kind: str, aggregate_id: UUID) -> dict[str, Any]:
        """Current state of a goal, indicator, plan, strategy or decision, as plain data."""
        return self._get(KINDS[kind], aggregate_id).state()  # type: ignore[attr-defined]

    def version_of(self, kind: str, aggregate_id: UUID) -> int:
        return self._get(KINDS[kind], aggregate_id).version

    def list(self, kind: str, *, limit: int = 1000) -> list[dict[str, Any]]:
        """Current state of every aggregate of a kind, in order of creation."""
        cls = KINDS[kind]
        created = [c for c in _created_event_topics(cls)]
        states: list[dict[str, Any]] = []
        start = 1
        while len(states) < limit:
            notifications = self.notification_log.select(start=start, limit=self.log_section_size, topics=created)
            if not notifications:
                break
            for notification in notifications:
                states.append(self._get(cls, notification.originator_id).state())  # type: ignore[attr-defined]
                if len(states) >= limit:
                    break
            start = notifications[-1].id + 1
        return states

    def history(self, kind: str, aggregate_id: UUID) -> list[dict[str, Any]]:
        """The stored events of an aggregate as plain data, oldest first."""
        self._get(KINDS[kind], aggregate_id)
        return [event_as_dict(e) for e in self.events.get(aggregate_id)]


def _as_uuid(value: Any) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


def _created_event_topics(cls: type[Aggregate]) -> list[str]:
    names = {"Goal": "Defined", "Indicator": "Defined", "Plan": "Proposed", "PlanStrategy": "Drafted",
             "Decision": "Recorded"}
    return [get_topic(getattr(cls, names[cls.__name__]))]


def plain(value: Any) -> Any:
    if isinstance(value, Meta):
        return value.as_dict()
    if isinstance(value, (UUID, Decimal)):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def event_as_dict(domain_event: Any) -> dict[str, Any]:
    fields = {
        k: plain(v)
        for k, v in vars(domain_event).items()
        if k not in ("originator_id", "originator_version", "timestamp", "originator_topic", "meta")
    }
    meta = getattr(domain_event, "meta", None)
    return {
        "type": type(domain_event).__qualname__,
        "version": domain_event.originator_version,
        "timestamp": domain_event.timestamp.isoformat(),
        "actor": meta.actor.as_dict() if meta else None,
        "correlation_id": meta.correlation_id if meta else None,
        "causation_id": meta.causation_id if meta else None,
        "data": fields,
    }
