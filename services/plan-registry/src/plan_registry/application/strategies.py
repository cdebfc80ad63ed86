"""Commands on the plan strategy: draft, items, kommuneplan assessment, external inputs,
evidence, publication and adoption by the council.

A command on an item, an input or a piece of evidence answers with that part's id and
the strategy's version (the strategy is what ``If-Match`` guards).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any
from uuid import UUID

from plan_registry.domain import Decision, ItemOrigin, Plan, PlanStrategy
from planspor_runtime.application import Changed, CommandResult, ServiceApplication, request_of
from planspor_runtime.bodies import municipal_today
from planspor_shared.meta import Meta


class StrategyCommands(ServiceApplication):
    def draft_strategy(
        self,
        *,
        election_period: str,
        council_constituted_on: date,
        title: str = "",
        drafted_on: date | None = None,
        meta: Meta,
        idempotency_key: str | None = None,
    ) -> CommandResult:
        """``drafted_on`` is the day the draft was made (effective time); left out, the day it is recorded
        (in Norway) stands in, and no rule is judged against it."""
        request = request_of(locals(), omit=("drafted_on",) if drafted_on is None else ())

        def run() -> Changed:
            return Changed(
                PlanStrategy.draft(
                    election_period=election_period,
                    council_constituted_on=council_constituted_on,
                    title=title,
                    drafted_on=drafted_on,
                    meta=meta,
                )
            )

        return self.command("draft_strategy", request, run, idempotency_key=idempotency_key)

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
        set_on: date | None = None,
        expected_version: int | None = None,
        meta: Meta,
        idempotency_key: str | None = None,
    ) -> CommandResult:
        """Creates or changes one item; the plans and the decision it names must be in the register."""
        request = request_of(locals(), omit=["strategy_id"] + (["set_on"] if set_on is None else []))

        def act(strategy: PlanStrategy) -> UUID:
            for named in (plan_id, merge_into_plan_id):
                if named:
                    self.get(Plan, named)
            if decision_id:
                self.get(Decision, decision_id)
            strategy.set_item(
                item_id=item_id,
                action=action,
                plan_id=plan_id,
                plan_name=plan_name,
                plan_type=plan_type,
                timing=timing,
                rationale=rationale,
                origin=origin,
                plan_need_id=plan_need_id,
                decision_id=decision_id,
                merge_into_plan_id=merge_into_plan_id,
                on=set_on,
                meta=meta,
            )
            return item_id

        return self._change_strategy(
            "set_strategy_item",
            strategy_id,
            request,
            act,
            expected_version=expected_version,
            idempotency_key=idempotency_key,
        )

    def remove_strategy_item(
        self,
        strategy_id: UUID,
        *,
        item_id: UUID,
        reason: str = "",
        expected_version: int | None = None,
        meta: Meta,
        idempotency_key: str | None = None,
    ) -> CommandResult:
        def act(strategy: PlanStrategy) -> UUID:
            strategy.remove_item(item_id=item_id, origin=ItemOrigin.ADMINISTRATION, reason=reason, meta=meta)
            return item_id

        return self._change_strategy(
            "remove_strategy_item",
            strategy_id,
            dict(item_id=item_id, reason=reason),
            act,
            expected_version=expected_version,
            idempotency_key=idempotency_key,
        )

    def assess_kommuneplan(
        self,
        strategy_id: UUID,
        *,
        samfunnsdel: str,
        arealdel: str,
        rationale: str = "",
        assessed_on: date | None = None,
        expected_version: int | None = None,
        meta: Meta,
        idempotency_key: str | None = None,
    ) -> CommandResult:
        def act(strategy: PlanStrategy) -> None:
            strategy.assess_kommuneplan(
                samfunnsdel=samfunnsdel, arealdel=arealdel, rationale=rationale, on=assessed_on, meta=meta
            )

        return self._change_strategy(
            "assess_kommuneplan",
            strategy_id,
            dict(samfunnsdel=samfunnsdel, arealdel=arealdel, rationale=rationale)
            | ({"assessed_on": assessed_on} if assessed_on else {}),
            act,
            expected_version=expected_version,
            idempotency_key=idempotency_key,
        )

    def receive_input(
        self,
        strategy_id: UUID,
        *,
        input_id: UUID,
        source: str,
        sender: str,
        summary: str,
        received_on: date | None = None,
        document_reference: str | None = None,
        in_reply_to: UUID | None = None,
        expected_version: int | None = None,
        meta: Meta,
        idempotency_key: str | None = None,
    ) -> CommandResult:
        request = request_of(locals(), omit=["strategy_id"] + (["in_reply_to"] if in_reply_to is None else []))

        def act(strategy: PlanStrategy) -> UUID:
            strategy.receive_input(
                input_id=input_id,
                source=source,
                sender=sender,
                received_on=received_on or municipal_today(),
                summary=summary,
                document_reference=document_reference,
                in_reply_to=in_reply_to,
                meta=meta,
            )
            return input_id

        return self._change_strategy(
            "receive_input",
            strategy_id,
            request,
            act,
            expected_version=expected_version,
            idempotency_key=idempotency_key,
        )

    def request_views(
        self,
        strategy_id: UUID,
        *,
        request_id: UUID,
        party_kind: str,
        party_name: str,
        sent_on: date | None = None,
        expected_version: int | None = None,
        meta: Meta,
        idempotency_key: str | None = None,
    ) -> CommandResult:
        """``sent_on`` is the day the request went out (effective time; left out, today in Norway)."""
        request = request_of(locals(), omit=["strategy_id"])

        def act(strategy: PlanStrategy) -> UUID:
            strategy.request_views(
                request_id=request_id,
                party_kind=party_kind,
                party_name=party_name,
                sent_on=sent_on or municipal_today(),
                meta=meta,
            )
            return request_id

        return self._change_strategy(
            "request_views",
            strategy_id,
            request,
            act,
            expected_version=expected_version,
            idempotency_key=idempotency_key,
        )

    def cite_evidence(
        self,
        strategy_id: UUID,
        *,
        evidence_id: UUID,
        kind: str,
        title: str,
        dated: date,
        url: str | None = None,
        cited_on: date | None = None,
        expected_version: int | None = None,
        meta: Meta,
        idempotency_key: str | None = None,
    ) -> CommandResult:
        request = request_of(locals(), omit=["strategy_id"] + (["cited_on"] if cited_on is None else []))

        def act(strategy: PlanStrategy) -> UUID:
            strategy.cite_evidence(
                evidence_id=evidence_id, kind=kind, title=title, dated=dated, url=url, on=cited_on, meta=meta
            )
            return evidence_id

        return self._change_strategy(
            "cite_evidence",
            strategy_id,
            request,
            act,
            expected_version=expected_version,
            idempotency_key=idempotency_key,
        )

    def publish_strategy(
        self,
        strategy_id: UUID,
        *,
        on: date | None = None,
        planned_meeting_on: date | None = None,
        expected_version: int | None = None,
        meta: Meta,
        idempotency_key: str | None = None,
    ) -> CommandResult:
        def act(strategy: PlanStrategy) -> None:
            strategy.publish(on=on or municipal_today(), planned_meeting_on=planned_meeting_on, meta=meta)

        return self._change_strategy(
            "publish_strategy",
            strategy_id,
            dict(on=on, planned_meeting_on=planned_meeting_on),
            act,
            expected_version=expected_version,
            idempotency_key=idempotency_key,
        )

    def adopt_strategy(
        self,
        strategy_id: UUID,
        *,
        decision_id: UUID,
        expected_version: int | None = None,
        meta: Meta,
        idempotency_key: str | None = None,
    ) -> CommandResult:
        """The plans the decision's adopted amendments name must be in the register."""

        def act(strategy: PlanStrategy) -> None:
            decision = self.get(Decision, decision_id)
            for amendment in decision.amendments:
                for named in (amendment.plan_id, amendment.merge_into_plan_id):
                    if amendment.changes_items and named:
                        self.get(Plan, named)
            strategy.adopt(decision=decision, meta=meta)

        return self._change_strategy(
            "adopt_strategy",
            strategy_id,
            dict(decision_id=decision_id),
            act,
            expected_version=expected_version,
            idempotency_key=idempotency_key,
        )

    def _change_strategy(
        self,
        name: str,
        strategy_id: UUID,
        request: Mapping[str, Any],
        act: Callable[[PlanStrategy], UUID | None],
        *,
        expected_version: int | None,
        idempotency_key: str | None,
    ) -> CommandResult:
        """``act`` returns the id of the part it made or changed (an item, an input), or None for the strategy."""

        def run() -> Changed:
            strategy = self.get(PlanStrategy, strategy_id, expected_version)
            part = act(strategy)
            return Changed(strategy, id=part)

        return self.command(
            name,
            {"strategy_id": strategy_id, **request},
            run,
            idempotency_key=idempotency_key,
            expected_version=expected_version,
        )
