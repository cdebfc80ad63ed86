"""A trace back (knowledge ``/trace/back/...``) as a chronological story, and the same trace as a graph.

The trace's own order is the order in which planspor learned things (the first event of each
step). A reader wants the order in which they happened: seminar, inputs, plan needs,
prioritisation with its ballots, recommendation, draft, knowledge base and external inputs,
publication, the meeting, amendments, votes (issue 15). So every step gets a stage of that
sequence, and within a stage the steps go by their effective date (the day in the
municipality, from the node's own date field), then by when they were recorded. Each entry
shows both times; a step without an effective date shows only when it was recorded, never
that day as the day it happened.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from portal.i18n import as_date

STAGES = (
    "process",
    "workshops",
    "inputs",
    "plan_needs",
    "prioritisation",
    "recommendation",
    "draft",
    "knowledge_base",
    "publication",
    "meeting",
    "amendments",
    "votes",
)

EFFECTIVE_DATE = {
    "Process": "period_start",
    "Workshop": "held_on",
    "Recommendation": "issued_on",
    "Strategy": "drafted_on",
    "Evidence": "dated",
    "ExternalInput": "received_on",
    "StrategyStatus": "on",
    "Decision": "meeting_date",
    "PlanStatus": "changed_on",
}
"""Where each label keeps the day it happened (knowledge README, "Nodes"). An input was raised at its workshop, so it
has the workshop's day."""

STAGE_OF_LABEL = {
    "Process": "process",
    "Workshop": "workshops",
    "Input": "inputs",
    "PlanNeed": "plan_needs",
    "Prioritisation": "prioritisation",
    "Recommendation": "recommendation",
    "Strategy": "draft",
    "StrategyItem": "draft",
    "KommuneplanAssessment": "draft",
    "Evidence": "knowledge_base",
    "ExternalInput": "knowledge_base",
    "Decision": "meeting",
}
STAGE_OF_STRATEGY_STATUS = {"drafted": "draft", "published": "publication", "adopted": "meeting"}
TITLE_KEYS = ("title", "name", "subject", "plan_title", "text", "summary", "from_party")
PAGES = {
    "Plan": "/plans/{}",
    "Strategy": "/strategies/{}",
    "Decision": "/decisions/{}",
    "Workshop": "/workshops/{}",
    "Input": "/inputs/{}",
}
"""The portal's page of a node, where it has one."""


@dataclass
class Entry:
    stage: str
    label: str
    id: str
    title: str
    effective: str | None
    recorded: str | None
    events: list[dict[str, Any]] = field(default_factory=list)
    link: str | None = None
    properties: dict[str, Any] = field(default_factory=dict)
    children: list[Entry] = field(default_factory=list)
    """Ballots under their prioritisation."""


@dataclass
class Stage:
    key: str
    entries: list[Entry]


def title_of(label: str, properties: dict[str, Any]) -> str:
    if label == "StrategyItem":
        return str(properties.get("plan_title") or "")
    return next((str(properties[k]) for k in TITLE_KEYS if properties.get(k)), "")


def entry_of(step: dict[str, Any], stage: str) -> Entry:
    label, properties = step["label"], step.get("properties") or {}
    events = sorted(step.get("events") or [], key=lambda e: (e.get("occurred_at") or "", e.get("position") or 0))
    effective_key = EFFECTIVE_DATE.get(label)
    effective = properties.get(effective_key) if effective_key else None
    if label == "Workshop" and not effective:
        effective = properties.get("scheduled_on")
    link = PAGES[label].format(step["id"]) if label in PAGES else None
    return Entry(
        stage=stage,
        label=label,
        id=step["id"],
        title=title_of(label, properties),
        effective=str(effective)[:10] if as_date(effective) else None,
        recorded=events[0].get("occurred_at") if events else properties.get("since"),
        events=events,
        link=link,
        properties=properties,
    )


def stage_of(step: dict[str, Any]) -> str | None:
    label = step["label"]
    if label == "StrategyStatus":
        status = (step.get("properties") or {}).get("status")
        return STAGE_OF_STRATEGY_STATUS.get(status) if status else None
    return STAGE_OF_LABEL.get(label)


def _order(entry: Entry) -> tuple[int, str, str, str]:
    return (0 if entry.effective else 1, entry.effective or "", entry.recorded or "", entry.title)


def timeline(trace: dict[str, Any], decision: dict[str, Any] | None = None) -> list[Stage]:
    """The trace's steps by stage, each stage in time order; ballots under their prioritisation.

    ``decision`` (plan-registry's decision, when the trace starts at one) adds its amendments and
    votes, which the decision carries as fields rather than as steps of their own.
    """
    steps = [*trace.get("steps", [])]
    entries: dict[str, list[Entry]] = {key: [] for key in STAGES}
    ballots: list[Entry] = []
    for step in steps:
        if step["label"] == "Ballot":
            ballots.append(entry_of(step, "prioritisation"))
            continue
        stage = stage_of(step)
        if stage is not None:
            entries[stage].append(entry_of(step, stage))
    participants = {s["id"]: s.get("properties") or {} for s in steps if s["label"] == "Participant"}
    workshops = {entry.id: entry for entry in entries["workshops"]}
    for raised in entries["inputs"]:
        workshop_id = raised.properties.get("workshop_id")
        workshop = workshops.get(workshop_id) if workshop_id else None
        if workshop is not None and not raised.effective:
            raised.effective = workshop.effective
    plans = {s["id"]: s.get("properties") or {} for s in steps if s["label"] == "Plan"}
    for item in entries["draft"]:
        if item.label == "StrategyItem" and not item.title:
            item.title = plans.get(item.properties.get("plan_id"), {}).get("title") or ""
    for ballot in ballots:
        who = participants.get(ballot.properties.get("participant_id"), {})
        ballot.title = who.get("name") or ballot.properties.get("participant_id") or ballot.id
    for prioritisation in entries["prioritisation"]:
        counted = [
            b
            for b in ballots
            if b.properties.get("prioritisation_id") == prioritisation.id and not b.properties.get("until")
        ]
        prioritisation.children = sorted(counted, key=lambda b: b.title)
    if decision is not None:
        for amendment in decision.get("amendments") or []:
            entries["amendments"].append(
                Entry(
                    stage="amendments",
                    label="Amendment",
                    id=f"{decision['id']}#{amendment.get('number')}",
                    title=amendment.get("text") or "",
                    effective=decision.get("meeting_date"),
                    recorded=None,
                    properties=amendment,
                )
            )
        votes = decision.get("votes") or {}
        if any(v is not None for v in votes.values()):
            entries["votes"].append(
                Entry(
                    stage="votes",
                    label="Votes",
                    id=f"{decision['id']}#votes",
                    title=decision.get("subject") or "",
                    effective=decision.get("meeting_date"),
                    recorded=None,
                    properties={**votes, "unanimous": decision.get("unanimous")},
                )
            )
    return [Stage(key, sorted(found, key=_order)) for key, found in entries.items() if found]


def reaches(stages: list[Stage], label: str, effective: str) -> bool:
    return any(e.label == label and e.effective == effective for s in stages for e in s.entries)


def graph_elements(trace: dict[str, Any]) -> list[dict[str, Any]]:
    """Cytoscape.js elements: the start and every step as nodes, every ``via`` as an edge in its own direction."""
    start = trace["start"]
    nodes: dict[str, dict[str, Any]] = {
        start["id"]: {"data": {"id": start["id"], "label": start["label"], "name": start["label"]}}
    }
    edges: dict[str, dict[str, Any]] = {}
    for step in trace.get("steps", []):
        properties = step.get("properties") or {}
        nodes.setdefault(
            step["id"],
            {
                "data": {
                    "id": step["id"],
                    "label": step["label"],
                    "name": (title_of(step["label"], properties) or step["label"])[:48],
                }
            },
        )
        for via in step.get("via") or []:
            other = via["from"]["id"]
            source, target = (other, step["id"]) if via.get("direction") == "out" else (step["id"], other)
            key = f"{source}-{via['relationship']}-{target}"
            edges.setdefault(
                key, {"data": {"id": key, "source": source, "target": target, "label": via["relationship"]}}
            )
    for start_step in (s for s in trace.get("steps", []) if s["id"] == start["id"]):
        nodes[start["id"]]["data"]["name"] = (
            title_of(start["label"], start_step.get("properties") or {}) or start["label"]
        )[:48]
    known = set(nodes)
    return [
        *nodes.values(),
        *(e for e in edges.values() if e["data"]["source"] in known and e["data"]["target"] in known),
    ]


def as_json(elements: list[dict[str, Any]]) -> str:
    """For a ``<script type="application/json">`` block: ``</`` cannot close it from inside."""
    return json.dumps(elements, ensure_ascii=False).replace("</", "<\\/")
