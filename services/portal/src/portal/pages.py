"""Which pages a role is offered: the roles the services declare on the routes each page reads.

The services decide every call (a 403 from them is shown as such); this table only keeps the
portal from offering a page whose questions the role may not ask. A page whose main question a
role may not ask is neither in its navigation nor served to it (403).
"""

from __future__ import annotations

from dataclasses import dataclass

from planspor_runtime.access import Role

ALL = frozenset(Role)
PLAN_READERS = frozenset({Role.PLANNER, Role.ANALYST, Role.AUDITOR})
"""plan-registry's reads (plans, goals, strategies, decisions)."""
COCREATION_READERS = frozenset({Role.FACILITATOR, Role.ANALYST, Role.AUDITOR})
"""co-creation's reads (processes, workshops, inputs)."""
KNOWLEDGE_READERS = frozenset({Role.ANALYST, Role.AUDITOR})
"""knowledge's queries (traces, plan lists, compliance, checksum)."""
ANALYSTS = frozenset({Role.ANALYST})
"""knowledge's read-only Cypher route (and so the graph explorer, which reads through it)."""
OPERATORS = frozenset({Role.OPERATOR})
"""knowledge's health, dead letters and rebuild."""
HEAD_READERS = frozenset({Role.OPERATOR, Role.ANALYST, Role.AUDITOR})
"""the sources' logs: keys, signed tree heads, proofs (``planspor_runtime.feed.FEED_ROLES``)."""


@dataclass(frozen=True)
class PageEntry:
    key: str
    path: str
    roles: frozenset[Role]
    in_navigation: bool = True


PAGES = {
    page.key: page
    for page in (
        PageEntry("overview", "/", ALL),
        PageEntry("plan_system", "/plan-system", PLAN_READERS),
        PageEntry("plans", "/plans", PLAN_READERS),
        PageEntry("strategies", "/strategies", PLAN_READERS),
        PageEntry("follow_up", "/follow-up", PLAN_READERS),
        PageEntry("decisions", "/decisions", PLAN_READERS),
        PageEntry("cocreation", "/cocreation", COCREATION_READERS),
        PageEntry("explore", "/explore", ANALYSTS),
        PageEntry("cypher", "/cypher", ANALYSTS),
        PageEntry("operations", "/operations", OPERATORS),
        PageEntry("plan", "/plans/{plan_id}", PLAN_READERS, in_navigation=False),
        PageEntry("strategy", "/strategies/{strategy_id}", PLAN_READERS, in_navigation=False),
        PageEntry("decision", "/decisions/{decision_id}", PLAN_READERS, in_navigation=False),
        PageEntry("workshop", "/workshops/{workshop_id}", COCREATION_READERS, in_navigation=False),
        PageEntry("input", "/inputs/{input_id}", COCREATION_READERS | KNOWLEDGE_READERS, in_navigation=False),
    )
}


def may(role: str | None, roles: frozenset[Role]) -> bool:
    return role is not None and Role(role) in roles


def navigation(role: str | None) -> list[PageEntry]:
    return [page for page in PAGES.values() if page.in_navigation and may(role, page.roles)]
