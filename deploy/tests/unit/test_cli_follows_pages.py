"""The CLI gets whole lists: ``Api.every`` follows ``next`` until it is null (``planspor_runtime.paging``)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from plan_registry.bootstrap import build
from plan_registry.settings import Settings
from planspor_cli.client import Api
from planspor_runtime.access import DEVELOPMENT_TOKENS, Role

pytestmark = pytest.mark.unit


def test_every_follows_next_to_the_last_page(monkeypatch):
    monkeypatch.setattr("planspor_cli.client.PAGE_LIMIT", 2)  # so that five goals are three pages
    with TestClient(build(Settings(plan_registry_store="memory")).api) as http:
        planner = {"Authorization": f"Bearer {DEVELOPMENT_TOKENS[Role.PLANNER]}"}
        made = [http.post("/api/v1/goals", json={"title": f"Mål {n}"}, headers=planner).json()["id"] for n in range(5)]
        api = Api(str(http.base_url), DEVELOPMENT_TOKENS[Role.ANALYST], _http=http)
        http.headers["Authorization"] = f"Bearer {DEVELOPMENT_TOKENS[Role.ANALYST]}"
        whole = api.every("/api/v1/goals")
        assert [g["id"] for g in whole["items"]] == made and whole["next"] is None
        assert len(api.get("/api/v1/goals", limit=2)["items"]) == 2
