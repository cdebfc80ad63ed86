"""From a service's stored domain events to its public integration events: one table.

A service's ``contracts`` module keeps the table (``MAPPERS``: domain event class -> the
payloads it makes) and the stored events with no public meaning (``PRIVATE``: its
idempotency records, its private bookkeeping); ``map_event`` is the relay's mapper.
Any other event raises ``UnmappedEvent`` with its topic, so a new domain event cannot be
stored and then silently left out of the stream (the relay retries and logs it until
the mapping is added). The event ids are derived from the stored event (aggregate id,
version, the index of the payload), so mapping the same stored event again gives the same
integration events.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC
from typing import Any

from eventsourcing.utils import get_topic

from planspor_runtime.relay import Outgoing
from planspor_shared.envelope import derive_event_id
from planspor_shared.events.base import IntegrationEvent
from planspor_shared.meta import Actor, Meta

Payloads = Callable[[Any], Sequence[IntegrationEvent]]


class UnmappedEvent(LookupError):
    """A stored event is neither mapped nor private: the relay stops rather than leave a gap in the record."""

    def __init__(self, topic: str) -> None:
        super().__init__(
            f"no integration mapping for {topic}: add it to contracts.MAPPERS, or to PRIVATE if it has no public meaning"
        )
        self.topic = topic


def map_event(
    domain_event: Any,
    mappers: Mapping[type, Payloads],
    private: frozenset[type],
    *,
    actor_without_meta: Actor | None = None,
) -> list[Outgoing]:
    """The integration events of one stored domain event, in order (often one, none for a private one).

    Their actor, correlation and causation are the stored event's ``Meta``; an event stored without
    one (a service's own reaction, before it recorded ``Meta``) has ``actor_without_meta``.
    """
    kind = type(domain_event)
    if kind in private:
        return []
    mapper = mappers.get(kind)
    if mapper is None:
        raise UnmappedEvent(get_topic(kind))
    meta: Meta | None = getattr(domain_event, "meta", None)
    actor = meta.actor if meta is not None else actor_without_meta
    if actor is None:
        raise ValueError(f"{get_topic(kind)} was stored without Meta: no actor to publish it with")
    return [
        Outgoing(
            event_id=derive_event_id(domain_event.originator_id, domain_event.originator_version, n),
            payload=payload,
            aggregate_id=str(domain_event.originator_id),
            aggregate_version=domain_event.originator_version,
            occurred_at=domain_event.timestamp.astimezone(UTC),
            actor=actor.as_dict(),
            correlation_id=meta.correlation_id if meta is not None else None,
            causation_id=meta.causation_id if meta is not None else None,
        )
        for n, payload in enumerate(mapper(domain_event))
    ]


def same(stored: Any, names: str) -> dict[str, Any]:
    """The stored event's fields of these (space-separated) names, for the payload's fields of the same names:
    ``public.WorkshopHeld(**same(stored, "process_id held_on inputs_until"), ...)``."""
    return {name: getattr(stored, name) for name in names.split()}
