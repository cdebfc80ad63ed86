"""PostgreSQL stopped while a planner sends a command (issue 14): the plan register on its PostgreSQL event store
answers 503 with ``Retry-After`` and a problem body within seconds, stores nothing, and once the server is back
the same command with the same ``Idempotency-Key`` is recorded once: one goal for the key in the store and one
``goal.defined`` on the feed the graph is projected from.

The test stops the test stack's own PostgreSQL (a server configured from outside, POSTGRES_HOST, is not ours to
stop) and starts it again, whatever happens.
"""

from __future__ import annotations

import time
import uuid

import psycopg
import pytest
from fastapi.testclient import TestClient

from plan_registry.bootstrap import build
from plan_registry.settings import Settings

pytestmark = pytest.mark.integration

GOAL_DEFINED = "%:Goal.Defined"
PLANNER = {"Authorization": "Bearer dev-planner-token"}
AUDITOR = {"Authorization": "Bearer dev-auditor-token"}


@pytest.fixture
def stoppable_postgres(stack, postgres_dsn):
    endpoint = stack.endpoints["postgres"]
    if endpoint.external:
        pytest.skip("PostgreSQL is configured from outside (POSTGRES_HOST): not ours to stop")
    server = stack.servers()["postgres"]
    yield server
    server.start()


def goals_titled(client: TestClient, title: str, timeout: float = 30) -> list[dict]:
    """The feed's goal.defined events with that title, once the relay has published every stored event."""
    deadline = time.monotonic() + timeout
    while True:
        health = client.get("/health", headers={"Authorization": "Bearer dev-operator-token"}).json()
        events, after = [], 0
        while True:
            page = client.get("/events", params={"after": after, "limit": 500}, headers=AUDITOR).json()
            events += page["events"]
            if not page["events"]:
                break
            after = page["next_after"]
        if health["relay"]["lag"] == 0 or time.monotonic() > deadline:
            return [e for e in events if e["event_type"] == "goal.defined" and e["payload"]["title"] == title]
        time.sleep(0.1)


def stored_goals_titled(postgres_dsn: dict, schema: str, title: str) -> int:
    """Goals in the store itself whose first event holds the title (the stored state is JSON)."""
    with psycopg.connect(**postgres_dsn) as conn:
        tables = [
            name
            for (name,) in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s AND table_name LIKE %s",
                (schema, "%events"),
            )
            if not name.startswith("relay")
        ]
        return sum(
            conn.execute(
                f'SELECT count(*) FROM "{schema}"."{table}" WHERE topic LIKE %s AND position(%s in convert_from(state, %s)) > 0',
                (GOAL_DEFINED, title, "UTF8"),
            ).fetchone()[0]
            for table in tables
        )


def test_a_command_while_postgresql_is_down_is_refused_with_503_and_recorded_once_after_it_is_back(
    stoppable_postgres, postgres_dsn, nats_url, subject_prefix
):
    schema = f"pgdown_{uuid.uuid4().hex[:10]}"
    settings = Settings(
        plan_registry_store="postgres",
        plan_registry_postgres_schema=schema,
        plan_registry_relay=True,
        postgres_host=postgres_dsn["host"],
        postgres_port=postgres_dsn["port"],
        postgres_user=postgres_dsn["user"],
        postgres_password=postgres_dsn["password"],
        postgres_db=postgres_dsn["dbname"],
        nats_url=nats_url,
        planspor_subject_prefix=subject_prefix,
    )
    service = build(settings)
    title, key = f"Trygge nærmiljø {uuid.uuid4().hex[:8]}", f"pg-down-{uuid.uuid4()}"
    command = {"json": {"title": title}, "headers": {**PLANNER, "Idempotency-Key": key}}
    try:
        with TestClient(service.api) as client:
            # 1. the store answers: a goal is defined
            assert client.post("/api/v1/goals", json={"title": "Før stansen"}, headers=PLANNER).status_code == 201

            # 2. PostgreSQL stops; the command is refused in seconds, as a problem the caller can act on
            stoppable_postgres.stop()
            sent = time.monotonic()
            refused = client.post("/api/v1/goals", **command)
            waited = time.monotonic() - sent
            assert refused.status_code == 503, refused.text
            assert waited < 20, f"the 503 took {waited:.1f} s"
            assert int(refused.headers["Retry-After"]) > 0
            assert refused.headers["content-type"] == "application/problem+json"
            body = refused.json()
            assert body["status"] == 503 and body["rule"] == "store.unavailable", body
            assert "nothing was stored" in body["detail"] or "cannot be reached" in body["detail"], body

            # 3. PostgreSQL is back: the same command, the same key, recorded once; asked again, the same answer
            stoppable_postgres.start()
            recorded = client.post("/api/v1/goals", **command)
            assert recorded.status_code == 201, recorded.text
            again = client.post("/api/v1/goals", **command)
            assert again.status_code == 201 and again.json()["id"] == recorded.json()["id"], again.text
            goal_id = recorded.json()["id"]

            # 4. one goal for the key in the store, one goal.defined on the feed (what the graph projects)
            assert stored_goals_titled(postgres_dsn, schema, title) == 1
            published = goals_titled(client, title)
            assert [e["payload"]["goal_id"] for e in published] == [goal_id]
    finally:
        service.application.close()
