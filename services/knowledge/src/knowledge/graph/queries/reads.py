"""How every query reads the graph: one read transaction, rows as dicts, and the as-of predicates.

A fact node or relationship counts when ``since <= $as_of AND (until IS NULL OR until >
$as_of)``, an event when ``occurred_at <= $as_of`` (services/knowledge/README.md, "Time").
The predicates take a variable name written in a query of this package, never user input;
labels and relationship types in the queries come only from their fixed tables.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import datetime
from typing import Any, TypeVar

import neo4j

from knowledge.graph.cypher_guard import to_json

T = TypeVar("T")

Row = dict[str, Any]


def live(var: str) -> str:
    """True as of ``$as_of``."""
    return f"({var}.since <= $as_of AND ({var}.until IS NULL OR {var}.until > $as_of))"


def existed(var: str) -> str:
    """Came into being by ``$as_of`` (it may have ended since): what a trace of history shows."""
    return f"({var}.since IS NULL OR {var}.since <= $as_of)"


def fact(var: str) -> str:
    """Not a stub: a node referred to before the event that defines it is not yet a fact."""
    return f"(NOT coalesce({var}.stub, false))"


SEEN = "(e.occurred_at <= $as_of)"
"""The event ``e`` had happened by ``$as_of``."""


async def read(
    driver: neo4j.AsyncDriver, database: str | None, work: Callable[[neo4j.AsyncManagedTransaction], Awaitable[T]]
) -> T:
    """Run ``work`` in one read transaction: every part of an answer sees the same graph."""
    async with driver.session(
        database=database, default_access_mode=neo4j.READ_ACCESS, notifications_min_severity="OFF"
    ) as session:
        return await session.execute_read(work)


async def rows(tx: neo4j.AsyncManagedTransaction, query: str, **params: Any) -> list[Row]:
    result = await tx.run(query, params)
    return [record.data() async for record in result]


def properties(node_or_map: Any, drop: Iterable[str] = ()) -> Row:
    """A node's (or a map's) properties as JSON values, sorted by name, without ``drop``."""
    items = dict(node_or_map.items()) if hasattr(node_or_map, "items") else dict(node_or_map or {})
    return {name: to_json(value) for name, value in sorted(items.items()) if name not in drop}


def native(value: Any) -> Any:
    """A Neo4j date or time as Python's (what the pure rules compare)."""
    return value.to_native() if hasattr(value, "to_native") else value


def event_entry(row: Mapping[str, Any]) -> Row:
    return {
        "id": row["id"],
        "type": row["type"],
        "source": row["source"],
        "position": row["position"],
        "occurred_at": to_json(row["occurred_at"]),
        **({"link": row["link"]} if row.get("link") else {}),
    }


async def events_of(
    tx: neo4j.AsyncManagedTransaction, label: str, ids: list[str], as_of: datetime
) -> dict[str, list[Row]]:
    """The events that CREATED or CHANGED each node, in time order (occurred_at, source, position)."""
    found = await rows(
        tx,
        f"""
        UNWIND $ids AS id
        MATCH (n:{label} {{id: id}})<-[c:CREATED|CHANGED]-(e:Event)
        WHERE {SEEN}
        RETURN n.id AS node, e.id AS id, e.type AS type, e.source AS source, e.position AS position,
               e.occurred_at AS occurred_at, type(c) AS link
        ORDER BY e.occurred_at, e.source, e.position
        """,
        ids=ids,
        as_of=as_of,
    )
    events: dict[str, list[Row]] = defaultdict(list)
    for row in found:
        events[row["node"]].append(event_entry(row))
    return events
