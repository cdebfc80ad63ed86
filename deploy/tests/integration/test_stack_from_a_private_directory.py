"""A checkout in a directory only its owner may enter (a 0700 home, a `mktemp -d` folder) runs the PostgreSQL tier.

As root the server runs as the ``postgres`` user, who cannot reach such a checkout at all;
the stack keeps that cluster in the postgres user's own home, keyed by the checkout, and
`reset` deletes it. The checkout is a copy of this one, run by its own code (PYTHONPATH),
with its own var/ and a free port.
"""

from __future__ import annotations

import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def copy_of_the_checkout(into: Path) -> Path:
    """The files git knows of (committed or not), as a fresh clone would have them."""
    listed = (
        subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=REPO,
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .split("\0")
    )
    clone = into / "planspor"
    for name in filter(None, listed):
        source = REPO / name
        if source.is_file():
            target = clone / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return clone


@pytest.fixture
def private_checkout():
    """A copy of the checkout under a fresh 0700 directory, and a port; stopped and reset at the end, whatever happens."""
    root = Path(tempfile.mkdtemp(prefix="planspor-private-"))
    os.chmod(root, 0o700)
    clone, port = copy_of_the_checkout(root), free_port()
    yield clone, port
    run_stack(clone, port, "down")
    run_stack(clone, port, "reset")
    shutil.rmtree(root, ignore_errors=True)


def environment(clone: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PLANSPOR_", "POSTGRES_", "NATS_", "NEO4J_"))}
    env.update(
        PLANSPOR_POSTGRES_PORT=str(port),
        PYTHONPATH=os.pathsep.join(str(clone / part / "src") for part in ("deploy", "runtime", "shared")),
    )
    return env


def run_stack(clone: Path, port: int, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "planspor_stack", *args, "--profile", "test"],
        cwd=clone,
        env=environment(clone, port),
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_postgres_tier_runs_from_a_checkout_in_a_directory_only_its_owner_may_enter(private_checkout):
    import psycopg

    clone, port = private_checkout
    assert stat.S_IMODE(clone.parent.stat().st_mode) == 0o700
    if os.geteuid() == 0:  # the situation of the issue: the server's user cannot even look inside
        denied = subprocess.run(["runuser", "-u", "postgres", "--", "test", "-x", str(clone)])
        assert denied.returncode != 0

    # 1. the copy's own stack code starts PostgreSQL
    code = subprocess.run(
        [sys.executable, "-c", "import planspor_stack; print(planspor_stack.__file__)"],
        cwd=clone,
        env=environment(clone, port),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert code.startswith(str(clone)), code
    started = run_stack(clone, port, "up", "--with", "postgres")
    assert started.returncode == 0, started.stdout + started.stderr
    try:
        assert f"ready at postgresql://planspor@127.0.0.1:{port}/planspor" in started.stdout, started.stdout
        where = clone / "var" / "test" / "data" / "postgres"
        assert where.exists(), "var/ shows where the cluster is"

        # 2. a real round trip
        with psycopg.connect(
            host="127.0.0.1", port=port, user="planspor", password="planspor-dev", dbname="planspor", connect_timeout=5
        ) as conn:
            conn.execute("create table decisions (case_number text primary key)")
            conn.execute("insert into decisions values (%s)", ("24/01234",))
            assert conn.execute("select case_number from decisions").fetchall() == [("24/01234",)]
    finally:
        stopped = run_stack(clone, port, "down")
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr

    # 3. reset deletes the cluster wherever it was kept
    cluster = where.resolve()
    reset = run_stack(clone, port, "reset")
    assert reset.returncode == 0, reset.stdout + reset.stderr
    assert not cluster.exists() and not where.exists() and not (clone / "var" / "test").exists()
