"""`make run` from nothing, measured: how soon the graph shows the Bærum scenario, and the stack's memory at rest.

Issue #16's two targets for a first `make run`: the scenario's graph within a few seconds of loading,
and the whole stack at rest under 1.0 GB resident. This runs `python -m planspor_stack run` (what
`make run` runs after its setup) in a data folder and on ports of its own, so it neither sees nor
disturbs a developer's platform or the test stack; it reads the run's own report of the load and of
the catch-up, waits ``--rest`` seconds after "ready", sums VmRSS of every process in the run's pid
files, prints the figures against the targets, and stops the run (SIGTERM to its process group).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MEMORY_TARGET_MB = 1000.0
CATCH_UP_TARGET_S = 5.0
""""Within a few seconds of loading": five."""
LOADED = re.compile(r"scenario loaded in ([\d.]+) s \((\d+) requests\); the graph caught up ([\d.]+) s later")


def free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    for sock in sockets:
        sock.bind(("127.0.0.1", 0))
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def resident(run_dir: Path) -> dict[str, float]:
    """VmRSS in MB of each process the run keeps a pid file for (the stack's servers and the services)."""
    found: dict[str, float] = {}
    for pid_file in sorted(run_dir.glob("*.pid")):
        try:
            mb = rss_mb(int(pid_file.read_text().split()[0]))
        except (OSError, ValueError, IndexError):
            continue
        if mb is not None:
            found[pid_file.stem] = mb
    return found


def run(rest: float, timeout: float) -> int:
    var = Path(tempfile.mkdtemp(prefix="planspor-bench-at-rest-"))
    nats, neo4j, postgres, *services = free_ports(7)
    env = {
        **os.environ,
        "PLANSPOR_VAR": str(var),
        "PLANSPOR_NATS_PORT": str(nats),
        "PLANSPOR_NEO4J_PORT": str(neo4j),
        "PLANSPOR_POSTGRES_PORT": str(postgres),
        "PLANSPOR_PLAN_REGISTRY_PORT": str(services[0]),
        "PLANSPOR_COCREATION_PORT": str(services[1]),
        "PLANSPOR_KNOWLEDGE_PORT": str(services[2]),
        "PLANSPOR_PORTAL_PORT": str(services[3]),
        "PYTHONUNBUFFERED": "1",
    }
    for outside in ("NATS_URL", "NEO4J_URI", "NEO4J_PASSWORD", "PLANSPOR_PROFILE"):
        env.pop(outside, None)
    print(f"bench at rest: `make run` from nothing in {var} (rest {rest:.0f} s after ready)", flush=True)
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "planspor_stack", "run"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    loaded: re.Match[str] | None = None
    ready_after: float | None = None
    tail: list[str] = []
    try:
        assert process.stdout is not None
        for line in process.stdout:
            tail = [*tail[-40:], line]
            loaded = loaded or LOADED.search(line)
            if "planspor: ready." in line:
                ready_after = time.monotonic() - started
                break
            if time.monotonic() - started > timeout:
                break
        if loaded is None or ready_after is None:
            print("bench at rest: the run did not report its load and get ready:\n" + "".join(tail), file=sys.stderr)
            return 1
        time.sleep(rest)
        memory = resident(var / "dev" / "run")
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=120)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        shutil.rmtree(var, ignore_errors=True)
    load_s, requests, catch_up_s = float(loaded[1]), int(loaded[2]), float(loaded[3])
    total = sum(memory.values())
    print(f"  from nothing to ready: {ready_after:.1f} s; the scenario loaded in {load_s:.1f} s ({requests} requests)")
    print(
        f"  the graph caught up {catch_up_s:.1f} s after the load (target under {CATCH_UP_TARGET_S:.0f} s): "
        f"ratio {catch_up_s / CATCH_UP_TARGET_S:.2f} of the target"
    )
    print("  resident at rest (VmRSS, MB): " + ", ".join(f"{name} {mb:.0f}" for name, mb in memory.items()))
    print(
        f"  the stack at rest: {total:.0f} MB (target under {MEMORY_TARGET_MB:.0f} MB): "
        f"ratio {total / MEMORY_TARGET_MB:.2f} of the target"
    )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rest", type=float, default=60.0, help="seconds at rest after ready before measuring")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds the run may take to get ready")
    args = parser.parse_args()
    return run(args.rest, args.timeout)


if __name__ == "__main__":
    sys.exit(main())
