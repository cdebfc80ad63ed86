"""The portal's page times on the Bærum graph, beside the time of the API calls under them (`make bench`).

Starts the platform as the end-to-end tests do (``running_platform`` of tests/e2e/conftest.py: the three
services as real processes with their signing keys, knowledge trusting them, SQLite in a temporary folder,
a stream of its own on NATS_URL, the graph on NEO4J_URI) and the portal beside it, loads the Bærum scenario
through ``planspor_cli.demo``, then asks each page ``--requests`` times (20 by default, after 3 to warm up)
as a signed-in user and prints p50 and p95 of the page (as the client saw it) and of the API calls it made
(the portal's ``Server-Timing: api``: the time it waited on the services, calls side by side counted once),
with their ratio: what rendering and the portal's own work add.

    python services/portal/bench/bench_portal.py --may-empty-graph
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from planspor_cli.client import Platform as Client
from planspor_cli.demo import Loader
from planspor_runtime.bus import NatsAccess

E2E = Path(__file__).resolve().parents[3] / "tests" / "e2e" / "conftest.py"
SERVICES = ("operator", "plan-registry", "cocreation", "knowledge")


def e2e_platform() -> Any:
    """tests/e2e/conftest.py, whose ``running_platform`` starts the three services (imported by its path, as
    tests/reliability/fault_matrix.py does: it is a conftest, not a package module)."""
    spec = importlib.util.spec_from_file_location("planspor_e2e_platform", E2E)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def start_portal(e2e: Any, platform: Any) -> subprocess.Popen:
    port = e2e.free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "PLANSPOR_ENV": "development",
        "PORTAL_HOST": "127.0.0.1",
        "PORTAL_PORT": str(port),
        "PLAN_REGISTRY_URL": platform.urls["plan-registry"],
        "COCREATION_URL": platform.urls["cocreation"],
        "KNOWLEDGE_URL": platform.urls["knowledge"],
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("PLANSPOR_TOKENS", None)
    with open(platform.logs / "portal.log", "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "portal"], env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    platform.urls["portal"] = url
    e2e._wait_alive("portal", url, process, platform)
    return process


def signed_in(portal: str, role: str) -> tuple[httpx.Client, str]:
    """A client with the session cookie of ``role``'s development token, and its CSRF token."""
    client = httpx.Client(base_url=portal, timeout=60)
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/sign-in").text).group(1)
    # signing in begins a new session with a CSRF token of its own
    client.post("/sign-in", data={"token": f"dev-{role}-token", "csrf_token": csrf})
    return client, re.search(r'name="csrf-token" content="([^"]+)"', client.get("/").text).group(1)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def measure(client: httpx.Client, method: str, path: str, data: dict | None, requests: int) -> tuple[list, list, int]:
    """The page's times and its API calls' times (ms) over ``requests`` timed requests, and its number of calls."""
    pages, apis, calls = [], [], 0
    for i in range(3 + requests):
        started = time.perf_counter()
        response = client.request(method, path, data=data)
        seconds = time.perf_counter() - started
        if response.status_code != 200:
            raise SystemExit(f"{method} {path}: {response.status_code}\n{response.text[:1000]}")
        timing = response.headers.get("server-timing", "")
        api = re.search(r"api;dur=([\d.]+)", timing)
        if api is None:
            raise SystemExit(f"{method} {path}: no Server-Timing api in {timing!r}")
        if i >= 3:
            pages.append(seconds * 1000)
            apis.append(float(api.group(1)))
            count = re.search(r'desc="(\d+) calls"', timing)
            calls = max(calls, int(count.group(1)) if count else 0)
    return pages, apis, calls


def run_pages(portal: str, ids: dict[str, str], requests: int) -> None:
    auditor, _ = signed_in(portal, "auditor")
    analyst, csrf = signed_in(portal, "analyst")
    cypher = {
        "query": "MATCH (p:Plan)-[:ANCHORED_IN]->(g:Goal) RETURN g.title AS goal, count(p) AS plans",
        "csrf_token": csrf,
    }
    pages = [
        ("overview", auditor, "GET", "/", None),
        ("plan system", auditor, "GET", "/plan-system", None),
        ("plan register", auditor, "GET", "/plans", None),
        ("plan (P06)", auditor, "GET", f"/plans/{ids['plan:P06']}", None),
        ("strategy", auditor, "GET", f"/strategies/{ids['strategy']}", None),
        ("strategy follow-up", auditor, "GET", "/follow-up", None),
        ("adoption decision timeline", auditor, "GET", f"/decisions/{ids['decision:adoption']}", None),
        ("input trace forward (IN07)", auditor, "GET", f"/inputs/{ids['input:IN07']}", None),
        ("workshop (W1)", auditor, "GET", f"/workshops/{ids['workshop:W1']}", None),
        ("explorer", analyst, "GET", f"/explore?label=Decision&id={ids['decision:adoption']}", None),
        ("cypher console", analyst, "POST", "/cypher", cypher),
    ]
    print(
        f"{'page':28} {'calls':>5} {'page p50':>9} {'p95':>8} {'api p50':>9} {'p95':>8} {'page/api':>9}  (ms)",
        flush=True,
    )
    for name, client, method, path, data in pages:
        page, api, calls = measure(client, method, path, data, requests)
        ratio = statistics.median(page) / max(statistics.median(api), 0.001)
        print(
            f"{name:28} {calls:5} {statistics.median(page):9.1f} {percentile(page, 0.95):8.1f} "
            f"{statistics.median(api):9.1f} {percentile(api, 0.95):8.1f} {ratio:9.2f}",
            flush=True,
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=20, help="timed requests per page (after 3 to warm up)")
    parser.add_argument("--may-empty-graph", action="store_true", help="the graph on NEO4J_URI may be emptied")
    args = parser.parse_args()
    nats_url = os.environ.get("NATS_URL", "nats://127.0.0.1:4222")
    neo4j_uri = os.environ.get("NEO4J_URI", "bolt://127.0.0.1:7687")
    auth = (os.environ.get("NEO4J_USER", "neo4j"), os.environ.get("NEO4J_PASSWORD", "planspor-dev"))
    if not args.may_empty_graph:
        raise SystemExit("the benchmark empties the graph on NEO4J_URI first: pass --may-empty-graph")
    # stopped from outside (a timeout): the processes started here are stopped too, not left running
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    e2e = e2e_platform()
    # a NATS from NATS_URL: every client on the credentials the URL carries (as the e2e tests on an outside NATS)
    accounts = {name: NatsAccess.of(nats_url) for name in SERVICES}
    with tempfile.TemporaryDirectory(prefix="bench-portal-") as folder:
        with e2e.running_platform(Path(folder), nats_url, accounts, neo4j_uri, auth, {}) as platform:
            portal = start_portal(e2e, platform)
            try:
                client = Client(platform.urls["plan-registry"], platform.urls["cocreation"], platform.urls["knowledge"])
                try:
                    report = Loader(client, ids_file=platform.ids_file, wait_timeout=300).run()
                except Exception:
                    print(f"the Bærum load failed; knowledge's log:\n{platform.log('knowledge')}", file=sys.stderr)
                    raise
                print(
                    f"portal bench: Bærum loaded ({report.requests} requests, {report.load_seconds:.1f} s) and "
                    f"projected ({report.graph_seconds:.1f} s more); {args.requests} requests per page",
                    flush=True,
                )
                run_pages(platform.urls["portal"], report.ids, args.requests)
            finally:
                portal.send_signal(signal.SIGTERM)
                try:
                    portal.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    portal.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
