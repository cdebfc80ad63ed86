"""The plan system as a reader learns it: the hierarchy under the samfunnsdel, the plan types,
and the number of plans over the years against the municipality's aim of fewer plans (PBL §3-1).

Counts by year use the register's effective dates (the day each plan's first step happened and
the day it ended), not the day the register learned of them: a municipality that starts using
planspor enters years of history at once, and counting by the day of entry would put every plan
in that year. When the knowledge service's ``count-over-time`` answers in effective time
(the issue on two times), ``PlanCounts`` can come from there instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from portal.i18n import as_date

TYPE_ORDER = (
    "kommuneplan_samfunnsdel",
    "kommuneplan_arealdel",
    "handlingsdel",
    "kommunedelplan",
    "temaplan",
    "sektorplan",
    "strategi",
    "omradereguleringsplan",
    "detaljreguleringsplan",
    "planprogram",
    "interkommunal_plan",
    "other",
)
"""The plan types from the top of the hierarchy down (domain.md, "Terms")."""
IN_FORCE = frozenset({"in_force", "under_revision"})
ENDED = frozenset({"repealed", "replaced", "merged"})


@dataclass
class Node:
    plan: dict[str, Any]
    children: list[Node] = field(default_factory=list)

    def count(self) -> int:
        return 1 + sum(child.count() for child in self.children)


def _type_rank(plan: dict[str, Any]) -> tuple[int, str]:
    kind = plan.get("plan_type")
    return (TYPE_ORDER.index(kind) if kind in TYPE_ORDER else len(TYPE_ORDER), plan.get("name") or "")


def hierarchy(plans: list[dict[str, Any]]) -> tuple[list[Node], list[Node]]:
    """(placed, unplaced): trees under plans with no parent, the samfunnsdel first; plans whose
    parent is not in the register (or that have none and are not a kommuneplan part) are unplaced."""
    nodes = {p["id"]: Node(p) for p in plans}
    roots: list[Node] = []
    for node in nodes.values():
        parent = nodes.get(node.plan.get("parent_id") or "")
        if parent is not None and parent is not node:
            parent.children.append(node)
        else:
            roots.append(node)
    for node in nodes.values():
        node.children.sort(key=lambda n: _type_rank(n.plan))
    roots.sort(key=lambda n: _type_rank(n.plan))
    placed = [r for r in roots if r.children or r.plan.get("plan_type") == "kommuneplan_samfunnsdel"]
    unplaced = [r for r in roots if r not in placed]
    return placed, unplaced


def first_day(plan: dict[str, Any]) -> date | None:
    days = [d for d in (as_date(step.get("on")) for step in plan.get("status_history") or []) if d is not None]
    return min(days) if days else None


def status_on(plan: dict[str, Any], day: date) -> str | None:
    """The plan's status at the end of ``day`` by its effective dates; None before its first step."""
    status = None
    for step in sorted(plan.get("status_history") or [], key=lambda s: str(s.get("on") or "")):
        on = as_date(step.get("on"))
        if on is not None and on <= day:
            status = step.get("status")
    return status


@dataclass(frozen=True)
class YearCount:
    year: int
    plans: int
    """Registered and not ended at the end of the year."""
    in_force: int
    started: int
    ended: int


def counts_by_year(plans: list[dict[str, Any]], today: date) -> list[YearCount]:
    firsts = {p["id"]: first_day(p) for p in plans}
    known = [d for d in firsts.values() if d is not None]
    if not known:
        return []
    out = []
    for year in range(min(known).year, today.year + 1):
        end = min(date(year, 12, 31), today)
        statuses = [status_on(p, end) for p in plans]
        out.append(
            YearCount(
                year=year,
                plans=sum(1 for s in statuses if s is not None and s not in ENDED),
                in_force=sum(1 for s in statuses if s in IN_FORCE),
                started=sum(1 for d in firsts.values() if d is not None and d.year == year),
                ended=sum(1 for p in plans if (e := as_date(p.get("ended_on"))) is not None and e.year == year),
            )
        )
    return out


def by_type(plans: list[dict[str, Any]]) -> list[tuple[str, int]]:
    counted: dict[str, int] = {}
    for plan in plans:
        counted[plan.get("plan_type") or "other"] = counted.get(plan.get("plan_type") or "other", 0) + 1
    return sorted(counted.items(), key=lambda item: _type_rank({"plan_type": item[0]}))


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    x: float
    y: float
    width: float
    height: float


def bars(values: list[tuple[str, int]], width: float = 640, height: float = 200, gap: float = 6) -> list[Bar]:
    """Geometry of a bar chart drawn as SVG on the server: no script, and the table beside it says the same."""
    if not values:
        return []
    top = max(v for _, v in values) or 1
    room = height - 16  # the value is written above its bar
    step = width / len(values)
    return [
        Bar(
            label,
            value,
            x=i * step + gap / 2,
            y=height - value / top * room,
            width=max(step - gap, 1),
            height=value / top * room,
        )
        for i, (label, value) in enumerate(values)
    ]
