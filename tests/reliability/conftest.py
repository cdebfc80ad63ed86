"""Fixtures of the relay reliability runs: a test application on SQLite or PostgreSQL, a relay process to kill."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

RELAY_APP_DIR = str(Path(__file__).resolve().parents[2] / "runtime" / "tests")
sys.path.insert(0, RELAY_APP_DIR)  # relay_app: the relay's test application

from relay_app import make_application, postgres_env, sqlite_env  # noqa: E402 - importable once the path is set


@pytest.fixture
def sqlite_store_env(tmp_path) -> dict[str, str]:
    return sqlite_env(str(tmp_path / "goals.sqlite"))


@pytest.fixture
def postgres_store_env(postgres_dsn) -> dict[str, str]:
    return postgres_env(postgres_dsn, f"relay_{uuid.uuid4().hex[:12]}")


class Writers:
    """Commands going on in threads while the test breaks things; every command must succeed."""

    def __init__(self, app, threads: int = 2, per_command: int = 3) -> None:
        self.app, self.per_command = app, per_command
        self.goal_ids: list = []
        self.errors: list[BaseException] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._run, args=(n,), daemon=True) for n in range(threads)]
        self.commands = 0

    def _run(self, n: int) -> None:
        i = 0
        while not self._stop.is_set():
            try:
                ids = self.app.define_goals([f"writer {n} goal {i}.{k}" for k in range(self.per_command)])
            except BaseException as error:
                self.errors.append(error)
                return
            with self._lock:
                self.goal_ids.extend(ids)
                self.commands += 1
            i += 1
            self._stop.wait(0.02)  # a steady rate (about 300 events/s with two threads), not a flood

    def start(self) -> Writers:
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> list:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)
        return list(self.goal_ids)


@pytest.fixture
def writers_for() -> Callable[..., Writers]:
    started: list[Writers] = []

    def start(app, **kwargs) -> Writers:
        writers = Writers(app, **kwargs).start()
        started.append(writers)
        return writers

    yield start
    for writers in started:
        writers.stop()


@pytest.fixture
def relay_process(tmp_path) -> Callable[..., subprocess.Popen]:
    """Start ``python -m planspor_runtime.relay`` for the test application; every process started is killed at the end."""
    started: list[subprocess.Popen] = []

    def start(env: dict[str, str], nats_url: str, prefix: str) -> subprocess.Popen:
        log = open(tmp_path / f"relay-{len(started)}.log", "wb")  # noqa: SIM115 - the child process writes to it
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "planspor_runtime.relay",
                "--app",
                "relay_app:make_application",
                "--mapper",
                "relay_app:map_event",
                "--source",
                "plan-registry",
                "--nats-url",
                nats_url,
                "--prefix",
                prefix,
                "--batch-size",
                "200",
                "--poll-interval",
                "0.05",
            ],
            env={
                **os.environ,
                **env,
                "PYTHONPATH": os.pathsep.join(filter(None, [RELAY_APP_DIR, os.environ.get("PYTHONPATH")])),
            },
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        log.close()
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture
def app_for():
    apps = []

    def make(env):
        app = make_application(env)
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.close()
