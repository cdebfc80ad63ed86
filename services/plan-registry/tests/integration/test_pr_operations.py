"""A relay that cannot publish says so (issue 12, issue 14): ``/readyz`` answers 503 with the reason, ``/health``
is ``degraded`` with the relay's position and error, the metrics show it, and ``/healthz`` still answers; once
NATS takes the relay, everything is published and all of it is green again.

The service runs in-process with its lifespan (the relay starts), on SQLite, against the test stack's real NATS:
first with a wrong password (NATS refuses the relay), then with the account's own.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from plan_registry.bootstrap import build
from plan_registry.settings import Settings

pytestmark = pytest.mark.integration

OPERATOR = {"Authorization": "Bearer dev-operator-token"}
PLANNER = {"Authorization": "Bearer dev-planner-token"}


def metrics(client: TestClient) -> dict[tuple[str, str], float]:
    """``{(sample name, source label): value}`` of the service's ``/metrics``."""
    answer = client.get("/metrics", headers=OPERATOR)
    assert answer.status_code == 200, answer.text
    return {
        (sample.name, sample.labels.get("source", "")): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def eventually(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "not reached in time"
        time.sleep(0.1)


def service_settings(tmp_path, access, prefix: str, password: str) -> Settings:
    return Settings(
        plan_registry_store="sqlite",
        plan_registry_sqlite_path=str(tmp_path / "plan-registry.sqlite"),
        plan_registry_signing_key_file=str(tmp_path / "plan-registry.key"),
        plan_registry_relay=True,
        nats_url=",".join(access.servers),
        nats_user=access.user,
        nats_password=password,
        planspor_subject_prefix=prefix,
    )


def test_a_relay_nats_refuses_makes_readyz_fail_and_health_degraded_until_it_publishes(
    nats_accounts, subject_prefix, tmp_path
):
    access = nats_accounts["plan-registry"]
    refused = build(service_settings(tmp_path, access, subject_prefix, password="not-the-" + (access.password or "x")))
    with TestClient(refused.api) as client:
        created = client.post("/api/v1/goals", json={"title": "Trygg oppvekst"}, headers=PLANNER)
        assert created.status_code == 201, created.text  # commands go on while the relay cannot publish

        def not_ready() -> bool:
            return client.get("/readyz").status_code == 503

        eventually(not_ready)
        ready = client.get("/readyz")
        assert ready.headers["content-type"].startswith("application/problem+json")
        problem = ready.json()
        assert problem["status"] == 503 and problem["checks"]["store"] == "ok"
        assert "relay plan-registry cannot publish after position 0" in problem["checks"]["relay"]
        assert "authorization violation" in problem["detail"].lower(), problem
        assert client.get("/healthz").json() == {"status": "ok"}  # alive all the same: no restart

        health = client.get("/health", headers=OPERATOR).json()
        assert health["status"] == "degraded", health
        relay = health["relay"]
        assert relay["position"] == 0 and relay["lag"] >= 1 and relay["failures"] >= 1
        assert "authorization violation" in relay["last_error"].lower()
        assert health["reasons"] and "cannot publish" in health["reasons"][0]

        seen = metrics(client)
        assert seen[("planspor_relay_up", "plan-registry")] == 0
        assert seen[("planspor_relay_failures_total", "plan-registry")] >= 1
        assert seen[("planspor_relay_lag", "plan-registry")] >= 1
        assert seen[("planspor_nats_up", "plan-registry")] == 0

    # the same store, now with the account's own password: the relay catches up and all is well again
    accepted = build(service_settings(tmp_path, access, subject_prefix, password=access.password or ""))
    with TestClient(accepted.api) as client:
        eventually(lambda: client.get("/readyz").status_code == 200)
        assert client.get("/readyz").json()["checks"] == {"store": "ok", "broker": "ok", "relay": "ok"}
        eventually(lambda: metrics(client)[("planspor_relay_lag", "plan-registry")] == 0)
        seen = metrics(client)
        head = seen[("planspor_store_head", "plan-registry")]
        assert head >= 1 and seen[("planspor_relay_notification_id", "plan-registry")] == head
        assert seen[("planspor_relay_position", "plan-registry")] >= 1
        assert seen[("planspor_relay_up", "plan-registry")] == 1 and seen[("planspor_nats_up", "plan-registry")] == 1
        health = client.get("/health", headers=OPERATOR).json()
        assert health["status"] == "ok" and health["relay"]["last_error"] is None and health["reasons"] == []


def test_the_metrics_page_without_a_token_on_the_loopback_port_the_operator_sets(monkeypatch, tmp_path):
    import socket

    import httpx

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("PLANSPOR_METRICS_PORT", str(port))
    service = build(Settings(plan_registry_store="memory"))
    with TestClient(service.api) as client:
        assert client.post("/api/v1/goals", json={"title": "Grønn mobilitet"}, headers=PLANNER).status_code == 201
        assert client.get("/metrics").status_code == 401  # the API's own port still asks for the operator
        page = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/plain")
        assert 'planspor_http_requests_total{method="POST",route="/api/v1/goals",status="201"} 1.0' in page.text
        assert 'planspor_store_head{source="plan-registry"} 1.0' in page.text
        assert httpx.get(f"http://127.0.0.1:{port}/health", timeout=5).status_code == 404  # nothing else there
    with pytest.raises(httpx.TransportError):  # closed with the service
        httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2)
