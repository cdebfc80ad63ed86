"""Goals (hovedmål, delmål) of kommuneplanens samfunnsdel: the anchor every other plan should have."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate, event

from plan_registry.domain.checks import check_sdg_target, required_text
from plan_registry.domain.ids import STORED_TOPIC_MODULE
from plan_registry.domain.vocabulary import GoalLevel
from planspor_shared.meta import Meta


class Goal(Aggregate):
    """A goal or sub-goal of the samfunnsdel, with the UN SDG targets it serves."""

    __module__ = STORED_TOPIC_MODULE

    if TYPE_CHECKING:  # the event classes eventsourcing makes of the @event methods below
        Defined: ClassVar[type[Aggregate.Created]]

    @staticmethod
    def create_id(**_: Any) -> UUID:
        return uuid4()

    @classmethod
    def define(
        cls,
        *,
        title: str,
        description: str = "",
        parent: Goal | None = None,
        samfunnsdel_plan_id: UUID | None = None,
        sdg_targets: Iterable[str] = (),
        defined_on: date | None = None,
        meta: Meta,
    ) -> Goal:
        title = required_text("title", title, "goal.title_required")
        targets = sorted({check_sdg_target(t) for t in sdg_targets})
        return cls(
            title=title,
            description=description or "",
            parent_id=parent.id if parent else None,
            samfunnsdel_plan_id=samfunnsdel_plan_id,
            sdg_targets=targets,
            defined_on=defined_on,
            meta=meta,
        )

    @event("Defined")
    def __init__(
        self,
        *,
        title: str,
        description: str,
        parent_id: UUID | None,
        samfunnsdel_plan_id: UUID | None,
        sdg_targets: list[str],
        meta: Meta,
        defined_on: date | None = None,
    ) -> None:
        self.title = title
        self.description = description
        self.parent_id = parent_id
        self.samfunnsdel_plan_id = samfunnsdel_plan_id
        self.sdg_targets = tuple(sdg_targets)
        self.defined_on = defined_on

    @property
    def level(self) -> GoalLevel:
        return GoalLevel.SUB_GOAL if self.parent_id else GoalLevel.MAIN_GOAL
