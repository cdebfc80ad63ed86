"""The prioritisation (prioritering): a vote among eligible participants over plan needs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar

from eventsourcing.domain import Aggregate, event

from cocreation.domain.checks import duplicates
from cocreation.domain.counting import TIE_BREAK, Ballot, Ranked, check_ballot, count
from cocreation.domain.errors import InvalidPrioritisation, NotEligible, PrioritisationClosed, QuorumNotMet
from cocreation.domain.ids import STORED_TOPIC_MODULE, ballot_id_for
from cocreation.domain.phases import Activity
from cocreation.domain.process import Process
from cocreation.domain.vocabulary import PrioritisationMethod
from planspor_shared.meta import Meta


class Prioritisation(Aggregate):
    """One ballot per eligible participant, replaceable until the prioritisation is closed;
    closing needs the quorum (the least number of ballots) and records the result, so it
    never has to be recounted."""

    __module__ = STORED_TOPIC_MODULE

    if TYPE_CHECKING:  # the event classes eventsourcing makes of the @event methods below
        Opened: ClassVar[type[Aggregate.Created]]
        BallotCast: ClassVar[type[Aggregate.Event]]
        Made: ClassVar[type[Aggregate.Event]]

    @classmethod
    def open(
        cls,
        *,
        process: Process,
        title: str,
        method: PrioritisationMethod | str,
        candidate_ids: Sequence[str],
        eligible_ids: Sequence[str],
        quorum: int,
        dots_per_participant: int | None,
        meta: Meta,
        opened_on: date | None = None,
    ) -> Prioritisation:
        process.check_phase(Activity.OPEN_PRIORITISATION)
        process.check_after_start("prioritisation.dates_in_order", "opened", opened_on)
        voting = PrioritisationMethod(method)
        if len(candidate_ids) < 2:
            raise InvalidPrioritisation(
                "prioritisation.candidates", "a prioritisation needs at least two candidate plan needs"
            )
        if duplicates(candidate_ids) or duplicates(eligible_ids):
            raise InvalidPrioritisation("prioritisation.setup", "a candidate or participant is listed twice")
        process.check_owns("plan need", candidate_ids, process.plan_need_ids)
        if not eligible_ids:
            raise InvalidPrioritisation("prioritisation.eligible", "name at least one eligible participant")
        process.check_enrolled("prioritisation.eligible", eligible_ids)
        if not 1 <= quorum <= len(eligible_ids):
            raise InvalidPrioritisation(
                "prioritisation.quorum",
                f"quorum (the least number of ballots) must be between 1 and the {len(eligible_ids)} eligible",
            )
        dot_voting = voting is PrioritisationMethod.DOT
        if dot_voting and not (dots_per_participant and dots_per_participant >= 1):
            raise InvalidPrioritisation("prioritisation.dots", "dot voting needs dots_per_participant of at least 1")
        if not dot_voting and dots_per_participant is not None:
            raise InvalidPrioritisation("prioritisation.dots", "dots_per_participant applies only to dot voting")
        prioritisation = cls(
            process_id=str(process.id),
            title=(title or "").strip(),
            method=voting.value,
            candidate_ids=list(candidate_ids),
            eligible_ids=list(eligible_ids),
            quorum=quorum,
            dots_per_participant=dots_per_participant,
            tie_break=TIE_BREAK,
            meta=meta,
            opened_on=opened_on,
        )
        process.add_prioritisation(prioritisation_id=str(prioritisation.id), meta=meta)
        return prioritisation

    @event("Opened")
    def __init__(
        self,
        process_id: str,
        title: str,
        method: str,
        candidate_ids: list[str],
        eligible_ids: list[str],
        quorum: int,
        dots_per_participant: int | None,
        tie_break: str,
        meta: Meta,
        opened_on: date | None = None,
    ) -> None:
        self.process_id = process_id
        self.opened_on = opened_on
        self.title = title
        self.method = PrioritisationMethod(method)
        self.candidate_ids = list(candidate_ids)
        self.eligible_ids = list(eligible_ids)
        self.quorum = quorum
        self.dots_per_participant = dots_per_participant
        self.tie_break = tie_break
        self.ballots: dict[str, Ballot] = {}
        self.ballot_ids: dict[str, str] = {}
        self.casts = 0
        self.result: list[Ranked] | None = None
        self.counted_ballot_ids: list[str] = []

    @property
    def is_made(self) -> bool:
        return self.result is not None

    def check_open(self) -> None:
        if self.is_made:
            raise PrioritisationClosed("prioritisation.open", f"prioritisation {self.id} is closed: its result is made")

    def cast_ballot(self, *, participant_id: str, ballot: Ballot, meta: Meta, on: date | None = None) -> str:
        """Record or replace the participant's ballot; returns the new ballot's id.

        Ballot ids derive from the prioritisation and the count of casts, so a
        replayed aggregate gives every ballot the same id again."""
        self.check_open()
        if on is not None and self.opened_on is not None and on < self.opened_on:
            raise InvalidPrioritisation(
                "ballot.dates_in_order", f"ballot cast {on} is before voting opened ({self.opened_on})"
            )
        if participant_id not in self.eligible_ids:
            raise NotEligible(
                "ballot.eligible", f"participant {participant_id} is not eligible to vote in this prioritisation"
            )
        check_ballot(self.method, self.candidate_ids, ballot, self.dots_per_participant)
        placed = Ballot(
            ranking=ballot.ranking, approvals=ballot.approvals, dots={c: n for c, n in ballot.dots.items() if n > 0}
        )
        ballot_id = str(ballot_id_for(self.id, self.casts + 1))
        self._ballot_cast(
            process_id=self.process_id,
            method=self.method.value,
            ballot_id=ballot_id,
            participant_id=participant_id,
            ballot=placed.as_dict(),
            replaces_ballot_id=self.ballot_ids.get(participant_id),
            meta=meta,
            cast_on=on,
        )
        return ballot_id

    @event("BallotCast")
    def _ballot_cast(
        self,
        process_id: str,
        method: str,
        ballot_id: str,
        participant_id: str,
        ballot: dict[str, Any],
        replaces_ballot_id: str | None,
        meta: Meta,
        cast_on: date | None = None,
    ) -> None:
        self.casts += 1
        self.ballots[participant_id] = Ballot.from_dict(ballot)
        self.ballot_ids[participant_id] = ballot_id

    def close(self, *, process: Process, meta: Meta, on: date | None = None) -> list[Ranked]:
        """``on``: the day the result was made (effective time)."""
        process.check_phase(Activity.CLOSE_PRIORITISATION)
        self.check_open()
        if len(self.ballots) < self.quorum:
            raise QuorumNotMet(
                "prioritisation.quorum",
                f"{len(self.ballots)} of {len(self.eligible_ids)} eligible have voted; the quorum is {self.quorum}",
            )
        result = count(self.method, self.candidate_ids, self.ballots.values())
        self._made(
            process_id=self.process_id,
            method=self.method.value,
            eligible_count=len(self.eligible_ids),
            tie_break=self.tie_break,
            result=[r.as_dict() for r in result],
            ballots_counted=len(self.ballots),
            counted_ballot_ids=[self.ballot_ids[p] for p in self.eligible_ids if p in self.ballot_ids],
            meta=meta,
            made_on=on,
        )
        return result

    @event("Made")
    def _made(
        self,
        process_id: str,
        method: str,
        eligible_count: int,
        tie_break: str,
        result: list[dict[str, Any]],
        ballots_counted: int,
        counted_ballot_ids: list[str],
        meta: Meta,
        made_on: date | None = None,
    ) -> None:
        self.made_on = made_on
        self.result = [Ranked(**r) for r in result]
        self.counted_ballot_ids = list(counted_ballot_ids)
