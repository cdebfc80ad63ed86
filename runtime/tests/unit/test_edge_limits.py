"""The runtime's part of "no input can stall a pipeline" and of the declared edges.

``BodyLimit`` answers 413 before a body is read (declared or chunked); the application base
refuses an event the relay could not publish (``event.invalid``, ``event.too_large``) and stores
nothing; ``declare_security`` puts each route's roles, read from its own dependencies, into the
OpenAPI document; the docs page keeps the token it was given.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from fastapi import Depends, FastAPI, Request
from fastapi.testclient import TestClient
from relay_app import ACTOR, SOURCE, Goals, map_event

from planspor_runtime.access import Access, Role, parse_tokens
from planspor_runtime.application import EventRefused
from planspor_runtime.docs import serve_docs_locally
from planspor_runtime.http import BodyLimit, meta_of, role_guard
from planspor_runtime.reactions import Outcome, apply_message
from planspor_runtime.relay import Outgoing
from planspor_shared.canonical import GENESIS_HASH
from planspor_shared.envelope import Envelope, derive_event_id
from planspor_shared.events.plan_registry import DecisionRecorded, GoalDefined
from planspor_shared.events.plan_vocabulary import Amendment
from planspor_shared.limits import MAX_ENVELOPE_BYTES, TEXT_MAX

pytestmark = pytest.mark.unit

LIMIT = 100


def echo_app() -> tuple[FastAPI, list[int]]:
    app = FastAPI()
    seen: list[int] = []

    @app.post("/echo")
    async def echo(request: Request) -> dict[str, int]:
        body = await request.body()
        seen.append(len(body))
        return {"bytes": len(body)}

    app.add_middleware(BodyLimit, limit=LIMIT)
    return app, seen


async def chunks(total: int, size: int = 30) -> AsyncIterator[bytes]:
    for start in range(0, total, size):
        yield b"x" * min(size, total - start)


def post(app: FastAPI, **kwargs) -> httpx.Response:
    async def send() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
            return await http.post("/echo", **kwargs)

    return asyncio.run(send())


def test_a_declared_body_over_the_limit_is_413_and_the_app_never_runs():
    app, seen = echo_app()
    answer = post(app, content=b"x" * (LIMIT + 1))
    assert answer.status_code == 413
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["rule"] == "request.body_too_large"
    assert f"the body is {LIMIT + 1} bytes" in answer.json()["detail"]
    assert seen == []


def test_a_chunked_body_is_cut_off_as_it_passes_the_limit():
    app, seen = echo_app()
    answer = post(app, content=chunks(10 * LIMIT))
    assert answer.status_code == 413
    assert f"more than {LIMIT} bytes" in answer.json()["detail"]
    assert seen == []


@pytest.mark.parametrize("body", [b"x" * LIMIT, chunks(LIMIT), b""], ids=["declared", "chunked", "empty"])
def test_a_body_up_to_the_limit_reaches_the_app_whole(body):
    app, seen = echo_app()
    answer = post(app, content=body)
    assert answer.status_code == 200, answer.text
    expected = 0 if body == b"" else LIMIT
    assert answer.json() == {"bytes": expected} and seen == [expected]


def test_a_route_given_a_limit_of_its_own_takes_more_and_the_others_keep_theirs():
    app = FastAPI()

    @app.post("/file")
    async def file(request: Request) -> dict[str, int]:
        return {"bytes": len(await request.body())}

    @app.post("/echo")
    async def echo(request: Request) -> dict[str, int]:
        return {"bytes": len(await request.body())}

    app.add_middleware(BodyLimit, limit=LIMIT, paths={"/file": 3 * LIMIT})

    def send(path: str, body) -> httpx.Response:
        async def go() -> httpx.Response:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
                return await http.post(path, content=body)

        return asyncio.run(go())

    assert send("/file", b"x" * (3 * LIMIT)).json() == {"bytes": 3 * LIMIT}
    assert send("/file", chunks(3 * LIMIT + 1)).status_code == 413
    refused = send("/file", b"x" * (3 * LIMIT + 1))
    assert refused.status_code == 413 and f"at most {3 * LIMIT} bytes" in refused.json()["detail"]
    assert send("/echo", b"x" * (LIMIT + 1)).status_code == 413


# --------------------------------------------------------------------------- the application base


def publishing_goals() -> Goals:
    goals = Goals()
    goals.publishes(SOURCE, map_event)
    return goals


def stored(goals: Goals) -> int:
    return len(goals.notification_log.select(start=1, limit=1000))


def test_an_event_that_breaks_its_contract_is_refused_and_nothing_is_stored():
    goals = publishing_goals()
    goals.define_goal("Gode liv")
    with pytest.raises(EventRefused) as refused:
        goals.define_goal("x" * 501)
    assert refused.value.rule == "event.invalid" and refused.value.kind == "invalid"
    assert "title: String should have at most 500 characters" in refused.value.message
    assert stored(goals) == 1


def test_without_the_relays_mapper_the_base_checks_nothing():
    goals = Goals()
    goals.define_goal("x" * 501)
    assert stored(goals) == 1


def decision_of(amendments: int):
    def mapper(domain_event) -> list[Outgoing]:
        payload = DecisionRecorded(
            decision_id=str(domain_event.originator_id),
            body="municipal_council",
            case_number="24/1",
            meeting_date=datetime(2024, 10, 16, tzinfo=UTC).date(),
            subject="Planstrategi",
            outcome="adopted",
            amendments=tuple(Amendment(number=n, text="æ" * TEXT_MAX, adopted=True) for n in range(1, amendments + 1)),
        )
        return [
            Outgoing(
                event_id=derive_event_id(domain_event.originator_id, domain_event.originator_version),
                payload=payload,
                aggregate_id=str(domain_event.originator_id),
                aggregate_version=domain_event.originator_version,
                occurred_at=domain_event.timestamp,
                actor=ACTOR,
            )
        ]

    return mapper


def test_an_envelope_over_the_limit_is_refused_and_one_under_it_stored():
    # 20,000 two-byte characters are 40,000 bytes: six amendments fit in 256 KiB, seven do not
    goals = Goals()
    goals.publishes(SOURCE, decision_of(6))
    goals.define_goal("six")
    goals.publishes(SOURCE, decision_of(7))
    with pytest.raises(EventRefused) as refused:
        goals.define_goal("seven")
    assert refused.value.rule == "event.too_large"
    assert f"at most {MAX_ENVELOPE_BYTES}" in refused.value.message
    assert "decision.recorded" in refused.value.message
    assert stored(goals) == 1


def test_a_reaction_whose_event_is_refused_is_terminated_not_redelivered_for_ever():
    goals = publishing_goals()
    envelope = Envelope.seal(
        GENESIS_HASH,
        event_id=derive_event_id("goal-1", 1),
        position=1,
        aggregate_id="goal-1",
        aggregate_version=1,
        occurred_at=datetime(2024, 10, 16, tzinfo=UTC),
        actor=ACTOR,
        payload=GoalDefined(goal_id="goal-1", title="t" * 500),
    )

    def react(received: Envelope) -> bool:
        goals.define_goal(received.payload["title"] + "!")  # one character over the contract's maximum
        return True

    outcome, reason = apply_message(envelope.to_canonical(), react)
    assert outcome is Outcome.REJECTED and reason.startswith("event.invalid: ")
    assert stored(goals) == 0


# --------------------------------------------------------------------------- the declared edges


def secured_app() -> FastAPI:
    access = Access(parse_tokens(None))
    app = FastAPI()
    app.state.access = access

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/things", dependencies=role_guard(Role.ANALYST, Role.PLANNER))
    def things() -> list[str]:
        return []

    @app.post("/things")
    def make(body: dict[str, str], meta=meta_of(Role.PLANNER)) -> dict[str, str]:
        return body

    @app.delete("/things/{name}", dependencies=[Depends(access.require(Role.OPERATOR))])
    def remove(name: str) -> None:
        return None

    @app.get("/forgotten")
    def forgotten() -> None:
        return None

    return serve_docs_locally(app, assets=None)


def test_each_route_declares_the_roles_its_dependencies_check():
    document = secured_app().openapi()
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    paths = document["paths"]
    assert paths["/healthz"]["get"]["security"] == []
    read, make, remove = paths["/things"]["get"], paths["/things"]["post"], paths["/things/{name}"]["delete"]
    assert read["security"] == make["security"] == remove["security"] == [{"bearer": []}]
    assert read["x-roles"] == ["planner", "analyst"], "in the order of Role"
    assert make["x-roles"] == ["planner"] and remove["x-roles"] == ["operator"]
    assert make["description"].endswith("Roles: planner.")
    assert "413" in make["responses"] and "413" not in read["responses"]
    assert {"401", "403"} <= set(read["responses"])
    assert "security" not in paths["/forgotten"]["get"], "a route that checks no role is not declared secured"
    assert "HTTPValidationError" not in str(document)


def test_the_document_is_declared_again_when_routes_are_added():
    app = secured_app()
    app.openapi()

    @app.get("/later", dependencies=role_guard(Role.AUDITOR))
    def later() -> None:
        return None

    assert app.openapi()["paths"]["/later"]["get"]["x-roles"] == ["auditor"]


def test_the_docs_page_keeps_the_token_it_was_given(tmp_path):
    folder = tmp_path / "swagger-ui-dist"
    folder.mkdir()
    (folder / "swagger-ui-bundle.js").write_text("window.SwaggerUIBundle = function () {};")
    app = serve_docs_locally(FastAPI(), folder)
    page = TestClient(app).get("/docs")
    assert page.status_code == 200
    assert re.search(r'"persistAuthorization": true', page.text)


def test_a_route_whose_role_dependency_is_checked_answers_as_declared():
    client = TestClient(secured_app())
    assert client.get("/things").status_code == 401
    assert client.get("/things", headers={"Authorization": "Bearer dev-auditor-token"}).status_code == 403
    assert client.get("/things", headers={"Authorization": "Bearer dev-analyst-token"}).status_code == 200
