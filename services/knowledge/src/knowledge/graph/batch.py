"""The batch writer: the events of a batch as a handful of statements, inside the batch's transaction.

Each event's writes (``EventWrites``, filled by its handler) become ONE statement per event
*shape* (the sequence of its fragment texts): ``UNWIND $batch.events AS ev CALL (ev) { <Event node
+ FOLLOWS> <fragment 1> ... }``. A ``CALL`` subquery runs once per incoming row and each run
sees the writes of the runs before it, so the events of one statement are applied one after
the other, exactly as one at a time; ``schedule`` groups the batch's events into as few
statements as their dependencies allow, so the graph is the in-order graph (the golden
checksums of tests/integration/test_kn_golden.py pin it).

Statements are prefixed ``CYPHER replan=skip``: their plans (index seeks on the MERGE keys)
do not depend on the statistics, and re-planning each shape after the graph is emptied
costs more than the batch. The rows come inside a map (``$batch.events``), not as a list
parameter: Neo4j keys a plan also by the size class of a list parameter (1, up to 10, up to
100, ...), so a shape met by 1, 7 and 150 events would be planned three times, at about a
second each (``knowledge.graph.warmup``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NamedTuple

import neo4j

from knowledge.graph.handlers import mapping_for
from knowledge.graph.writes import EventWrites, NodeKey
from planspor_shared.canonical import canonical_json
from planspor_shared.envelope import Envelope
from planspor_shared.events import IntegrationEvent
from planspor_shared.events.base import effective_date, municipal_day

EVENT_WRITE = (
    "MERGE (e:Event {id: ev.eid}) SET e += ev.event "
    "WITH ev, e OPTIONAL MATCH (p:Event {source: ev.source, position: ev.position - 1}) "
    "FOREACH (_ IN CASE WHEN p IS NULL THEN [] ELSE [1] END | MERGE (e)-[:FOLLOWS]->(p)) "
    "WITH ev, e OPTIONAL MATCH (n:Event {source: ev.source, position: ev.position + 1}) "
    "FOREACH (_ IN CASE WHEN n IS NULL THEN [] ELSE [1] END | MERGE (n)-[:FOLLOWS]->(e))"
)
"""The Event node (a PROV activity) and its place in the source's chain, both ways (a replayed
dead letter arrives after its successor)."""


class EventToWrite(NamedTuple):
    """An event that passed every check, with whether its ``prev_hash`` continues its source's chain.

    ``payload`` None: an event of the source's log itself (``key.rotated``): its Event node, no facts.
    """

    envelope: Envelope
    payload: IntegrationEvent | None
    chain_ok: bool = True


def event_row(envelope: Envelope, chain_ok: bool, payload: IntegrationEvent | None = None) -> dict[str, Any]:
    """The ``ev`` of a statement: the Event node's properties, with its key, times and place in the chain.

    ``t`` is recorded time (``occurred_at``: the ``since``/``until`` of what it writes), ``vt`` is
    effective time (``effective_date``: the ``valid_from``/``valid_to``).
    """
    valid = (
        effective_date(payload, envelope.occurred_at) if payload is not None else municipal_day(envelope.occurred_at)
    )
    return {
        "eid": str(envelope.event_id),
        "t": envelope.occurred_at,
        "vt": valid,
        "source": envelope.source,
        "position": envelope.position,
        "event": {
            "type": envelope.event_type,
            "source": envelope.source,
            "position": envelope.position,
            "occurred_at": envelope.occurred_at,
            "valid_on": valid,
            "actor_id": envelope.actor.id,
            "actor_name": envelope.actor.name,
            "actor_role": envelope.actor.role,
            "hash": envelope.hash,
            "prev_hash": envelope.prev_hash,
            "correlation_id": envelope.correlation_id,
            "causation_id": envelope.causation_id,
            "schema_version": envelope.schema_version,
            "aggregate_id": envelope.aggregate_id,
            "aggregate_version": envelope.aggregate_version,
            "payload": _payload_text(envelope.payload),
            "chain_ok": chain_ok,
            "prov_type": "prov:Activity",
        },
    }


def _payload_text(payload: dict[str, Any]) -> str:
    """The payload's canonical JSON. An ``Envelope``'s payload holds canonical JSON values already (its
    validator), so ``json.dumps`` with the canonical settings gives the same text without walking it again;
    anything else takes the full canonical form."""
    try:
        return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError):
        return canonical_json(payload).decode()


@dataclass
class CompiledEvent:
    """One event's writes: the statement shape (its fragments) and the row that fills it."""

    shape: tuple[str, ...]
    row: dict[str, Any] = field(repr=False)
    touches: frozenset[NodeKey] = frozenset()
    links_to: frozenset[NodeKey] = frozenset()


def compile_event(event: EventToWrite) -> CompiledEvent:
    """Run the event's handler (``UnmappedEvent`` if it has none) and keep what it wrote as a statement row."""
    envelope = event.envelope
    writes = EventWrites(envelope)
    if event.payload is not None:
        writes.valid_on = effective_date(event.payload, envelope.occurred_at)
        mapping_for(envelope.event_type, envelope.schema_version).write(writes, event.payload)
    return CompiledEvent(
        tuple(writes.fragments),
        {**event_row(envelope, event.chain_ok, event.payload), "ops": writes.params},
        frozenset(writes.touches),
        frozenset(writes.links_to - writes.touches),
    )


@lru_cache(maxsize=512)
def statement(shape: tuple[str, ...]) -> str:
    """The statement for a run of events of one shape: per event, in order, its Event node then its fragments."""
    ops = " ".join(
        f"CALL (ev, e) {{ UNWIND ev.ops[{i}] AS p CALL (ev, e, p) {{ {fragment} }} }}"
        for i, fragment in enumerate(shape)
    )
    facts = f"WITH ev MATCH (e:Event {{id: ev.eid}}) {ops} " if ops else ""  # a log event (key.rotated) has none
    return f"CYPHER replan=skip UNWIND $batch.events AS ev CALL (ev) {{ CALL (ev) {{ {EVENT_WRITE} }} {facts}}}"


Statements = list[tuple[tuple[str, ...], list[dict[str, Any]]]]
"""Per statement to run, in order: its shape and the rows (events) it applies."""


def schedule(compiled: Iterable[CompiledEvent]) -> Statements:
    """Group the batch's events by shape into as few statements as their dependencies allow.

    Groups run in order, the events of a group in their batch order. An event may join an
    earlier group of its shape only if no event between them depends on it: two events
    depend on each other when one touches a node (writes it, or reads through its
    relationships) that the other touches or links to. Linking to a node (a MERGE that only
    sets ``stub`` on create, and an incoming relationship keyed by the event) commutes with
    other links to it, so vocabulary nodes such as a ``Body`` do not serialise the batch.
    Every pair of dependent events keeps its order, so the graph is the in-order one.
    """
    groups: Statements = []
    touched: dict[NodeKey, int] = {}
    linked: dict[NodeKey, int] = {}
    for event in compiled:
        after = max(
            [touched.get(k, -1) for k in event.links_to]
            + [max(touched.get(k, -1), linked.get(k, -1)) for k in event.touches],
            default=-1,
        )
        index = next((i for i in range(max(after, 0), len(groups)) if groups[i][0] == event.shape), None)
        if index is None:
            index = len(groups)
            groups.append((event.shape, []))
        groups[index][1].append(event.row)
        for k in event.touches:
            touched[k] = max(touched.get(k, -1), index)
        for k in event.links_to:
            linked[k] = max(linked.get(k, -1), index)
    return groups


def prepare_events(events: Sequence[EventToWrite]) -> Statements:
    """The statements that write the events (in the order given): no I/O."""
    return schedule(compile_event(event) for event in events)


async def run_statements(tx: neo4j.AsyncManagedTransaction, statements: Statements) -> int:
    """Run the prepared statements in the transaction, in order; returns how many ran."""
    for shape, rows in statements:
        await (await tx.run(statement(shape), batch={"events": rows})).consume()
    return len(statements)


async def write_events(tx: neo4j.AsyncManagedTransaction, events: Sequence[EventToWrite]) -> int:
    """Write the events (in the order given) in the transaction; returns the number of statements run."""
    return await run_statements(tx, prepare_events(events))
