"""Which handler writes which event: one table from (event_type, schema_version) to a typed handler.

A handler takes the ``EventWrites`` of its event and the contract model it handles
(``planspor_shared.events``), so a field it reads is checked against the contract. The
table is built from the models themselves, so a key cannot name a model the handler does
not take. An event whose (type, version) is not in the table is not written: it is kept
as a dead letter with the reason ``UnmappedEvent`` gives, and replayed once a mapping exists.
A new schema version of an event gets its own row (and, if its fields differ, its own handler).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from knowledge.graph.handlers import cocreation, plan_registry
from knowledge.graph.writes import EventWrites
from planspor_shared.events import IntegrationEvent
from planspor_shared.events import cocreation as cc
from planspor_shared.events import plan_registry as pr

P = TypeVar("P", bound=IntegrationEvent)

EventKey = tuple[str, int]
"""An event type and its schema version: ``("plan.proposed", 1)``."""


class UnmappedEvent(ValueError):
    """A valid event of a type (or version) the graph has no mapping for: kept as a dead letter."""


@dataclass(frozen=True)
class GraphMapping(Generic[P]):
    """The handler of one contract model."""

    model: type[P]
    handler: Callable[[EventWrites, P], None]

    @property
    def key(self) -> EventKey:
        return (self.model.event_type, self.model.schema_version)

    def write(self, writes: EventWrites, payload: IntegrationEvent) -> None:
        if not isinstance(payload, self.model):
            raise TypeError(
                f"{self.model.event_type} v{self.model.schema_version} is written from "
                f"{self.model.__name__}, not {type(payload).__name__}"
            )
        self.handler(writes, payload)


def handles(model: type[P], handler: Callable[[EventWrites, P], None]) -> GraphMapping[Any]:
    return GraphMapping(model, handler)


HANDLERS: Mapping[EventKey, GraphMapping[Any]] = {
    mapping.key: mapping
    for mapping in (
        handles(pr.GoalDefined, plan_registry.on_goal_defined),
        handles(pr.GoalRetired, plan_registry.on_goal_retired),
        handles(pr.IndicatorDefined, plan_registry.on_indicator_defined),
        handles(pr.IndicatorMeasured, plan_registry.on_indicator_measured),
        handles(pr.PlanProposed, plan_registry.on_plan_proposed),
        handles(pr.PlanParentChanged, plan_registry.on_plan_parent_changed),
        handles(pr.PlanAnchored, plan_registry.on_plan_anchored),
        handles(pr.PlanAnchorRemoved, plan_registry.on_plan_anchor_removed),
        handles(pr.PlanStatusChanged, plan_registry.on_plan_status_changed),
        handles(pr.PlanDuplicateMerged, plan_registry.on_plan_duplicate_merged),
        handles(pr.PlanRevisionScheduled, plan_registry.on_plan_revision_scheduled),
        handles(pr.StrategyDrafted, plan_registry.on_strategy_drafted),
        handles(pr.StrategyItemSet, plan_registry.on_strategy_item_set),
        handles(pr.StrategyItemRemoved, plan_registry.on_strategy_item_removed),
        handles(pr.StrategyKommuneplanAssessed, plan_registry.on_strategy_kommuneplan_assessed),
        handles(pr.StrategyEvidenceCited, plan_registry.on_strategy_evidence_cited),
        handles(pr.StrategyPublished, plan_registry.on_strategy_published),
        handles(pr.StrategyAdopted, plan_registry.on_strategy_adopted),
        handles(pr.DecisionRecorded, plan_registry.on_decision_recorded),
        handles(pr.DecisionVoided, plan_registry.on_decision_voided),
        handles(pr.ViewsRequested, plan_registry.on_views_requested),
        handles(pr.InputReceived, plan_registry.on_input_received),
        handles(pr.EvidenceRecorded, plan_registry.on_evidence_recorded),
        handles(cc.ProcessStarted, cocreation.on_process_started),
        handles(cc.ProcessPhaseChanged, cocreation.on_process_phase_changed),
        handles(cc.ParticipantEnrolled, cocreation.on_participant_enrolled),
        handles(cc.WorkshopScheduled, cocreation.on_workshop_scheduled),
        handles(cc.WorkshopHeld, cocreation.on_workshop_held),
        handles(cc.WorkshopCancelled, cocreation.on_workshop_cancelled),
        handles(cc.InputRecorded, cocreation.on_input_recorded),
        handles(cc.PlanNeedProposed, cocreation.on_plan_need_proposed),
        handles(cc.PrioritisationOpened, cocreation.on_prioritisation_opened),
        handles(cc.BallotCast, cocreation.on_ballot_cast),
        handles(cc.PrioritisationMade, cocreation.on_prioritisation_made),
        handles(cc.RecommendationIssued, cocreation.on_recommendation_issued),
    )
}


def unmapped_reason(event_type: str, schema_version: int) -> str | None:
    """Why the graph cannot write this event (it has no mapping), or None when it can."""
    if (event_type, schema_version) in HANDLERS:
        return None
    return f"no graph mapping for event type {event_type!r} (schema version {schema_version})"


def mapping_for(event_type: str, schema_version: int) -> GraphMapping[Any]:
    mapping = HANDLERS.get((event_type, schema_version))
    if mapping is None:
        raise UnmappedEvent(unmapped_reason(event_type, schema_version))
    return mapping
