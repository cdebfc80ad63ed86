"""One event's writes, recorded as Cypher fragments: what a handler says, before anything reaches Neo4j.

Round trips, not Cypher, bound the throughput, so a handler does not talk to Neo4j: it
records its event's writes on an ``EventWrites`` (create, change, link, close, a new
state period, or a fixed fragment), each with the nodes (label, id) it touches or links
to. A fragment's text depends only on labels and relationship types, and those come only
from the fixed lists of the graph model (``knowledge.graph.schema.FACT_LABELS`` and
``RELATIONSHIPS`` here), so an event's statement depends only on its *shape* and Neo4j
plans it once (``knowledge.graph.batch``). The model is drawn in
services/knowledge/README.md ("The graph model").

A fragment is Cypher run once per entry of its parameter list, with ``ev`` (the event:
``ev.eid``, ``ev.t``), ``e`` (its Event node) and ``p`` (the entry) in scope. Each write is
idempotent (MERGE on keys, relationships keyed by ``created_by``), so a batch applied
twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from knowledge.graph.schema import FACT_LABELS
from planspor_shared.canonical import canonical_decimal, canonical_json
from planspor_shared.envelope import Envelope
from planspor_shared.events import IntegrationEvent, ValueObject
from planspor_shared.events.base import municipal_day

RELATIONSHIPS: frozenset[str] = frozenset(
    {
        "PART_OF",
        "ANCHORED_IN",
        "MEASURED_BY",
        "HAS_MEASUREMENT",
        "CORRECTS",
        "HAD_STATUS",
        "HAD_REVISION_SCHEDULE",
        "SET_IN",
        "INITIATED_THROUGH",
        "REPLACES",
        "MERGED_INTO",
        "SUB_GOAL_OF",
        "REPLACED_BY",
        "ADOPTED",
        "DECIDED",
        "INFORMED_BY",
        "FROM_PROCESS",
        "HAS_ITEM",
        "HAD_VERSION",
        "CONCERNS",
        "FROM_NEED",
        "MERGE_INTO",
        "AMENDED_BY",
        "REMOVED",
        "HAD_ASSESSMENT",
        "CITES",
        "MADE_BY",
        "MEMBER_OF",
        "ENROLLED_IN",
        "HAD_PHASE",
        "ATTENDED",
        "RAISED_AT",
        "RAISED_BY",
        "DERIVED_FROM",
        "CANDIDATE",
        "ELIGIBLE",
        "CAST",
        "IN",
        "RANKS",
        "APPROVES",
        "GIVES_DOTS",
        "RANKED",
        "COUNTED",
        "BASED_ON",
        "RECOMMENDS",
        "ANSWERS",
        "DUPLICATE_OF",
    }
)
"""Every relationship type a fact may have (besides the provenance types CREATED, CHANGED, FOLLOWS)."""

ACTIVITIES = frozenset({"Process", "Workshop", "Prioritisation", "Decision"})
AGENTS = frozenset({"Participant", "Body"})

NodeKey = tuple[str, str]
"""A node by its label and ``id``."""


def prov_type(label: str) -> str:
    if label in ACTIVITIES:
        return "prov:Activity"
    if label in AGENTS:
        return "prov:Agent"
    return "prov:Entity"


def as_property(value: Any) -> Any:
    """A payload value as a Neo4j property: numbers as exact strings, nested objects as canonical JSON."""
    if isinstance(value, Enum):
        return as_property(value.value)
    if isinstance(value, Decimal):
        return canonical_decimal(value)
    if isinstance(value, (str, bool, int, date, datetime)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        if all(isinstance(x, (str, int, bool, Enum)) and not isinstance(x, Decimal) for x in value):
            return [as_property(x) for x in value]
        return canonical_json(list(value)).decode()
    if isinstance(value, Mapping):
        return canonical_json(dict(value)).decode()
    return canonical_json(value).decode()


def properties_of(payload: IntegrationEvent | ValueObject, *, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """Every field of a payload (or a part of one) as node or relationship properties, but ``exclude``."""
    return {
        name: as_property(field) for name, field in payload.model_dump(mode="python").items() if name not in exclude
    }


def checked_label(label: str) -> str:
    if label not in FACT_LABELS:
        raise ValueError(f"label {label!r} is not in the graph model")
    return label


def checked_relationship(relationship: str) -> str:
    if relationship not in RELATIONSHIPS:
        raise ValueError(f"relationship {relationship!r} is not in the graph model")
    return relationship


class EventWrites:
    """The writes of one event, in order: create, change, link, close, a new state period, or a fragment."""

    def __init__(self, envelope: Envelope) -> None:
        self.event_id = str(envelope.event_id)
        """The event's id: the key of the state nodes it begins (``ev.eid`` in a fragment)."""
        self.occurred_at = envelope.occurred_at
        """When it was recorded: the ``since``/``until`` it writes (``ev.t`` in a fragment)."""
        self.valid_on = municipal_day(envelope.occurred_at)
        """When it happened (effective): the ``valid_from``/``valid_to`` it writes (``ev.vt`` in a fragment).

        The payload's own date once ``knowledge.graph.batch.compile_event`` has set it.
        """
        self.fragments: list[str] = []
        self.params: list[list[dict[str, Any]]] = []
        self.touches: set[NodeKey] = set()
        """The nodes the event writes or reads through."""
        self.links_to: set[NodeKey] = set()
        """The nodes it only links to (MERGE with a stub on create, an incoming relationship)."""

    def fragment(self, cypher: str, *, touches: Iterable[tuple[str, str | None]] = (), **params: Any) -> None:
        """Consecutive uses of one fragment share its slot (and the statement's shape): their entries run in order.

        ``touches`` names the nodes (label, id) the fragment writes, or reads the neighbourhood
        of; it decides which events of a batch may be written out of their order
        (``knowledge.graph.batch.schedule``).
        """
        self.touches.update((label, node_id) for label, node_id in touches if node_id is not None)
        if self.fragments and self.fragments[-1] == cypher:
            self.params[-1].append(params)
        else:
            self.fragments.append(cypher)
            self.params.append([params])

    def create(self, label: str, node_id: str, properties: Mapping[str, Any]) -> None:
        """The event brings the node into being: it fills a stub if one was referred to before."""
        self.fragment(
            f"MERGE (n:{checked_label(label)} {{id: p.id}}) SET n += p.props, n.since = ev.t, n.valid_from = ev.vt, "
            f"n.prov_type = '{prov_type(label)}' REMOVE n.stub MERGE (e)-[:CREATED]->(n)",
            id=node_id,
            props=dict(properties),
            touches=[(label, node_id)],
        )

    def change(self, label: str, node_id: str, properties: Mapping[str, Any] | None = None) -> None:
        self.fragment(
            f"MERGE (n:{checked_label(label)} {{id: p.id}}) ON CREATE SET n.stub = true SET n += p.props "
            "MERGE (e)-[:CHANGED]->(n)",
            id=node_id,
            props=dict(properties or {}),
            touches=[(label, node_id)],
        )

    def link(
        self,
        from_label: str,
        from_id: str,
        relationship: str,
        to_label: str,
        to_id: str,
        properties: Mapping[str, Any] | None = None,
    ) -> None:
        """A relationship for the event's period; the ends are stubs until their own events arrive."""
        self.fragment(
            f"MERGE (a:{checked_label(from_label)} {{id: p.a}}) ON CREATE SET a.stub = true "
            f"MERGE (b:{checked_label(to_label)} {{id: p.b}}) ON CREATE SET b.stub = true "
            f"MERGE (a)-[r:{checked_relationship(relationship)} {{created_by: ev.eid}}]->(b) "
            "ON CREATE SET r += p.props, r.since = ev.t, r.valid_from = ev.vt",
            a=from_id,
            b=to_id,
            props=dict(properties or {}),
            touches=[(from_label, from_id)],
        )
        self.links_to.add((to_label, to_id))

    def close(
        self,
        from_label: str,
        from_id: str,
        relationship: str,
        to_label: str,
        to_id: str | None = None,
        end_target: bool = False,
    ) -> None:
        """End the open period(s) of ``relationship`` from the node; with ``end_target`` the state node ends too."""
        target_end = ", b.until = ev.t, b.valid_to = ev.vt, b.ended_by = ev.eid" if end_target else ""
        self.fragment(
            f"MATCH (a:{checked_label(from_label)} {{id: p.a}})-[r:{checked_relationship(relationship)}]->"
            f"(b:{checked_label(to_label)}) "
            "WHERE r.until IS NULL AND (p.b IS NULL OR b.id = p.b) AND r.created_by <> ev.eid "
            f"SET r.until = ev.t, r.valid_to = ev.vt, r.ended_by = ev.eid{target_end}",
            a=from_id,
            b=to_id,
            touches=[(from_label, from_id), (to_label, to_id)],
        )

    def state(
        self, owner_label: str, owner_id: str, relationship: str, state_label: str, properties: Mapping[str, Any]
    ) -> None:
        """A new period of a changing attribute: close the open state, open a new one keyed by the event id."""
        self.close(owner_label, owner_id, relationship, state_label, end_target=True)
        self.create(state_label, self.event_id, properties)
        self.link(owner_label, owner_id, relationship, state_label, self.event_id)
