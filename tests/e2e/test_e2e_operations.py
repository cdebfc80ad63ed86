"""What the operator on call sees, from the real processes (issue 14): every service's ``/metrics`` during a
short load of commands (the projector's lag rises and falls back to 0; at the end the relay's position is the
store's head and the graph's), the probes, and the logs: JSON lines with the fields, and no token or password
in any of them.

The platform runs with tokens of its own (not the development ones), each service on its own NATS password,
Neo4j on the stack's random password, and ``PLANSPOR_LOG_FORMAT=json``; the portal runs beside it.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from planspor_runtime.access import hash_token

pytestmark = pytest.mark.e2e

OPERATOR_TOKEN = "op-" + secrets.token_urlsafe(24)
PLANNER_TOKEN = "pl-" + secrets.token_urlsafe(24)
OPERATOR = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}
PLANNER = {"Authorization": f"Bearer {PLANNER_TOKEN}"}
COMMANDS = 160
WRITERS = 4
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest.fixture(scope="module")
def platform_env() -> dict[str, str]:
    tokens = [
        {"sha256": hash_token(OPERATOR_TOKEN), "role": "operator", "name": "on call"},
        {"sha256": hash_token(PLANNER_TOKEN), "role": "planner", "name": "planner"},
    ]
    return {"PLANSPOR_TOKENS": json.dumps(tokens), "PLANSPOR_FEED_TOKEN": OPERATOR_TOKEN, "PLANSPOR_LOG_FORMAT": "json"}


@pytest.fixture(scope="module")
def urls(platform, platform_env):
    """The three APIs and the portal (started here, beside the platform, on a free port)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        **platform_env,
        "PLANSPOR_ENV": "development",
        "PORTAL_HOST": "127.0.0.1",
        "PORTAL_PORT": str(port),
        "PLAN_REGISTRY_URL": platform.urls["plan-registry"],
        "COCREATION_URL": platform.urls["cocreation"],
        "KNOWLEDGE_URL": platform.urls["knowledge"],
        "PYTHONUNBUFFERED": "1",
    }
    with open(platform.logs / "portal.log", "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "portal"], env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    url = f"http://127.0.0.1:{port}"
    try:

        def alive() -> bool:
            assert process.poll() is None, platform.log("portal")
            try:
                return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
            except httpx.TransportError:
                return False

        eventually(alive, timeout=60)
        yield {**platform.urls, "portal": url}
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def scrape(client: httpx.Client, url: str) -> Samples:
    answer = client.get(f"{url}/metrics", headers=OPERATOR, timeout=5)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


def eventually(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "not reached in time"
        time.sleep(0.1)


def test_metrics_follow_a_load_from_the_command_to_the_graph(urls):
    registry, knowledge = urls["plan-registry"], urls["knowledge"]
    lags: list[float] = []
    watching = threading.Event()
    watching.set()

    def watch() -> None:
        with httpx.Client() as client:
            while watching.is_set():
                try:
                    lag = value(scrape(client, knowledge), "planspor_projector_lag")
                except (httpx.HTTPError, AssertionError):  # the platform stopped under a failed test
                    return
                if lag is not None:
                    lags.append(lag)
                time.sleep(0.02)

    statuses: list[int] = []
    unavailable: list[str] = []

    def write(n: int) -> None:
        """Like a client should: a 503 (SQLite busy under concurrent writers) is asked again, same key."""
        with httpx.Client(base_url=registry, headers=PLANNER, timeout=30) as client:
            for i in range(n, COMMANDS, WRITERS):
                for _attempt in range(5):
                    answer = client.post(
                        "/api/v1/goals", json={"title": f"Mål {i} i lasten"}, headers={"Idempotency-Key": f"load-{i}"}
                    )
                    if answer.status_code != 503:
                        break
                    unavailable.append(answer.json()["detail"])
                    time.sleep(0.2)
                statuses.append(answer.status_code)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    started = time.monotonic()
    writers = [threading.Thread(target=write, args=(n,)) for n in range(WRITERS)]
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join(timeout=120)
    load_seconds = time.monotonic() - started
    watching_stopped = not watcher.is_alive()
    assert statuses == [201] * COMMANDS, unavailable[:3]
    assert not watching_stopped

    with httpx.Client() as client:
        seen: dict[str, float | None] = {}

        def caught_up() -> bool:
            graph, relay = scrape(client, knowledge), scrape(client, registry)
            position = value(relay, "planspor_relay_position", source="plan-registry")
            seen.update(
                relay=position,
                relay_lag=value(relay, "planspor_relay_lag", source="plan-registry"),
                graph=value(graph, "planspor_projector_position", source="plan-registry"),
                graph_lag=value(graph, "planspor_projector_lag"),
            )
            return bool(
                value(graph, "planspor_projector_lag") == 0
                and position
                and value(graph, "planspor_projector_position", source="plan-registry") == position
            )

        try:
            eventually(caught_up)
        except AssertionError:
            raise AssertionError(f"the graph did not catch up with the relay: {seen}") from None
        time.sleep(0.2)  # a few more scrapes at rest
        watching.clear()
        watcher.join(timeout=10)
        print(
            f"{COMMANDS} commands in {load_seconds:.1f} s ({len(unavailable)} answered 503 first); "
            f"lag scraped {len(lags)} times, at most {max(lags):.0f}"
        )
        assert max(lags) > 0, "the projector's lag never rose during the load"
        # at rest the lag is back to 0 (a signed tree head the relay publishes at rest is a message too: lag 1
        # for the moment until the projector has taken it)
        assert min(lags[-10:]) == 0, lags[-10:]

        relay = scrape(client, registry)
        head = value(relay, "planspor_store_head", source="plan-registry")
        assert head and head >= COMMANDS
        assert value(relay, "planspor_relay_notification_id", source="plan-registry") == head
        assert value(relay, "planspor_relay_lag", source="plan-registry") == 0
        assert value(relay, "planspor_relay_up", source="plan-registry") == 1
        assert value(relay, "planspor_nats_up", source="plan-registry") == 1
        assert value(relay, "planspor_relay_published_total", source="plan-registry") >= COMMANDS
        route = {"method": "POST", "route": "/api/v1/goals"}
        assert value(relay, "planspor_http_requests_total", **route, status="201") == COMMANDS
        assert (value(relay, "planspor_http_requests_total", **route, status="503") or 0) == len(unavailable)
        assert value(relay, "planspor_http_request_duration_seconds_count", **route) == COMMANDS + len(unavailable)

        graph = scrape(client, knowledge)
        assert value(graph, "planspor_projector_events_applied_total") >= COMMANDS
        assert value(graph, "planspor_projector_batch_size_count") >= 1
        assert value(graph, "planspor_projector_batch_duration_seconds_count") >= 1
        assert value(graph, "planspor_projector_batch_failures_total") == 0
        assert value(graph, "planspor_dead_letters_open") == 0
        assert value(graph, "planspor_neo4j_up") == 1 and value(graph, "planspor_nats_up") == 1

        cocreation = scrape(client, urls["cocreation"])
        assert value(cocreation, "planspor_relay_notification_id", source="cocreation") == value(
            cocreation, "planspor_store_head", source="cocreation"
        )
        assert value(cocreation, "planspor_relay_up", source="cocreation") == 1
        portal = scrape(client, urls["portal"])
        assert value(portal, "planspor_service_info", service="portal") == 1

        for name, url in urls.items():
            assert client.get(f"{url}/healthz").json() == {"status": "ok"}, name
            ready = client.get(f"{url}/readyz")
            assert ready.status_code == 200 and set(ready.json()["checks"].values()) == {"ok"}, (name, ready.text)
            assert client.get(f"{url}/metrics").status_code == 401, name
            assert client.get(f"{url}/metrics", headers=PLANNER).status_code == 403, name


def read_lines(platform, name: str) -> list[dict]:
    text = (platform.logs / f"{name}.log").read_text()
    lines = [line for line in text.splitlines() if line.strip()]
    assert lines, f"{name} logged nothing"
    records = []
    for line in lines:
        try:
            records.append(json.loads(line))
        except ValueError:
            raise AssertionError(f"{name} wrote a line that is not JSON: {line[:300]}") from None
    return records


def test_every_service_logs_json_lines_with_the_fields_and_never_a_secret(platform, urls, nats_accounts, neo4j_auth):
    registry = urls["plan-registry"]
    with httpx.Client(base_url=registry, timeout=10) as client:
        # a token where a careless client puts it (the query string), and an unknown one in the header
        assert client.get(f"/api/v1/goals?access_token={PLANNER_TOKEN}", headers=PLANNER).status_code == 200
        assert client.get("/api/v1/goals", headers={"Authorization": f"Bearer {OPERATOR_TOKEN}x"}).status_code == 401
        created = client.post(
            "/api/v1/goals",
            json={"title": "Mål med sporbar samtale"},
            headers={**PLANNER, "X-Correlation-Id": "corr-ops-1"},
        )
        assert created.status_code == 201
        goal = created.json()["id"]
        head = client.get("/health", headers=OPERATOR).json()["relay"]["position"]
    with httpx.Client(timeout=10) as client:
        client.get(f"{urls['portal']}/?token={OPERATOR_TOKEN}")

        def graph_has_it() -> bool:
            health = client.get(f"{urls['knowledge']}/health", headers=OPERATOR).json()
            return health["checkpoints"].get("plan-registry", {}).get("position", 0) >= head

        eventually(graph_has_it)
    time.sleep(0.5)  # let the last lines reach the files

    logs = {name: read_lines(platform, name) for name in ("plan-registry", "cocreation", "knowledge", "portal")}
    for name, records in logs.items():
        for record in records:
            assert record["service"] == name and record["level"] in ("debug", "info", "warning", "error", "critical")
            assert {"time", "logger", "message"} <= set(record), record
    everything = "\n".join(json.dumps(r) for records in logs.values() for r in records)
    secret_values = {
        "the operator's token": OPERATOR_TOKEN,
        "the planner's token": PLANNER_TOKEN,
        "the Neo4j password": neo4j_auth[1],
        **{
            f"the NATS password of {user}": access.password for user, access in nats_accounts.items() if access.password
        },
    }
    for what, secret in secret_values.items():
        assert secret not in everything, f"{what} is in the logs"
        assert secret[:12] not in everything, f"the start of {what} is in the logs"

    registry_lines = logs["plan-registry"]
    access = [r for r in registry_lines if r.get("event") == "http.request"]
    redacted = [r for r in access if r["path"] == "/api/v1/goals?access_token=[redacted]"]
    assert redacted and redacted[0]["status"] == 200 and redacted[0]["method"] == "GET", access[-3:]
    assert redacted[0].get("correlation_id"), "uvicorn's access line carries the request's correlation id"
    commands = [r for r in registry_lines if r.get("event") == "command.recorded" and r.get("aggregate") == goal]
    assert commands and commands[0]["correlation_id"] == "corr-ops-1" and commands[0]["command"]
    published = [r for r in registry_lines if r.get("event") == "relay.published"]
    assert published and published[-1]["source"] == "plan-registry" and published[-1]["position"] >= head
    batches = [r for r in logs["knowledge"] if r.get("event") == "projector.batch"]
    assert batches and max(b["positions"].get("plan-registry", 0) for b in batches) >= head
    portal_access = [r for r in logs["portal"] if r.get("event") == "http.request"]
    assert any("token=[redacted]" in r["path"] for r in portal_access), portal_access[-3:]
