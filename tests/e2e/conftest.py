"""The platform as real processes: plan-registry, cocreation and knowledge (``python -m <package>``) on free
ports, SQLite stores in tmp, their own subject prefix (so their own stream and durable consumers), NATS and
Neo4j from the root conftest, each service on its own NATS credentials (as `make run` starts them). The graph
is emptied first; the processes are stopped at the end."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Platform:
    urls: dict[str, str]
    env: dict[str, str]
    """Environment for the `planspor` CLI: URLs and the ids file of this platform."""
    ids_file: Path
    logs: Path
    prefix: str = ""
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    launch: Callable[[str], None] | None = None
    """Start (again) one of the three services, on the same stores, stream and port: for fault tests."""
    overrides: dict[str, dict[str, str]] = field(default_factory=dict)
    """Per service, settings over its own (``{"plan-registry": {"PLAN_REGISTRY_STORE": "postgres", ...}}``), read
    at each ``launch``: a fault test may change them between two launches."""
    service_env: Callable[[str], dict[str, str]] | None = None
    """The whole environment a service is launched with (for a process beside it on its store: a relay)."""

    def log(self, name: str) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""


def _empty_graph(uri: str, auth: tuple[str, str]) -> None:
    import neo4j

    with neo4j.GraphDatabase.driver(uri, auth=auth) as driver:
        while True:
            records, _, _ = driver.execute_query(
                "MATCH (n) WITH n LIMIT 10000 DETACH DELETE n RETURN count(*) AS deleted"
            )
            if records[0]["deleted"] == 0:
                break


def _create_stream(operator, prefix: str) -> None:  # operator: NatsAccess or a URL
    """The run's own stream, before any service subscribes to it (replicated as the operator's access says:
    three times on a cluster of three)."""
    import asyncio

    from planspor_runtime.bus import NatsAccess, connect
    from planspor_runtime.stream import stream_config

    access = NatsAccess.of(operator)

    async def create() -> None:
        connection = await connect(access)
        try:
            await connection.jetstream().add_stream(stream_config(prefix, replicas=access.stream_replicas))
        finally:
            await connection.close()

    asyncio.run(create())


def _wait_alive(name: str, url: str, process: subprocess.Popen, platform: Platform, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}:\n{platform.log(name)}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{name} did not answer /healthz in {timeout} s:\n{platform.log(name)}")


_SOURCES = (("plan-registry", "PLAN_REGISTRY"), ("cocreation", "COCREATION"))


@pytest.fixture(scope="module")
def platform_env() -> dict[str, str]:
    """Settings every process of the module's platform gets besides its own (a module overrides this)."""
    return {}


@pytest.fixture(scope="module")
def platform(nats_url, nats_accounts, neo4j_uri, neo4j_auth, tmp_path_factory, platform_env):
    with running_platform(
        tmp_path_factory.mktemp("platform"), nats_url, nats_accounts, neo4j_uri, neo4j_auth, platform_env
    ) as the_platform:
        yield the_platform


@contextmanager
def running_platform(
    root: Path,
    nats_url,
    nats_accounts,
    neo4j_uri,
    neo4j_auth,
    platform_env,
    overrides: dict[str, dict[str, str]] | None = None,
) -> Iterator[Platform]:
    """The three services on the stores and keys under ``root`` (made there if not there), a new stream;
    ``overrides``: per service, settings over its own (a store on PostgreSQL)."""
    from planspor_stack.__main__ import knowledge_keys_env, nats_env

    logs = root / "log"
    logs.mkdir(parents=True, exist_ok=True)
    prefix = f"e2e-{uuid.uuid4().hex[:10]}"
    ports = {name: free_port() for name in ("plan-registry", "cocreation", "knowledge")}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    _empty_graph(neo4j_uri, neo4j_auth)
    _create_stream(nats_accounts.get("operator", nats_url), prefix)
    common = {
        **os.environ,
        "PLANSPOR_ENV": "development",
        "PLANSPOR_SUBJECT_PREFIX": prefix,
        "PYTHONUNBUFFERED": "1",
        # a signed head a few seconds after the last event (not a minute): an evidence pack needs one over it
        "PLANSPOR_CHECKPOINT_INTERVAL": "2",
    }
    for setting in ("PLANSPOR_TOKENS", "NATS_URL", "NATS_USER", "NATS_PASSWORD"):
        common.pop(setting, None)
    common.update(platform_env)
    envs = {
        "plan-registry": {
            "PLAN_REGISTRY_HOST": "127.0.0.1",
            "PLAN_REGISTRY_PORT": str(ports["plan-registry"]),
            "PLAN_REGISTRY_STORE": "sqlite",
            "PLAN_REGISTRY_SQLITE_PATH": str(root / "plan-registry.sqlite"),
            "PLAN_REGISTRY_RELAY": "1",
            "PLAN_REGISTRY_REACTIONS": "1",
            "PLAN_REGISTRY_SIGNING_KEY_FILE": str(root / "secrets" / "plan-registry.key"),
        },
        "cocreation": {
            "COCREATION_HOST": "127.0.0.1",
            "COCREATION_PORT": str(ports["cocreation"]),
            "COCREATION_STORE": "sqlite",
            "COCREATION_SQLITE_PATH": str(root / "cocreation.sqlite"),
            "COCREATION_RELAY": "1",
            "COCREATION_CATALOGUE_SUBSCRIBER": "1",
            "COCREATION_SIGNING_KEY_FILE": str(root / "secrets" / "cocreation.key"),
        },
        "knowledge": {
            "KNOWLEDGE_HOST": "127.0.0.1",
            "KNOWLEDGE_PORT": str(ports["knowledge"]),
            "NEO4J_URI": neo4j_uri,
            "NEO4J_USER": neo4j_auth[0],
            "NEO4J_PASSWORD": neo4j_auth[1],
            "PLAN_REGISTRY_URL": urls["plan-registry"],
            "COCREATION_URL": urls["cocreation"],
        },
    }
    envs["knowledge"].update(
        knowledge_keys_env({source: envs[source][f"{package}_SIGNING_KEY_FILE"] for source, package in _SOURCES})
    )
    packages = {"plan-registry": "plan_registry", "cocreation": "cocreation", "knowledge": "knowledge"}
    ids_file = root / "demo-ids.json"
    cli_env = {
        **os.environ,
        "PLANSPOR_PLAN_REGISTRY_URL": urls["plan-registry"],
        "PLANSPOR_COCREATION_URL": urls["cocreation"],
        "PLANSPOR_KNOWLEDGE_URL": urls["knowledge"],
        "PLANSPOR_DEMO_IDS": str(ids_file),
        "COLUMNS": "200",
    }
    cli_env.pop("PLANSPOR_TOKEN", None)
    the_platform = Platform(
        urls=urls, env=cli_env, ids_file=ids_file, logs=logs, prefix=prefix, overrides=dict(overrides or {})
    )
    processes = the_platform.processes

    def service_env(name: str) -> dict[str, str]:
        return {**common, **nats_env(nats_accounts[name]), **envs[name], **the_platform.overrides.get(name, {})}

    def launch(name: str) -> None:
        with open(logs / f"{name}.log", "ab") as log:
            env = service_env(name)
            processes[name] = subprocess.Popen(
                [sys.executable, "-m", packages[name]],
                env=env,
                cwd=root,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        _wait_alive(name, urls[name], processes[name], the_platform)

    the_platform.launch = launch
    the_platform.service_env = service_env
    try:
        for name in ("plan-registry", "cocreation", "knowledge"):
            launch(name)
        yield the_platform
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


REPO = Path(__file__).resolve().parents[2]
WHEEL_CACHE = REPO / "var" / "cache" / "wheels"


def _pip(*args: str | Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pip", "--disable-pip-version-check", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode:
        raise RuntimeError(f"pip {' '.join(map(str, args))}: {done.stdout[-2000:]}{done.stderr[-2000:]}")


@pytest.fixture(scope="session")
def verifier_wheelhouse(tmp_path_factory) -> Path:
    """A folder of wheels to install planspor-verify from with ``--no-index``: a wheel built of verify/ now,
    and cryptography's (with cffi, pycparser) at the versions of constraints.txt. Those, and the setuptools
    that builds the wheel, are fetched once into var/cache/wheels; later runs are offline."""
    WHEEL_CACHE.mkdir(parents=True, exist_ok=True)
    if not list(WHEEL_CACHE.glob("cryptography-*.whl")) or not list(WHEEL_CACHE.glob("setuptools-*.whl")):
        _pip(
            "download",
            "-q",
            "--only-binary",
            ":all:",
            "-d",
            WHEEL_CACHE,
            "-c",
            REPO / "constraints.txt",
            "cryptography",
        )
        _pip("download", "-q", "--only-binary", ":all:", "-d", WHEEL_CACHE, "setuptools>=70.1")
    house = tmp_path_factory.mktemp("wheelhouse")
    for wheel in WHEEL_CACHE.glob("*.whl"):
        (house / wheel.name).symlink_to(wheel)
    _pip("wheel", "-q", "--no-deps", "--no-index", "--find-links", WHEEL_CACHE, "-w", house, REPO / "verify")
    return house


@pytest.fixture(scope="session")
def auditor_environment(verifier_wheelhouse):
    """``make(folder)``: a fresh virtual environment holding planspor-verify and its dependencies and nothing
    else (not even pip: this pip installs into it, ``--python``); returns its ``planspor-verify``."""
    import venv

    def make(folder: Path) -> Path:
        venv.create(folder, with_pip=False)
        python = folder / "bin" / "python"
        _pip("--python", python, "install", "-q", "--no-index", "--find-links", verifier_wheelhouse, "planspor-verify")
        installed = subprocess.run(
            [
                python,
                "-c",
                "import importlib.metadata as m; print(*sorted(d.metadata['Name'] for d in m.distributions()))",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        assert installed == ["cffi", "cryptography", "planspor-verify", "pycparser"], installed
        return folder / "bin" / "planspor-verify"

    return make
