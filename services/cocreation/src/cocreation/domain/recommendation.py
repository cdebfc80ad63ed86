"""The recommendation (anbefaling): the result of co-creation handed to the formal track."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from cocreation.domain.checks import duplicates
from cocreation.domain.errors import InvalidRecommendation, PrioritisationNotMade, RecommendationAlreadyIssued
from cocreation.domain.ids import STORED_TOPIC_MODULE, recommendation_id_for
from cocreation.domain.phases import Activity
from cocreation.domain.plan_need import PlanNeed
from cocreation.domain.prioritisation import Prioritisation
from cocreation.domain.process import Process
from cocreation.domain.vocabulary import ACTIONS_FOR_NEED, StrategyAction
from planspor_shared.meta import Meta


@dataclass(frozen=True)
class RecommendedNeed:
    """A plan need put forward: what the strategy should do with it, and from which year."""

    need_id: str
    action: StrategyAction
    start_year: int
    note: str = ""


class Recommendation(Aggregate):
    """The plan needs put forward from a made prioritisation, each with an action and a
    start year inside the election period. Issued once; issuing hands the process over."""

    __module__ = STORED_TOPIC_MODULE

    if TYPE_CHECKING:  # the event classes eventsourcing makes of the @event methods below
        Issued: ClassVar[type[Aggregate.Created]]

    @classmethod
    def issue(
        cls,
        *,
        process: Process,
        prioritisation: Prioritisation,
        needs: Mapping[str, PlanNeed],
        items: Sequence[RecommendedNeed],
        summary: str,
        plan_titles: Mapping[str, str],
        today: date,
        meta: Meta,
        council_constituted_on: date | None = None,
        issued_on: date | None = None,
    ) -> Recommendation:
        """``needs`` are the plan needs put forward; ``plan_titles`` the catalogue's titles of their plans.
        ``council_constituted_on`` goes with it to the formal track: the plan registry counts the PBL §10-1
        year of the strategy it drafts from that date."""
        process.check_phase(Activity.ISSUE_RECOMMENDATION)
        issued_on = issued_on or today
        if issued_on > today:
            raise InvalidRecommendation(
                "recommendation.not_in_the_future", f"issued {issued_on} is after today ({today})"
            )
        if process.started_on is not None and issued_on < process.started_on:
            raise InvalidRecommendation(
                "recommendation.dates_in_order",
                f"issued {issued_on} is before the process started ({process.started_on})",
            )
        made_on = getattr(prioritisation, "made_on", None)
        if made_on is not None and issued_on < made_on:
            raise InvalidRecommendation(
                "recommendation.dates_in_order", f"issued {issued_on} is before the prioritisation was made ({made_on})"
            )
        if process.recommendation_id is not None:
            raise RecommendationAlreadyIssued(
                "recommendation.issued_once", f"recommendation {process.recommendation_id} was already issued"
            )
        process.check_owns("prioritisation", [str(prioritisation.id)], process.prioritisation_ids)
        if not prioritisation.is_made:
            raise PrioritisationNotMade(
                "recommendation.prioritisation_made",
                f"prioritisation {prioritisation.id} is still open: close it first",
            )
        cls.check_items(process, prioritisation, needs, items)
        ranks = {r.need_id: r.rank for r in prioritisation.result or []}
        rows = [cls._row(item, needs[item.need_id], ranks[item.need_id], plan_titles) for item in items]
        recommendation_id = recommendation_id_for(process.id)
        recommendation = cls(
            id=recommendation_id,
            process_id=str(process.id),
            prioritisation_id=str(prioritisation.id),
            election_period=process.election_period,
            issued_on=issued_on,
            items=rows,
            summary=(summary or "").strip(),
            council_constituted_on=council_constituted_on,
            meta=meta,
        )
        process.hand_over(recommendation_id=str(recommendation_id), meta=meta, on=issued_on)
        return recommendation

    @staticmethod
    def check_items(
        process: Process,
        prioritisation: Prioritisation,
        needs: Mapping[str, PlanNeed],
        items: Sequence[RecommendedNeed],
    ) -> None:
        """Candidates of the prioritisation, each once, starting in the period, with an action that fits the need."""
        rule = "recommendation.items"
        if not items:
            raise InvalidRecommendation(rule, "put forward at least one plan need")
        ids = [i.need_id for i in items]
        twice = duplicates(ids)
        if twice:
            raise InvalidRecommendation(rule, "a plan need is put forward twice: " + ", ".join(twice))
        outside = sorted(set(ids) - set(prioritisation.candidate_ids))
        if outside:
            raise InvalidRecommendation(
                "recommendation.from_prioritisation",
                "only candidates of the prioritisation can be put forward; not candidates: " + ", ".join(outside),
            )
        first, last = process.period_years
        late = [i.need_id for i in items if not first <= i.start_year <= last]
        if late:
            raise InvalidRecommendation(
                "recommendation.timing_in_period",
                f"start_year must lie in the election period {process.election_period}: " + ", ".join(late),
            )
        for item in items:
            need = needs[item.need_id]
            action = StrategyAction(item.action)
            fitting = ACTIONS_FOR_NEED[need.kind]
            if action not in fitting:
                raise InvalidRecommendation(
                    "recommendation.action_fits_need",
                    f"plan need {item.need_id} asks to {need.kind.value}: action '{action.value}' does not fit; "
                    "use " + " or ".join(sorted(a.value for a in fitting)),
                )

    @staticmethod
    def _row(item: RecommendedNeed, need: PlanNeed, rank: int, plan_titles: Mapping[str, str]) -> dict[str, Any]:
        action = StrategyAction(item.action)
        return {
            "need_id": item.need_id,
            "action": action.value,
            "start_year": item.start_year,
            "note": (item.note or "").strip(),
            "rank": rank,
            "plan_id": need.plan_id,
            "plan_title": plan_titles.get(need.plan_id or "", need.title),
            "plan_type": need.plan_type,
            "merge_into_plan_id": need.merge_into_plan_id if action is StrategyAction.MERGE else None,
        }

    @event("Issued")
    def __init__(
        self,
        *,
        id: UUID,
        process_id: str,
        prioritisation_id: str,
        election_period: str,
        issued_on: date,
        items: list[dict[str, Any]],
        summary: str,
        meta: Meta,
        council_constituted_on: date | None = None,
    ) -> None:
        self.council_constituted_on = council_constituted_on
        self.process_id = process_id
        self.prioritisation_id = prioritisation_id
        self.election_period = election_period
        self.issued_on = issued_on
        self.items = [dict(i) for i in items]
        self.summary = summary
