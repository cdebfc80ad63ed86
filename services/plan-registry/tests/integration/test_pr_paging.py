"""The register's lists page on SQLite (``planspor_runtime.paging``): every item once, in order, while it grows.

Goals and plans are interleaved in the store, so a page of goals is read from a log that also holds
other kinds; the cursor is the log position of the last goal served, so goals added meanwhile come
after it and nothing is served twice or skipped.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from plan_registry.bootstrap import build
from plan_registry.settings import Settings
from planspor_runtime.access import DEVELOPMENT_TOKENS, Role
from planspor_runtime.paging import MAX_LIMIT, encode_cursor

pytestmark = pytest.mark.integration

PLANNER = {"Authorization": f"Bearer {DEVELOPMENT_TOKENS[Role.PLANNER]}"}
ANALYST = {"Authorization": f"Bearer {DEVELOPMENT_TOKENS[Role.ANALYST]}"}
PLAN = {"name": "Temaplan", "plan_type": "temaplan", "owning_unit": "Kultur", "initiated_through_strategy": False}


@pytest.fixture
def client(tmp_path):
    settings = Settings(
        plan_registry_store="sqlite",
        plan_registry_sqlite_path=str(tmp_path / "plan-registry.sqlite"),
        plan_registry_signing_key_file=str(tmp_path / "plan-registry.key"),
    )
    with TestClient(build(settings).api) as client:
        yield client


def goal(client: TestClient, title: str) -> str:
    response = client.post("/api/v1/goals", json={"title": title}, headers=PLANNER)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def page(client: TestClient, url: str, **params: Any) -> tuple[dict[str, Any], str | None]:
    response = client.get(url, params=params or None, headers=ANALYST)  # a Link's URL keeps its own query
    assert response.status_code == 200, response.text
    link = re.fullmatch(r'<([^>]+)>; rel="next"', response.headers.get("Link", ""))
    body = response.json()
    assert (link is None) == (body["next"] is None)
    return body, link.group(1) if link else None


def test_goals_page_in_order_of_creation_and_goals_added_meanwhile_come_last(client):
    made = []
    for n in range(12):
        made.append(goal(client, f"Mål {n}"))
        if n % 3 == 0:
            assert client.post("/api/v1/plans", json={**PLAN, "name": f"Plan {n}"}, headers=PLANNER).status_code == 201
    first, link = page(client, "/api/v1/goals", limit=5)
    assert [g["id"] for g in first["items"]] == made[:5] and link is not None
    made += [goal(client, "Mål etter første side"), goal(client, "Mål nummer to etter")]
    served, sizes = [g["id"] for g in first["items"]], [len(first["items"])]
    while link is not None:
        body, link = page(client, link)
        served += [g["id"] for g in body["items"]]
        sizes.append(len(body["items"]))
    assert served == made and sizes == [5, 5, 4]
    whole, _ = page(client, "/api/v1/goals", limit=MAX_LIMIT)
    assert [g["id"] for g in whole["items"]] == made and whole["next"] is None
    plans, _ = page(client, "/api/v1/plans")
    assert len(plans["items"]) == 4 and plans["next"] is None


def test_a_bad_limit_or_a_cursor_of_another_list_is_422_naming_the_parameter(client):
    for n in range(3):
        goal(client, f"Mål {n}")
    first, _ = page(client, "/api/v1/goals", limit=1)
    refused = client.get("/api/v1/plans", params={"cursor": first["next"]}, headers=ANALYST)
    assert refused.status_code == 422 and refused.json()["rule"] == "request.cursor"
    assert "another list" in refused.json()["detail"]
    for cursor in ("%%%", "bm90IGpzb24", encode_cursor("goals", ["seven"]), encode_cursor("goals", [-1])):
        response = client.get("/api/v1/goals", params={"cursor": cursor}, headers=ANALYST)
        assert response.status_code == 422 and response.json()["rule"] == "request.cursor", cursor
    for limit in (0, MAX_LIMIT + 1, "all"):
        response = client.get("/api/v1/goals", params={"limit": limit}, headers=ANALYST)
        assert response.status_code == 422 and "query.limit" in response.text, limit
