"""Answers in the shape of the three services' HTTP APIs, for the portal's unit tests (no socket is opened).

The roles are checked as the services declare them, so a test sees the 401 and 403 a real
service gives; the browser tests (tests/e2e/portal) run the real services instead.
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx

from planspor_runtime.access import DEVELOPMENT_TOKENS, Role

ROLE_OF = {f"Bearer {token}": role for role, token in DEVELOPMENT_TOKENS.items()}
PLAN_READERS = {Role.PLANNER, Role.ANALYST, Role.AUDITOR}
COCREATION_READERS = {Role.FACILITATOR, Role.ANALYST, Role.AUDITOR}
KNOWLEDGE_READERS = {Role.ANALYST, Role.AUDITOR}
FEED_READERS = {Role.OPERATOR, Role.ANALYST, Role.AUDITOR}

SAMFUNNSDEL, KDP, NEW = (
    "11111111-0000-4000-8000-000000000001",
    "11111111-0000-4000-8000-000000000002",
    "11111111-0000-4000-8000-000000000003",
)
GOAL, SUB_GOAL = "22222222-0000-4000-8000-000000000001", "22222222-0000-4000-8000-000000000002"
STRATEGY, DECISION = "33333333-0000-4000-8000-000000000001", "44444444-0000-4000-8000-000000000001"
PROCESS, WORKSHOP, INPUT = "proc-1", "ws-1", "in-1"


def plan(
    plan_id: str,
    name: str,
    plan_type: str,
    parent: str | None,
    first: str,
    goals: list[str],
    status: str = "in_force",
    initiated: bool = True,
) -> dict[str, Any]:
    return {
        "id": plan_id,
        "name": name,
        "plan_type": plan_type,
        "parent_id": parent,
        "status": status,
        "owning_unit": "Strategi og plan",
        "legal_basis": "PBL",
        "goal_ids": goals,
        "revision_due": "2028-06-30",
        "initiated_through_strategy": initiated,
        "ended_on": None,
        "description": "",
        "status_history": [
            {"status": "in_preparation", "on": first, "decision_id": None},
            {"status": status, "on": first[:4] + "-12-01", "decision_id": None},
        ],
    }


FAKE_PAGE = 2
"""The fakes answer lists two items a page (whatever larger ``limit`` is asked), so every client's following of
``next`` is exercised."""


def paged(request: httpx.Request, items: list[dict[str, Any]], key: str = "items") -> dict[str, Any]:
    """A page as the services answer it (``planspor_runtime.paging``); the fake's cursor is the next offset."""
    start = int(request.url.params.get("cursor") or 0)
    end = start + min(int(request.url.params.get("limit") or 100), FAKE_PAGE)
    return {key: items[start:end], "next": str(end) if end < len(items) else None}


PLANS = [
    plan(SAMFUNNSDEL, "Kommuneplanens samfunnsdel 2020-2040", "kommuneplan_samfunnsdel", None, "2018-06-18", []),
    plan(KDP, "Kommunedelplan for klima og energi", "kommunedelplan", SAMFUNNSDEL, "2019-03-18", [GOAL]),
    plan(NEW, "Strategi for kunstig intelligens", "strategi", None, "2024-11-13", [], "in_preparation", False),
]
GOALS = [
    {"id": GOAL, "title": "Klimanøytralt Bærum", "parent_id": None, "samfunnsdel_plan_id": SAMFUNNSDEL},
    {"id": SUB_GOAL, "title": "Utslippene halveres", "parent_id": GOAL, "samfunnsdel_plan_id": None},
]
DECISIONS = [
    {
        "id": DECISION,
        "body": "municipal_council",
        "case_number": "24/01234",
        "meeting_date": "2024-06-19",
        "subject": "Planstrategi 2024-2027",
        "outcome": "adopted_with_amendments",
        "votes": {"for": 43, "against": 8, "blank": 0},
        "unanimous": False,
        "strategy_id": STRATEGY,
        "plan_ids": [],
        "amendments": [
            {"number": 1, "text": "Ny temaplan for frivillighet", "adopted": True, "proposed_by": "Folkevalgt 5 (Ap)"}
        ],
    }
]
STRATEGIES = [
    {
        "id": STRATEGY,
        "title": "Planstrategi 2024-2027",
        "election_period": "2024-2027",
        "status": "adopted",
        "council_constituted_on": "2023-10-18",
        "published_on": "2024-04-26",
        "adopted_on": "2024-06-19",
        "adopted_by_decision_id": DECISION,
        "kommuneplan_assessment": {"samfunnsdel": "continue", "arealdel": "continue"},
        "items": [
            {
                "item_id": "item-1",
                "action": "revise",
                "plan_id": KDP,
                "timing": "2025",
                "origin": "plan_need",
                "plan_need_id": "need-1",
                "rationale": "Samskapingens anbefaling",
            }
        ],
    }
]
PARTICIPANTS = [
    {
        "id": "p-1",
        "name": "Folkevalgt 1 (H)",
        "kind": "elected_official",
        "party": "H",
        "body": "municipal_council",
        "role": "ordfører",
    },
    {
        "id": "p-2",
        "name": "Folkevalgt 4 (Ap)",
        "kind": "elected_official",
        "party": "Ap",
        "body": "executive_committee",
        "role": "medlem",
    },
    {
        "id": "p-3",
        "name": "Planlegger",
        "kind": "administration",
        "party": None,
        "body": None,
        "unit": "Strategi og plan",
    },
]
WORKSHOPS = [
    {
        "workshop_id": WORKSHOP,
        "process_id": PROCESS,
        "title": "Kommunestyreseminar om planstrategi",
        "on": "2022-04-29",
        "held_on": "2022-04-29",
        "format": "in_person",
        "agenda": ["Behov i plansystemet"],
        "attendee_ids": ["p-1", "p-2", "p-3"],
    }
]
INPUTS = [
    {
        "input_id": INPUT,
        "process_id": PROCESS,
        "workshop_id": WORKSHOP,
        "author_id": "p-1",
        "kind": "need",
        "text": "Bedre oversikt over planer og plansystemet",
        "recorded_on": "2022-04-29",
    }
]


def event(kind: str, source: str = "cocreation") -> list[dict[str, Any]]:
    return [
        {
            "id": f"ev-{kind}",
            "type": kind,
            "source": source,
            "position": 1,
            "occurred_at": "2026-12-01T10:00:00+00:00",
            "link": "CREATED",
        }
    ]


def step(label: str, node_id: str, properties: dict[str, Any], via: tuple[str, str, str, str] | None, kind: str):
    return {
        "label": label,
        "id": node_id,
        "depth": 1,
        "properties": {"id": node_id, **properties},
        "events": event(kind),
        "via": []
        if via is None
        else [{"from": {"label": via[0], "id": via[1]}, "relationship": via[2], "direction": via[3]}],
    }


TRACE = {
    "start": {"label": "Decision", "id": DECISION},
    "as_of": "2026-12-01T10:00:00+00:00",
    "steps": [
        step(
            "Strategy",
            STRATEGY,
            {"title": "Planstrategi 2024-2027", "drafted_on": "2024-03-01"},
            ("Decision", DECISION, "ADOPTED", "out"),
            "strategy.drafted",
        ),
        step(
            "StrategyStatus",
            "st-pub",
            {"status": "published", "on": "2024-04-26"},
            ("Strategy", STRATEGY, "HAD_STATUS", "out"),
            "strategy.published",
        ),
        step(
            "Recommendation",
            "rec-1",
            {"summary": "Samskapingens anbefaling", "issued_on": "2024-02-07"},
            ("Strategy", STRATEGY, "INFORMED_BY", "out"),
            "recommendation.issued",
        ),
        step(
            "Prioritisation",
            "prio-1",
            {"method": "borda", "ballots_counted": 1},
            ("Recommendation", "rec-1", "BASED_ON", "out"),
            "prioritisation.made",
        ),
        step(
            "Ballot",
            "ballot-1",
            {"participant_id": "p-1", "prioritisation_id": "prio-1"},
            ("Prioritisation", "prio-1", "IN", "in"),
            "ballot.cast",
        ),
        step(
            "Participant",
            "p-1",
            {"name": "Folkevalgt 1 (H)"},
            ("Ballot", "ballot-1", "CAST", "in"),
            "participant.enrolled",
        ),
        step(
            "PlanNeed",
            "need-1",
            {"title": "Revidere klimaplanen"},
            ("Recommendation", "rec-1", "RECOMMENDS", "in"),
            "plan_need.proposed",
        ),
        step(
            "Input",
            INPUT,
            {"text": "Bedre oversikt over planer og plansystemet", "workshop_id": WORKSHOP, "kind": "need"},
            ("PlanNeed", "need-1", "DERIVED_FROM", "out"),
            "input.recorded",
        ),
        step(
            "Workshop",
            WORKSHOP,
            {"title": "Kommunestyreseminar om planstrategi", "held_on": "2022-04-29"},
            ("Input", INPUT, "RAISED_AT", "out"),
            "workshop.held",
        ),
        step(
            "Decision",
            DECISION,
            {"subject": "Planstrategi 2024-2027", "meeting_date": "2024-06-19"},
            None,
            "decision.recorded",
        ),
    ],
}
FORWARD = {
    "input": {"id": INPUT, "text": INPUTS[0]["text"], "workshop_id": WORKSHOP, "process_id": PROCESS},
    "outcome": "adopted",
    "stage": "adopted",
    "explanation": "...",
    "plan_needs": [
        {
            "plan_need": {"id": "need-1", "title": "Revidere klimaplanen"},
            "prioritisations": [{"id": "prio-1", "rank": 1, "score": "39", "made": True}],
            "recommendations": [{"id": "rec-1", "recommended": True, "action": "revise", "rank": 1}],
            "items": [
                {
                    "id": "item-1",
                    "strategy_id": STRATEGY,
                    "live": True,
                    "from_need_live": True,
                    "removed_by": None,
                    "strategy_adopted": True,
                    "adopted_by": DECISION,
                    "plans": [KDP],
                }
            ],
            "judgement": {
                "stage": "adopted",
                "outcome": "adopted",
                "where": {"strategy_id": STRATEGY, "decision_id": DECISION},
            },
        }
    ],
}
COMPLIANCE = {
    "strategy": {"id": STRATEGY},
    "summary": {"pass": 1, "fail": 0, "unknown": 0},
    "checks": [
        {
            "id": "published_30_days_before_treatment",
            "paragraph": "PBL §10-1",
            "status": "pass",
            "detail": "published 2024-04-26, treated 2024-06-19: 54 days",
            "evidence": ["ev-strategy.published"],
        }
    ],
}
FOLLOW_UP = {
    "known_at": "2026-12-01T12:00:00+00:00",
    "strategy": {
        "id": STRATEGY,
        "title": "Planstrategi 2024-2027",
        "election_period": "2024-2027",
        "adopted_on": "2024-06-19",
        "decision_id": DECISION,
    },
    "since": "2024-06-19",
    "items": [
        {
            "item_id": "item-1",
            "action": "revise",
            "plan_id": KDP,
            "plan_title": None,
            "timing": "2025",
            "origin": "plan_need",
            "amendment_number": None,
            "due": 2025,
            "status": "late",
            "plans": [{"id": KDP, "title": "Kommunedelplan for klima og energi", "plan_type": "kommunedelplan"}],
            "steps": [{"plan_id": KDP, "status": "notice_of_start", "on": "2024-11-01", "event": "ev-1"}],
        }
    ],
    "outside": [
        {"id": NEW, "title": "Strategi for kunstig intelligens", "plan_type": "strategi", "started_on": "2024-11-13"}
    ],
    "amendments": [
        {
            "decision_id": DECISION,
            "meeting_date": "2024-06-19",
            "number": 1,
            "text": "Ny temaplan for frivillighet",
            "proposed_by": "Folkevalgt 5 (Ap)",
            "items_set": [],
            "items_removed": [],
        }
    ],
    "counts": {"adopted": 0, "continued": 0, "late": 1, "planprogram": 0, "work_started": 0, "not_started": 0},
}
"""knowledge's follow-up of the strategy as of a day after its adoption (before it, ``strategy`` is null)."""
REFUSAL = (
    "refused DETACH (line 1, column 11): DETACH DELETE writes to the graph; this endpoint only runs read-only queries"
)


class FakePlatform:
    """One fake per test: ``calls`` records what the portal asked, ``answers`` can be replaced per route."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str, Role | None]] = []
        self.params: list[tuple[str, dict[str, str]]] = []
        """Each call's path with its query parameters."""
        self.down: set[str] = set()
        self.drops: int = 0
        self.forged_head = False
        """How many of the next requests find their connection closed by the server."""

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        service = {8001: "plan-registry", 8002: "cocreation", 8003: "knowledge"}[request.url.port]
        role = ROLE_OF.get(request.headers.get("authorization", ""))
        self.calls.append((service, request.method, request.url.path, role))
        self.params.append((request.url.path, dict(request.url.params)))
        if service in self.down:
            raise httpx.ConnectError("connection refused", request=request)
        if self.drops:
            self.drops -= 1
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)
        if role is None:
            return httpx.Response(401, json={"detail": "missing or unknown bearer token"})
        path = request.url.path
        if path in ("/keys", "/checkpoints/latest") and service != "knowledge":
            return self.log(service, path, role)
        answer = {"plan-registry": self.plan_registry, "cocreation": self.cocreation, "knowledge": self.knowledge}[
            service
        ](request, path, role)
        if answer is None:
            return httpx.Response(404, json={"detail": f"no {path}"})
        if isinstance(answer, httpx.Response):
            return answer
        return httpx.Response(200, json=answer)

    def log(self, service: str, path: str, role: Role) -> httpx.Response:
        """The sources' keys and latest signed head: plan-registry has signed 42 events (with another key
        when ``forged_head``), co-creation none yet."""
        from planspor_verify.checkpoint import Checkpoint
        from planspor_verify.note import Signer

        if refused := self.forbidden(role, FEED_READERS):
            return refused
        signer = Signer.from_seed(f"planspor.test/{service}", bytes(32))
        if path == "/keys":
            return httpx.Response(
                200, json={"source": service, "keys": [{"vkey": str(signer.verifier_key), "from_position": 1}]}
            )
        if service == "cocreation":
            return httpx.Response(404, json={"detail": "no signed head yet"})
        if self.forged_head:
            signer = Signer.from_seed(f"planspor.test/{service}", bytes([7] * 32))
        head = Checkpoint(f"planspor.test/{service}", 42, bytes(32), time="2024-06-19T10:00:00.000000Z")
        return httpx.Response(200, text=head.sign(signer), headers={"Content-Type": "text/plain"})

    @staticmethod
    def follow_up(request: httpx.Request) -> Any:
        """The follow-up as knowledge answers it: a day after today is a 422 on ``as_of``, a day before the
        adoption has no strategy in force."""
        as_of = request.url.params.get("as_of") or "2026-12-01"
        if as_of > "2026-12-01":
            return httpx.Response(
                422,
                json={
                    "status": 422,
                    "detail": "as_of must be a day that is not in the future",
                    "rule": "request.as_of",
                },
            )
        if as_of < "2024-06-19":
            return {"as_of": as_of, "known_at": FOLLOW_UP["known_at"], "strategy": None, "items": [], "outside": []}
        return {**FOLLOW_UP, "as_of": as_of}

    @staticmethod
    def forbidden(role: Role, allowed: set[Role]) -> httpx.Response | None:
        if role not in allowed:
            return httpx.Response(403, json={"detail": f"role '{role.value}' may not do this"})
        return None

    def plan_registry(self, request: httpx.Request, path: str, role: Role) -> Any:
        if refused := self.forbidden(role, PLAN_READERS):
            return refused
        lists = {
            "/api/v1/plans": PLANS,
            "/api/v1/goals": GOALS,
            "/api/v1/decisions": DECISIONS,
            "/api/v1/strategies": STRATEGIES,
        }
        if path in lists:
            return paged(request, lists[path])
        if match := re.fullmatch(r"/api/v1/(plans|decisions|strategies)/([^/]+)(/history)?", path):
            kind, found_id, history = match.groups()
            found = next((x for x in lists[f"/api/v1/{kind}"] if x["id"] == found_id), None)
            if found is None:
                return httpx.Response(
                    422 if "-" not in found_id else 404,
                    json={
                        "type": "about:blank",
                        "title": "not found",
                        "status": 404,
                        "detail": f"no {kind} {found_id}",
                    },
                )
            return [] if history else found
        return None

    def cocreation(self, request: httpx.Request, path: str, role: Role) -> Any:
        if refused := self.forbidden(role, COCREATION_READERS):
            return refused
        process = {
            "process_id": PROCESS,
            "title": "Samskaping om planstrategi 2024-2027",
            "election_period": "2024-2027",
            "phase": "handed_over",
            "participants": PARTICIPANTS,
        }
        lists: dict[str, list[dict[str, Any]]] = {
            "/api/v1/processes": [process],
            f"/api/v1/processes/{PROCESS}/workshops": WORKSHOPS,
            f"/api/v1/processes/{PROCESS}/inputs": INPUTS,
        }
        if path in lists:
            return paged(request, lists[path])
        return {
            f"/api/v1/processes/{PROCESS}": process,
            f"/api/v1/workshops/{WORKSHOP}": WORKSHOPS[0],
            f"/api/v1/inputs/{INPUT}": INPUTS[0],
        }.get(path)

    def knowledge(self, request: httpx.Request, path: str, role: Role) -> Any:
        if path in ("/health", "/api/v1/dead-letters", "/api/v1/rebuild") or path.endswith("/replay"):
            if refused := self.forbidden(role, {Role.OPERATOR}):
                return refused
            if path == "/health":
                return {
                    "checkpoints": {"plan-registry": {"position": 369, "hash": "ab" * 32}},
                    "lag": 0,
                    "dead_letters_open": 1,
                    "batches": 6,
                    "last_error": None,
                }
            if path == "/api/v1/dead-letters":
                return {
                    "dead_letters": [
                        {"id": "cocreation:7", "reason": "payload invalid: text missing", "status": "open"}
                    ],
                    "count": 1,
                }
            if path.endswith("/replay"):
                return httpx.Response(
                    409,
                    json={
                        "detail": "dead letter 'cocreation:7' still cannot be applied: payload invalid: text missing"
                    },
                )
            return {"events_read": 369, "checksum": "cd" * 32}
        if path == "/api/v1/checksum":
            return self.forbidden(role, KNOWLEDGE_READERS | {Role.OPERATOR}) or {
                "checksum": "ef" * 32,
                "algorithm": "sha256",
                "nodes": 862,
                "relationships": 1890,
            }
        if path == "/api/v1/cypher":
            if refused := self.forbidden(role, {Role.ANALYST}):
                return refused
            query = json.loads(request.content)["query"]
            if "DELETE" in query.upper():
                return httpx.Response(400, json={"detail": REFUSAL})
            if "chain_ok" in query:
                return {
                    "columns": ["source", "events", "breaks"],
                    "rows": [{"source": "plan-registry", "events": 369, "breaks": 0}],
                    "truncated": False,
                    "row_limit": 1000,
                }
            return {
                "columns": ["plan", "goals"],
                "rows": [{"plan": "Kommunedelplan, klima", "goals": ["a", "b"]}],
                "truncated": False,
                "row_limit": 1000,
            }
        if path in ("/api/v1/follow-up", f"/api/v1/strategies/{STRATEGY}/follow-up"):
            return self.forbidden(role, PLAN_READERS) or self.follow_up(request)
        if refused := self.forbidden(role, KNOWLEDGE_READERS):
            return refused
        if path == f"/api/v1/trace/back/decision/{DECISION}":
            return TRACE
        if path.startswith("/api/v1/trace/back/strategy/"):
            return {**TRACE, "start": {"label": "Strategy", "id": STRATEGY}}
        if path == f"/api/v1/trace/forward/input/{INPUT}":
            return FORWARD
        if path == f"/api/v1/strategies/{STRATEGY}/compliance":
            return COMPLIANCE
        if path == "/api/v1/plans/not-anchored":
            return paged(request, [{"id": NEW}], "plans")
        if path == "/api/v1/plans/outside-strategy":
            return paged(request, [{"id": NEW}], "plans")
        if path == "/api/v1/plans/overdue-revision":
            return {"plans": [{"id": KDP, "revision_due": "2024-01-01", "days_overdue": 181}]}
        return None
