"""The canonical checksum of the graph: two graphs with the same facts have the same checksum.

Every node (but the operational state: ``DeadLetter``, ``IdempotencyRecord`` and the witness's and the key
chains' records, ``OPERATIONAL_LABELS``) is
written as one line of canonical JSON: its sorted labels and all its properties; every relationship as its
type, its properties and its two ends named by label and key (never by Neo4j's
internal ids). The lines are sorted and hashed with SHA-256. Values are canonical:
times as UTC ``...Z`` text, dates as ``YYYY-MM-DD``, lists kept in order.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

import neo4j
import neo4j.time

from planspor_shared.canonical import canonical_datetime, canonical_json

OPERATIONAL_LABELS = ("DeadLetter", "IdempotencyRecord", "SourceKey", "WitnessLog", "WitnessHead")
"""Nodes that are not facts nor provenance: what arrived and could not be used, the answers kept for retries,
the key hand-overs and the witness's state. None has a relationship."""

COVERED_NODES = "MATCH (n) WHERE NOT " + " AND NOT ".join(f"n:{label}" for label in OPERATIONAL_LABELS)
COVERED_RELATIONSHIPS = "MATCH (a)-[r]->(b) WHERE NOT a:DeadLetter AND NOT b:DeadLetter"
NODES = COVERED_NODES + " RETURN labels(n) AS labels, properties(n) AS props"
RELATIONSHIPS = (
    COVERED_RELATIONSHIPS + " RETURN labels(a) AS a_labels, coalesce(a.id, a.source) AS a_key, type(r) AS type, "
    "properties(r) AS props, labels(b) AS b_labels, coalesce(b.id, b.source) AS b_key"
)


def canonical_value(value: Any) -> Any:
    if isinstance(value, neo4j.time.DateTime):
        return canonical_datetime(value.to_native())
    if isinstance(value, neo4j.time.Date):
        return value.iso_format()
    if isinstance(value, (neo4j.time.Time, neo4j.time.Duration)):
        return str(value)
    if isinstance(value, datetime):
        return canonical_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return [canonical_value(v) for v in value]
    if isinstance(value, dict):
        return {k: canonical_value(v) for k, v in value.items()}
    return value


def node_line(labels: Iterable[str], props: dict[str, Any]) -> bytes:
    return canonical_json({"n": sorted(labels), "p": canonical_value(dict(props))})


def relationship_line(
    a_labels: Iterable[str], a_key: Any, type_: str, props: dict[str, Any], b_labels: Iterable[str], b_key: Any
) -> bytes:
    return canonical_json(
        {
            "a": [sorted(a_labels), canonical_value(a_key)],
            "t": type_,
            "p": canonical_value(dict(props)),
            "b": [sorted(b_labels), canonical_value(b_key)],
        }
    )


def digest(lines: Iterable[bytes]) -> str:
    h = hashlib.sha256()
    for line in sorted(lines):
        h.update(line)
        h.update(b"\n")
    return h.hexdigest()


async def graph_checksum(driver: neo4j.AsyncDriver, database: str | None = None) -> dict[str, Any]:
    """The checksum with the counts it covers, read in one read transaction (a consistent snapshot)."""

    async def read(tx: neo4j.AsyncManagedTransaction) -> dict[str, Any]:
        lines: list[bytes] = []
        nodes = relationships = 0
        async for r in await tx.run(NODES):
            lines.append(node_line(r["labels"], r["props"]))
            nodes += 1
        async for r in await tx.run(RELATIONSHIPS):
            lines.append(relationship_line(r["a_labels"], r["a_key"], r["type"], r["props"], r["b_labels"], r["b_key"]))
            relationships += 1
        return {"checksum": digest(lines), "algorithm": "sha256", "nodes": nodes, "relationships": relationships}

    async with driver.session(database=database) as session:
        return await session.execute_read(read)


async def graph_counts(driver: neo4j.AsyncDriver, database: str | None = None) -> dict[str, int]:
    """How many nodes and relationships the checksum covers, counted in Neo4j: no line is read into Python (the
    checksum of a 100,000-event graph takes minutes here)."""
    async with driver.session(database=database, default_access_mode=neo4j.READ_ACCESS) as session:
        nodes = await (await session.run(COVERED_NODES + " RETURN count(n) AS n")).single(strict=True)
        relationships = await (await session.run(COVERED_RELATIONSHIPS + " RETURN count(r) AS n")).single(strict=True)
    return {"nodes": nodes["n"], "relationships": relationships["n"]}


RECORDED_PROPERTIES = frozenset(
    {
        "since",
        "until",
        "occurred_at",
        "recorded_at",
        "held_at",
        "made_at",
        "position",
        "hash",
        "prev_hash",
        "retracted_at",
    }
)
"""Properties of recorded time: when planspor learned a fact (``since``/``until``, an event's ``occurred_at``,
``held_at``/``made_at`` copied from it, a retraction's time) and where it stands in a source's log (``position``
and the hash chain over that order)."""

RECORDED_RELATIONSHIPS = frozenset({"FOLLOWS"})
"""The order of entry of each source's events."""


async def effective_checksum(driver: neo4j.AsyncDriver, database: str | None = None) -> dict[str, Any]:
    """The checksum of what happened, apart from when and in what order planspor learned it.

    ``graph_checksum`` pins the whole graph, so that a rebuild is provably the same record: it
    covers recorded time, positions and hashes, and so changes when the same history is
    entered in another order. This one leaves those out (``RECORDED_PROPERTIES``, the
    ``FOLLOWS`` chain, and ``Checkpoint`` nodes, which hold a source's last position and
    hash), and keeps everything else: facts, valid time (``valid_from``/``valid_to``), the
    payloads and event ids. Two entries of one history in any order the causal rules allow
    must give the same effective checksum (tests/integration/test_kq_entry_order.py).
    """

    async def read(tx: neo4j.AsyncManagedTransaction) -> dict[str, Any]:
        lines: list[bytes] = []
        nodes = relationships = 0
        async for r in await tx.run(NODES):
            if "Checkpoint" in r["labels"]:
                continue
            lines.append(node_line(r["labels"], _effective(r["props"])))
            nodes += 1
        async for r in await tx.run(RELATIONSHIPS):
            if r["type"] in RECORDED_RELATIONSHIPS:
                continue
            props = _effective(r["props"])
            lines.append(relationship_line(r["a_labels"], r["a_key"], r["type"], props, r["b_labels"], r["b_key"]))
            relationships += 1
        return {"checksum": digest(lines), "algorithm": "sha256", "nodes": nodes, "relationships": relationships}

    async with driver.session(database=database) as session:
        return await session.execute_read(read)


def _effective(props: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in props.items() if name not in RECORDED_PROPERTIES}
