"""`make run` on a machine with nothing running: the stack, the services, the Bærum story
and the tour; Ctrl-C stops all of it; a second run loads nothing and leaves nothing behind.

The run gets a data folder and ports of its own, so it neither sees nor disturbs the
test stack or a developer's platform.
"""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from planspor_stack.processes import port_is_free

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]


def free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    for sock in sockets:
        sock.bind(("127.0.0.1", 0))
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


class MakeRun:
    """`make run` in its own process group, as a terminal would run it; Ctrl-C is SIGINT to the group."""

    def __init__(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            ["make", "run"],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.put(line)

    def wait_for(self, text: str, timeout: float) -> float:
        start = time.monotonic()
        while True:
            remaining = timeout - (time.monotonic() - start)
            assert remaining > 0, f"no {text!r} within {timeout} s:\n" + "".join(self.output[-60:])
            try:
                line = self.lines.get(timeout=min(remaining, 1.0))
            except queue.Empty:
                assert self.process.poll() is None, "make run ended early:\n" + "".join(self.output[-60:])
                continue
            self.output.append(line)
            if text in line:
                return time.monotonic() - start

    def ctrl_c(self) -> bool:
        """Ctrl-C; make reports an interrupted recipe by dying of SIGINT itself, as in a terminal."""
        os.killpg(self.process.pid, signal.SIGINT)
        try:
            code = self.process.wait(timeout=200)  # each of its six processes has 30 s before it is killed
        except subprocess.TimeoutExpired:
            self.process.kill()
            while not self.lines.empty():
                self.output.append(self.lines.get())
            raise AssertionError("make run did not stop within 200 s:\n" + "".join(self.output[-40:])) from None
        while not self.lines.empty():
            self.output.append(self.lines.get())
        return code in (0, -signal.SIGINT, 128 + signal.SIGINT)

    @property
    def text(self) -> str:
        return "".join(self.output)


def processes_using(path: Path) -> list[str]:
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            environ = (proc / "environ").read_bytes().decode(errors="replace")
        except (FileNotFoundError, PermissionError, ProcessLookupError):
            continue
        if str(path) in cmdline or f"PLANSPOR_VAR={path}" in environ:
            found.append(f"{proc.name}: {cmdline[:120]}")
    return found


def unwarmed_shapes(knowledge: str) -> float:
    """knowledge's count of statement shapes its batches planned themselves (the warm-up had not)."""
    answer = httpx.get(f"{knowledge}/metrics", headers={"Authorization": "Bearer dev-operator-token"}, timeout=10)
    answer.raise_for_status()
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            if sample.name == "planspor_projector_unwarmed_shapes_total":
                return sample.value
    raise AssertionError("no planspor_projector_unwarmed_shapes in knowledge's /metrics")


def test_make_run_starts_everything_tours_the_story_and_ctrl_c_leaves_nothing(tmp_path):
    var = tmp_path / "var"
    nats, neo4j, plan_registry, cocreation, knowledge, portal = free_ports(6)
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"NATS_URL", "NEO4J_URI", "POSTGRES_HOST", "PLANSPOR_PROFILE"}
    }
    env.update(
        PLANSPOR_VAR=str(var),
        PLANSPOR_NATS_PORT=str(nats),
        PLANSPOR_NEO4J_PORT=str(neo4j),
        PLANSPOR_PLAN_REGISTRY_PORT=str(plan_registry),
        PLANSPOR_COCREATION_PORT=str(cocreation),
        PLANSPOR_KNOWLEDGE_PORT=str(knowledge),
        PLANSPOR_PORTAL_PORT=str(portal),
    )

    # 1. the first run starts the stack and the services, loads the story and prints the tour
    first = MakeRun(env)
    try:
        seconds = first.wait_for("planspor: ready.", timeout=420)
        unwarmed = unwarmed_shapes(f"http://127.0.0.1:{knowledge}")
    finally:
        assert first.ctrl_c(), first.text[-3000:]
    print(f"first make run ready in {seconds:.1f} s")
    for expected in (
        f"portal: http://127.0.0.1:{portal}",
        f"http://127.0.0.1:{plan_registry}",
        f"http://127.0.0.1:{knowledge}/docs",
        "knowledge ready after",
        "scenario loaded",
        "29 April 2022",
        "dev-auditor-token",
        "planspor: stopped.",
    ):
        assert expected in first.text, (expected, first.text[-3000:])

    tree = first.text[
        first.text.index("back to the council seminar of 29 April 2022") : first.text.index("full trace:")
    ]
    for step in (
        "Decision Planstrategi 2024-2027",
        "StrategyItem",
        "PlanNeed",
        "Input",
        "Workshop Kommunestyreseminar",
    ):
        assert step in tree, f"the tour's trace from the adoption lacks its {step!r}:\n{tree}"
    assert "2022-04-29" in tree, tree

    assert unwarmed == 0, "the scenario met statement shapes the warm-up had not planned: see knowledge/graph/warmup.py"

    # 2. Ctrl-C left no process behind: no server, no service, nothing listening on their ports
    assert processes_using(var) == []
    assert all(port_is_free(port) for port in (nats, neo4j, plan_registry, cocreation, knowledge, portal))

    # 3. a second run downloads nothing, loads nothing, and does not wait for knowledge's warm-up
    second = MakeRun(env)
    try:
        again = second.wait_for("planspor: ready.", timeout=300)
    finally:
        assert second.ctrl_c(), second.text[-3000:]
    print(f"second make run ready in {again:.1f} s")
    assert "already loaded" in second.text and "scenario loaded" not in second.text, second.text[-3000:]
    # nothing to load: ready without waiting for knowledge's warm-up, which goes on in the background
    assert "waiting for knowledge" in first.text, first.text[-3000:]
    assert "waiting for knowledge" not in second.text and "in the background" in second.text, second.text[-3000:]
    assert "fetching Neo4j" not in second.text and "setting up the Python environment" not in second.text
    assert processes_using(var) == []
