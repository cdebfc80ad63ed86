"""Sending the rows through plan-registry's API, in the order the register needs them.

1. plans are proposed (parents first), 2. goals defined (parents first), 3. decisions recorded,
4. each plan's steps (adoption and repeal by their decisions), anchors and next revision,
5. indicators defined, 6. measurements recorded.

Every request carries an Idempotency-Key made of the file's kind and the row's own key (never its
line): a second run asks the same, the register answers as before without acting
(``Idempotent-Replayed``), and the row counts as already there. A refused row (a 4xx, or a row it
depends on refused) is reported with its line and the register's problem, and the others go on.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any

import httpx

from planspor_cli.client import Api, CliError, reason_of
from planspor_cli.importer.check import K
from planspor_cli.importer.files import Row, period_end
from planspor_cli.importer.rows import (
    DecisionRow,
    GoalRow,
    History,
    IndicatorRow,
    MeasurementRow,
    PlanRow,
    Step,
    as_uuid,
)
from planspor_runtime.http import REPLAYED_HEADER
from planspor_shared.events.plan_vocabulary import PlanStatus

KEY_PREFIX = "import"
WORKERS = 8
"""Requests in flight at once: rows that touch different aggregates are sent side by side."""


RETRIES = 3
"""A request with its key is asked again after a concurrent change (409) or a busy store (503): the key makes
the repeat the same request."""


def _worth_again(response: httpx.Response) -> bool:
    if response.status_code == 503:
        return True
    return response.status_code == 409 and "concurrency.version_conflict" in response.text


def waves(items: list[K], parent_of: Callable[[K], str]) -> list[list[K]]:
    """Rows in dependency order, cut into waves: a row's parent (in the files) is in an earlier wave."""
    depth: dict[str, int] = {}
    result: list[list[K]] = []
    for item in items:
        level = depth.get(parent_of(item), -1) + 1
        depth[item.key] = level
        if level == len(result):
            result.append([])
        result[level].append(item)
    return result


class Refused(Exception):
    """The register said no to a row (or a row it needs was refused): the reason is on the row."""


class Sender:
    def __init__(
        self, api: Api, history: History, advance: Callable[[], None] = lambda: None, *, workers: int = WORKERS
    ) -> None:
        self.api = api
        self.workers = workers
        self.history = history
        self.advance = advance
        self.ids: dict[str, dict[str, str]] = {"plan": {}, "goal": {}, "decision": {}, "indicator": {}}
        self.where: dict[tuple[str, str], Row] = {}

    # ------------------------------------------------------------------ requests

    def send(self, row: Row, method: str, path: str, body: Any, key: str | None) -> dict[str, Any]:
        """One request for a row; the answer's JSON, or Refused with the register's problem on the row."""
        headers = {"Idempotency-Key": key} if key else {}
        for attempt in range(RETRIES + 1):
            try:
                response = self.api.http.request(method, f"/api/v1{path}", json=body, headers=headers)
            except httpx.TransportError as error:
                raise CliError(
                    f"cannot reach {self.api.base_url} ({type(error).__name__}) while sending {row.where}: "
                    "the rows sent so far are in; run the import again when the platform is up"
                ) from None
            if not (key and attempt < RETRIES and _worth_again(response)):
                break
            time.sleep(0.2 * (attempt + 1))
        if response.status_code in (401, 403):
            raise CliError(
                f"{method} {self.api.base_url}/api/v1{path} -> {response.status_code}: {reason_of(response)}; "
                "the import needs a planner's token (--token or PLANSPOR_TOKEN)"
            )
        if response.status_code >= 400:
            reason = reason_of(response)
            if "idempotency.key_reused" in reason:
                reason += (
                    " (this row was loaded before with other values: the import does not change what is "
                    "recorded; correct it in planspor, or give the row a new key)"
                )
            row.problems.append(f"{method} {path} -> {response.status_code}: {reason}")
            raise Refused(reason)
        if response.headers.get(REPLAYED_HEADER) == "true":
            row.repeated += 1
        else:
            row.sent += 1
        return response.json() if response.content else {}

    def resolve(self, row: Row, kind: str, reference: str) -> str | None:
        """The id of a row key (or an id given as such); Refused if that row was refused."""
        if not reference:
            return None
        if reference in self.ids[kind]:
            return self.ids[kind][reference]
        if as_uuid(reference) is not None:
            return reference
        other = self.where.get((kind, reference))
        detail = f" ({other.where})" if other else ""
        row.problems.append(f"the {kind} {reference!r}{detail} it needs was refused: fix that row first")
        raise Refused(reference)

    # ------------------------------------------------------------------ the phases

    def run(self) -> None:
        h = self.history
        for kind, items in (("plan", h.plans), ("goal", h.goals), ("decision", h.decisions)):
            for item in items:
                self.where[(kind, item.key)] = item.row
        for indicator in h.indicators:
            self.where[("indicator", indicator.key)] = indicator.row
        for plans in waves(h.plans, lambda p: p.parent_key):
            self._each(plans, self.propose)
        for goals in waves(h.goals, lambda g: g.parent_key):
            self._each(goals, self.define_goal)
        self._each(h.decisions, self.record_decision)
        self._each(h.plans, self.complete_plan)
        self._each(h.indicators, self.define_indicator)
        by_indicator: dict[str, list[Any]] = {}
        for measurement in h.measurements:
            by_indicator.setdefault(measurement.indicator_key, []).append(measurement)
        self._each(list(by_indicator.values()), self.measure_series)

    def _each(self, items: list[Any], send: Callable[[Any], Any]) -> None:
        """The rows of one phase, a few at a time: none of them changes what another one changes (one
        aggregate each; the measurements of one indicator go one after the other)."""
        if self.workers <= 1 or len(items) <= 1:
            for item in items:
                self._one(send, item)
            return
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            for _ in pool.map(lambda item: self._one(send, item), items):
                pass

    def _one(self, send: Callable[[Any], Any], item: Any) -> None:
        """A row with a problem is not sent (again); a refusal stops its row only."""
        if isinstance(item, list):
            send(item)
            return
        if not item.row.problems:
            try:
                send(item)
            except Refused:
                pass
        self.advance()

    def propose(self, plan: PlanRow) -> None:
        body = {
            "name": plan.title,
            "plan_type": plan.plan_type.value if plan.plan_type else None,
            "legal_basis": plan.legal_basis,
            "owning_unit": plan.owning_unit,
            "description": plan.description,
            "parent_plan_id": self.resolve(plan.row, "plan", plan.parent_key),
            "initiated_through_strategy": False,
            "proposed_on": _day(plan.started_on),
        }
        answer = self.send(plan.row, "POST", "/plans", body, f"{KEY_PREFIX}:plan:{plan.key}")
        self.ids["plan"][plan.key] = str(answer["id"])

    def define_goal(self, goal: GoalRow) -> None:
        body = {
            "title": goal.title,
            "description": goal.description,
            "parent_goal_id": self.resolve(goal.row, "goal", goal.parent_key),
            "samfunnsdel_plan_id": self.resolve(goal.row, "plan", goal.samfunnsdel_plan_key),
            "sdg_targets": goal.sdg_targets,
            **_dated("defined_on", goal.defined_on),
        }
        answer = self.send(goal.row, "POST", "/goals", body, f"{KEY_PREFIX}:goal:{goal.key}")
        self.ids["goal"][goal.key] = str(answer["id"])

    def record_decision(self, decision: DecisionRow) -> None:
        body = {
            "body": decision.body.value if decision.body else None,
            "body_name": decision.body_name or None,
            "case_number": decision.case_number,
            "meeting_date": _day(decision.meeting_date),
            "subject": decision.subject,
            "outcome": decision.outcome.value if decision.outcome else None,
            "text": decision.text,
            **{name: count for name, count in decision.votes.items() if count is not None},
            "unanimous": decision.unanimous,
            "plan_ids": [self.resolve(decision.row, "plan", key) for key in decision.plan_keys],
        }
        answer = self.send(decision.row, "POST", "/decisions", body, f"{KEY_PREFIX}:decision:{decision.key}")
        self.ids["decision"][decision.key] = str(answer["id"])

    def complete_plan(self, plan: PlanRow) -> None:
        """The steps up to the row's status, its anchors and its next revision; a repeal last, as the
        register takes no anchor or revision for an ended plan."""
        plan_id = self.ids["plan"][plan.key]
        key = f"{KEY_PREFIX}:plan:{plan.key}"
        ending = [s for s in plan.steps if s.status is PlanStatus.REPEALED]
        for step in [s for s in plan.steps if s not in ending]:
            self.change_status(plan, plan_id, step)
        for goal_key in plan.goal_keys:
            anchor = {
                "goal_id": self.resolve(plan.row, "goal", goal_key),
                "anchored_on": _day(plan.anchored_on or plan.started_on),
            }
            self.send(plan.row, "POST", f"/plans/{plan_id}/anchors", anchor, f"{key}:anchor:{goal_key}")
        if plan.revision_due is not None:
            self.schedule_revision(plan, plan_id)
        for step in ending:
            self.change_status(plan, plan_id, step)

    def change_status(self, plan: PlanRow, plan_id: str, step: Step) -> None:
        body: dict[str, Any]
        if step.decision_key:
            action = "adopt" if step.status is PlanStatus.ADOPTED else "repeal"
            body = {"action": action, "decision_id": self.resolve(plan.row, "decision", step.decision_key)}
        else:
            body = {"action": "step", "to": step.status.value, "on": _day(step.on)}
        key = f"{KEY_PREFIX}:plan:{plan.key}:{step.status.value}"
        self.send(plan.row, "POST", f"/plans/{plan_id}/status-changes", body, key)

    def schedule_revision(self, plan: PlanRow, plan_id: str) -> None:
        """A PUT takes no Idempotency-Key: the plan is read first, and a revision it has is not sent again."""
        try:
            state = self.api.get(f"/api/v1/plans/{plan_id}")
        except CliError as error:
            plan.row.problems.append(f"GET /plans/{plan_id}: {error.message}")
            raise Refused(error.message) from None
        due = _day(plan.revision_due)
        if state.get("revision_due") == due and (state.get("revision_reason") or "") == plan.revision_reason:
            plan.row.repeated += 1
            return
        body = {"due": due, "reason": plan.revision_reason, **_dated("on", plan.revision_set_on)}
        self.send(plan.row, "PUT", f"/plans/{plan_id}/revision-schedule", body, None)

    def define_indicator(self, indicator: IndicatorRow) -> None:
        body = {
            "goal_id": self.resolve(indicator.row, "goal", indicator.goal_key),
            "name": indicator.name,
            "unit": indicator.unit,
            "source": indicator.source.value if indicator.source else None,
            "source_reference": indicator.source_reference,
            "description": indicator.description,
            "baseline_value": _number(indicator.baseline_value),
            "baseline_period": indicator.baseline_period or None,
            "target_value": _number(indicator.target_value),
            "target_year": indicator.target_year,
            **_dated("defined_on", indicator.defined_on),
        }
        answer = self.send(indicator.row, "POST", "/indicators", body, f"{KEY_PREFIX}:indicator:{indicator.key}")
        self.ids["indicator"][indicator.key] = str(answer["id"])

    def measure_series(self, series: list[MeasurementRow]) -> None:
        """The measurements of one indicator, in turn (each changes the indicator)."""
        for measurement in series:
            self._one(self.measure, measurement)

    def measure(self, measurement: MeasurementRow) -> None:
        indicator_id = self.resolve(measurement.row, "indicator", measurement.indicator_key)
        measured_on = measurement.measured_on or period_end(measurement.period)
        body = {"period": measurement.period, "value": _number(measurement.value), "measured_on": _day(measured_on)}
        key = f"{KEY_PREFIX}:measurement:{measurement.indicator_key}:{measurement.period}"
        self.send(measurement.row, "POST", f"/indicators/{indicator_id}/measurements", body, key)


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _dated(field: str, value: date | None) -> dict[str, str]:
    """An effective date the files give or imply; none known, the field is left out (the register's default)."""
    return {field: value.isoformat()} if value else {}


def _number(value: Any) -> str | None:
    return None if value is None else str(value)
