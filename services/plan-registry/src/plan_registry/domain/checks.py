"""Checks of values that more than one aggregate makes: required text, SDG targets, periods,
exact numbers, and what a strategy item (or the amendment that sets one) must name."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

from plan_registry.domain.errors import InvalidValue
from plan_registry.domain.vocabulary import StrategyAction

SDG_TARGET = re.compile(r"^(?P<goal>1[0-7]|[1-9])\.(?:[1-9][0-9]?|[a-z])$")
PERIOD = re.compile(r"^\d{4}(?:-(?:Q[1-4]|T[1-3]|H[12]|0[1-9]|1[0-2]))?$")
ELECTION_PERIOD = re.compile(r"^(?P<start>\d{4})-(?P<end>\d{4})$")


def required_text(field: str, value: Any, rule: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidValue(rule, f"{field} must not be empty")
    return value.strip()


def check_sdg_target(target: str) -> str:
    """UN SDG targets are '<goal>.<target>' with goal 1-17 (for example '3.4', '11.a')."""
    if not SDG_TARGET.match(target or ""):
        raise InvalidValue(
            "goal.sdg_target_format",
            f"SDG target '{target}' is not of the form '<goal 1-17>.<target>' (for example '3.4' or '11.a')",
        )
    return target


def check_period(period: Any) -> str:
    """A measurement period: a year, optionally with a month, quarter, half-year or tertial."""
    if not isinstance(period, str) or not PERIOD.match(period):
        raise InvalidValue(
            "indicator.period_format",
            f"period '{period}' must be a year, optionally with -01..-12, -Q1..Q4, -H1/H2 or -T1..T3",
        )
    return period


def check_election_period(period: str) -> tuple[int, int]:
    """A valgperiode as the shared contract writes it: four years, e.g. 2024-2027."""
    match = ELECTION_PERIOD.match(period or "")
    if not match or int(match["end"]) != int(match["start"]) + 3:
        raise InvalidValue(
            "strategy.election_period_format",
            f"election_period '{period}' must be 'YYYY-YYYY' spanning four years (for example 2024-2027)",
        )
    return int(match["start"]), int(match["end"])


def to_decimal(field: str, value: Any) -> Decimal:
    """Exact numbers: a float is taken by its shortest decimal form (0.1 stays 0.1)."""
    try:
        number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise InvalidValue("value.number", f"{field} '{value}' is not a number") from None
    if not number.is_finite():
        raise InvalidValue("value.number", f"{field} must be a finite number")
    return number


def check_item_target(action: StrategyAction, plan_id: UUID | None, plan_name: str | None, where: str = "item") -> None:
    """A strategy item (or the amendment that sets one): a new plan is named; every other
    action concerns a plan of the register."""
    if action is StrategyAction.NEW:
        if not (plan_name or "").strip() and plan_id is None:
            raise InvalidValue("strategy.new_item_named", f"{where}: a new plan needs a plan_name")
    elif plan_id is None:
        raise InvalidValue(
            "strategy.item_concerns_plan", f"{where}: action '{action.value}' concerns an existing plan: give plan_id"
        )
