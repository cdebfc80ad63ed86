"""The plan register before the period: previous strategies and their decisions, goals, the plan portfolio, indicators."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from planspor_cli.demo.session import COUNCIL, STATUTORY, Session, day_of


def adoption_of(plan: dict[str, Any]) -> date:
    """The day the plan was adopted, or for one not adopted yet the scenario's stand-in day."""
    return day_of(plan["adopted_on"]) if plan.get("adopted_on") else day_of("2023-09-01")


def first_step_of(plan: dict[str, Any]) -> date:
    """The day work on the plan started: its notice of start (statutory plans) or its preparation."""
    if plan.get("status", "proposed") == "proposed":
        return adoption_of(plan) - timedelta(days=540)
    return adoption_of(plan) - timedelta(days=730 if plan["plan_type"] in STATUTORY else 540)


class RegisterSteps(Session):
    """The plan register's portfolio before the period, as a planner enters it."""

    def decide(
        self,
        name: str,
        body: str,
        case_number: str,
        meeting_date: str,
        subject: str,
        outcome: str = "adopted",
        *,
        strategy_id: str | None = None,
        plan_ids: list[str] | None = None,
        votes: dict | None = None,
        amendments: list[dict] | None = None,
        text: str = "",
    ) -> str:
        request: dict[str, Any] = {
            "body": body,
            "case_number": case_number,
            "meeting_date": meeting_date,
            "subject": subject,
            "outcome": outcome,
            "text": text,
            "strategy_id": strategy_id,
            "plan_ids": plan_ids or [],
            "amendments": amendments or [],
        }
        if votes:
            request.update(
                votes_for=votes.get("for"), votes_against=votes.get("against"), votes_blank=votes.get("blank")
            )
        created = self.post(self.pr, "/api/v1/decisions", request, "decision", name)
        self.ids[f"decision:{name}"] = created["id"]
        return created["id"]

    def load_previous_strategies(self) -> None:
        for previous in self.s["previous_strategies"]:
            name = f"strategy:{previous['key']}"
            created = self.post(
                self.pr,
                "/api/v1/strategies",
                {
                    "election_period": previous["key"],
                    "council_constituted_on": previous["council_constituted_on"],
                    "title": previous["title"],
                    "drafted_on": previous["published_on"],
                },
                name,
                "draft",
            )
            strategy_id = self.ids[name] = created["id"]
            self.put(
                self.pr,
                f"/api/v1/strategies/{strategy_id}/kommuneplan-assessment",
                {"samfunnsdel": "revise", "arealdel": "revise", "assessed_on": previous["published_on"]},
                name,
                "assessment",
            )
            self.post(
                self.pr,
                f"/api/v1/strategies/{strategy_id}/publication",
                {"on": previous["published_on"], "planned_meeting_on": previous["adopted_on"]},
                name,
                "publish",
            )
            decision = self.decide(
                f"strategy:{previous['key']}",
                COUNCIL,
                previous["case_number"],
                previous["adopted_on"],
                previous["title"],
                strategy_id=strategy_id,
            )
            self.post(self.pr, f"/api/v1/strategies/{strategy_id}/adoption", {"decision_id": decision}, name, "adopt")

    def strategy_for(self, plan: dict[str, Any]) -> str | None:
        """A plan started through a strategy names the one in force when it was adopted (illustrative)."""
        if not plan.get("initiated_through_strategy"):
            return None
        adopted = plan.get("adopted_on") or "2023-01-01"
        return self.ids["strategy:2020-2023" if adopted >= "2020-10-21" else "strategy:2016-2019"]

    def goals_defined_on(self) -> str:
        """The goals are the samfunnsdel's: set the day it was adopted."""
        return str(self.s["plans"][0]["adopted_on"])

    def load_goals_and_plans(self) -> None:
        plans = self.s["plans"]
        first, rest = plans[0], plans[1:]
        self.propose_plan(first)
        for goal in self.s["goals"]:
            name = f"goal:{goal['key']}"
            body = {
                "title": goal["title"],
                "description": goal.get("title_en", ""),
                "sdg_targets": goal.get("sdg_targets", []),
                "defined_on": self.goals_defined_on(),
            }
            if goal.get("parent"):
                body["parent_goal_id"] = self.ids[f"goal:{goal['parent']}"]
            else:
                body["samfunnsdel_plan_id"] = self.ids["plan:P01"]
            self.ids[name] = self.post(self.pr, "/api/v1/goals", body, name)["id"]
        self.complete_plan(first)
        for plan in rest:
            self.propose_plan(plan)
            self.complete_plan(plan)

    def propose_plan(self, plan: dict[str, Any], **extra: Any) -> str:
        name = f"plan:{plan['key']}"
        strategy_id = extra.pop("strategy_id", None) or self.strategy_for(plan)
        body = {
            "name": plan["title"],
            "plan_type": plan["plan_type"],
            "owning_unit": plan["owning_unit"],
            "legal_basis": "PBL" if plan["plan_type"] in STATUTORY or "regulering" in plan["plan_type"] else "",
            "description": plan.get("note", ""),
            "initiated_through_strategy": bool(plan.get("initiated_through_strategy")),
            "parent_plan_id": self.ids[f"plan:{plan['parent']}"] if plan.get("parent") else None,
            "strategy_id": strategy_id,
            "proposed_on": str(plan.get("proposed_on") or first_step_of(plan)),
            **extra,
        }
        plan_id = self.ids[name] = self.post(self.pr, "/api/v1/plans", body, name)["id"]
        return plan_id

    def step(self, plan: dict[str, Any], to: str, on: date | str) -> None:
        name = f"plan:{plan['key']}"
        self.post(
            self.pr,
            f"/api/v1/plans/{self.ids[name]}/status-changes",
            {"action": "step", "to": to, "on": str(on)},
            name,
            "status",
            to,
        )

    def complete_plan(self, plan: dict[str, Any]) -> None:
        # the steps' days are counted back from the adoption (illustrative: the scenario gives only that day)
        """Walks a plan through its lifecycle to the scenario's status, then anchors and schedules it."""
        name = f"plan:{plan['key']}"
        plan_id = self.ids[name]
        status = plan.get("status", "proposed")
        adopted = adoption_of(plan)
        statutory = plan["plan_type"] in STATUTORY
        if status != "proposed":
            if statutory:
                self.step(plan, "notice_of_start", adopted - timedelta(days=730))
                self.step(plan, "planprogram_adopted", adopted - timedelta(days=600))
            self.step(plan, "in_preparation", adopted - timedelta(days=540))
        if status in {"consultation_open", "in_force"} and statutory:
            self.step(plan, "consultation_open", adopted - timedelta(days=200))
        if status == "in_force":
            if statutory:
                self.step(plan, "consultation_closed", adopted - timedelta(days=150))
            decision = self.decide(
                f"plan:{plan['key']}",
                COUNCIL,
                f"{adopted.year % 100:02d}/{plan['key'][1:]}01",
                plan["adopted_on"],
                f"Vedtak: {plan['title']}",
                plan_ids=[plan_id],
            )
            self.post(
                self.pr,
                f"/api/v1/plans/{plan_id}/status-changes",
                {"action": "adopt", "decision_id": decision},
                name,
                "adopt",
            )
            self.step(plan, "in_force", adopted)
        self.anchor(plan)
        if plan.get("revision_due"):
            self.put(
                self.pr,
                f"/api/v1/plans/{plan_id}/revision-schedule",
                {"due": plan["revision_due"], "reason": "revisjon etter planens egen frist", "on": str(adopted)},
                name,
                "revision",
            )

    def anchor(self, plan: dict[str, Any]) -> None:
        """Anchored in its goals once both existed: the later of the plan's start and the goals' day."""
        name = f"plan:{plan['key']}"
        on = max(str(plan.get("proposed_on") or first_step_of(plan)), self.goals_defined_on())
        for goal in plan.get("goals", []):
            self.post(
                self.pr,
                f"/api/v1/plans/{self.ids[name]}/anchors",
                {"goal_id": self.ids[f"goal:{goal}"], "anchored_on": on},
                name,
                "anchor",
                goal,
            )

    def load_indicators(self) -> None:
        for indicator in self.s["indicators"]:
            name = f"indicator:{indicator['key']}"
            indicator_id = self.ids[name] = self.post(
                self.pr,
                "/api/v1/indicators",
                {
                    "goal_id": self.ids[f"goal:{indicator['goal']}"],
                    "name": indicator["name"],
                    "unit": indicator["unit"],
                    "source": indicator["source"],
                    "baseline_value": indicator["baseline"],
                    "baseline_period": indicator["baseline_period"],
                    "target_value": indicator["target"],
                    "target_year": indicator["target_year"],
                    "defined_on": self.goals_defined_on(),
                },
                name,
            )["id"]
            for period, value in indicator["measurements"]:
                self.post(
                    self.pr,
                    f"/api/v1/indicators/{indicator_id}/measurements",
                    {"period": period, "value": value, "measured_on": f"{period[:4]}-12-31"},
                    name,
                    "measured",
                    period,
                )
            if indicator.get("correction"):
                period, value, reason = indicator["correction"]
                self.post(
                    self.pr,
                    f"/api/v1/indicators/{indicator_id}/measurements/{period}/corrections",
                    {"value": value, "reason": reason},
                    name,
                    "corrected",
                    period,
                )
