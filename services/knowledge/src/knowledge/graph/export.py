"""The graph as PROV JSON-LD: events are prov:Activity, facts entities/activities/agents as typed in the graph.

An entity an event created is ``prov:wasGeneratedBy`` that event; one it changed is
``prov:wasInfluencedBy`` it; the event ``prov:wasAssociatedWith`` its actor (an agent
``planspor:actor/<id>``) and ``prov:wasInformedBy`` the previous event of its source.
Other relationships are kept under their own names in the ``planspor:`` vocabulary.
"""

from __future__ import annotations

from typing import Any

import neo4j

from knowledge.graph.checksum import canonical_value

CONTEXT = {
    "prov": "http://www.w3.org/ns/prov#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "planspor": "https://planspor.example/ns#",
}


def _iri(label: str, key: Any) -> str:
    return f"planspor:{label}/{key}"


async def export_prov(driver: neo4j.AsyncDriver, database: str | None = None) -> dict[str, Any]:
    async def read(tx: neo4j.AsyncManagedTransaction) -> dict[str, Any]:
        nodes: dict[str, dict[str, Any]] = {}
        agents: dict[str, dict[str, Any]] = {}
        result = await tx.run(
            "MATCH (n) WHERE NOT n:DeadLetter AND NOT n:Checkpoint AND NOT n:IdempotencyRecord "
            "AND NOT n:SourceKey AND NOT n:WitnessLog AND NOT n:WitnessHead "
            "RETURN labels(n)[0] AS label, properties(n) AS props"
        )
        async for r in result:
            label, p = r["label"], canonical_value(dict(r["props"]))
            iri = _iri(label, p.get("id"))
            node: dict[str, Any] = {"@id": iri, "@type": [p.get("prov_type", "prov:Entity"), f"planspor:{label}"]}
            for key, value in sorted(p.items()):
                if key in ("id", "prov_type"):
                    continue
                node[f"planspor:{key}"] = value
            if label == "Event":
                node["prov:startedAtTime"] = p["occurred_at"]
                actor = f"planspor:actor/{p['actor_id']}"
                node["prov:wasAssociatedWith"] = {"@id": actor}
                agents[actor] = {
                    "@id": actor,
                    "@type": "prov:Agent",
                    "planspor:name": p["actor_name"],
                    "planspor:role": p["actor_role"],
                }
            nodes[iri] = node
        result = await tx.run(
            "MATCH (a)-[r]->(b) WHERE NOT a:DeadLetter AND NOT a:Checkpoint "
            "RETURN labels(a)[0] AS al, a.id AS a, type(r) AS t, properties(r) AS p, "
            "labels(b)[0] AS bl, b.id AS b"
        )
        async for r in result:
            a, b = _iri(r["al"], r["a"]), _iri(r["bl"], r["b"])
            if r["t"] == "CREATED":
                nodes[b].setdefault("prov:wasGeneratedBy", []).append({"@id": a})
            elif r["t"] == "CHANGED":
                nodes[b].setdefault("prov:wasInfluencedBy", []).append({"@id": a})
            elif r["t"] == "FOLLOWS":
                nodes[a]["prov:wasInformedBy"] = {"@id": b}
            else:
                link = {"@id": b, **{f"planspor:{k}": v for k, v in sorted(canonical_value(dict(r["p"])).items())}}
                nodes[a].setdefault(f"planspor:{r['t']}", []).append(link)
        graph = sorted([*nodes.values(), *agents.values()], key=lambda n: n["@id"])
        for node in graph:
            for value in node.values():
                if isinstance(value, list) and value and isinstance(value[0], dict):
                    value.sort(key=lambda v: (v["@id"], str(sorted(v.items()))))
        return {"@context": CONTEXT, "@graph": graph}

    async with driver.session(database=database) as session:
        return await session.execute_read(read)
