"""Recording a formal decision (vedtak): a fact of the archive, recorded once and never edited."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic

from plan_registry.domain import Amendment, Decision, Plan, PlanStrategy
from planspor_runtime.application import Changed, CommandResult, ServiceApplication, request_of
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
        meta: Meta,
        idempotency_key: str | None = None,
    ) -> CommandResult:
        """The strategy and the plans the decision concerns, when named, must be in the register."""
        request = request_of(locals(), amendments=list(amendments), plan_ids=list(plan_ids))
        listed: list[Amendment] = request["amendments"]
        concerned: list[UUID] = request["plan_ids"]

        def run() -> Changed:
            Decision.check_not_recorded_twice(
                body, case_number, meeting_date, self.decision_recorded_as(body, case_number, meeting_date)
            )
            if strategy_id:
                self.get(PlanStrategy, strategy_id)
            for plan_id in concerned:
                self.get(Plan, plan_id)
            return Changed(
                Decision.record(
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
            )

        return self.command("record_decision", request, run, idempotency_key=idempotency_key)

    def decision_recorded_as(self, body: str, case_number: str, meeting_date: date) -> UUID | None:
        """The decision on record of that body, case number and meeting date, if any (read from the
        stored ``Decision.Recorded`` events, without loading each decision)."""
        topics = [get_topic(Decision.Recorded)]
        start, wanted = 1, (str(body), case_number.strip(), meeting_date)
        while notifications := self.notification_log.select(start=start, limit=self.log_section_size, topics=topics):
            for notification in notifications:
                recorded: Any = self.mapper.to_domain_event(notification)
                if (str(recorded.body), str(recorded.case_number).strip(), recorded.meeting_date) == wanted:
                    return UUID(str(recorded.originator_id))
            start = notifications[-1].id + 1
        return None
