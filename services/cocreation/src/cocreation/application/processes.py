"""Commands on a process itself: start it, enroll its participants, move it to its next phase."""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid4

from cocreation.application.base import CocreationBase
from cocreation.domain import Prioritisation, Process, Workshop
from planspor_runtime.application import Changed, CommandResult, request_of
from planspor_shared.meta import Meta


class ProcessCommands(CocreationBase):
    def start_process(
        self,
        *,
        title: str,
        purpose: str,
        election_period: str,
        roles_and_limits: str,
        all_officials_invited: bool,
        follow_up_days: int,
        meta: Meta,
        started_on: date | None = None,
        idempotency_key: str | None = None,
    ) -> CommandResult:
        """``started_on``: the day the process began (effective time); left out, the day it is recorded."""
        request = request_of(locals(), omit=("started_on",) if started_on is None else ())

        def run() -> Changed:
            process = Process.start(
                title=title,
                purpose=purpose,
                election_period=election_period,
                roles_and_limits=roles_and_limits,
                all_officials_invited=all_officials_invited,
                follow_up_days=follow_up_days,
                started_on=started_on,
                meta=meta,
            )
            return Changed(process, extra={"process_id": str(process.id)})

        return self.command("start_process", request, run, idempotency_key=idempotency_key)

    def enroll_participant(
        self,
        process_id: UUID | str,
        *,
        name: str,
        kind: str,
        role: str,
        meta: Meta,
        party: str | None = None,
        body: str | None = None,
        unit: str | None = None,
        substitute: bool = False,
        enrolled_on: date | None = None,
        expected_version: int | None = None,
        idempotency_key: str | None = None,
    ) -> CommandResult:
        """The result's id is the new participant's; its version the process's."""
        request = request_of(locals(), omit=("enrolled_on",) if enrolled_on is None else ())

        def run() -> Changed:
            process = self.get(Process, process_id, expected_version)
            participant_id = uuid4()
            process.enroll(
                participant_id=str(participant_id),
                name=name,
                kind=kind,
                role=role,
                party=party,
                body=body,
                unit=unit,
                substitute=substitute,
                meta=meta,
                on=enrolled_on,
            )
            return Changed(
                process, id=participant_id, extra={"process_id": str(process.id), "participant_id": str(participant_id)}
            )

        return self.command(
            "enroll_participant", request, run, idempotency_key=idempotency_key, expected_version=expected_version
        )

    def advance_phase(
        self,
        process_id: UUID | str,
        *,
        to: str,
        meta: Meta,
        on: date | None = None,
        expected_version: int | None = None,
        idempotency_key: str | None = None,
    ) -> CommandResult:
        """``on``: the day the phase changed (effective time); left out, the day it is recorded."""
        request = request_of(locals(), omit=("on",) if on is None else ())

        def run() -> Changed:
            process = self.get(Process, process_id, expected_version)
            workshops = [self.get(Workshop, w) for w in process.workshop_ids]
            prioritisations = [self.get(Prioritisation, p) for p in process.prioritisation_ids]
            process.advance(
                to=to,
                held_workshops=sum(1 for w in workshops if w.is_held),
                plan_needs=len(process.plan_need_ids),
                made_prioritisations=sum(1 for p in prioritisations if p.is_made),
                meta=meta,
                on=on,
            )
            return Changed(process, extra={"process_id": str(process.id), "phase": process.phase.value})

        return self.command(
            "advance_phase", request, run, idempotency_key=idempotency_key, expected_version=expected_version
        )
