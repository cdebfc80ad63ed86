"""Every refusal answers with one body: RFC 9457 problem details, never the request's values, never a traceback."""

from __future__ import annotations

import pytest
from fastapi import Depends, FastAPI, HTTPException, Response
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field

from planspor_runtime.application import Changed, IdempotencyKeyReused, StoreUnavailable
from planspor_runtime.http import IfMatch, expected_version, install_correlation
from planspor_runtime.problems import MEDIA_TYPE, install_problem_details

pytestmark = pytest.mark.unit


class Refused(Exception):
    kind = "conflict"

    def __init__(self, rule: str, message: str, paragraph: str | None = None) -> None:
        super().__init__(message)
        self.rule, self.message, self.paragraph = rule, message, paragraph


class Body(BaseModel):
    title: str = Field(min_length=1, max_length=5)
    count: int


def make_app() -> TestClient:
    app = FastAPI()
    install_problem_details(app, refusals=(Refused, IdempotencyKeyReused, StoreUnavailable))
    install_correlation(app)

    @app.post("/things")
    def create(body: Body, response: Response, if_match: IfMatch = None) -> dict:
        expected_version(if_match)
        return {"ok": True}

    @app.get("/rule")
    def rule() -> dict:
        raise Refused(
            "strategy.published_30_days_before_meeting", "published 2024-09-20, 30 days required", "PBL §10-1"
        )

    @app.get("/secret", dependencies=[Depends(lambda: (_ for _ in ()).throw(HTTPException(401, "send a token")))])
    def secret() -> dict:
        return {}

    @app.get("/reused")
    def reused() -> dict:
        raise IdempotencyKeyReused("Idempotency-Key 'k' was first used for a different request")

    @app.get("/down")
    def down() -> dict:
        raise StoreUnavailable("the event store cannot be reached")

    @app.get("/bug")
    def bug() -> dict:
        raise RuntimeError("a secret internal detail")

    assert Changed  # the base's types are importable beside the handlers
    return TestClient(app, raise_server_exceptions=False)


def test_an_invalid_body_names_each_field_without_echoing_its_value():
    response = make_app().post("/things", json={"title": "far too long", "count": "x"})
    assert response.status_code == 422
    assert response.headers["content-type"] == MEDIA_TYPE
    body = response.json()
    assert body["type"] == "urn:planspor:problem:validation" and body["status"] == 422
    assert {e["pointer"] for e in body["errors"]} == {"#/title", "#/count"}
    assert "far too long" not in response.text


def test_a_malformed_if_match_is_a_422_on_the_header():
    response = make_app().post("/things", json={"title": "ok", "count": 1}, headers={"If-Match": "three"})
    assert response.status_code == 422
    assert response.json()["rule"] == "request.if_match"
    assert response.json()["errors"][0]["location"] == "header.If-Match"


def test_a_domain_rule_gives_its_rule_and_paragraph():
    body = make_app().get("/rule").json()
    assert body["status"] == 409 and body["type"] == "urn:planspor:problem:rule"
    assert (body["rule"], body["paragraph"]) == ("strategy.published_30_days_before_meeting", "PBL §10-1")


def test_http_errors_reused_keys_a_store_that_is_down_and_bugs_are_problems_too():
    client = make_app()
    assert client.get("/secret").json()["status"] == 401
    assert client.get("/nowhere").json()["type"] == "urn:planspor:problem:not-found"
    reused = client.get("/reused")
    assert reused.status_code == 422 and reused.json()["rule"] == "idempotency.key_reused"
    down = client.get("/down")
    assert down.status_code == 503 and down.headers["retry-after"]
    bug = client.get("/bug")
    assert bug.status_code == 500 and "secret internal detail" not in bug.text


def test_the_correlation_id_is_echoed_or_made():
    client = make_app()
    assert client.get("/rule", headers={"X-Correlation-Id": "c-42"}).headers["x-correlation-id"] == "c-42"
    assert len(client.get("/rule").headers["x-correlation-id"]) == 36
