"""Each domain service configured for PostgreSQL by its settings alone: the schema is
created, a command is stored, read back through the API, and served by the feed once
the relay has published it. The application suites run on both stores; this is the
path an operator takes (PLAN_REGISTRY_STORE=postgres, COCREATION_STORE=postgres)."""

from __future__ import annotations

import time
import uuid

import psycopg
import pytest
from fastapi.testclient import TestClient

from cocreation.bootstrap import build as build_cocreation
from cocreation.settings import Settings as CocreationSettings
from plan_registry.bootstrap import build as build_plan_registry
from plan_registry.settings import Settings as PlanRegistrySettings

pytestmark = pytest.mark.integration


def postgres_settings(postgres_dsn: dict, nats_url: str, prefix: str) -> dict:
    return {
        "postgres_host": postgres_dsn["host"],
        "postgres_port": postgres_dsn["port"],
        "postgres_user": postgres_dsn["user"],
        "postgres_password": postgres_dsn["password"],
        "postgres_db": postgres_dsn["dbname"],
        "nats_url": nats_url,
        "planspor_subject_prefix": prefix,
    }


def wait_for_feed(client: TestClient, headers: dict, count: int) -> list[dict]:
    deadline = time.monotonic() + 30
    while True:
        events = client.get("/events", params={"after": 0, "limit": 100}, headers=headers).json()["events"]
        if len(events) >= count or time.monotonic() > deadline:
            return events
        time.sleep(0.1)


def schema_tables(postgres_dsn: dict, schema: str) -> set[str]:
    with psycopg.connect(**postgres_dsn) as conn:
        rows = conn.execute("select table_name from information_schema.tables where table_schema = %s", (schema,))
        return {name for (name,) in rows}


def test_plan_registry_runs_on_postgres_by_its_settings(postgres_dsn, nats_url, subject_prefix):
    schema = f"pr_{uuid.uuid4().hex[:10]}"
    settings = PlanRegistrySettings(
        plan_registry_store="postgres",
        plan_registry_postgres_schema=schema,
        plan_registry_relay=True,
        **postgres_settings(postgres_dsn, nats_url, subject_prefix),
    )
    service = build_plan_registry(settings)
    planner = {"Authorization": "Bearer dev-planner-token"}
    with TestClient(service.api) as client:
        created = client.post(
            "/api/v1/goals", json={"title": "Gode liv i alle faser", "sdg_targets": ["3.4"]}, headers=planner
        )
        assert created.status_code == 201, created.text
        goal_id = created.json()["id"]
        assert client.get(f"/api/v1/goals/{goal_id}", headers=planner).json()["title"] == "Gode liv i alle faser"
        events = wait_for_feed(client, {"Authorization": "Bearer dev-auditor-token"}, 1)
    service.application.close()
    assert [(e["event_type"], e["payload"]["goal_id"]) for e in events] == [("goal.defined", goal_id)]
    assert schema_tables(postgres_dsn, schema), f"no tables in schema {schema}"


def test_cocreation_runs_on_postgres_by_its_settings(postgres_dsn, nats_url, subject_prefix):
    schema = f"cc_{uuid.uuid4().hex[:10]}"
    settings = CocreationSettings(
        cocreation_store="postgres",
        cocreation_postgres_schema=schema,
        cocreation_relay=True,
        **postgres_settings(postgres_dsn, nats_url, subject_prefix),
    )
    service = build_cocreation(settings)
    facilitator = {"Authorization": "Bearer dev-facilitator-token"}
    with TestClient(service.api) as client:
        created = client.post(
            "/api/v1/processes",
            headers=facilitator,
            json={
                "title": "Samskaping om planstrategi 2024-2027",
                "purpose": "Politisk eierskap til planstrategien",
                "election_period": "2024-2027",
                "roles_and_limits": "Folkevalgte prioriterer; administrasjonen gir råd",
                "all_officials_invited": True,
            },
        )
        assert created.status_code == 201, created.text
        process_id = created.json()["process_id"]
        assert client.get(f"/api/v1/processes/{process_id}", headers=facilitator).status_code == 200
        events = wait_for_feed(client, {"Authorization": "Bearer dev-auditor-token"}, 1)
    service.application.close()
    assert [e["event_type"] for e in events] == ["process.started"]
    assert events[0]["payload"]["process_id"] == process_id
    assert schema_tables(postgres_dsn, schema), f"no tables in schema {schema}"
