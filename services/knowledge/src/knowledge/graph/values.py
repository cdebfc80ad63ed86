"""Neo4j values as JSON, the same way for every answer of the knowledge service (queries and analysts' Cypher)."""

from __future__ import annotations

import datetime as _dt
from decimal import Decimal
from typing import Any

from neo4j.graph import Node, Path, Relationship
from neo4j.spatial import Point
from neo4j.time import Date, DateTime, Duration, Time


def to_json(value: Any) -> Any:
    """A Neo4j value as JSON: nodes and relationships as their labels/type and properties, times as ISO strings.

    Element ids are left out on purpose: they are not stable across a rebuild; a fact's
    ``id`` property is.
    """
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else str(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Node):
        return {"labels": sorted(value.labels), "properties": {k: to_json(v) for k, v in sorted(value.items())}}
    if isinstance(value, Relationship):
        return {
            "type": value.type,
            "start": _node_key(value.start_node),
            "end": _node_key(value.end_node),
            "properties": {k: to_json(v) for k, v in sorted(value.items())},
        }
    if isinstance(value, Path):
        return {"nodes": [to_json(n) for n in value.nodes], "relationships": [to_json(r) for r in value.relationships]}
    if isinstance(value, (DateTime, Time)):
        return value.to_native().isoformat()
    if isinstance(value, (Date, _dt.datetime, _dt.date, _dt.time)):
        return value.isoformat()
    if isinstance(value, Duration):
        return str(value)
    if isinstance(value, Point):
        return {"srid": value.srid, "coordinates": list(value)}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, (bytes, bytearray)):
        return value.hex()
    return str(value)


def _node_key(node: Node | None) -> Any:
    if node is None:
        return None
    return {"labels": sorted(node.labels), "id": node.get("id")}
