"""The formal track: the strategy drafted from the recommendation, its inputs, publication and decisions, and what follows its adoption."""

from __future__ import annotations

from typing import Any

from planspor_cli.demo.register import RegisterSteps
from planspor_cli.demo.session import wait_for


class FormalTrack(RegisterSteps):
    """The strategy from its drafting (plan-registry's reaction) to its adoption and the plans it starts."""

    def find_strategy(self) -> dict[str, Any] | None:
        for strategy in self.pr.every("/api/v1/strategies")["items"]:
            if strategy.get("recommendation_id") == self.ids["recommendation"]:
                return strategy
        return None

    def load_formal_track(self) -> None:
        s = self.s
        meeting = s["planning_committee_meeting"]
        self.decide(
            "planning_committee",
            meeting["body"],
            meeting["case_number"],
            meeting["meeting_date"],
            meeting["subject"],
            meeting["outcome"],
            votes=meeting["votes"],
        )
        strategy = wait_for(
            self.find_strategy, "plan-registry to draft the strategy from the recommendation", self.wait_timeout
        )
        strategy_id = self.ids["strategy"] = strategy["id"]
        for item in self.items(strategy_id):
            if item.get("plan_need_id"):
                need = {v: k for k, v in self.ids.items()}.get(item["plan_need_id"], "")
                self.ids[f"item:{need.split(':', 1)[-1]}"] = item["item_id"]
        base = f"/api/v1/strategies/{strategy_id}"
        for item in s["administration_items"]:
            name = f"item:{item['plan']}"
            item_id = self.uuid(name)
            self.post(
                self.pr,
                f"{base}/items",
                {
                    "item_id": item_id,
                    "action": item["action"],
                    "plan_id": self.ids[f"plan:{item['plan']}"],
                    "timing": item["timing"],
                    "rationale": item["rationale"],
                    "origin": "administration",
                    "set_on": s["drafted_on"],
                },
                name,
            )
            self.ids[name] = item_id
        assessment = s["kommuneplan_assessment"]
        self.put(
            self.pr,
            f"{base}/kommuneplan-assessment",
            {
                "samfunnsdel": assessment["samfunnsdel"],
                "arealdel": assessment["arealdel"],
                "rationale": assessment["note"],
                "assessed_on": s["drafted_on"],
            },
            "strategy",
            "assessment",
        )
        for evidence in s["evidence"]:
            name = f"evidence:{evidence['kind']}"
            self.ids[name] = self.uuid(name)
            self.post(
                self.pr,
                f"{base}/evidence",
                {
                    "evidence_id": self.ids[name],
                    "kind": evidence["kind"],
                    "title": evidence["title"],
                    "dated": evidence["dated"],
                    "cited_on": s["drafted_on"],
                },
                name,
            )
        for n, external in enumerate(s["external_inputs"]):
            name = f"external_input:{n + 1}"
            self.ids[name] = self.uuid(name)
            self.post(
                self.pr,
                f"{base}/external-inputs",
                {
                    "input_id": self.ids[name],
                    "source": external["kind"],
                    "sender": external["from"],
                    "received_on": external["received_on"],
                    "summary": external["summary"],
                },
                name,
            )
        adoption = s["adoption"]
        self.post(
            self.pr,
            f"{base}/publication",
            {"on": s["published_on"], "planned_meeting_on": adoption["meeting_date"]},
            "strategy",
            "publish",
        )
        committee = s["committee_recommendation"]
        self.decide(
            "committee",
            committee["body"],
            committee["case_number"],
            committee["meeting_date"],
            committee["subject"],
            committee["outcome"],
            strategy_id=strategy_id,
            votes=committee["votes"],
        )
        amendment = adoption["amendment"]
        decision = self.decide(
            "adoption",
            adoption["body"],
            adoption["case_number"],
            adoption["meeting_date"],
            adoption["subject"],
            adoption["outcome"],
            strategy_id=strategy_id,
            votes=adoption["votes"],
            amendments=[
                {
                    "text": amendment["text"],
                    "proposed_by": amendment["proposed_by"],
                    "adopted": True,
                    "change": "set_item",
                    "action": amendment["action"],
                    "plan_name": amendment["plan_title"],
                    "timing": amendment["timing"],
                }
            ],
        )
        self.post(self.pr, f"{base}/adoption", {"decision_id": decision}, "strategy", "adopt")
        for item in self.items(strategy_id):
            if item.get("origin") == "council_amendment":
                self.ids["item:amendment"] = item["item_id"]

    def items(self, strategy_id: str) -> list[dict[str, Any]]:
        state = self.pr.get(f"/api/v1/strategies/{strategy_id}")
        items = state.get("items", [])
        return list(items.values()) if isinstance(items, dict) else items

    def load_after_adoption(self) -> None:
        strategy_id = self.ids["strategy"]
        for plan in self.s["after_adoption"]:
            extra: dict[str, Any] = {}
            if plan.get("from_need"):
                extra = {"strategy_id": strategy_id, "strategy_item_id": self.ids[f"item:{plan['from_need']}"]}
            elif plan.get("from_amendment"):
                extra = {"strategy_id": strategy_id, "strategy_item_id": self.ids["item:amendment"]}
            self.propose_plan(plan, **extra)
            self.step(plan, "in_preparation", plan["proposed_on"])
            self.anchor(plan)
