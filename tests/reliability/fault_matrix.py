"""The fault matrix (issue 14): each fault under a steady load of commands, and one table of what came of it.

    .venv/bin/python tests/reliability/fault_matrix.py --repetitions 50 --budget 240   # what `make chaos` runs

The platform runs as real processes (plan-registry, cocreation, knowledge: tests/e2e/conftest.py's
``running_platform``) on the test stack's NATS and Neo4j, loopback only. Planners send goals the whole time,
each with an idempotency key, asked again with the same key while the service is away; a goal is acknowledged
when it is answered 201. For each fault, once its repetitions are done the load stops and the row is read:

- acknowledged: goals answered in the row; stored / in graph: each source's events in its store (the relay's
  head) and in the graph (the projector's checkpoints), summed;
- lost: acknowledged goals the graph lacks, and stored events it lacks; duplicated: goals the graph holds more
  than once for one key, or one key answered with two goals;
- rebuild equal: the graph's checksum equals that of a rebuild from the sources' feeds;
- recovery: seconds from the last repair to the graph holding every stored event.

The faults: SIGKILL of plan-registry (its relay in it) and of knowledge (its projector) at random moments,
NATS stopped and started again, Neo4j stopped and started again while it projects. Not here yet: a poison
event on the live stream, PostgreSQL stopped, a full disk (see the README).
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

E2E = Path(__file__).resolve().parents[1] / "e2e" / "conftest.py"


def _platform_module() -> Any:
    """tests/e2e/conftest.py, whose ``running_platform`` starts the three services (imported by its path: it is
    a conftest, not a package module)."""
    spec = importlib.util.spec_from_file_location("planspor_e2e_platform", E2E)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


OPERATOR = {"Authorization": "Bearer dev-operator-token"}
PLANNER = {"Authorization": "Bearer dev-planner-token"}
SOURCES = ("plan-registry", "cocreation")


class Load:
    """Planners sending goals; a command is asked again with its key until it is answered (or the run ends)."""

    def __init__(self, url: str, tag: str, threads: int = 2, pause: float = 0.02) -> None:
        self.url, self.tag, self.pause = url, tag, pause
        self.answers: dict[str, set[str]] = {}
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._send, args=(n,), daemon=True) for n in range(threads)]

    def _send(self, n: int) -> None:
        with httpx.Client(base_url=self.url, headers=PLANNER, timeout=10) as client:
            i = 0
            while not self._stop.is_set():
                key = f"{self.tag}-{n}-{i}"
                while True:  # the same command, same key, until it is answered: the service may be away
                    try:
                        answer = client.post("/api/v1/goals", json={"title": key}, headers={"Idempotency-Key": key})
                    except httpx.TransportError:
                        answer = None
                    if answer is not None and answer.status_code == 201:
                        with self._lock:
                            self.answers.setdefault(key, set()).add(answer.json()["id"])
                        break
                    if answer is not None and answer.status_code not in (502, 503, 504):
                        self.failures.append(f"{key}: {answer.status_code} {answer.text[:200]}")
                        return
                    if self._stop.is_set() and answer is None:
                        break  # never answered: not acknowledged, so nothing is owed
                    time.sleep(0.1)
                i += 1
                time.sleep(self.pause)

    def __enter__(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)


@dataclass
class Row:
    fault: str
    repetitions: int = 0
    acknowledged: int = 0
    stored: int = 0
    in_graph: int = 0
    lost: int = 0
    duplicated: int = 0
    rebuild_equal: bool = False
    recovery_seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def ok(self) -> bool:
        return self.lost == 0 and self.duplicated == 0 and self.rebuild_equal and self.repetitions > 0


HEADER = (
    "fault",
    "repetitions",
    "acknowledged",
    "stored",
    "in graph",
    "lost",
    "duplicated",
    "rebuild equal",
    "recovery",
)


def table(rows: list[Row]) -> str:
    cells = [HEADER] + [
        (
            r.fault,
            str(r.repetitions),
            str(r.acknowledged),
            str(r.stored),
            str(r.in_graph),
            str(r.lost),
            str(r.duplicated),
            "yes" if r.rebuild_equal else "no",
            f"{r.recovery_seconds:.1f} s",
        )
        for r in rows
    ]
    widths = [max(len(row[i]) for row in cells) for i in range(len(HEADER))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(row, widths)) + " |" for row in cells]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


class Matrix:
    """One platform, the faults one after another; each row checked against everything acknowledged so far."""

    def __init__(self, platform: Any, stack: Any, neo4j_uri: str, neo4j_auth: tuple[str, str], seed: int = 14):
        self.platform, self.stack = platform, stack
        self.neo4j_uri, self.neo4j_auth = neo4j_uri, neo4j_auth
        self.rng = random.Random(seed)
        self.answers: dict[str, set[str]] = {}
        self.http = httpx.Client(timeout=30)

    def get(self, service: str, path: str) -> Any:
        return self.http.get(f"{self.platform.urls[service]}{path}", headers=OPERATOR).json()

    def heads(self) -> dict[str, tuple[int, int]]:
        """Per source: (events in its store, relay lag)."""
        found = {}
        for source in SOURCES:
            health = self.get(source, "/health")
            found[source] = (health["relay"]["position"], health["relay"]["lag"])
        return found

    def caught_up(self, timeout: float = 180) -> tuple[int, int]:
        """Wait until the graph holds every stored event; (stored, in graph)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                heads = self.heads()
                points = self.get("knowledge", "/health").get("checkpoints", {})
                graph = {s: (points.get(s) or {}).get("position") or 0 for s in SOURCES}
                if all(lag == 0 and graph[s] == position for s, (position, lag) in heads.items()):
                    return sum(p for p, _ in heads.values()), sum(graph.values())
            except (httpx.HTTPError, KeyError, ValueError):
                heads, graph = {}, {}
            if time.monotonic() > deadline:
                stored = sum(p for p, _ in heads.values()) if heads else 0
                return stored, sum(graph.values()) if graph else 0
            time.sleep(0.2)

    def goals_in_graph(self) -> dict[str, int]:
        import neo4j

        with neo4j.GraphDatabase.driver(self.neo4j_uri, auth=self.neo4j_auth) as driver:
            records, _, _ = driver.execute_query(
                "MATCH (g:Goal) WHERE g.title STARTS WITH 'fault-' RETURN g.title AS title, count(*) AS n"
            )
        return {r["title"]: r["n"] for r in records}

    def run(self, fault: str, repetitions: int, budget: float, inject: Callable[[], float]) -> Row:
        """``inject`` breaks something and repairs it; it returns the moment of the repair."""
        row = Row(fault)
        repaired = time.monotonic()
        tag = f"fault-{fault.split()[0].lower()}-{self.rng.randrange(10**6)}"
        with Load(self.platform.urls["plan-registry"], tag) as load:
            time.sleep(0.5)
            started = time.monotonic()
            while row.repetitions < repetitions and time.monotonic() - started < budget:
                repaired = inject()
                row.repetitions += 1
            time.sleep(0.5)
        if load.failures:
            row.notes += load.failures[:3]
        self.answers.update(load.answers)
        row.acknowledged = len(load.answers)
        row.stored, row.in_graph = self.caught_up()
        row.recovery_seconds = time.monotonic() - repaired
        in_graph = self.goals_in_graph()
        row.lost = sum(1 for key in self.answers if key not in in_graph) + max(0, row.stored - row.in_graph)
        row.duplicated = sum(1 for n in in_graph.values() if n > 1) + sum(
            1 for ids in self.answers.values() if len(ids) > 1
        )
        live = self.get("knowledge", "/api/v1/checksum")["checksum"]
        rebuilt = self.http.post(
            f"{self.platform.urls['knowledge']}/api/v1/rebuild", json={"origin": "feeds"}, headers=OPERATOR, timeout=600
        ).json()
        row.rebuild_equal = rebuilt.get("checksum") == live
        if not row.rebuild_equal:
            row.notes.append(f"live {live} != rebuilt {rebuilt}")
        return row

    # ---------------------------------------------------------------- the faults

    def kill_service(self, name: str) -> float:
        """SIGKILL at a random moment of its work, then start it again on the same store."""
        time.sleep(self.rng.uniform(0.05, 0.6))
        process = self.platform.processes[name]
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        self.platform.launch(name)
        return time.monotonic()

    def restart_server(self, name: str, down: float) -> float:
        server = self.stack.servers()[name]
        time.sleep(self.rng.uniform(0.2, 1.0))
        server.stop()
        time.sleep(down)
        server.start()
        return time.monotonic()


def run_matrix(
    platform: Any,
    stack: Any,
    neo4j_uri: str,
    neo4j_auth: tuple[str, str],
    repetitions: int,
    budget: float,
    faults: tuple[str, ...] = ("relay", "projector", "nats", "neo4j"),
) -> list[Row]:
    matrix = Matrix(platform, stack, neo4j_uri, neo4j_auth)
    injections: dict[str, tuple[str, int, Callable[[], float]]] = {
        "relay": ("SIGKILL plan-registry (its relay)", repetitions, lambda: matrix.kill_service("plan-registry")),
        "projector": ("SIGKILL knowledge (its projector)", repetitions, lambda: matrix.kill_service("knowledge")),
        "nats": ("NATS stopped 3 s, restarted", max(1, repetitions // 10), lambda: matrix.restart_server("nats", 3)),
        "neo4j": (
            "Neo4j stopped mid-projection, restarted",
            max(1, repetitions // 25),
            lambda: matrix.restart_server("neo4j", 1),
        ),
    }
    rows = []
    try:
        for name in faults:
            title, times, inject = injections[name]
            rows.append(matrix.run(title, times, budget, inject))
    finally:
        matrix.http.close()
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repetitions", type=int, default=50, help="kills per process fault (NATS: a tenth)")
    parser.add_argument("--budget", type=float, default=240, help="seconds at most per fault's repetitions")
    parser.add_argument("--faults", default="relay,projector,nats,neo4j")
    args = parser.parse_args(argv)
    import os
    import tempfile

    from planspor_stack.bus import OPERATOR as NATS_OPERATOR
    from planspor_stack.bus import SERVICES
    from planspor_stack.stack import Stack

    stack = Stack.from_env(os.environ.get("PLANSPOR_TEST_PROFILE", "test"))
    endpoints = stack.start(("nats", "neo4j"), say=lambda *_: None)
    nats_url = endpoints["nats"].url.split(",")[0]
    accounts = {user: stack.nats_access(user) for user in (NATS_OPERATOR, *SERVICES)}
    auth = (stack.settings.neo4j_user, stack.settings.neo4j_password)
    e2e = _platform_module()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="planspor-chaos-") as root:
        with e2e.running_platform(Path(root), nats_url, accounts, endpoints["neo4j"].url, auth, {}) as platform:
            rows = run_matrix(
                platform,
                stack,
                endpoints["neo4j"].url,
                auth,
                args.repetitions,
                args.budget,
                tuple(args.faults.split(",")),
            )
    print(table(rows))
    print(f"\n{time.monotonic() - started:.0f} s in all")
    for row in rows:
        for note in row.notes:
            print(f"{row.fault}: {note}", file=sys.stderr)
    if os.environ.get("PLANSPOR_KEEP_STACK") != "1":
        stack.stop(say=lambda *_: None)
    return 0 if all(row.ok() for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
