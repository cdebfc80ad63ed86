"""Commands of the vote and what it hands over: open, cast, close a prioritisation; issue the recommendation."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any
from uuid import UUID

from cocreation.application.base import CocreationBase
from cocreation.domain import (
    Ballot,
    PlanNeed,
    Prioritisation,
    Process,
    Recommendation,
    RecommendedNeed,
    StrategyAction,
)
from planspor_runtime.application import Changed, CommandResult, request_of
from planspor_shared.meta import Meta


class PrioritisationCommands(CocreationBase):
    def open_prioritisation(
        self,
        process_id: UUID | str,
        *,
        title: str,
        method: str,
        candidate_ids: Sequence[str],
        eligible_ids: Sequence[str] | None,
        quorum: int,
        meta: Meta,
        dots_per_participant: int | None = None,
        opened_on: date | None = None,
        idempotency_key: str | None = None,
    ) -> CommandResult:
        """``eligible_ids`` None means every enrolled elected official."""
        request = request_of(locals(), omit=("opened_on",) if opened_on is None else ())

        def run() -> Changed:
            process = self.get(Process, process_id)
            eligible = [p.id for p in process.elected_officials] if eligible_ids is None else list(eligible_ids)
            prioritisation = Prioritisation.open(
                process=process,
                title=title,
                method=method,
                candidate_ids=list(candidate_ids),
                eligible_ids=eligible,
                quorum=quorum,
                dots_per_participant=dots_per_participant,
                opened_on=opened_on,
                meta=meta,
            )
            return Changed(prioritisation, others=[process], extra={"prioritisation_id": str(prioritisation.id)})

        return self.command("open_prioritisation", request, run, idempotency_key=idempotency_key)

    def cast_ballot(
        self,
        prioritisation_id: UUID | str,
        *,
        participant_id: str,
        meta: Meta,
        ranking: Sequence[str] = (),
        approvals: Sequence[str] = (),
        dots: Mapping[str, int] | None = None,
        cast_on: date | None = None,
        expected_version: int | None = None,
        idempotency_key: str | None = None,
    ) -> CommandResult:
        """The result's id is the new ballot's; ``replaced`` says whether it replaced the participant's last one."""
        request = request_of(locals(), omit=("cast_on",) if cast_on is None else (), dots=dict(dots or {}))

        def run() -> Changed:
            prioritisation = self.get(Prioritisation, prioritisation_id, expected_version)
            ballot = Ballot(ranking=tuple(ranking), approvals=tuple(approvals), dots=dict(dots or {}))
            replaced = participant_id in prioritisation.ballots
            ballot_id = prioritisation.cast_ballot(participant_id=participant_id, ballot=ballot, meta=meta, on=cast_on)
            return Changed(
                prioritisation,
                id=UUID(ballot_id),
                extra={"prioritisation_id": str(prioritisation.id), "ballot_id": ballot_id, "replaced": replaced},
            )

        return self.command(
            "cast_ballot", request, run, idempotency_key=idempotency_key, expected_version=expected_version
        )

    def close_prioritisation(
        self,
        prioritisation_id: UUID | str,
        *,
        meta: Meta,
        made_on: date | None = None,
        expected_version: int | None = None,
        idempotency_key: str | None = None,
    ) -> CommandResult:
        """The result carries the ranked result (``extra["result"]``), counted once and stored."""
        request = request_of(locals(), omit=("made_on",) if made_on is None else ())

        def run() -> Changed:
            prioritisation = self.get(Prioritisation, prioritisation_id, expected_version)
            process = self.get(Process, prioritisation.process_id)
            result = prioritisation.close(process=process, meta=meta, on=made_on)
            return Changed(
                prioritisation,
                extra={"prioritisation_id": str(prioritisation.id), "result": [r.as_dict() for r in result]},
            )

        return self.command(
            "close_prioritisation", request, run, idempotency_key=idempotency_key, expected_version=expected_version
        )

    def issue_recommendation(
        self,
        process_id: UUID | str,
        *,
        prioritisation_id: str,
        items: Sequence[Mapping[str, Any]],
        meta: Meta,
        summary: str = "",
        council_constituted_on: date | None = None,
        issued_on: date | None = None,
        expected_version: int | None = None,
        idempotency_key: str | None = None,
    ) -> CommandResult:
        """``items``: {need_id, action, start_year, note}. Issuing hands the process over.

        ``issued_on`` is the day it was handed to the formal track (effective time); left out, today in Norway.
        ``expected_version`` is the process's; the result's version is the new recommendation's."""
        request = request_of(locals(), omit=("issued_on",) if issued_on is None else ())

        def run() -> Changed:
            process = self.get(Process, process_id, expected_version)
            prioritisation = self.get(Prioritisation, prioritisation_id)
            wanted = [
                RecommendedNeed(
                    need_id=str(i["need_id"]),
                    action=StrategyAction(i["action"]),
                    start_year=int(i["start_year"]),
                    note=str(i.get("note") or ""),
                )
                for i in items
            ]
            needs = {
                n.need_id: self.get(PlanNeed, n.need_id) for n in wanted if n.need_id in prioritisation.candidate_ids
            }
            titles = self.plan_titles(need.plan_id for need in needs.values() if need.plan_id)
            recommendation = Recommendation.issue(
                process=process,
                prioritisation=prioritisation,
                needs=needs,
                items=wanted,
                summary=summary,
                plan_titles=titles,
                today=self.today(),
                meta=meta,
                council_constituted_on=council_constituted_on,
                issued_on=issued_on,
            )
            return Changed(
                recommendation,
                others=[process],
                extra={"recommendation_id": str(recommendation.id), "process_id": str(process.id)},
            )

        return self.command(
            "issue_recommendation", request, run, idempotency_key=idempotency_key, expected_version=expected_version
        )
