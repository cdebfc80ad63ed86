"""How every query reads the graph: one read transaction, rows as dicts, and the as-of predicates.

Every query answers in a ``TimeFrame`` (``times``): ``$as_of`` a day in effective time, ``$known_at``
an instant of recorded time. A fact (node or relationship) counts when it was recorded by
``$known_at``, began (``valid_from``) by ``$as_of``, has not ended by ``$as_of`` by an end recorded
by ``$known_at``, and was not retracted by ``$known_at`` (``live``); an event when it was recorded
by ``$known_at`` and its effective day is by ``$as_of`` (``SEEN``). See services/knowledge/README.md,
"Two times".
The predicates take a variable name written in a query of this package, never user input;
labels and relationship types in the queries come only from their fixed tables.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import date
from typing import Any, TypeVar

import neo4j

from knowledge.graph.cypher_guard import to_json
from knowledge.graph.queries.times import TimeFrame
from planspor_shared.events.base import MUNICIPAL_TIMEZONE

T = TypeVar("T")

Row = dict[str, Any]


def municipal_day_of(instant: str) -> str:
    """Cypher: the calendar day in Norway of a DateTime (``planspor_shared.events.base.municipal_day``), null for
    null (``datetime({datetime: null})`` is an error, not null)."""
    return (
        f"CASE WHEN {instant} IS NULL THEN NULL "
        f"ELSE date(datetime({{datetime: {instant}, timezone: '{MUNICIPAL_TIMEZONE.key}'}})) END"
    )


def valid_from(var: str) -> str:
    """When it began in effective time; a fact written before valid time existed falls back to ``since``."""
    return f"coalesce({var}.valid_from, {municipal_day_of(var + '.since')})"


def valid_to(var: str) -> str:
    return f"coalesce({var}.valid_to, {municipal_day_of(var + '.until')})"


def not_retracted(var: str) -> str:
    """Not withdrawn by a correction known by ``$known_at`` (``retracted_at``: the correcting event's time).

    ``coalesce``, not ``IS NULL OR``: Neo4j plans an ``OR`` of a node's predicates as a union of two scans,
    which loses the order of an index (the lists read their page in an index's order, ``seek_from``)."""
    return f"coalesce({var}.retracted_at > $known_at, true)"


def known(var: str) -> str:
    """Recorded by ``$known_at`` and not retracted by then (whatever its effective time)."""
    return f"({var}.since <= $known_at AND {not_retracted(var)})"


def ended(var: str, day: str = "$as_of") -> str:
    """Its end counts: ended in effective time by ``day``, and that end was recorded by ``$known_at``."""
    return f"({var}.until IS NOT NULL AND {var}.until <= $known_at AND {valid_to(var)} <= {day})"


def live(var: str, day: str = "$as_of") -> str:
    """In force on ``day`` (``$as_of``) as the record stood at ``$known_at`` (the README's "Two times")."""
    return f"({known(var)} AND {valid_from(var)} <= {day} AND NOT {ended(var, day)})"


def existed(var: str) -> str:
    """Came into being by ``$as_of`` as known at ``$known_at`` (it may have ended since): what a trace of history
    shows. Vocabulary nodes (``Body``) have no time and always exist."""
    return f"({var}.since IS NULL OR ({known(var)} AND {valid_from(var)} <= $as_of))"


def on_record(var: str) -> str:
    """Came into being by ``$as_of`` as recorded by ``$known_at``, retracted or not: what a trace of the record
    shows, a voided decision with its voiding among them (a correction never deletes)."""
    return f"({var}.since IS NULL OR ({var}.since <= $known_at AND {valid_from(var)} <= $as_of))"


def fact(var: str) -> str:
    """Not a stub: a node referred to before the event that defines it is not yet a fact."""
    return f"(NOT coalesce({var}.stub, false))"


EVENT_DAY = f"coalesce(e.valid_on, {municipal_day_of('e.occurred_at')})"
"""The effective day of the event ``e`` (a Cypher expression): the ``valid_on`` the projector keeps on the Event
node (``effective_date``); a graph projected before it did falls back to the Norwegian day of ``occurred_at``
until it is rebuilt."""

SEEN = f"(e.occurred_at <= $known_at AND {EVENT_DAY} <= $as_of)"
"""The event ``e`` had happened by ``$as_of`` and was recorded by ``$known_at``."""


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
        "valid_on": to_json(row.get("valid_on")),
        "occurred_at": to_json(row["occurred_at"]),
        **({"link": row["link"]} if row.get("link") else {}),
    }


def union_all(parts: list[str]) -> str:
    """Cypher: one subquery of several parts (each ``... RETURN`` the same columns), their rows one after the other:
    one round trip for what would be one statement a part."""
    return "CALL () { " + " UNION ALL ".join(parts) + " } "


async def events_of_nodes(
    tx: neo4j.AsyncManagedTransaction, ids_by_label: Mapping[str, list[str]], frame: TimeFrame
) -> dict[tuple[str, str], list[Row]]:
    """The events that CREATED or CHANGED each node (label, id), in effective order (valid day, then occurred_at,
    source, position), each with both its dates: one statement for every label (a part per label)."""
    parts, params = [], {}
    for index, (label, ids) in enumerate(sorted(ids_by_label.items())):
        params[f"ids{index}"] = ids
        parts.append(
            f"UNWIND $ids{index} AS id MATCH (n:{label} {{id: id}})<-[c:CREATED|CHANGED]-(e:Event) WHERE {SEEN} "
            f"RETURN '{label}' AS label, n.id AS node, e, type(c) AS link"
        )
    if not parts:
        return {}
    found = await rows(
        tx,
        union_all(parts)
        + f"RETURN label, node, e.id AS id, e.type AS type, e.source AS source, e.position AS position, "
        f"e.occurred_at AS occurred_at, {EVENT_DAY} AS valid_on, link "
        "ORDER BY valid_on, e.occurred_at, e.source, e.position",
        **params,
        **frame.params,
    )
    events: dict[tuple[str, str], list[Row]] = defaultdict(list)
    for row in found:
        events[(row["label"], row["node"])].append(event_entry(row))
    return events


Keyset = tuple[tuple[str, str], ...]
"""A list's sort key as Cypher: each part an expression and the function that reads its cursor text back
(``date``, ``datetime``, or ``""`` for a string or number kept as it is)."""


def began_keyset(var: str) -> Keyset:
    """A list of facts in the order they began in effective time, then recorded, then by id: its sort key.

    ``valid_from`` itself, not ``valid_from(var)``: an index can give its order (``seek_from``); every fact the
    projector writes has it (tests/integration/test_kn_golden.py), a graph projected before valid time
    existed needs a rebuild to be listed."""
    return ((f"{var}.valid_from", "date"), (f"{var}.since", "datetime"), (f"{var}.id", ""))


def seek_from(var: str) -> str:
    """Cypher: ``var`` began on or after ``$first_day`` (``first_day``): a range of the index on ``(valid_from,
    since, id)`` (``knowledge.graph.schema``), read in the order of ``began_keyset``, so a page reads about a page
    of the index, not every node of the label nor every node that began on one day. (The composite index gives
    its order only with a predicate on each of its properties.)"""
    return f"{var}.valid_from >= $first_day AND {var}.since IS NOT NULL AND {var}.id IS NOT NULL"


def first_day(after_key: list[Any] | None, *floors: date | None) -> date:
    """``$first_day`` of ``seek_from``: the day of the cursor (the page before ended on it), or a later floor."""
    days = [date.fromisoformat(after_key[0]) if after_key else date.min, *(d for d in floors if d is not None)]
    return max(native(d) for d in days)


_DATETIME_TEXT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?(\[[\w/+-]+\])?")


def check_key(keyset: Keyset, key: list[Any]) -> None:
    """Raise ``ValueError`` unless ``key`` is a sort key of ``keyset`` as ``page_key`` writes it: Cypher must not
    be handed a cursor it cannot read (a tampered one is the caller's error, not the graph's)."""
    if len(key) != len(keyset):
        raise ValueError("a sort key of another length")
    for part, (_, read_back) in zip(key, keyset, strict=True):
        if not isinstance(part, str):
            raise ValueError("a sort key part that is not text")
        if read_back == "date":
            date.fromisoformat(part)
        elif read_back == "datetime" and not _DATETIME_TEXT.fullmatch(part):
            raise ValueError("a sort key part that is not a datetime")


def after(keyset: Keyset) -> str:
    """Cypher: the row comes after ``$after`` (the sort key of the last row of the page before) in the order of
    ``keyset``; any row when ``$after`` is null. A keyset, not an offset: rows added meanwhile do not shift a page."""

    def part(i: int) -> str:
        return f"{keyset[i][1]}($after[{i}])"

    clause = f"{keyset[-1][0]} > {part(len(keyset) - 1)}"
    for i in range(len(keyset) - 2, -1, -1):
        expr = keyset[i][0]
        clause = f"{expr} > {part(i)} OR ({expr} = {part(i)} AND ({clause}))"
    return f"($after IS NULL OR {clause})"


def page_key(keyset: Keyset) -> str:
    """Cypher: the row's sort key as the cursor keeps it (times as text, so nanoseconds and zones survive)."""
    return "[" + ", ".join(f"toString({expr})" if read_back else expr for expr, read_back in keyset) + "] AS page_key"


def order_by(keyset: Keyset) -> str:
    return ", ".join(expr for expr, _ in keyset)


def fetch(limit: int | None) -> int:
    """``$fetch``: one row more than a page (to know whether another follows), or every row."""
    return (1 << 62) if limit is None else limit + 1


def paged(found: list[Row], limit: int | None) -> tuple[list[Row], list[Any] | None]:
    """Of the ``limit + 1`` rows fetched, the page (without its ``page_key`` column) and the key to continue after
    (None on the last page); every row when ``limit`` is None."""
    more = limit is not None and len(found) > limit
    page = found[:limit] if more else found
    next_after = page[-1]["page_key"] if more else None
    for row in page:
        row.pop("page_key", None)
    return page, next_after
