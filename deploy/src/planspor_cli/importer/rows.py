"""The import's files, their columns, and each row read into what the register's commands take.

The templates (deploy/templates/import/) have these columns; README.md, "Loading your history", says
what each means. A reference between rows is the other row's key (a plan's own number, a goal's key),
never a line number, so a file can be sorted or extended and a second run names the same things.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from uuid import UUID

from planspor_cli.importer.files import Row, Table, period_end, read_table, word
from planspor_runtime.bodies import municipal_today
from planspor_shared.events.base import Body, PlanType
from planspor_shared.events.plan_vocabulary import DecisionOutcome, IndicatorSource, PlanStatus

GOAL_COLUMNS = (
    "goal_key",
    "title",
    "parent_goal_key",
    "samfunnsdel_plan_key",
    "sdg_targets",
    "description",
    "defined_on",
)
PLAN_COLUMNS = (
    "plan_key",
    "plan_type",
    "title",
    "owning_unit",
    "legal_basis",
    "parent_plan_key",
    "started_on",
    "notice_of_start_on",
    "planprogram_adopted_on",
    "consultation_opened_on",
    "consultation_closed_on",
    "adopted_by",
    "in_force_from",
    "status",
    "status_on",
    "ended_by",
    "anchoring_goals",
    "anchored_on",
    "revision_due",
    "revision_reason",
    "revision_set_on",
    "description",
)
DECISION_COLUMNS = (
    "decision_key",
    "body",
    "body_name",
    "case_number",
    "meeting_date",
    "subject",
    "outcome",
    "plans",
    "votes_for",
    "votes_against",
    "votes_blank",
    "unanimous",
    "text",
)
INDICATOR_COLUMNS = (
    "indicator_key",
    "goal_key",
    "name",
    "unit",
    "source",
    "source_reference",
    "baseline_value",
    "baseline_period",
    "target_value",
    "target_year",
    "description",
    "ssb_file",
    "defined_on",
)
MEASUREMENT_COLUMNS = ("indicator_key", "period", "value", "measured_on")

FILES = {
    "plans.csv": (PLAN_COLUMNS, ("plan_key", "plan_type", "title", "owning_unit", "status")),
    "goals.csv": (GOAL_COLUMNS, ("goal_key", "title")),
    "decisions.csv": (
        DECISION_COLUMNS,
        ("decision_key", "body", "case_number", "meeting_date", "subject", "outcome"),
    ),
    "indicators.csv": (INDICATOR_COLUMNS, ("indicator_key", "goal_key", "name", "unit", "source")),
    "measurements.csv": (MEASUREMENT_COLUMNS, ("indicator_key", "period", "value")),
}
"""The files `planspor import` reads from a directory, their columns and the columns every row fills."""

LIFECYCLE = (
    PlanStatus.NOTICE_OF_START,
    PlanStatus.PLANPROGRAM_ADOPTED,
    PlanStatus.IN_PREPARATION,
    PlanStatus.CONSULTATION_OPEN,
    PlanStatus.CONSULTATION_CLOSED,
    PlanStatus.ADOPTED,
    PlanStatus.IN_FORCE,
    PlanStatus.UNDER_REVISION,
    PlanStatus.REPEALED,
)
"""The steps an imported plan can have been through, in the order of domain.md's lifecycle."""

STATUSES = (PlanStatus.PROPOSED, *LIFECYCLE)
"""What a plan's row may say it is now (replaced and merged are recorded afterwards, naming the successor)."""

STEP_DATE_COLUMN = {
    PlanStatus.NOTICE_OF_START: "notice_of_start_on",
    PlanStatus.PLANPROGRAM_ADOPTED: "planprogram_adopted_on",
    PlanStatus.CONSULTATION_OPEN: "consultation_opened_on",
    PlanStatus.CONSULTATION_CLOSED: "consultation_closed_on",
    PlanStatus.IN_FORCE: "in_force_from",
}


def as_uuid(reference: str) -> UUID | None:
    """A reference may be the id of something already in the register instead of a row key."""
    try:
        return UUID(reference)
    except ValueError:
        return None


@dataclass
class Step:
    """One change of a plan's status: a dated step, or an adoption or repeal by a decision (its date is the
    decision's meeting date). ``on`` None for in force means: on the day of the adoption."""

    status: PlanStatus
    on: date | None = None
    decision_key: str | None = None


@dataclass
class GoalRow:
    row: Row
    key: str
    title: str
    parent_key: str
    samfunnsdel_plan_key: str
    sdg_targets: list[str]
    description: str
    defined_on: date | None
    """The day the goal was set: its column, else settled by check (the samfunnsdel's adoption, the parent's)."""


@dataclass
class PlanRow:
    row: Row
    key: str
    plan_type: PlanType | None
    title: str
    owning_unit: str
    legal_basis: str
    parent_key: str
    started_on: date | None
    status: PlanStatus | None
    status_on: date | None
    steps: list[Step]
    goal_keys: list[str]
    anchored_on: date | None
    revision_due: date | None
    revision_reason: str
    revision_set_on: date | None
    """The day the revision date was set: its column, else settled by check (the adoption, the proposal)."""
    description: str


@dataclass
class DecisionRow:
    row: Row
    key: str
    body: Body | None
    body_name: str
    case_number: str
    meeting_date: date | None
    subject: str
    outcome: DecisionOutcome | None
    plan_keys: list[str]
    votes: dict[str, int | None]
    unanimous: bool
    text: str


@dataclass
class IndicatorRow:
    row: Row
    key: str
    goal_key: str
    name: str
    unit: str
    source: IndicatorSource | None
    source_reference: str
    baseline_value: Decimal | None
    baseline_period: str
    target_value: Decimal | None
    target_year: int | None
    description: str
    ssb_file: str
    defined_on: date | None
    """The day the indicator was chosen: its column, else settled by check (its goal's day)."""


@dataclass
class MeasurementRow:
    row: Row
    indicator_key: str
    period: str
    value: Decimal | None
    measured_on: date | None

    @property
    def key(self) -> str:
        return f"{self.indicator_key}:{self.period}"


def read_goal(row: Row) -> GoalRow:
    return GoalRow(
        row,
        key=row.key("goal_key"),
        title=row.required("title"),
        parent_key=row.text("parent_goal_key"),
        samfunnsdel_plan_key=row.text("samfunnsdel_plan_key"),
        sdg_targets=row.keys("sdg_targets"),
        description=row.text("description"),
        defined_on=row.day("defined_on"),
    )


def read_plan(row: Row) -> PlanRow:
    status = word(row, "status", PlanStatus)
    if status is not None and status not in STATUSES:
        row.problems.append(
            f"status {status.value!r} is not loaded by import (one of: {', '.join(s.value for s in STATUSES)}); "
            "record a replacement or merger afterwards, naming the successor"
        )
        status = None
    plan = PlanRow(
        row,
        key=row.key("plan_key"),
        plan_type=word(row, "plan_type", PlanType),
        title=row.required("title"),
        owning_unit=row.required("owning_unit"),
        legal_basis=row.text("legal_basis"),
        parent_key=row.text("parent_plan_key"),
        started_on=row.day("started_on"),
        status=status,
        status_on=row.day("status_on"),
        steps=[],
        goal_keys=row.keys("anchoring_goals"),
        anchored_on=row.day("anchored_on"),
        revision_due=row.day("revision_due", past=False),
        revision_reason=row.text("revision_reason"),
        revision_set_on=row.day("revision_set_on"),
        description=row.text("description"),
    )
    if plan.revision_set_on is not None and plan.revision_due is None:
        row.problems.append("revision_set_on is given without revision_due: give the date the revision is due")
    if status is not None:
        plan.steps = _steps(row, status, plan.status_on)
    if status is None or status is PlanStatus.PROPOSED:
        for column in ("adopted_by", "ended_by"):
            if row.text(column):
                row.problems.append(f"{column} is given, but the status says the plan was not adopted or ended")
    if plan.parent_key and plan.parent_key == plan.key:
        row.problems.append("parent_plan_key is the plan itself")
    return plan


def _steps(row: Row, status: PlanStatus, status_on: date | None) -> list[Step]:
    """The steps from proposal to the row's status: those the row dates, and those the status implies
    (preparation, the adoption, in force). No date is made up: a step the status needs takes its date
    from its column, the status date, or (in force) the adoption."""
    dates = {step: row.day(column) for step, column in STEP_DATE_COLUMN.items()}
    final = LIFECYCLE.index(status) if status in LIFECYCLE else -1
    for step, column in STEP_DATE_COLUMN.items():
        if dates[step] is not None and LIFECYCLE.index(step) > final:
            row.problems.append(f"{column} is given, but a plan that is {status.value} has not been {step.value}")
    if dates[PlanStatus.CONSULTATION_CLOSED] and not dates[PlanStatus.CONSULTATION_OPEN]:
        row.problems.append("consultation_closed_on is given without consultation_opened_on")
    steps: list[Step] = []
    for step in LIFECYCLE[: final + 1]:
        on = dates.get(step)
        if step is status and step not in (PlanStatus.ADOPTED, PlanStatus.REPEALED):
            if on is not None and status_on is not None and on != status_on:
                column = STEP_DATE_COLUMN[step]
                row.problems.append(f"status_on {status_on} and {column} {on} differ: the status is {step.value}")
            on = on or status_on
            if on is None and step not in (PlanStatus.IN_PREPARATION, PlanStatus.IN_FORCE):
                row.problems.append(f"status_on is empty: give the day the plan became {step.value} (YYYY-MM-DD)")
        if step is PlanStatus.ADOPTED:
            steps.append(Step(step, decision_key=_decision(row, "adopted_by", status, "adopted it")))
        elif step is PlanStatus.REPEALED:
            steps.append(Step(step, decision_key=_decision(row, "ended_by", status, "repealed it")))
        elif step in (PlanStatus.IN_PREPARATION, PlanStatus.IN_FORCE) or step is status or on is not None:
            steps.append(Step(step, on))  # preparation and in force may be dated when the decisions are known
    return steps


def _decision(row: Row, column: str, status: PlanStatus, did: str) -> str:
    key = row.text(column)
    if not key:
        row.problems.append(
            f"{column} is empty: a plan that is {status.value} names the decision_key of the decision that {did}"
        )
    return key


def read_decision(row: Row) -> DecisionRow:
    return DecisionRow(
        row,
        key=row.key("decision_key"),
        body=word(row, "body", Body),
        body_name=row.text("body_name"),
        case_number=row.required("case_number"),
        meeting_date=row.day("meeting_date", required=True),
        subject=row.required("subject"),
        outcome=word(row, "outcome", DecisionOutcome),
        plan_keys=row.keys("plans"),
        votes={name: row.integer(name) for name in ("votes_for", "votes_against", "votes_blank")},
        unanimous=row.flag("unanimous"),
        text=row.text("text"),
    )


def read_indicator(row: Row) -> IndicatorRow:
    return IndicatorRow(
        row,
        key=row.key("indicator_key"),
        goal_key=row.required("goal_key"),
        name=row.required("name"),
        unit=row.required("unit"),
        source=word(row, "source", IndicatorSource),
        source_reference=row.text("source_reference"),
        baseline_value=row.number("baseline_value"),
        baseline_period=row.text("baseline_period"),
        target_value=row.number("target_value"),
        target_year=row.integer("target_year"),
        description=row.text("description"),
        ssb_file=row.text("ssb_file"),
        defined_on=row.day("defined_on"),
    )


def read_measurement(row: Row) -> MeasurementRow:
    """Without measured_on, a measurement is dated the last day of its period (the day it refers to)."""
    measurement = MeasurementRow(
        row,
        indicator_key=row.required("indicator_key"),
        period=row.required("period"),
        value=row.number("value", required=True),
        measured_on=row.day("measured_on"),
    )
    if measurement.period and measurement.measured_on is None and not row.problems:
        end = period_end(measurement.period)
        if end is None:
            row.problems.append(
                f"period {measurement.period!r} is not a year, optionally with -01..-12, -Q1..Q4, -H1/H2 or -T1..T3"
            )
        elif end > municipal_today():
            row.problems.append(f"period {measurement.period} has not ended: give measured_on, or load it from {end}")
        else:
            measurement.measured_on = end
    return measurement


@dataclass
class History:
    """Everything read from one directory, before anything is sent."""

    directory: Path
    goals: list[GoalRow] = field(default_factory=list)
    plans: list[PlanRow] = field(default_factory=list)
    decisions: list[DecisionRow] = field(default_factory=list)
    indicators: list[IndicatorRow] = field(default_factory=list)
    measurements: list[MeasurementRow] = field(default_factory=list)
    tables: dict[str, Table] = field(default_factory=dict)
    """Every file read, by name (its rows and the problems of the file as a whole)."""

    def rows(self) -> list[Row]:
        return [r for t in self.tables.values() for r in t.rows]


READERS = {
    "plans.csv": ("plans", read_plan),
    "goals.csv": ("goals", read_goal),
    "decisions.csv": ("decisions", read_decision),
    "indicators.csv": ("indicators", read_indicator),
    "measurements.csv": ("measurements", read_measurement),
}


def read_history(directory: Path) -> History:
    """The files of the directory that are there (any of FILES; SSB files are named by indicators.csv)."""
    history = History(directory)
    for name, (columns, required) in FILES.items():
        path = directory / name
        if not path.exists():
            continue
        table = read_table(path, columns, required)
        history.tables[name] = table
        attribute, reader = READERS[name]
        getattr(history, attribute).extend(reader(row) for row in table.rows)
    return history
