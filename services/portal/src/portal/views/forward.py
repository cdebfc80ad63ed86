""" "What became of this": a trace forward (knowledge ``/trace/forward/input/...``) as milestones in plain words.

The knowledge service judges the fate (``adopted``, ``pending``, ``dropped`` and the stage);
this module only lays out, per plan need, the milestones the need passed, where it stopped or
waits, and the ids the page names (strategy, decision), so that the page can say it in words an
elected official reads without knowing the graph.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

MILESTONES = ("need", "prioritisation", "recommendation", "strategy", "adoption")
DONE, STOPPED, WAITING = "done", "stopped", "waiting"


@dataclass
class Milestone:
    key: str
    state: str
    facts: dict[str, Any] = field(default_factory=dict)


@dataclass
class NeedJourney:
    plan_need: dict[str, Any]
    outcome: str
    stage: str
    milestones: list[Milestone]
    strategy_id: str | None
    decision_id: str | None
    plans: list[str]


def _reached(need: dict[str, Any]) -> dict[str, tuple[bool, dict[str, Any]] | None]:
    """Per milestone: (passed, facts), or None when nothing is known of it yet."""
    ranked = [p for p in need.get("prioritisations") or [] if p.get("made") and p.get("rank") is not None]
    made = need.get("process_prioritisation_made") or any(p.get("made") for p in need.get("prioritisations") or [])
    recommendations = need.get("recommendations") or []
    recommended = [r for r in recommendations if r.get("recommended")]
    items = need.get("items") or []
    live = [i for i in items if i.get("live") and i.get("from_need_live", True)]
    adopted = [i for i in live if i.get("strategy_adopted")]
    return {
        "need": (True, {"title": (need.get("plan_need") or {}).get("title")}),
        "prioritisation": (bool(ranked), dict(ranked[0])) if ranked else ((False, {}) if made else None),
        "recommendation": (bool(recommended), dict((recommended or recommendations)[0])) if recommendations else None,
        "strategy": (bool(live), dict((live or items)[0])) if items else None,
        "adoption": (True, dict(adopted[0])) if adopted else None,
    }


def journey(need: dict[str, Any]) -> NeedJourney:
    judgement = need.get("judgement") or {}
    outcome = judgement.get("outcome", "pending")
    reached = _reached(need)
    milestones: list[Milestone] = []
    for key in MILESTONES:
        known = reached[key]
        if known is not None and known[0]:
            milestones.append(Milestone(key, DONE, known[1]))
            continue
        milestones.append(Milestone(key, STOPPED if outcome == "dropped" else WAITING, known[1] if known else {}))
        break
    where = judgement.get("where") or {}
    plans = sorted({p for item in need.get("items") or [] for p in item.get("plans") or []})
    return NeedJourney(
        plan_need=need.get("plan_need") or {},
        outcome=outcome,
        stage=judgement.get("stage", ""),
        milestones=milestones,
        strategy_id=where.get("strategy_id"),
        decision_id=where.get("decision_id")
        or (milestones[-1].facts.get("removed_by") if milestones[-1].state == STOPPED else None),
        plans=plans,
    )


def journeys(result: dict[str, Any]) -> list[NeedJourney]:
    order = {"adopted": 0, "pending": 1, "dropped": 2}
    found = [journey(need) for need in result.get("plan_needs") or []]
    return sorted(found, key=lambda j: (order.get(j.outcome, 3), j.plan_need.get("title") or ""))
