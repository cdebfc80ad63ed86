"""Commands under load: plan-registry and co-creation, on SQLite and on PostgreSQL, at a constant offered rate.

``python tests/reliability/bench_commands.py [--rates 20,50,100,200] [--seconds 8] [--stores sqlite,postgres]``

The three services run as `make run` runs them (their relays, the knowledge projector and the catalogue
subscriber beside them, on the test stack's NATS and Neo4j), started by the e2e tests' ``running_platform``.
An open-loop generator offers commands at a constant rate (each at its own moment, whether or not the ones
before it were answered, so a slow server cannot slow the load down and hide its own latency); the latency of
a command runs from its moment to its answer. Bounded: ``--seconds`` per rate, at most 400 commands in flight,
10 s per command.

- plan-registry: a mix of new plans (2 in 3) and new goals (1 in 3);
- co-creation: inputs raised at one held workshop (one aggregate that grows), and participants enrolled.

The baseline, in the same run at the same rates: ``GET /healthz`` of the same service (the cost of HTTP and the
event loop on this machine, no store). Printed per store, service and rate: offered and achieved rate, p50, p95,
p99, errors, and the ratio of p95 to the baseline's p95; then the rate reached before p95 doubled from its value
at the lowest rate. Nothing is asserted: the machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fault_matrix import PLANNER, _platform_module

FACILITATOR = {"Authorization": "Bearer dev-facilitator-token"}
IN_FLIGHT = 400
Request = Callable[[int], tuple[str, str, dict[str, Any] | None, dict[str, str]]]
"""The i-th command of a load: method, path, body, headers."""


@dataclass
class Result:
    offered: float
    seconds: float
    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    dropped: int = 0

    def quantile(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    @property
    def achieved(self) -> float:
        return len(self.latencies) / self.seconds


async def offer(base_url: str, request: Request, rate: float, seconds: float) -> Result:
    """Commands at ``rate`` a second for ``seconds``, each sent at its moment (open loop)."""
    result = Result(rate, seconds)
    count = int(rate * seconds)
    limits = httpx.Limits(max_connections=IN_FLIGHT, max_keepalive_connections=IN_FLIGHT)
    async with httpx.AsyncClient(base_url=base_url, timeout=10, limits=limits) as client:
        in_flight: set[asyncio.Task[None]] = set()
        started = time.perf_counter()

        async def one(i: int, moment: float) -> None:
            method, path, body, headers = request(i)
            try:
                answer = await client.request(method, path, json=body, headers=headers)
                status = str(answer.status_code) if answer.status_code >= 400 else ""
            except httpx.HTTPError as error:
                status = type(error).__name__
            if status:
                result.errors[status] = result.errors.get(status, 0) + 1
            else:
                result.latencies.append(time.perf_counter() - moment)

        for i in range(count):
            moment = started + i / rate
            await asyncio.sleep(max(0.0, moment - time.perf_counter()))
            if len(in_flight) >= IN_FLIGHT:
                result.dropped += 1
                continue
            task = asyncio.ensure_future(one(i, moment))
            in_flight.add(task)
            task.add_done_callback(in_flight.discard)
        if in_flight:
            await asyncio.wait(in_flight, timeout=15)
        result.seconds = max(seconds, time.perf_counter() - started)
    return result


def plan_registry_load(tag: str) -> Request:
    numbers = itertools.count()

    def request(_: int) -> tuple[str, str, dict[str, Any] | None, dict[str, str]]:
        i = next(numbers)  # a new command each time (a key used again would be answered from its record)
        key = {"Idempotency-Key": f"{tag}-{i}", **PLANNER}
        if i % 3 == 2:
            return "POST", "/api/v1/goals", {"title": f"Mål {tag} {i}"}, key
        body = {
            "name": f"Temaplan {tag} {i}",
            "plan_type": "temaplan",
            "owning_unit": random.choice(("Kultur og fritid", "Oppvekst", "Helse og omsorg")),
            "initiated_through_strategy": False,
        }
        return "POST", "/api/v1/plans", body, key

    return request


def cocreation_load(client: httpx.Client, tag: str) -> Request:
    """One process with a held workshop; inputs raised there and participants enrolled."""
    today = date.today()

    def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
        answer = client.post(path, json=body, headers=FACILITATOR)
        answer.raise_for_status()
        return dict(answer.json())

    process = post(
        "/api/v1/processes",
        {
            "title": f"Samskaping {tag}",
            "purpose": "Belastningsprøve",
            "election_period": f"{today.year}-{today.year + 3}",
            "roles_and_limits": "Folkevalgte prioriterer; administrasjonen gir råd.",
            "all_officials_invited": True,
            "follow_up_days": 90,
            "started_on": (today - timedelta(days=10)).isoformat(),
        },
    )["process_id"]
    author = post(
        f"/api/v1/processes/{process}/participants",
        {
            "name": "Folkevalgt 1",
            "kind": "elected_official",
            "role": "medlem",
            "party": "H",
            "body": "municipal_council",
        },
    )["participant_id"]
    post(f"/api/v1/processes/{process}/phase", {"to": "workshops", "on": (today - timedelta(days=9)).isoformat()})
    workshop = post(
        f"/api/v1/processes/{process}/workshops",
        {"title": "Seminar", "on": (today - timedelta(days=5)).isoformat(), "format": "in_person", "agenda": ["Behov"]},
    )["workshop_id"]
    post(
        f"/api/v1/workshops/{workshop}/held",
        {"held_on": (today - timedelta(days=5)).isoformat(), "attendee_ids": [author]},
    )

    numbers = itertools.count()

    def request(_: int) -> tuple[str, str, dict[str, Any] | None, dict[str, str]]:
        i = next(numbers)
        key = {"Idempotency-Key": f"{tag}-{i}", **FACILITATOR}
        if i % 3 == 2:
            body = {
                "name": f"Deltaker {i}",
                "kind": "elected_official",
                "role": "medlem",
                "party": "Ap",
                "body": "municipal_council",
            }
            return "POST", f"/api/v1/processes/{process}/participants", body, key
        body = {"author_id": author, "kind": "need", "text": f"Innspill {tag} {i}"}
        return "POST", f"/api/v1/workshops/{workshop}/inputs", body, key

    return request


def health(_: int) -> tuple[str, str, dict[str, Any] | None, dict[str, str]]:
    return "GET", "/healthz", None, {}


def row(store: str, service: str, result: Result, baseline: Result) -> str:
    ratio = result.quantile(0.95) / baseline.quantile(0.95)
    errors = ", ".join(f"{k}×{v}" for k, v in sorted(result.errors.items())) or "0"
    if result.dropped:
        errors += f", {result.dropped} not sent (400 in flight)"
    return (
        f"| {store} | {service} | {result.offered:.0f} | {result.achieved:.0f} | {result.quantile(0.5):.1f} | "
        f"{result.quantile(0.95):.1f} | {result.quantile(0.99):.1f} | {baseline.quantile(0.95):.1f} | "
        f"{ratio:.1f} | {errors} |"
    )


def before_doubling(results: list[Result]) -> str:
    """The highest rate whose p95 stayed within twice the p95 at the lowest rate, and what got through there."""
    first = results[0].quantile(0.95)
    kept = [r for r in results if r.quantile(0.95) <= 2 * first and not r.errors and not r.dropped]
    if not kept:
        return "none"
    best = kept[-1]
    return (
        f"{best.achieved:.0f}/s (offered {best.offered:.0f}/s, p95 {best.quantile(0.95):.1f} ms ≤ 2 × {first:.1f} ms)"
    )


def postgres_overrides(stack: Any, schema: str) -> dict[str, dict[str, str]]:
    from urllib.parse import urlparse

    url = urlparse(stack.endpoints["postgres"].url)
    s = stack.settings
    server = {
        "POSTGRES_HOST": str(url.hostname),
        "POSTGRES_PORT": str(url.port),
        "POSTGRES_USER": s.postgres_user,
        "POSTGRES_PASSWORD": s.postgres_password,
        "POSTGRES_DB": s.postgres_db,
    }
    return {
        "plan-registry": {"PLAN_REGISTRY_STORE": "postgres", "PLAN_REGISTRY_POSTGRES_SCHEMA": schema, **server},
        "cocreation": {"COCREATION_STORE": "postgres", "COCREATION_POSTGRES_SCHEMA": f"{schema}_cc", **server},
    }


def run_store(store: str, platform: Any, rates: list[float], seconds: float, lines: list[str]) -> None:
    tag = f"{store}-{random.randrange(16**6):06x}"
    with httpx.Client(base_url=platform.urls["cocreation"], timeout=30) as client:
        loads = {"plan-registry": plan_registry_load(tag), "cocreation": cocreation_load(client, tag)}
    for service, load in loads.items():
        url = platform.urls[service]
        asyncio.run(offer(url, load, 20, 2))  # warm-up: connections, caches, the first statements
        results = []
        for rate in rates:
            baseline = asyncio.run(offer(url, health, rate, min(seconds, 4)))
            result = asyncio.run(offer(url, load, rate, seconds))
            results.append(result)
            lines.append(row(store, service, result, baseline))
            print(lines[-1], flush=True)
        lines.append(f"| {store} | {service} | reached before p95 doubled: {before_doubling(results)} |||||||")
        print(lines[-1], flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rates", default="20,50,100,200")
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--stores", default="sqlite,postgres")
    args = parser.parse_args(argv)
    from planspor_stack.bus import OPERATOR as NATS_OPERATOR
    from planspor_stack.bus import SERVICES
    from planspor_stack.stack import Stack

    rates = [float(r) for r in args.rates.split(",")]
    stores = args.stores.split(",")
    stack = Stack.from_env(os.environ.get("PLANSPOR_TEST_PROFILE", "test"))
    servers = ("nats", "neo4j", "postgres") if "postgres" in stores else ("nats", "neo4j")
    endpoints = stack.start(servers, say=lambda *_: None)
    nats_url = endpoints["nats"].url.split(",")[0]
    accounts = {user: stack.nats_access(user) for user in (NATS_OPERATOR, *SERVICES)}
    auth = (stack.settings.neo4j_user, stack.settings.neo4j_password)
    e2e = _platform_module()
    lines = [
        f"commands under load: open loop, {args.seconds:.0f} s per rate, latencies in ms; "
        "baseline: GET /healthz of the same service at the same rate",
        "| store | service | offered/s | achieved/s | p50 | p95 | p99 | baseline p95 | p95 ratio | errors |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    print("\n".join(lines), flush=True)
    try:
        with tempfile.TemporaryDirectory(prefix="planspor-bench-commands-") as root:
            for store in stores:
                overrides = {}
                if store == "postgres":
                    overrides = postgres_overrides(stack, f"bench_{random.randrange(16**8):08x}")
                with e2e.running_platform(
                    Path(root) / store, nats_url, accounts, endpoints["neo4j"].url, auth, {}, overrides
                ) as platform:
                    run_store(store, platform, rates, args.seconds, lines)
    finally:
        if os.environ.get("PLANSPOR_KEEP_STACK") != "1":
            stack.stop(say=lambda *_: None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
