"""The portal's page times on the Bærum graph, beside the time of the API calls under them (`make bench`).

Starts the three services and the portal as real processes (SQLite in a temporary folder, a stream of
its own on NATS_URL, the graph on NEO4J_URI), loads the Bærum scenario through ``planspor_cli.demo``,
then asks each page ``--requests`` times (20 by default, after 3 to warm up) as a signed-in user and
prints p50 and p95 of the page (as the client saw it) and of the API calls it made (the portal's
``Server-Timing: api``: the time it waited on the services, calls side by side counted once), with
their ratio: what rendering and the portal's own work add.

    python services/portal/bench/bench_portal.py --may-empty-graph
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from planspor_cli.client import Platform
from planspor_cli.demo import Loader


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def empty_graph(uri: str, auth: tuple[str, str]) -> None:
    import neo4j

    with neo4j.GraphDatabase.driver(uri, auth=auth) as driver:
        deleted = 1
        while deleted:
            deleted = driver.execute_query(
                "MATCH (n) WITH n LIMIT 10000 DETACH DELETE n RETURN count(*) AS deleted"
            ).records[0]["deleted"]


def create_stream(nats_url: str, prefix: str) -> None:
    import nats

    from planspor_runtime.stream import stream_config

    async def create() -> None:
        connection = await nats.connect(nats_url)
        try:
            await connection.jetstream().add_stream(stream_config(prefix))
        finally:
            await connection.close()

    asyncio.run(create())


class Processes:
    def __init__(self, folder: Path) -> None:
        self.folder, self.running = folder, []

    def start(self, package: str, env: dict[str, str], url: str) -> None:
        log = open(self.folder / f"{package}.log", "wb")  # noqa: SIM115 - the child process writes to it
        process = subprocess.Popen(
            [sys.executable, "-m", package],
            env={**os.environ, **env},
            cwd=self.folder,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.running.append(process)
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise SystemExit(f"{package} exited: {(self.folder / f'{package}.log').read_text()[-2000:]}")
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"{package} did not answer /healthz in 60 s")
            time.sleep(0.1)

    def stop(self) -> None:
        for process in self.running:
            process.send_signal(signal.SIGTERM)
        for process in self.running:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


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


def measure(client: httpx.Client, method: str, path: str, data: dict | None, requests: int) -> tuple[list, list]:
    pages, apis = [], []
    for i in range(3 + requests):
        started = time.perf_counter()
        response = client.request(method, path, data=data)
        seconds = time.perf_counter() - started
        if response.status_code != 200:
            raise SystemExit(f"{method} {path}: {response.status_code}")
        api = re.search(r"api;dur=([\d.]+)", response.headers.get("server-timing", ""))
        if i >= 3:
            pages.append(seconds * 1000)
            apis.append(float(api.group(1)) if api else 0.0)
    return pages, apis


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
    prefix = f"bench-portal-{uuid.uuid4().hex[:8]}"
    empty_graph(neo4j_uri, auth)
    create_stream(nats_url, prefix)
    ports = {name: free_port() for name in ("plan_registry", "cocreation", "knowledge", "portal")}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    with tempfile.TemporaryDirectory(prefix="bench-portal-") as folder:
        processes = Processes(Path(folder))
        common = {
            "PLANSPOR_ENV": "development",
            "NATS_URL": nats_url,
            "PLANSPOR_SUBJECT_PREFIX": prefix,
            "PLAN_REGISTRY_URL": urls["plan_registry"],
            "COCREATION_URL": urls["cocreation"],
            "KNOWLEDGE_URL": urls["knowledge"],
        }
        envs = {
            "plan_registry": {
                "PLAN_REGISTRY_PORT": str(ports["plan_registry"]),
                "PLAN_REGISTRY_RELAY": "1",
                "PLAN_REGISTRY_REACTIONS": "1",
                "PLAN_REGISTRY_SQLITE_PATH": f"{folder}/plan-registry.sqlite",
            },
            "cocreation": {
                "COCREATION_PORT": str(ports["cocreation"]),
                "COCREATION_RELAY": "1",
                "COCREATION_CATALOGUE_SUBSCRIBER": "1",
                "COCREATION_SQLITE_PATH": f"{folder}/cc.sqlite",
            },
            "knowledge": {
                "KNOWLEDGE_PORT": str(ports["knowledge"]),
                "NEO4J_URI": neo4j_uri,
                "NEO4J_USER": auth[0],
                "NEO4J_PASSWORD": auth[1],
                "KNOWLEDGE_DURABLE": prefix,
            },
            "portal": {"PORTAL_PORT": str(ports["portal"])},
        }
        try:
            for name in ("plan_registry", "cocreation", "knowledge", "portal"):
                processes.start(name, {**common, **envs[name]}, urls[name])
            report = Loader(
                Platform(urls["plan_registry"], urls["cocreation"], urls["knowledge"]), wait_timeout=300
            ).run()
            ids = report.ids
            print(
                f"portal bench: Bærum loaded ({report.requests} requests) and projected in "
                f"{report.load_seconds + report.graph_seconds:.1f} s; {args.requests} requests per page"
            )
            auditor, _ = signed_in(urls["portal"], "auditor")
            analyst, csrf = signed_in(urls["portal"], "analyst")
            cypher = {
                "query": "MATCH (p:Plan)-[:ANCHORED_IN]->(g:Goal) RETURN g.title AS goal, count(p) AS plans",
                "csrf_token": csrf,
            }
            pages = [
                ("overview", auditor, "GET", "/", None),
                ("integrity", auditor, "GET", "/integrity", None),
                ("plan system", auditor, "GET", "/plan-system", None),
                ("plan register", auditor, "GET", "/plans", None),
                ("register, outside strategy", auditor, "GET", "/plans?outside=1", None),
                ("plan", auditor, "GET", f"/plans/{ids['plan:P06']}", None),
                ("strategy", auditor, "GET", f"/strategies/{ids['strategy']}", None),
                ("strategy follow-up", auditor, "GET", "/follow-up", None),
                ("decision", auditor, "GET", f"/decisions/{ids['decision:adoption']}", None),
                ("input", auditor, "GET", f"/inputs/{ids['input:IN07']}", None),
                ("workshop", auditor, "GET", f"/workshops/{ids['workshop:W1']}", None),
                ("explorer", analyst, "GET", f"/explore?label=Decision&id={ids['decision:adoption']}", None),
                ("cypher console", analyst, "POST", "/cypher", cypher),
            ]
            print(f"{'page':28} {'page p50':>9} {'p95':>8} {'api p50':>9} {'p95':>8} {'page/api':>9}  (ms)")
            for name, client, method, path, data in pages:
                page, api = measure(client, method, path, data, args.requests)
                ratio = statistics.median(page) / max(statistics.median(api), 0.001)
                print(
                    f"{name:28} {statistics.median(page):9.1f} {percentile(page, 0.95):8.1f} "
                    f"{statistics.median(api):9.1f} {percentile(api, 0.95):8.1f} {ratio:9.2f}"
                )
        finally:
            processes.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
