"""What every part of the co-creation application shares: the clock, the names of its aggregates, its store."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from typing import ClassVar

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import JSONTranscoder

from cocreation.application.legacy import EarlierMetaAsDict
from cocreation.application.reactions import CataloguedPlan, PlanCatalogueReaction
from cocreation.domain import Input, PlanNeed, Prioritisation, Process, Recommendation, Workshop
from planspor_shared.events.base import municipal_day

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class CocreationBase(PlanCatalogueReaction):
    """The application's state beside the store: a clock (the day a workshop is held, an input raised)."""

    labels: ClassVar[Mapping[type[Aggregate], str]] = {
        Process: "process",
        Workshop: "workshop",
        Input: "input",
        PlanNeed: "plan_need",
        Prioritisation: "prioritisation",
        Recommendation: "recommendation",
        CataloguedPlan: "plan",
    }

    def __init__(self, env: Mapping[str, str] | None = None, clock: Clock | None = None) -> None:
        self.clock: Clock = clock or utc_now
        super().__init__(env=env)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        transcoder.register(EarlierMetaAsDict())
        super().register_transcodings(transcoder)

    def today(self) -> date:
        """Today in Norway (Europe/Oslo, not UTC's date): what "in the future" and the follow-up window are
        measured against."""
        return municipal_day(self.clock())
