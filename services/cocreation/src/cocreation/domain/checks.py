"""Small checks the aggregates share, and how they ask the plan catalogue about plans."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from cocreation.domain.errors import UnknownPlan


class UnknownPlans(Protocol):
    """Given plan ids, returns those the local plan catalogue does NOT know."""

    def __call__(self, plan_ids: Iterable[str], /) -> set[str]: ...


def blank(text: str | None) -> bool:
    return text is None or not text.strip()


def duplicates(items: Iterable[str]) -> list[str]:
    """The items listed more than once, sorted."""
    seen: set[str] = set()
    repeated: set[str] = set()
    for item in items:
        (repeated if item in seen else seen).add(item)
    return sorted(repeated)


def check_plans_known(rule: str, plan_ids: Sequence[str], unknown_plans: UnknownPlans) -> None:
    """Every plan an input or a need names is one plan-registry has published (422 naming the others)."""
    unknown = unknown_plans(plan_ids)
    if unknown:
        raise UnknownPlan(rule, unknown)
