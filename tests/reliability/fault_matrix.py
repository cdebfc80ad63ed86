"""The fault matrix (issue 14): each fault under a steady load of commands, and one table of what came of it.

    .venv/bin/python tests/reliability/fault_matrix.py --repetitions 50 --budget 240   # what `make chaos` runs

The platform runs as real processes (plan-registry, cocreation, knowledge: tests/e2e/conftest.py's
``running_platform``) on the test stack's NATS, Neo4j and PostgreSQL, loopback only. Planners send goals the
whole time, each with an idempotency key, asked again with the same key while the service is away or answers
503/507; a goal is acknowledged when it is answered 201. For each fault, once its repetitions are done the load
stops and the row is read:

- acknowledged: goals answered in the row; stored / in graph: each source's events in its store (the relay's
  head) and in the graph (the projector's checkpoints), summed;
- lost: acknowledged goals the graph or the plan register's feed lacks, and stored events the graph lacks;
  duplicated: goals the graph or the store holds more than once for one key, or one key answered with two goals;
- rebuild equal: the graph's checksum equals that of a rebuild from the sources' feeds;
- recovery: seconds from the last repair (or the operator's replay) to the graph holding every stored event.

The faults, on three platforms (``run_all``):

- SQLite stores, plan-registry's on a tmpfs of its own: SIGKILL of plan-registry (its relay in it) and of
  knowledge (its projector) at random moments; NATS stopped and started again; Neo4j stopped and started again
  while it projects; a poison event (knowledge started without the indicator.defined contract, indicators
  defined under load: dead letters with their reason, the goals after them applied, replayed by the operator
  once the fixed knowledge runs); a full disk (the tmpfs shrunk to what it holds and filled: 503 ``store.full``
  with Retry-After, freed after). The tmpfs needs root; where the mount is refused the disk row is reported as
  not testable here;
- plan-registry on PostgreSQL with its relay as a process of its own (``python -m planspor_runtime.relay``,
  started again when it exits, as a supervisor would): PostgreSQL stopped during commands (503 with Retry-After
  and a problem body, the same key recorded once after the restart); SIGKILL of the relay process alone;
- a NATS cluster of three (the stack's ``PLANSPOR_NATS_CLUSTER=3``): the stream's leader killed while the
  relays publish, and started again.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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
AUDITOR = {"Authorization": "Bearer dev-auditor-token"}
SOURCES = ("plan-registry", "cocreation")


class Load:
    """Planners sending goals; a command is asked again with its key until it is answered (or the run ends)."""

    def __init__(self, url: str, tag: str, threads: int = 2, pause: float = 0.02) -> None:
        self.url, self.tag, self.pause = url, tag, pause
        self.answers: dict[str, set[str]] = {}
        self.failures: list[str] = []
        self.refused = 0
        """Answers 503 or 507 (a store away or full): the command was asked again with its key."""
        self.refusal_rules: set[str] = set()
        self.malformed_refusals: list[str] = []
        """503/507 answers without ``Retry-After`` or without a problem body."""
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
                    if answer is not None and answer.status_code in (503, 507):
                        self._refused(key, answer)
                    elif answer is not None and answer.status_code not in (502, 504):
                        self.failures.append(f"{key}: {answer.status_code} {answer.text[:200]}")
                        return
                    if self._stop.is_set() and answer is None:
                        break  # never answered: not acknowledged, so nothing is owed
                    time.sleep(0.1)
                i += 1
                time.sleep(self.pause)

    def _refused(self, key: str, answer: httpx.Response) -> None:
        with self._lock:
            self.refused += 1
        if answer.headers.get("content-type") == "application/problem+json":
            self.refusal_rules.add(str(answer.json().get("rule")))
        if not answer.headers.get("Retry-After") or answer.headers.get("content-type") != "application/problem+json":
            self.malformed_refusals.append(f"{key}: {answer.status_code} {dict(answer.headers)} {answer.text[:200]}")

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
    seconds: float = 0.0
    """The row's wall time, its checks included (not in the table)."""

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
        self.load: Load | None = None
        self.stopping = threading.Event()
        self.relay_lock = threading.Lock()
        self.relay_restarts = 0
        """Times the relay process exited by itself (its store away at its start) and was started again."""
        self.poisoned: list[str] = []
        self.poison_goal = ""

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

    def goals_in_store(self) -> dict[str, int]:
        """Per title, the goal.defined events of plan-registry's feed (every stored event, once the relay is done)."""
        found: dict[str, int] = {}
        after = 0
        while True:
            page = self.http.get(
                f"{self.platform.urls['plan-registry']}/events", params={"after": after, "limit": 1000}, headers=AUDITOR
            ).json()
            for event in page["events"]:
                if event["event_type"] == "goal.defined" and event["payload"]["title"].startswith("fault-"):
                    found[event["payload"]["title"]] = found.get(event["payload"]["title"], 0) + 1
            if not page["events"]:
                return found
            after = page["next_after"]

    def run(
        self,
        fault: str,
        repetitions: int,
        budget: float,
        inject: Callable[[], float],
        settle: Callable[[Row], None] | None = None,
        refusals_expected: str = "",
    ) -> Row:
        """``inject`` breaks something and repairs it; it returns the moment of the repair. ``settle`` runs once
        the load has stopped (an operator's repair: a dead letter replayed). ``refusals_expected``: the fault must
        have made the service refuse commands (503/507), each with ``Retry-After`` and a problem body of that rule."""
        row = Row(fault)
        began = repaired = time.monotonic()
        tag = f"fault-{fault.split()[0].lower()}-{self.rng.randrange(10**6)}"
        with Load(self.platform.urls["plan-registry"], tag) as load:
            self.load = load
            time.sleep(0.5)
            started = time.monotonic()
            while row.repetitions < repetitions and time.monotonic() - started < budget:
                repaired = inject()
                row.repetitions += 1
            time.sleep(0.5)
        if load.failures:
            row.notes += load.failures[:3]
        row.notes += load.malformed_refusals[:3]
        if refusals_expected and load.refused == 0:
            row.notes.append("no command was refused while the fault lasted: the fault was not hit")
        if refusals_expected and not load.refusal_rules <= {refusals_expected}:
            row.notes.append(f"refused with {sorted(load.refusal_rules)}, not {refusals_expected!r}")
        self.answers.update(load.answers)
        row.acknowledged = len(load.answers)
        row.stored, row.in_graph = self.caught_up()
        if settle is not None:
            settle(row)
            repaired = time.monotonic()
            row.stored, row.in_graph = self.caught_up()
        row.recovery_seconds = time.monotonic() - repaired
        in_graph, in_store = self.goals_in_graph(), self.goals_in_store()
        row.lost = (
            sum(1 for key in self.answers if key not in in_graph)
            + sum(1 for key in self.answers if key not in in_store)
            + max(0, row.stored - row.in_graph)
        )
        row.duplicated = (
            sum(1 for n in in_graph.values() if n > 1)
            + sum(1 for n in in_store.values() if n > 1)
            + sum(1 for ids in self.answers.values() if len(ids) > 1)
        )
        live = self.get("knowledge", "/api/v1/checksum")["checksum"]
        rebuilt = self.http.post(
            f"{self.platform.urls['knowledge']}/api/v1/rebuild", json={"origin": "feeds"}, headers=OPERATOR, timeout=600
        ).json()
        row.rebuild_equal = rebuilt.get("checksum") == live
        if not row.rebuild_equal:
            row.notes.append(f"live {live} != rebuilt {rebuilt}")
        row.seconds = time.monotonic() - began
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

    def stop_postgres(self, down: float) -> float:
        """PostgreSQL stopped (fast shutdown) while planners send commands; started again once a command was
        refused (503) or ``down`` seconds passed, whichever is later, at most 30 s."""
        server = self.stack.servers()["postgres"]
        time.sleep(self.rng.uniform(0.2, 1.0))
        refused = self.load.refused
        server.stop()
        stopped = time.monotonic()
        while time.monotonic() - stopped < 30 and (time.monotonic() - stopped < down or self.load.refused == refused):
            time.sleep(0.1)
        server.start()
        return time.monotonic()

    # a relay of its own: plan-registry with PLAN_REGISTRY_RELAY=0 and `python -m planspor_runtime.relay` beside it

    def supervise_relay(self) -> None:
        """Start the relay and keep it running as its supervisor would (systemd's Restart=always, a Kubernetes
        Deployment): a relay whose store is away when it starts exits, and is started again a second later."""
        self.start_relay()

        def watch() -> None:
            while not self.stopping.wait(1.0):
                with self.relay_lock:
                    if self.platform.processes["relay"].poll() is not None:
                        self.relay_restarts += 1
                        self.start_relay()

        threading.Thread(target=watch, daemon=True).start()

    def start_relay(self) -> None:
        env = self.platform.service_env("plan-registry")
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(Path(__file__).parent), env.get("PYTHONPATH")]))
        log_path = self.platform.logs / "relay.log"
        offset = log_path.stat().st_size if log_path.exists() else 0
        with open(log_path, "ab") as log:
            self.platform.processes["relay"] = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "planspor_runtime.relay",
                    "--app",
                    "plan_registry_relay:application",
                    "--mapper",
                    "plan_registry.contracts:map_event",
                    "--source",
                    "plan-registry",
                    "--nats-url",
                    env["NATS_URL"],
                    "--prefix",
                    self.platform.prefix,
                    "--signing-key",
                    env["PLAN_REGISTRY_SIGNING_KEY_FILE"],
                ],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.wait_relay_connected(log_path, offset)

    def wait_relay_connected(self, log_path: Path, offset: int, timeout: float = 30) -> None:
        """Until the relay says it is connected (its store read, the stream found) or exits (its store away)."""
        deadline = time.monotonic() + timeout
        process = self.platform.processes["relay"]
        while time.monotonic() < deadline and process.poll() is None:
            with open(log_path, "rb") as log:
                log.seek(offset)
                if b"connected to" in log.read():
                    return
            time.sleep(0.1)

    def kill_relay(self) -> float:
        time.sleep(self.rng.uniform(0.05, 0.6))
        with self.relay_lock:
            process = self.platform.processes["relay"]
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
            self.start_relay()
        return time.monotonic()

    # a poison event: indicator.defined, valid and signed by the relay, that the running projector cannot apply

    def poison_projector(self) -> None:
        """Knowledge started again as a version that lacks the indicator.defined contract (the producer was
        upgraded first): each indicator defined from now on is dead-lettered."""
        self.platform.overrides["knowledge"] = {
            "PYTHONPATH": os.pathsep.join(filter(None, [str(POISON), os.environ.get("PYTHONPATH")]))
        }
        self.restart_knowledge()
        self.poisoned = []
        goal = self.http.post(
            f"{self.platform.urls['plan-registry']}/api/v1/goals", json={"title": "indikatorenes mål"}, headers=PLANNER
        )
        self.poison_goal = goal.json()["id"]

    def restart_knowledge(self) -> None:
        process = self.platform.processes["knowledge"]
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        self.platform.launch("knowledge")

    def send_poison(self) -> float:
        time.sleep(self.rng.uniform(0.1, 0.5))
        answer = self.http.post(
            f"{self.platform.urls['plan-registry']}/api/v1/indicators",
            json={"goal_id": self.poison_goal, "name": f"giftig {len(self.poisoned)}", "unit": "%", "source": "KOSTRA"},
            headers=PLANNER,
        )
        answer.raise_for_status()
        self.poisoned.append(answer.json()["id"])
        return time.monotonic()

    def replay_poison(self, row: Row) -> None:
        """Every poison event dead-lettered with its reason while the goals after it were applied; then the
        fixed version of knowledge is started and the operator replays each dead letter: the indicators are in
        the graph once."""
        self.caught_up()
        letters = self.get("knowledge", "/api/v1/dead-letters?status=open&limit=1000")["dead_letters"]
        if len(letters) != len(self.poisoned) or not all("indicator.defined" in d["reason"] for d in letters):
            row.notes.append(f"{len(self.poisoned)} poison events, dead letters: {letters[:3]}")
        self.platform.overrides.pop("knowledge", None)
        self.restart_knowledge()
        for letter in letters:
            replayed = self.http.post(
                f"{self.platform.urls['knowledge']}/api/v1/dead-letters/{letter['id']}/replay",
                headers={**OPERATOR, "Idempotency-Key": f"replay-{letter['id']}"},
            )
            if replayed.status_code != 200 or replayed.json().get("status") != "replayed":
                row.notes.append(f"replay of {letter['id']}: {replayed.status_code} {replayed.text[:200]}")
        found = self.count_in_graph("MATCH (i:Indicator) WHERE i.name STARTS WITH 'giftig ' RETURN count(i) AS n")
        if (
            found != len(self.poisoned)
            or self.get("knowledge", "/api/v1/dead-letters?status=open&limit=1000")["dead_letters"]
        ):
            row.notes.append(f"after the replay {found} of {len(self.poisoned)} indicators in the graph")

    def count_in_graph(self, query: str) -> int:
        import neo4j

        with neo4j.GraphDatabase.driver(self.neo4j_uri, auth=self.neo4j_auth) as driver:
            records, _, _ = driver.execute_query(query)
        return int(records[0]["n"])

    # a full disk: the plan register's SQLite store on a small file system of its own

    def fill_disk(self, store: Path, held: float = 2.0) -> float:
        """The file system of ``store`` made full (shrunk to what it holds plus a little, the rest filled), kept
        full until a command was refused or ``held`` seconds passed (at most 30 s), then freed."""
        time.sleep(self.rng.uniform(0.2, 1.0))
        refused = self.load.refused
        used = shutil.disk_usage(store).used
        subprocess.run(["mount", "-o", f"remount,size={used + 2 * MB}", str(store)], check=True)
        filler = store / "filler"
        with open(filler, "wb") as out:
            try:
                while True:
                    out.write(b"\0" * (64 * 1024))
                    out.flush()
            except OSError:
                pass
        full = time.monotonic()
        while time.monotonic() - full < 30 and (time.monotonic() - full < held or self.load.refused == refused):
            time.sleep(0.1)
        filler.unlink()
        subprocess.run(["mount", "-o", f"remount,size={SMALL_FS_SIZE}", str(store)], check=True)
        return time.monotonic()

    # a NATS cluster of three: the stream's leader killed while the relays publish

    def kill_stream_leader(self, cluster: Any) -> float:
        """SIGKILL of the server that leads the stream; the other two elect a new leader while the relays
        publish; the killed one is started again (it catches up from the new leader)."""
        import asyncio

        from planspor_runtime.bus import connect
        from planspor_shared.subjects import stream_name

        async def leader() -> str:
            connection = await connect(cluster.access())
            try:
                info = await connection.jetstream().stream_info(stream_name(self.platform.prefix))
                return str(info.cluster.leader or "")
            finally:
                await connection.close()

        def elected(timeout: float = 60) -> str:
            """The stream's leader, once there is one (an election may still run after the last kill)."""
            deadline = time.monotonic() + timeout
            while True:
                try:
                    name = asyncio.run(leader())
                except Exception:  # no leader yet: the stream info request times out
                    name = ""
                if name or time.monotonic() > deadline:
                    return name
                time.sleep(0.5)

        time.sleep(self.rng.uniform(0.2, 1.0))
        [node] = [n for n in cluster.nodes if n.name == elected()]
        os.kill(node.process.pid(), signal.SIGKILL)
        time.sleep(2)
        cluster.start_node(node)
        cluster._wait_ready()
        elected()
        return time.monotonic()


MB = 1024 * 1024
SMALL_FS_SIZE = "2g"
"""The store's own tmpfs: only what is written takes memory; the disk-full fault shrinks it to what it holds."""
POISON = Path(__file__).with_name("poison_projector")
"""A sitecustomize that takes the indicator.defined contract out of the registry of a knowledge process."""


@contextmanager
def small_filesystem(path: Path) -> Iterator[bool]:
    """A tmpfs at ``path`` (loopback, in memory); False when this machine refuses the mount (not root)."""
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or not shutil.which("mount"):
        yield False
        return
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={SMALL_FS_SIZE}", "tmpfs", str(path)])
    try:
        yield mounted.returncode == 0
    finally:
        if mounted.returncode == 0:
            subprocess.run(["umount", "-l", str(path)], check=False)


FAULTS = ("relay", "projector", "nats", "neo4j", "poison", "disk", "postgres", "relay-process", "cluster")
ON_POSTGRES = ("postgres", "relay-process")
"""The rows of the second platform: plan-registry on PostgreSQL, its relay a process of its own."""


def run_matrix(
    platform: Any,
    stack: Any,
    neo4j_uri: str,
    neo4j_auth: tuple[str, str],
    repetitions: int,
    budget: float,
    faults: tuple[str, ...] = ("relay", "projector", "nats", "neo4j"),
    store: Path | None = None,
    cluster: Any = None,
) -> list[Row]:
    """The faults on one platform; ``store``: the folder of plan-registry's store, on a file system of its own
    (needed by ``disk``)."""
    matrix = Matrix(platform, stack, neo4j_uri, neo4j_auth)
    few = max(1, repetitions // 10)
    injections: dict[str, tuple[str, int, Callable[[], float]]] = {
        "relay": ("SIGKILL plan-registry (its relay)", repetitions, lambda: matrix.kill_service("plan-registry")),
        "projector": ("SIGKILL knowledge (its projector)", repetitions, lambda: matrix.kill_service("knowledge")),
        "nats": ("NATS stopped 3 s, restarted", few, lambda: matrix.restart_server("nats", 3)),
        "neo4j": (
            "Neo4j stopped mid-projection, restarted",
            max(1, repetitions // 25),
            lambda: matrix.restart_server("neo4j", 1),
        ),
        "poison": ("poison event dead-lettered, replayed", few, matrix.send_poison),
        "disk": ("disk full (store's tmpfs), freed", few, lambda: matrix.fill_disk(store or Path("."))),
        "postgres": ("PostgreSQL stopped, restarted", few, lambda: matrix.stop_postgres(3)),
        "relay-process": ("SIGKILL relay process alone", repetitions, matrix.kill_relay),
        "cluster": ("NATS cluster of 3: stream leader SIGKILL", few, lambda: matrix.kill_stream_leader(cluster)),
    }
    rows = []
    if platform.overrides.get("plan-registry", {}).get("PLAN_REGISTRY_RELAY") == "0":
        matrix.supervise_relay()
    try:
        for name in faults:
            title, times, inject = injections[name]
            settle, refusals = None, {"disk": "store.full", "postgres": "store.unavailable"}.get(name, "")
            if name == "poison":
                matrix.poison_projector()
                settle = matrix.replay_poison
            try:
                row = matrix.run(title, times, budget, inject, settle=settle, refusals_expected=refusals)
            except Exception as error:  # the row fails with its reason; the matrix goes on
                row = Row(title, notes=[f"the row did not finish: {type(error).__name__}: {error}"])
            print(table([row]).splitlines()[-1], flush=True)
            rows.append(row)
    finally:
        matrix.stopping.set()
        matrix.http.close()
    return rows


def postgres_overrides(stack: Any, schema: str) -> dict[str, dict[str, str]]:
    """plan-registry on the test stack's PostgreSQL (its own schema), its relay not in it."""
    from urllib.parse import urlparse

    url = urlparse(stack.endpoints["postgres"].url)
    s = stack.settings
    return {
        "plan-registry": {
            "PLAN_REGISTRY_STORE": "postgres",
            "PLAN_REGISTRY_POSTGRES_SCHEMA": schema,
            "PLAN_REGISTRY_RELAY": "0",
            "POSTGRES_HOST": str(url.hostname),
            "POSTGRES_PORT": str(url.port),
            "POSTGRES_USER": s.postgres_user,
            "POSTGRES_PASSWORD": s.postgres_password,
            "POSTGRES_DB": s.postgres_db,
        }
    }


def run_all(
    stack: Any,
    nats_url: str,
    accounts: dict[str, Any],
    neo4j_uri: str,
    auth: tuple[str, str],
    root: Path,
    repetitions: int,
    budget: float,
    faults: tuple[str, ...] = FAULTS,
) -> tuple[list[Row], list[str]]:
    """Every fault asked for, on the platforms they need; the rows, and the faults that cannot be made here."""
    e2e = _platform_module()
    rows: list[Row] = []
    untestable: list[str] = []
    on_sqlite = tuple(f for f in faults if f not in (*ON_POSTGRES, "cluster"))
    if on_sqlite:
        store = root / "sqlite" / "store"
        with small_filesystem(store) as mounted:
            if not mounted and "disk" in on_sqlite:
                untestable.append("disk full: this machine refuses to mount a small file system (not root)")
                on_sqlite = tuple(f for f in on_sqlite if f != "disk")
            overrides = {"plan-registry": {"PLAN_REGISTRY_SQLITE_PATH": str(store / "plan-registry.sqlite")}}
            with e2e.running_platform(root / "sqlite", nats_url, accounts, neo4j_uri, auth, {}, overrides) as platform:
                rows += run_matrix(platform, stack, neo4j_uri, auth, repetitions, budget, on_sqlite, store)
    on_postgres = tuple(f for f in faults if f in ON_POSTGRES)
    if on_postgres:
        if stack.endpoints["postgres"].external:
            untestable.append("PostgreSQL stopped: the PostgreSQL is configured from outside, not ours to stop")
            on_postgres = tuple(f for f in on_postgres if f != "postgres")
        schema = f"chaos_{random.randrange(16**8):08x}"
        overrides = postgres_overrides(stack, schema)
        with e2e.running_platform(root / "postgres", nats_url, accounts, neo4j_uri, auth, {}, overrides) as platform:
            rows += run_matrix(platform, stack, neo4j_uri, auth, repetitions, budget, on_postgres)
    if "cluster" in faults:
        with nats_cluster(stack, root / "cluster-var") as cluster:
            accounts = {user: cluster.access(user) for user in accounts}
            with e2e.running_platform(root / "cluster", cluster.url, accounts, neo4j_uri, auth, {}) as platform:
                rows += run_matrix(platform, stack, neo4j_uri, auth, repetitions, budget, ("cluster",), cluster=cluster)
    return rows, untestable


@contextmanager
def nats_cluster(stack: Any, root: Path) -> Iterator[Any]:
    """Three NATS servers on loopback as one cluster (the stack's cluster, ``PLANSPOR_NATS_CLUSTER=3``), with
    a var and ports of their own; stopped at the end."""
    import dataclasses

    from planspor_stack.bus import Nats
    from planspor_stack.processes import free_port

    settings = dataclasses.replace(stack.settings, nats_url=None, nats_cluster=3, nats_port=free_port(), var=root)
    cluster = Nats(settings)
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repetitions", type=int, default=50, help="kills per process fault (the others: a tenth)")
    parser.add_argument("--budget", type=float, default=240, help="seconds at most per fault's repetitions")
    parser.add_argument("--faults", default=",".join(FAULTS))
    args = parser.parse_args(argv)
    import tempfile

    from planspor_stack.bus import OPERATOR as NATS_OPERATOR
    from planspor_stack.bus import SERVICES
    from planspor_stack.stack import Stack

    faults = tuple(args.faults.split(","))
    stack = Stack.from_env(os.environ.get("PLANSPOR_TEST_PROFILE", "test"))
    servers = ("nats", "neo4j", "postgres") if set(faults) & set(ON_POSTGRES) else ("nats", "neo4j")
    endpoints = stack.start(servers, say=lambda *_: None)
    nats_url = endpoints["nats"].url.split(",")[0]
    accounts = {user: stack.nats_access(user) for user in (NATS_OPERATOR, *SERVICES)}
    auth = (stack.settings.neo4j_user, stack.settings.neo4j_password)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="planspor-chaos-") as root:
        rows, untestable = run_all(
            stack, nats_url, accounts, endpoints["neo4j"].url, auth, Path(root), args.repetitions, args.budget, faults
        )
    print(table(rows))
    for reason in untestable:
        print(f"not testable here: {reason}")
    print(f"\n{time.monotonic() - started:.0f} s in all")
    for row in rows:
        for note in row.notes:
            print(f"{row.fault}: {note}", file=sys.stderr)
    if os.environ.get("PLANSPOR_KEEP_STACK") != "1":
        stack.stop(say=lambda *_: None)
    return 0 if all(row.ok() and not row.notes for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
