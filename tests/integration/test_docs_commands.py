"""Every command a README shows is run here, so the docs cannot drift from the code.

Commands are taken from the fenced ``sh``/``console`` blocks (and plain blocks whose
lines start like a command) of README.md and the service and shared READMEs. Each
kind of command has a runner; a command with no runner fails the test, so a new
README command needs a way to be run. The top README's walkthrough and "Checking the record" (the
`planspor` CLI and `planspor-verify` against a running platform) are run by the end-to-end story in tests/e2e.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
READMES = [
    "README.md",
    "shared/README.md",
    *sorted(str(p.relative_to(REPO)) for p in REPO.glob("services/*/README.md")),
]
COMMAND_START = re.compile(r"^(make |\.venv/bin/|python -m |curl |planspor )")
SERVICE_PORT_SETTING = {
    "plan_registry": "PLAN_REGISTRY_PORT",
    "cocreation": "COCREATION_PORT",
    "knowledge": "KNOWLEDGE_PORT",
    "portal": "PORTAL_PORT",
}


def commands(readme: str) -> list[str]:
    found, block, lang = [], False, ""
    for line in (REPO / readme).read_text().splitlines():
        if line.startswith("```"):
            block, lang = (not block), line[3:].strip()
            continue
        if block and lang in {"", "sh", "bash", "console", "shell"}:
            text = line.removeprefix("$ ").split("  #")[0].strip()
            if COMMAND_START.match(text):
                found.append(text)
    return found


RUN_BY_E2E = ("## Walkthrough", "## Checking the record")
"""Sections of the top README whose commands the e2e story runs against a live platform."""


def in_walkthrough(readme: str, command: str) -> bool:
    """The top README's walkthrough and "Checking the record" are run by the e2e story against a live platform."""
    text = (REPO / readme).read_text()
    for title in RUN_BY_E2E:
        start = text.find(title)
        if start >= 0 and command in text[start:].split("\n## ", 1)[0]:
            return True
    return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run(argv: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(argv, cwd=kwargs.pop("cwd", REPO), capture_output=True, text=True, timeout=300, **kwargs)


def venv(argv: list[str]) -> list[str]:
    if argv[0].startswith(".venv/bin/"):
        return [str(REPO / argv[0]), *argv[1:]]
    if argv[0] == "python":
        return [sys.executable, *argv[1:]]
    return argv


@pytest.fixture
def knowledge_env(request, nats_url, neo4j_uri, neo4j_auth, subject_prefix) -> dict[str, str]:
    """The knowledge service's servers, on a stream of this test's own."""
    import asyncio

    import nats

    from planspor_runtime.stream import stream_config

    async def create_stream():
        client = await nats.connect(nats_url)
        await client.jetstream().add_stream(config=stream_config(subject_prefix))
        await client.close()

    asyncio.run(create_stream())
    return {
        "NATS_URL": nats_url,
        "NEO4J_URI": neo4j_uri,
        "NEO4J_USER": neo4j_auth[0],
        "NEO4J_PASSWORD": neo4j_auth[1],
        "PLANSPOR_SUBJECT_PREFIX": subject_prefix,
        "KNOWLEDGE_DURABLE": f"docs-{subject_prefix}",
        "PLAN_REGISTRY_URL": "",
        "COCREATION_URL": "",
    }


def run_service_and_follow_ups(command: str, follow_ups: list[str], tmp_path: Path, extra_env: dict) -> None:
    """`python -m <service>` runs the service alone; the curl lines after it are asked of it."""
    argv = venv(shlex.split(command))
    package = argv[-1]
    port = free_port()
    env = {**os.environ, **extra_env, SERVICE_PORT_SETTING[package]: str(port), "PLANSPOR_ENV": "development"}
    process = subprocess.Popen(argv, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert process.poll() is None, process.stdout.read().decode()
            assert time.monotonic() < deadline, "the service did not answer /healthz"
            time.sleep(0.2)
        if package in ("plan_registry", "cocreation"):
            assert list(tmp_path.glob("var/data/*.sqlite")), "the README says the store is SQLite under var/data"
        for follow_up in follow_ups:
            curl = re.sub(r"(localhost|127\.0\.0\.1):\d+", f"127.0.0.1:{port}", follow_up)
            result = run(shlex.split(curl) + ["--fail-with-body"])
            assert result.returncode == 0, (follow_up, result.stdout, result.stderr)
    finally:
        process.terminate()
        process.wait(timeout=30)


ALL = [(readme, i, command) for readme in READMES for i, command in enumerate(commands(readme))]


# curl lines are asked of the service a command before them started; the walkthrough is run by tests/e2e
def run_projector_until_it_consumes(command: str, env: dict[str, str]) -> None:
    """The projector alone: running means its durable consumer is on the stream."""
    import asyncio

    import nats

    from planspor_shared.subjects import stream_name

    process = subprocess.Popen(
        venv(shlex.split(command)), env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )

    async def consumer_exists() -> bool:
        client = await nats.connect(env["NATS_URL"])
        try:
            await client.jetstream().consumer_info(
                stream_name(env["PLANSPOR_SUBJECT_PREFIX"]), env["KNOWLEDGE_DURABLE"]
            )
            return True
        except nats.js.errors.NotFoundError:
            return False
        finally:
            await client.close()

    try:
        deadline = time.monotonic() + 60
        while not asyncio.run(consumer_exists()):
            assert process.poll() is None, process.stdout.read().decode()
            assert time.monotonic() < deadline, "the projector did not create its consumer"
            time.sleep(0.2)
    finally:
        process.terminate()
        process.wait(timeout=30)


def run_backup_command(argv: list[str], tmp_path: Path) -> None:
    """`planspor backup|restore <dir>` on a var/ of this test's own: two small stores and their keys where
    `make run` keeps them; a restore is of a backup taken just before, into the emptied var/."""
    from planspor_runtime.signing import generate_key_file

    var = tmp_path / "var" / "dev"
    stores = {source: var / "data" / f"{source}.sqlite" for source in ("plan-registry", "cocreation")}
    for source, store in stores.items():
        store.parent.mkdir(parents=True, exist_ok=True)
        with sqlite3.connect(store) as conn:
            conn.execute("CREATE TABLE stored_events (originator_id TEXT, topic TEXT)")
            conn.execute("INSERT INTO stored_events VALUES (?, ?)", (source, "Goal.Defined"))
        generate_key_file(var / "secrets" / f"{source}.key", f"docs.test/{source}")
    env = {**os.environ, "PLANSPOR_VAR": str(tmp_path / "var"), "PLANSPOR_PROFILE": "dev"}
    for name in [k for k in env if k.endswith(("_SQLITE_PATH", "_SIGNING_KEY_FILE", "_STORE"))]:
        env.pop(name)
    planspor = [str(REPO / ".venv" / "bin" / "planspor")]

    def content(path: Path) -> object:
        if path.suffix != ".sqlite":
            return path.read_bytes()
        with sqlite3.connect(path) as conn:
            return list(conn.iterdump())

    originals = {path: content(path) for path in [*stores.values(), *(var / "secrets").glob("*.key")]}
    if argv[1] == "restore":
        taken = run([*planspor, "backup", argv[2]], cwd=tmp_path, env=env)
        assert taken.returncode == 0, taken.stderr
        shutil.rmtree(var)
    result = run(planspor + argv[1:], cwd=tmp_path, env=env)
    assert result.returncode == 0, (result.stdout, result.stderr)
    assert (tmp_path / argv[2] / "manifest.json").exists()
    assert {path: content(path) for path in originals} == originals


CASES = [(r, i, c) for r, i, c in ALL if not c.startswith("curl ") and not in_walkthrough(r, c)]


def test_the_readmes_show_commands():
    assert len(CASES) >= 6, CASES
    for readme, index, command in ALL:
        if command.startswith("curl "):
            before = [c for r, i, c in ALL if r == readme and i < index and not c.startswith("curl ")]
            assert before and " -m " in before[-1], f"{readme}: {command!r} follows no service command"


@pytest.mark.parametrize("readme,index,command", CASES, ids=[f"{r}:{i}" for r, i, _ in CASES])
def test_readme_command_runs(readme, index, command, tmp_path, request):
    argv = shlex.split(command)
    extra_env = request.getfixturevalue("knowledge_env") if "knowledge" in argv else {}
    if argv[0] == "make":
        # make run / make test are what CI and the e2e tests run; here: the target exists and says what it does
        result = run(["make", "-n", *argv[1:]])
        assert result.returncode == 0, result.stderr
    elif argv[0].endswith("pytest"):
        result = run(venv(argv) + ["--collect-only", "-q"])
        assert result.returncode == 0 and re.search(r"\d+ tests? collected", result.stdout), result.stdout[-2000:]
    elif argv[-2:-1] == ["-m"] and argv[-1] in SERVICE_PORT_SETTING:
        follow_ups = []
        for r, i, c in ALL:
            if r == readme and i > index:
                if not c.startswith("curl "):
                    break
                follow_ups.append(c)
        run_service_and_follow_ups(command, follow_ups, tmp_path, extra_env)
    elif argv[-3:-1] == ["-m", "knowledge"] and argv[-1] == "project":
        run_projector_until_it_consumes(command, extra_env)
    elif "-m" in argv:
        before = run(["git", "diff", "--", "shared"]).stdout
        result = run(venv(argv), env={**os.environ, **extra_env})
        assert result.returncode == 0, (result.stdout[-2000:], result.stderr[-2000:])
        assert run(["git", "diff", "--", "shared"]).stdout == before, "a documented command changed tracked files"
    elif argv[:1] == ["planspor"] and argv[1:2] in (["backup"], ["restore"]):
        run_backup_command(argv, tmp_path)
    elif argv[:2] == ["planspor", "import"] and "--dry-run" in argv:
        # a dry run reads and checks the files and reaches no service; the shipped templates are valid
        result = run([str(REPO / ".venv" / "bin" / "planspor"), *argv[1:]])
        assert result.returncode == 0, (result.stdout, result.stderr)
        assert "nothing sent" in result.stdout and "refused" in result.stdout, result.stdout
    else:
        pytest.fail(f"no runner for the README command {command!r}: add one to {Path(__file__).name}")
