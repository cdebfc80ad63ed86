"""Loads the Bærum 2024-2027 scenario into a running platform through the services' HTTP APIs only.

Guarantees:
- nothing is written to a store or the graph directly: every fact is a command to a service;
- idempotent: every POST carries an ``Idempotency-Key`` derived from the scenario's keys, and ids the
  loader chooses (evidence, external inputs) are uuid5 of those keys, so a second run acts on nothing
  and returns the same ids;
- the strategy is drafted by plan-registry's reaction to co-creation's ``recommendation.issued`` (through
  NATS): the loader waits for it, as it waits for co-creation's plan catalogue before naming plans in inputs;
- it ends by waiting until the knowledge graph has applied every event both sources published.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from uuid import NAMESPACE_URL, uuid5

from planspor_cli.client import Api, ApiError, CliError, Platform

SCENARIO = Path(__file__).parent / "scenario" / "baerum-2024-2027.json"
NAMESPACE = uuid5(NAMESPACE_URL, "https://planspor.no/demo/baerum-2024-2027")
STATUTORY = {"kommuneplan_samfunnsdel", "kommuneplan_arealdel", "kommunedelplan"}
COUNCIL = "municipal_council"


def load_scenario(path: Path = SCENARIO) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def wait_for(condition: Callable[[], Any], what: str, timeout: float = 60.0, interval: float = 0.2) -> Any:
    """Polls ``condition`` until it returns something truthy; the interval only paces the polling."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise CliError(f"gave up after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def _day(text: str) -> date:
    return date.fromisoformat(text)


@dataclass
class LoadReport:
    ids: dict[str, str]
    loaded: bool
    """False when the ids file showed the scenario already there and nothing was sent."""
    load_seconds: float = 0.0
    graph_seconds: float = 0.0
    requests: int = 0
    events: dict[str, int] = field(default_factory=dict)


class Loader:
    """One run of the scenario against one platform. ``ids`` maps scenario keys to the services' ids."""

    def __init__(
        self,
        platform: Platform,
        scenario: dict[str, Any] | None = None,
        *,
        ids_file: Path | None = None,
        say: Callable[[str], None] = lambda _: None,
        wait_timeout: float = 120.0,
    ) -> None:
        self.platform = platform
        self.s = scenario or load_scenario()
        self.ids_file = ids_file
        self.say = say
        self.wait_timeout = wait_timeout
        self.ids: dict[str, str] = {}
        self.requests = 0
        self.pr: Api = platform.planner()
        self.cc: Api = platform.facilitator()
        self.kn: Api = platform.operator()

    # ------------------------------------------------------------------ plumbing

    def key(self, *parts: str) -> str:
        return "baerum-2024-2027:" + ":".join(parts)

    def uuid(self, *parts: str) -> str:
        return str(uuid5(NAMESPACE, self.key(*parts)))

    def post(self, api: Api, path: str, body: dict[str, Any], *key: str) -> dict[str, Any]:
        self.requests += 1
        return api.post(path, body, key=self.key(*key))

    def put(self, api: Api, path: str, body: dict[str, Any], *key: str) -> dict[str, Any]:
        self.requests += 1
        return api.put(path, body, key=self.key(*key))

    def close(self) -> None:
        for api in (self.pr, self.cc, self.kn):
            api.close()

    def already_loaded(self) -> bool:
        """The ids file names the adoption decision and plan-registry still has it."""
        if self.ids_file is None or not self.ids_file.exists():
            return False
        ids = json.loads(self.ids_file.read_text(encoding="utf-8"))
        decision = ids.get("decision:adoption")
        if not decision:
            return False
        try:
            self.pr.get(f"/api/v1/decisions/{decision}")
        except ApiError as error:
            if error.status == 404:
                return False
            raise
        self.ids = ids
        return True

    def save_ids(self) -> None:
        if self.ids_file is not None:
            self.ids_file.parent.mkdir(parents=True, exist_ok=True)
            self.ids_file.write_text(json.dumps(self.ids, indent=1, sort_keys=True) + "\n", encoding="utf-8")

    # ------------------------------------------------------------------ the story

    def run(self, *, force: bool = False, wait_for_graph: bool = True) -> LoadReport:
        try:
            if not force and self.already_loaded():
                self.say(f"the scenario is already loaded (ids in {self.ids_file}): nothing sent")
                return LoadReport(ids=self.ids, loaded=False)
            started = time.monotonic()
            self.say("plan register: previous strategies, goals, indicators and the plan portfolio ...")
            self.load_previous_strategies()
            self.load_goals_and_plans()
            self.load_indicators()
            self.say("co-creation: process, participants, workshops, inputs, plan needs, ballots ...")
            self.wait_for_catalogue()
            self.load_cocreation()
            self.say("formal track: strategy drafted from the recommendation, inputs, publication, decisions ...")
            self.load_formal_track()
            self.load_after_adoption()
            self.save_ids()
            loaded = time.monotonic()
            report = LoadReport(ids=self.ids, loaded=True, load_seconds=loaded - started, requests=self.requests)
            if wait_for_graph:
                self.say("knowledge: waiting until the graph has applied every event ...")
                report.events = self.wait_for_graph()
                report.graph_seconds = time.monotonic() - loaded
            return report
        finally:
            self.close()

    # ---- plan register: the portfolio before the period

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
                },
                name,
                "draft",
            )
            strategy_id = self.ids[name] = created["id"]
            self.put(
                self.pr,
                f"/api/v1/strategies/{strategy_id}/kommuneplan-assessment",
                {"samfunnsdel": "revise", "arealdel": "revise"},
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
        """Walks a plan through its lifecycle to the scenario's status, then anchors and schedules it."""
        name = f"plan:{plan['key']}"
        plan_id = self.ids[name]
        status = plan.get("status", "proposed")
        adopted = _day(plan["adopted_on"]) if plan.get("adopted_on") else _day("2023-09-01")
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
        for goal in plan.get("goals", []):
            self.post(
                self.pr, f"/api/v1/plans/{plan_id}/anchors", {"goal_id": self.ids[f"goal:{goal}"]}, name, "anchor", goal
            )
        if plan.get("revision_due"):
            self.put(
                self.pr,
                f"/api/v1/plans/{plan_id}/revision-schedule",
                {"due": plan["revision_due"], "reason": "revisjon etter planens egen frist"},
                name,
                "revision",
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
                },
                name,
            )["id"]
            for period, value in indicator["measurements"]:
                self.post(
                    self.pr,
                    f"/api/v1/indicators/{indicator_id}/measurements",
                    {"period": period, "value": value},
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

    # ---- co-creation

    def plans_in_catalogue(self) -> set[str]:
        return {p["plan_id"] for p in self.cc.get("/api/v1/plans")}

    def wait_for_catalogue(self) -> None:
        """Inputs and plan needs may only name plans co-creation knows from plan-registry's events."""
        wanted = {self.ids[k] for k in self.ids if k.startswith("plan:")}
        wait_for(
            lambda: wanted <= self.plans_in_catalogue(),
            "co-creation's plan catalogue to hold every plan",
            self.wait_timeout,
        )

    def load_cocreation(self) -> None:
        p = self.s["process"]
        process_id = self.ids["process"] = self.post(
            self.cc,
            "/api/v1/processes",
            {
                "title": p["title"],
                "purpose": p["purpose"],
                "election_period": self.s["election_period"],
                "roles_and_limits": p["roles_and_limits"],
                "all_officials_invited": p["all_officials_invited"],
                "follow_up_days": p["follow_up_days"],
            },
            "process",
        )["process_id"]
        for person in self.s["participants"]:
            body = {
                k: person[k] for k in ("name", "kind", "role", "party", "body", "unit", "substitute") if k in person
            }
            self.ids[f"participant:{person['key']}"] = self.post(
                self.cc, f"/api/v1/processes/{process_id}/participants", body, "participant", person["key"]
            )["participant_id"]
        self.phase("workshops")
        for workshop in self.s["workshops"]:
            name = f"workshop:{workshop['key']}"
            workshop_id = self.ids[name] = self.post(
                self.cc,
                f"/api/v1/processes/{process_id}/workshops",
                {
                    "title": workshop["title"],
                    "on": workshop["date"],
                    "format": workshop["format"],
                    "agenda": workshop["agenda"],
                },
                name,
            )["workshop_id"]
            self.post(
                self.cc,
                f"/api/v1/workshops/{workshop_id}/held",
                {
                    "held_on": workshop["date"],
                    "attendee_ids": [self.ids[f"participant:{a}"] for a in workshop["attendees"]],
                },
                name,
                "held",
            )
        dates = {w["key"]: w["date"] for w in self.s["workshops"]}
        for item in self.s["inputs"]:
            name = f"input:{item['key']}"
            self.ids[name] = self.post(
                self.cc,
                f"/api/v1/workshops/{self.ids['workshop:' + item['workshop']]}/inputs",
                {
                    "author_id": self.ids[f"participant:{item['author']}"],
                    "kind": item["kind"],
                    "text": item["text"],
                    "plan_ids": [self.ids[f"plan:{k}"] for k in item.get("plans", [])],
                    "goal_ids": [self.ids[f"goal:{k}"] for k in item.get("goals", [])],
                    "recorded_on": dates[item["workshop"]],
                },
                name,
            )["input_id"]
        for need in self.s["plan_needs"]:
            name = f"need:{need['key']}"
            body = {
                "input_ids": [self.ids[f"input:{k}"] for k in need["inputs"]],
                "kind": need["kind"],
                "title": need["title"],
            }
            if need.get("plan"):
                body["plan_id"] = self.ids[f"plan:{need['plan']}"]
            if need.get("merge_into"):
                body["merge_into_plan_id"] = self.ids[f"plan:{need['merge_into']}"]
            if need["kind"] == "new":
                body["plan_type"] = need.get("plan_type", "strategi")
            self.ids[name] = self.post(self.cc, f"/api/v1/processes/{process_id}/plan-needs", body, name)[
                "plan_need_id"
            ]
        self.phase("prioritisation")
        vote = self.s["prioritisation"]
        voters = list(vote["ballots"])
        prioritisation_id = self.ids["prioritisation"] = self.post(
            self.cc,
            f"/api/v1/processes/{process_id}/prioritisations",
            {
                "title": "Prioritering av planbehov",
                "method": vote["method"],
                "candidate_ids": [self.ids[f"need:{n['key']}"] for n in self.s["plan_needs"]],
                "eligible_ids": [self.ids[f"participant:{k}"] for k in voters],
                "quorum": vote["quorum"],
            },
            "prioritisation",
        )["prioritisation_id"]
        for voter, ranking in vote["ballots"].items():
            self.post(
                self.cc,
                f"/api/v1/prioritisations/{prioritisation_id}/ballots",
                {
                    "participant_id": self.ids[f"participant:{voter}"],
                    "ranking": [self.ids[f"need:{n}"] for n in ranking],
                },
                "ballot",
                voter,
            )
        result = self.post(
            self.cc, f"/api/v1/prioritisations/{prioritisation_id}/close", {}, "prioritisation", "close"
        )["result"]
        self.phase("recommendation")
        rec = self.s["recommendation"]
        by_id = {v: k.split(":", 1)[1] for k, v in self.ids.items() if k.startswith("need:")}
        kinds = {n["key"]: n["kind"] for n in self.s["plan_needs"]}
        top = [by_id[r["need_id"]] for r in sorted(result, key=lambda r: r["rank"])][: rec["top"]]
        self.ids["recommended"] = ",".join(top)
        issued = self.post(
            self.cc,
            f"/api/v1/processes/{process_id}/recommendation",
            {
                "prioritisation_id": prioritisation_id,
                "summary": "Samskapingens anbefaling til planstrategi 2024-2027",
                "council_constituted_on": self.s["council_constituted_on"],
                "items": [
                    {"need_id": self.ids[f"need:{k}"], "action": kinds[k], "start_year": int(rec["timing"][k])}
                    for k in top
                ],
            },
            "recommendation",
        )
        self.ids["recommendation"] = issued["recommendation_id"]

    def phase(self, to: str) -> None:
        self.post(self.cc, f"/api/v1/processes/{self.ids['process']}/phase", {"to": to}, "phase", to)

    # ---- the formal track

    def find_strategy(self) -> dict[str, Any] | None:
        for strategy in self.pr.get("/api/v1/strategies"):
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
            for goal in plan.get("goals", []):
                plan_id = self.ids[f"plan:{plan['key']}"]
                self.post(
                    self.pr,
                    f"/api/v1/plans/{plan_id}/anchors",
                    {"goal_id": self.ids[f"goal:{goal}"]},
                    f"plan:{plan['key']}",
                    "anchor",
                    goal,
                )

    # ---- the graph

    def feed_head(self, base_url: str) -> int:
        """The last position a source's relay has published (its feed's end)."""
        api = self.platform.operator(base_url)
        try:
            after = 0
            while True:
                page = api.get("/events", after=after, limit=1000)
                if not page["events"]:
                    return after
                after = page["next_after"]
        finally:
            api.close()

    def wait_for_graph(self) -> dict[str, int]:
        """Caught up when the graph holds the last facts loaded and every published position is applied."""
        last_plan = self.ids[f"plan:{self.s['after_adoption'][-1]['key']}"]

        def caught_up() -> dict[str, int] | None:
            heads = {
                "plan-registry": self.feed_head(self.platform.plan_registry_url),
                "cocreation": self.feed_head(self.platform.cocreation_url),
            }
            checkpoints = self.kn.get("/health")["checkpoints"]
            applied = {s: checkpoints.get(s, {}).get("position", 0) for s in heads}
            if any(applied[s] < heads[s] for s in heads):
                return None
            analyst = self.platform.analyst()
            try:
                rows = analyst.post(
                    "/api/v1/cypher",
                    {
                        "query": "MATCH (p:Plan {id: $plan}) MATCH (s:Strategy {id: $strategy}) "
                        "RETURN s.status AS status",
                        "params": {"plan": last_plan, "strategy": self.ids["strategy"]},
                    },
                )["rows"]
            finally:
                analyst.close()
            return applied if rows and _first(rows[0]) == "adopted" else None

        return wait_for(caught_up, "the knowledge graph to apply every event", self.wait_timeout, interval=0.5)


def _first(row: Any) -> Any:
    if isinstance(row, dict):
        return next(iter(row.values()), None)
    return row[0] if row else None
