"""What can be judged before anything is sent: each key once, every reference to a row that is there (or
to an id in the register), no plan or goal its own ancestor, a plan's dates in the order of its steps.

It also settles each plan's dates from its row and its decisions' meeting dates, so the register gets the
effective date of every step and never the day of loading, and the day each goal and indicator was defined
where the files show it (a date the files do not give is left out: the register dates it itself).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any, Protocol, TypeVar

from planspor_cli.importer.files import Row
from planspor_cli.importer.rows import History, PlanRow, as_uuid
from planspor_shared.events.plan_vocabulary import PlanStatus


class Keyed(Protocol):
    row: Row

    @property
    def key(self) -> str: ...


K = TypeVar("K", bound=Keyed)


def by_key(rows: Sequence[K], what: str) -> dict[str, K]:
    """Each key once in a file: a second row with the same key is refused, naming the first."""
    seen: dict[str, K] = {}
    for item in rows:
        if not item.key:
            continue
        if item.key in seen:
            first = seen[item.key].row
            place = f"on line {first.line}" if first.file == item.row.file else f"in {first.where}"
            item.row.problems.append(f"{what} {item.key!r} is already {place}")
            continue
        seen[item.key] = item
    return seen


def refer(row: Row, column: str, reference: str, known: dict[str, K], what: str) -> None:
    if reference and reference not in known and as_uuid(reference) is None:
        row.problems.append(f"{column} {reference!r}: no {what} with that key in the files")


def in_dependency_order(items: Sequence[K], parent_of: Callable[[K], str]) -> list[K]:
    """Parents before children; a row in a loop of parents is refused (the hierarchy is a forest)."""
    keyed = {i.key: i for i in items}
    ordered: list[K] = []
    state: dict[str, str] = {}

    def visit(item: K, path: list[str]) -> None:
        if state.get(item.key) == "done":
            return
        if state.get(item.key) == "visiting":
            loop = " -> ".join([*path[path.index(item.key) :], item.key])
            for key in path[path.index(item.key) :]:
                keyed[key].row.problems.append(f"the parents go round in a loop: {loop}")
            return
        state[item.key] = "visiting"
        parent = keyed.get(parent_of(item))
        if parent is not None and parent is not item:
            visit(parent, [*path, item.key])
        state[item.key] = "done"
        ordered.append(item)

    for item in items:
        visit(item, [])
    return ordered


def check_history(history: History) -> None:
    """Add every problem the files show to the rows; put plans and goals in the order they can be sent."""
    for table in history.tables.values():
        if table.problems:
            for row in table.rows:
                row.problems.append(f"the file cannot be read as it is: {'; '.join(table.problems)}")
    plans = by_key(history.plans, "plan_key")
    goals = by_key(history.goals, "goal_key")
    decisions = by_key(history.decisions, "decision_key")
    indicators = by_key(history.indicators, "indicator_key")
    by_key(history.measurements, "the measurement (indicator_key:period)")
    for goal in history.goals:
        refer(goal.row, "parent_goal_key", goal.parent_key, goals, "goal")
        refer(goal.row, "samfunnsdel_plan_key", goal.samfunnsdel_plan_key, plans, "plan")
    for plan in history.plans:
        refer(plan.row, "parent_plan_key", plan.parent_key, plans, "plan")
        for goal_key in plan.goal_keys:
            refer(plan.row, "anchoring_goals", goal_key, goals, "goal")
        for step in plan.steps:
            if step.decision_key and step.decision_key not in decisions:
                column = "adopted_by" if step.status is PlanStatus.ADOPTED else "ended_by"
                plan.row.problems.append(f"{column} {step.decision_key!r}: no decision with that key in the files")
        settle_dates(plan, {k: d.meeting_date for k, d in decisions.items()})
    for decision in history.decisions:
        for plan_key in decision.plan_keys:
            refer(decision.row, "plans", plan_key, plans, "plan")
    for indicator in history.indicators:
        refer(indicator.row, "goal_key", indicator.goal_key, goals, "goal")
        if indicator.ssb_file and not (history.directory / Path(indicator.ssb_file).name).exists():
            indicator.row.problems.append(f"ssb_file {indicator.ssb_file!r} is not in {history.directory}")
    for measurement in history.measurements:
        refer(measurement.row, "indicator_key", measurement.indicator_key, indicators, "indicator")
    history.plans = in_dependency_order(history.plans, lambda p: p.parent_key)
    history.goals = in_dependency_order(history.goals, lambda g: g.parent_key)
    settle_definitions(history, plans)
    refuse_dependents(history, {"plan": plans, "goal": goals, "decision": decisions, "indicator": indicators})


def refuse_dependents(history: History, rows: dict[str, dict[str, Any]]) -> None:
    """A row that needs a row with a problem would be refused when sent: say so now, naming that row."""
    needs: list[tuple[Row, list[tuple[str, str]]]] = []
    for plan in history.plans:
        wanted = [("plan", plan.parent_key), *(("goal", g) for g in plan.goal_keys)]
        needs.append((plan.row, wanted + [("decision", s.decision_key) for s in plan.steps if s.decision_key]))
    for goal in history.goals:
        needs.append((goal.row, [("goal", goal.parent_key), ("plan", goal.samfunnsdel_plan_key)]))
    for decision in history.decisions:
        needs.append((decision.row, [("plan", key) for key in decision.plan_keys]))
    for indicator in history.indicators:
        needs.append((indicator.row, [("goal", indicator.goal_key)]))
    for measurement in history.measurements:
        needs.append((measurement.row, [("indicator", measurement.indicator_key)]))
    changed = True
    while changed:
        changed = False
        for row, wanted in needs:
            if row.problems:
                continue
            for kind, key in wanted:
                other = rows[kind].get(key)
                if other is not None and other.row is not row and other.row.problems:
                    row.problems.append(
                        f"needs the {kind} {key!r} ({other.row.where}), which has a problem: fix it first"
                    )
                    changed = True
                    break


def settle_definitions(history: History, plans: dict[str, PlanRow]) -> None:
    """A goal without defined_on was set when its samfunnsdel was adopted (the plan's row in the files),
    else with its parent goal; an indicator without defined_on was chosen with its goal. Goals come parents
    first. Nothing known (a plan or goal named by its id, a samfunnsdel not adopted): it stays None."""
    adopted = {key: adoption_day(plan) for key, plan in plans.items()}
    days: dict[str, date | None] = {}
    for goal in history.goals:
        if goal.defined_on is None:
            goal.defined_on = adopted.get(goal.samfunnsdel_plan_key) or days.get(goal.parent_key)
        days.setdefault(goal.key, goal.defined_on)
    for indicator in history.indicators:
        if indicator.defined_on is None:
            indicator.defined_on = days.get(indicator.goal_key)


def adoption_day(plan: PlanRow) -> date | None:
    return next((s.on for s in plan.steps if s.status is PlanStatus.ADOPTED), None)


def settle_dates(plan: PlanRow, meeting_dates: dict[str, date | None]) -> None:
    """Each step's effective date: its own, the decision's meeting date (adoption, repeal), the adoption's
    (in force, unless in_force_from says), the planprogram's or the start's (preparation). The plan was
    proposed on started_on, or else on the first date of its row. Dates must not go backwards. Its revision
    date was set on revision_set_on, else on the adoption, else on the proposal."""
    row = plan.row
    last: tuple[str, date] | None = None
    planprogram: date | None = None
    adopted: date | None = None
    for step in plan.steps:
        if step.decision_key:
            step.on = meeting_dates.get(step.decision_key)
            if step.on and plan.status is step.status and plan.status_on and plan.status_on != step.on:
                row.problems.append(
                    f"status_on {plan.status_on} is not the meeting date {step.on} of decision {step.decision_key!r}"
                )
        if step.status is PlanStatus.PLANPROGRAM_ADOPTED:
            planprogram = step.on
        elif step.status is PlanStatus.IN_PREPARATION and step.on is None:
            step.on = planprogram or plan.started_on
        elif step.status is PlanStatus.ADOPTED:
            adopted = step.on
        elif step.status is PlanStatus.IN_FORCE and step.on is None:
            step.on = adopted
    dated = [s.on for s in plan.steps if s.on is not None]
    if plan.started_on is None:
        plan.started_on = min(dated, default=plan.status_on)
        if plan.started_on is None and plan.status is PlanStatus.PROPOSED:
            row.problems.append("started_on and status_on are empty: give the day work on the plan started")
    for step in plan.steps:
        if step.status is PlanStatus.IN_PREPARATION and step.on is None:
            step.on = plan.started_on
    if plan.started_on is not None:
        last = ("started_on", plan.started_on)
    for step in plan.steps:
        if step.on is None:
            continue
        if last is not None and step.on < last[1]:
            row.problems.append(f"{step.status.value} on {step.on} is before {last[0]} {last[1]}: dates go forwards")
        last = (step.status.value, step.on)
    if plan.revision_due is not None and plan.revision_set_on is None:
        plan.revision_set_on = adopted or plan.started_on
