"""Recording a formal decision (vedtak): a fact of the archive, recorded once and never edited; one recorded by
mistake is voided, or corrected by a new decision that voids it (``corrects``)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic

from plan_registry.domain import Amendment, Decision, InvalidValue, Plan, PlanStrategy
from plan_registry.domain.checks import required_text
from planspor_runtime.application import Changed, CommandResult, ServiceApplication, request_of
from planspor_runtime.bodies import municipal_today
from planspor_shared.meta import Meta


class DecisionCommands(ServiceApplication):
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
        corrects: UUID | None = None,
        correction_reason: str | None = None,
        voided_on: date | None = None,
        meta: Meta,
        idempotency_key: str | None = None,
    ) -> CommandResult:
        """The strategy and the plans the decision concerns, when named, must be in the register.

        Sent as a correction (``corrects``), the new decision is recorded and the one it corrects is voided
        in the same command, with ``correction_reason``; the corrected one then no longer counts as the
        decision of its body, case number and meeting date.
        """
        request = _without_none(
            request_of(locals(), amendments=list(amendments), plan_ids=list(plan_ids)),
            "corrects",
            "correction_reason",
            "voided_on",
        )
        listed: list[Amendment] = request["amendments"]
        concerned: list[UUID] = request["plan_ids"]

        def run() -> Changed:
            corrected = self.get(Decision, corrects) if corrects else None
            if corrected is None and correction_reason is not None:
                raise InvalidValue(
                    "decision.correction_names_decision", "correction_reason goes with corrects: name the decision"
                )
            if corrected is not None:
                required_text("correction_reason", correction_reason, "decision.correction_reason_required")
            Decision.check_not_recorded_twice(
                body, case_number, meeting_date, self.decision_recorded_as(body, case_number, meeting_date, corrects)
            )
            if strategy_id:
                self.get(PlanStrategy, strategy_id)
            for plan_id in concerned:
                self.get(Plan, plan_id)
            decision = Decision.record(
                body=body,
                case_number=case_number,
                meeting_date=meeting_date,
                subject=subject,
                outcome=outcome,
                body_name=body_name,
                text=text,
                votes_for=votes_for,
                votes_against=votes_against,
                votes_blank=votes_blank,
                unanimous=unanimous,
                amendments=listed,
                strategy_id=strategy_id,
                plan_ids=concerned,
                meta=meta,
            )
            if corrected is None:
                return Changed(decision)
            corrected.void(
                reason=correction_reason or "",
                voided_on=voided_on or municipal_today(),
                replaced_by=decision.id,
                meta=meta,
            )
            return Changed(decision, others=[corrected])

        return self.command("record_decision", request, run, idempotency_key=idempotency_key)

    def void_decision(
        self,
        decision_id: UUID,
        *,
        reason: str,
        voided_on: date | None = None,
        replaced_by: UUID | None = None,
        meta: Meta,
        idempotency_key: str | None = None,
    ) -> CommandResult:
        """``voided_on`` is when the body or the archive found the record wrong (effective time; left out, today
        in Norway); ``replaced_by``, when named, must be a decision in the register."""
        request = _without_none(request_of(locals()), "voided_on", "replaced_by")

        def run() -> Changed:
            decision = self.get(Decision, decision_id)
            if replaced_by is not None:
                self.get(Decision, replaced_by)
            decision.void(reason=reason, voided_on=voided_on or municipal_today(), replaced_by=replaced_by, meta=meta)
            return Changed(decision)

        return self.command("void_decision", request, run, idempotency_key=idempotency_key)

    def decision_recorded_as(
        self, body: str, case_number: str, meeting_date: date, ignoring: UUID | None = None
    ) -> UUID | None:
        """The decision on record of that body, case number and meeting date, if any, but voided ones and
        ``ignoring`` (read from the stored ``Decision.Recorded`` and ``Decision.Voided`` events, without
        loading each decision)."""
        topics = [get_topic(Decision.Recorded), get_topic(Decision.Voided)]
        start, wanted = 1, (str(body), case_number.strip(), meeting_date)
        matching: list[UUID] = []
        voided: set[UUID] = {ignoring} if ignoring else set()
        while notifications := self.notification_log.select(start=start, limit=self.log_section_size, topics=topics):
            for notification in notifications:
                stored: Any = self.mapper.to_domain_event(notification)
                originator = UUID(str(stored.originator_id))
                if isinstance(stored, Decision.Voided):
                    voided.add(originator)
                elif (str(stored.body), str(stored.case_number).strip(), stored.meeting_date) == wanted:
                    matching.append(originator)
            start = notifications[-1].id + 1
        return next((found for found in matching if found not in voided), None)


def _without_none(request: dict[str, Any], *optional: str) -> dict[str, Any]:
    """The request without the optional arguments left out: a request made before they existed keeps its fingerprint."""
    return {name: value for name, value in request.items() if not (name in optional and value is None)}
