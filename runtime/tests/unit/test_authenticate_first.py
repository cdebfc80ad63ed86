"""A stranger's body is never read: no known token, 401 before parsing; the role is still checked after."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel

from planspor_runtime.access import DEVELOPMENT_TOKENS, Access, AuthenticateFirst, Role, parse_tokens
from planspor_runtime.http import role_guard
from planspor_runtime.problems import install_problem_details

pytestmark = pytest.mark.unit


class Body(BaseModel):
    title: str


def client() -> TestClient:
    app = FastAPI()
    app.state.access = Access(parse_tokens(None))
    install_problem_details(app)
    app.add_middleware(AuthenticateFirst, access=app.state.access)

    @app.post("/things", dependencies=role_guard(Role.PLANNER))
    def create(body: Body) -> dict:
        return {"title": body.title}

    @app.get("/healthz")
    def healthz() -> dict:
        return {"status": "ok"}

    return TestClient(app)


def bearer(role: Role) -> dict[str, str]:
    return {"Authorization": f"Bearer {DEVELOPMENT_TOKENS[role]}", "Content-Type": "application/json"}


def test_malformed_json_without_a_token_is_401_not_422():
    response = client().post("/things", content=b"{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 401
    assert response.json()["type"] == "urn:planspor:problem:unauthorized"
    assert response.headers["www-authenticate"] == "Bearer"


def test_an_unknown_token_is_401_and_a_known_token_of_another_role_is_403():
    assert client().post("/things", json={"title": "x"}, headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client().post("/things", json={"title": "x"}, headers=bearer(Role.ANALYST)).status_code == 403


def test_with_the_right_token_the_body_is_read_and_checked():
    assert client().post("/things", content=b"{not json", headers=bearer(Role.PLANNER)).status_code == 422
    assert client().post("/things", json={"title": "x"}, headers=bearer(Role.PLANNER)).json() == {"title": "x"}


def test_liveness_needs_no_token():
    assert client().get("/healthz").status_code == 200
