"""The reaction to plan-registry's plans: the local plan catalogue, kept from their ``plan.*`` events.

``on_plan_event`` can be given the same event any number of times, in any order, and
the catalogue ends the same: each field keeps the source position of the event that
set it, and an event changes a field only if its position is higher.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID, uuid5

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import IntegrityError

from cocreation.domain import NAMESPACE
from planspor_runtime.application import AggregateNotFound, ConcurrencyConflict, ServiceApplication

STORED_TOPIC_MODULE = "cocreation.application"
"""The module the catalogue names in its stored topics, as before the application became a package."""


class CataloguedPlan(Aggregate):
    """What co-creation knows of a plan in plan-registry, keyed uuid5(plan id)."""

    __module__ = STORED_TOPIC_MODULE

    if TYPE_CHECKING:  # the event classes eventsourcing makes of the @event methods below
        Catalogued: ClassVar[type[Aggregate.Created]]
        Observed: ClassVar[type[Aggregate.Event]]

    @staticmethod
    def id_for(plan_id: str) -> UUID:
        return uuid5(NAMESPACE, f"plan:{plan_id}")

    @event("Catalogued")
    def __init__(self, *, id: UUID, plan_id: str) -> None:
        self.plan_id = plan_id
        self.title: str | None = None
        self.plan_type: str | None = None
        self.status: str | None = None
        self.positions: dict[str, int] = {}
        self.position = 0

    def absorb(self, position: int, fields: Mapping[str, Any]) -> bool:
        """Take the fields an event at ``position`` sets, where it is the latest; False if nothing changed."""
        changes = {f: v for f, v in fields.items() if position > self.positions.get(f, 0)}
        if not changes and position <= self.position:
            return False
        self._observed(position=position, changes=changes)
        return True

    @event("Observed")
    def _observed(self, position: int, changes: dict[str, Any]) -> None:
        for name, value in changes.items():
            setattr(self, name, value)
            self.positions[name] = position
        self.position = max(self.position, position)


def plan_fields(event_type: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    """The catalogue fields a ``plan.*`` event sets (a later one may only move the position)."""
    if event_type == "plan.proposed":
        return {"title": payload.get("title"), "plan_type": payload.get("plan_type"), "status": "proposed"}
    if event_type == "plan.status_changed":
        return {"status": payload.get("to_status")}
    return {}


def _field(envelope: Any, name: str) -> Any:
    """A field of an envelope, sealed (``Envelope``) or as a dict."""
    return envelope.get(name) if isinstance(envelope, Mapping) else getattr(envelope, name)


def plan_view(entry: CataloguedPlan) -> dict[str, Any]:
    return {
        "plan_id": entry.plan_id,
        "title": entry.title,
        "plan_type": entry.plan_type,
        "status": entry.status,
        "position": entry.position,
    }


class PlanCatalogueReaction(ServiceApplication):
    """The reaction to plan-registry's ``plan.*`` events, and the reads of the catalogue."""

    SAVE_ATTEMPTS = 5

    def on_plan_event(self, envelope: Any) -> bool:
        """Keep the catalogue from one of plan-registry's ``plan.*`` events (an envelope or its dict).

        Returns whether anything changed; other sources and event types are ignored.
        """
        event_type = str(_field(envelope, "event_type"))
        if _field(envelope, "source") != "plan-registry" or not event_type.startswith("plan."):
            return False
        payload = _field(envelope, "payload") or {}
        plan_id = str(payload.get("plan_id") or _field(envelope, "aggregate_id"))
        position = int(_field(envelope, "position"))
        fields = plan_fields(event_type, payload)
        for _ in range(self.SAVE_ATTEMPTS):
            entry = self.catalogued(plan_id)
            created = entry is None
            if entry is None:
                entry = CataloguedPlan(id=CataloguedPlan.id_for(plan_id), plan_id=plan_id)
            if not (entry.absorb(position, fields) or created):
                return False
            try:
                self.save(entry)
                return True
            except IntegrityError:
                continue
        raise ConcurrencyConflict(f"plan {plan_id} in the catalogue kept changing concurrently")

    def catalogued(self, plan_id: str) -> CataloguedPlan | None:
        try:
            entry: object = self.repository.get(CataloguedPlan.id_for(plan_id))
        except AggregateNotFoundError:
            return None
        return entry if isinstance(entry, CataloguedPlan) else None

    def unknown_plans(self, plan_ids: Iterable[str]) -> set[str]:
        """The plan ids the catalogue does not know (the domain's ``UnknownPlans``)."""
        return {p for p in plan_ids if self.catalogued(p) is None}

    def plan_titles(self, plan_ids: Iterable[str]) -> dict[str, str]:
        titles: dict[str, str] = {}
        for plan_id in plan_ids:
            entry = self.catalogued(plan_id)
            if entry is not None and entry.title:
                titles[plan_id] = entry.title
        return titles

    def get_plan(self, plan_id: str) -> dict[str, Any]:
        entry = self.catalogued(plan_id)
        if entry is None:
            raise AggregateNotFound("plan.exists", f"no plan with id {plan_id} in the plan catalogue")
        return plan_view(entry)

    def list_plans(self) -> list[dict[str, Any]]:
        return [plan_view(self.get(CataloguedPlan, i)) for i in self.ids_created([CataloguedPlan.Catalogued])]

    def plans_page(self, *, limit: int, after: int = 0) -> tuple[list[dict[str, Any]], int | None]:
        """A page of ``list_plans`` after the log position ``after``, and the position to continue after."""
        ids, last = self.created_page([CataloguedPlan.Catalogued], limit=limit, after=after)
        return [plan_view(self.get(CataloguedPlan, i)) for i in ids], last
