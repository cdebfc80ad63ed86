"""Commands of the workshops and what comes out of them: schedule, hold, record inputs, propose plan needs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from uuid import UUID

from cocreation.application.base import CocreationBase
from cocreation.domain import Input, PlanNeed, Process, Workshop
from planspor_runtime.application import Changed, CommandResult, request_of
from planspor_shared.meta import Meta


class WorkshopCommands(CocreationBase):
    def schedule_workshop(
        self,
        process_id: UUID | str,
        *,
        title: str,
        on: date,
        format: str,
        agenda: Sequence[str],
        meta: Meta,
        location: str | None = None,
        planned_on: date | None = None,
        idempotency_key: str | None = None,
    ) -> CommandResult:
        request = request_of(locals(), omit=("planned_on",) if planned_on is None else ())

        def run() -> Changed:
            process = self.get(Process, process_id)
            workshop = Workshop.schedule(
                process=process,
                title=title,
                on=on,
                format=format,
                agenda=agenda,
                location=location,
                planned_on=planned_on,
                meta=meta,
            )
            return Changed(workshop, others=[process], extra={"workshop_id": str(workshop.id)})

        return self.command("schedule_workshop", request, run, idempotency_key=idempotency_key)

    def hold_workshop(
        self,
        workshop_id: UUID | str,
        *,
        attendee_ids: Sequence[str],
        held_on: date | None = None,
        meta: Meta,
        expected_version: int | None = None,
        idempotency_key: str | None = None,
    ) -> CommandResult:
        request = request_of(locals())

        def run() -> Changed:
            workshop = self.get(Workshop, workshop_id, expected_version)
            process = self.get(Process, workshop.process_id)
            workshop.hold(
                process=process,
                held_on=held_on or self.today(),
                attendees=list(attendee_ids),
                today=self.today(),
                meta=meta,
            )
            return Changed(workshop, extra={"workshop_id": str(workshop.id)})

        return self.command(
            "hold_workshop", request, run, idempotency_key=idempotency_key, expected_version=expected_version
        )

    def record_input(
        self,
        workshop_id: UUID | str,
        *,
        author_id: str,
        kind: str,
        text: str,
        meta: Meta,
        plan_ids: Sequence[str] = (),
        goal_ids: Sequence[str] = (),
        recorded_on: date | None = None,
        idempotency_key: str | None = None,
    ) -> CommandResult:
        request = request_of(locals())

        def run() -> Changed:
            workshop = self.get(Workshop, workshop_id)
            process = self.get(Process, workshop.process_id)
            item = Input.record(
                process=process,
                workshop=workshop,
                author_id=author_id,
                kind=kind,
                text=text,
                plan_ids=list(plan_ids),
                goal_ids=list(goal_ids),
                unknown_plans=self.unknown_plans,
                today=self.today(),
                recorded_on=recorded_on,
                meta=meta,
            )
            return Changed(item, others=[process], extra={"input_id": str(item.id)})

        return self.command("record_input", request, run, idempotency_key=idempotency_key)

    def propose_plan_need(
        self,
        process_id: UUID | str,
        *,
        input_ids: Sequence[str],
        kind: str,
        title: str,
        meta: Meta,
        rationale: str = "",
        plan_id: str | None = None,
        merge_into_plan_id: str | None = None,
        plan_type: str | None = None,
        proposed_on: date | None = None,
        idempotency_key: str | None = None,
    ) -> CommandResult:
        request = request_of(locals(), omit=("proposed_on",) if proposed_on is None else ())

        def run() -> Changed:
            process = self.get(Process, process_id)
            need = PlanNeed.propose(
                process=process,
                input_ids=list(input_ids),
                kind=kind,
                title=title,
                rationale=rationale,
                plan_id=plan_id,
                merge_into_plan_id=merge_into_plan_id,
                plan_type=plan_type,
                proposed_on=proposed_on,
                unknown_plans=self.unknown_plans,
                meta=meta,
            )
            return Changed(need, others=[process], extra={"plan_need_id": str(need.id)})

        return self.command("propose_plan_need", request, run, idempotency_key=idempotency_key)
