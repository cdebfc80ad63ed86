"""`planspor backup` under load and `planspor restore` into an empty var/ (issue 14), on real processes.

1. A platform runs; planners send goals while `planspor backup` copies the stores and keys.
2. The backup holds a consistent prefix: every goal answered before the backup began is in it, none answered
   after it ended; its manifest's hashes hold and its head is what its store holds.
3. The load ends and the graph catches up: its checksum is what the restored platform must give.
4. A second, quiet backup; the platform stops; both backups are restored, each into an empty var/ (a
   non-empty one is refused without --force), the services start on them and the graph is rebuilt from
   their feeds: the quiet one gives the same checksum as before, the one under load exactly its prefix.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from planspor_cli.client import CliError, Platform
from planspor_runtime.access import Role

from .conftest import _empty_graph, running_platform

pytestmark = pytest.mark.e2e


def store_env(root: Path) -> dict[str, str]:
    """Where the platform under ``root`` keeps its stores and keys, by the services' own setting names."""
    return {
        "PLAN_REGISTRY_STORE": "sqlite",
        "PLAN_REGISTRY_SQLITE_PATH": str(root / "plan-registry.sqlite"),
        "PLAN_REGISTRY_SIGNING_KEY_FILE": str(root / "secrets" / "plan-registry.key"),
        "COCREATION_STORE": "sqlite",
        "COCREATION_SQLITE_PATH": str(root / "cocreation.sqlite"),
        "COCREATION_SIGNING_KEY_FILE": str(root / "secrets" / "cocreation.key"),
    }


def planspor(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "planspor_cli.main", *args], env=env, capture_output=True, text=True, timeout=600
    )


def api(platform) -> Platform:
    return Platform(
        plan_registry_url=platform.urls["plan-registry"],
        cocreation_url=platform.urls["cocreation"],
        knowledge_url=platform.urls["knowledge"],
    )


class Load:
    """Planners sending goals in threads; each answered goal with the time it was answered."""

    def __init__(self, platform, threads: int = 3) -> None:
        self.platform = api(platform)
        self.answered: list[tuple[float, str]] = []
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._send, args=(n,), daemon=True) for n in range(threads)]

    def _send(self, n: int) -> None:
        planner = self.platform.client(self.platform.plan_registry_url, Role.PLANNER)
        i = 0
        while not self._stop.is_set():
            for _attempt in range(10):
                try:
                    goal = planner.post("/api/v1/goals", {"title": f"Mål {n}.{i}"}, key=f"backup-{n}-{i}")
                    break
                except CliError as error:  # a 503 (SQLite busy) is asked again with the same key
                    if "503" not in error.message:
                        self.errors.append(error.message)
                        return
                    time.sleep(0.1)
            else:  # still busy after ten tries: say so, never count an earlier goal again
                self.errors.append(f"goal {n}.{i}: the store stayed busy (503) for ten tries")
                return
            self.answered.append((time.monotonic(), goal["id"]))
            i += 1

    def __enter__(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)

    def wait_for(self, count: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while len(self.answered) < count:
            assert not self.errors, self.errors[:3]
            assert time.monotonic() < deadline, f"only {len(self.answered)} goals answered"
            time.sleep(0.05)


def goals_in(store: Path) -> set[str]:
    with sqlite3.connect(store) as conn:
        rows = conn.execute("SELECT DISTINCT originator_id FROM stored_events WHERE topic LIKE '%Goal%'").fetchall()
    return {str(uuid.UUID(str(row[0]))) for row in rows}


def graph_caught_up(platform, timeout: float = 90) -> dict:
    """Wait until the graph holds every event each source's relay sealed; its checksum then."""
    p = api(platform)
    operator = p.operator()
    deadline = time.monotonic() + timeout
    while True:
        relays = {
            source: p.client(url, Role.OPERATOR).get("/health").get("relay", {})
            for source, url in (("plan-registry", p.plan_registry_url), ("cocreation", p.cocreation_url))
        }
        heads = {source: relay.get("position") for source, relay in relays.items()}
        points = operator.get("/health").get("checkpoints", {})
        sealed = all(not relay.get("lag") for relay in relays.values())
        if sealed and all((points.get(s) or {}).get("position") == heads[s] for s in heads if heads[s]):
            return operator.get("/api/v1/checksum")
        assert time.monotonic() < deadline, f"graph at {points}, relays at {heads}"
        time.sleep(0.2)


def test_a_backup_under_load_restored_into_an_empty_var_gives_the_graph_back(
    tmp_path, nats_url, nats_accounts, neo4j_uri, neo4j_auth
):
    servers = (nats_url, nats_accounts, neo4j_uri, neo4j_auth, {})
    original = tmp_path / "original"
    under_load, quiet = tmp_path / "backup-under-load", tmp_path / "backup-quiet"

    # 1-2. a backup while goals are being sent
    with running_platform(original, *servers) as platform:
        env = {**platform.env, **store_env(original)}
        with Load(platform) as load:
            load.wait_for(30)
            began = time.monotonic()
            taken = planspor(env, "backup", str(under_load), "--json")
            ended = time.monotonic()
            load.wait_for(len(load.answered) + 30)
        assert taken.returncode == 0, taken.stderr
        assert not load.errors, load.errors[:3]
        manifest = json.loads(taken.stdout)
        before = {goal for at, goal in load.answered if at < began}
        after = {goal for at, goal in load.answered if at > ended}
        held = goals_in(under_load / "plan-registry.sqlite")
        assert before <= held and not (after & held), "the backup is not one consistent snapshot"
        head = manifest["sources"]["plan-registry"]["head"]
        assert head["notification_id"] >= len(before)
        assert set(manifest["files"]) == {
            f"{s}.{x}" for s in ("plan-registry", "cocreation") for x in ("sqlite", "key")
        }

        # 3. the graph once the load has ended, and a quiet backup of the same record
        checksum = graph_caught_up(platform)
        quiet_taken = planspor(env, "backup", str(quiet))
        assert quiet_taken.returncode == 0, quiet_taken.stderr
        assert "the graph is not in it" in quiet_taken.stdout
        assert planspor(env, "backup", str(quiet)).returncode == 2  # not into a backup already there

    # 4. each backup restored into an empty var/, the services on it, the graph rebuilt from their feeds
    for backup, restored in ((quiet, tmp_path / "restored-quiet"), (under_load, tmp_path / "restored-under-load")):
        env = {**platform.env, **store_env(restored)}
        done = planspor(env, "restore", str(backup))
        assert done.returncode == 0, done.stderr
        assert "rebuild" in done.stdout
        refused = planspor(env, "restore", str(backup))
        assert refused.returncode == 2 and "--force" in refused.stderr
        assert planspor(env, "restore", str(backup), "--force").returncode == 0
        _empty_graph(neo4j_uri, neo4j_auth)
        with running_platform(restored, *servers) as again:
            rebuilt = planspor(again.env, "rebuild", "--from", "feeds", "--json")
            assert rebuilt.returncode == 0, rebuilt.stderr + again.log("knowledge")
            result = graph_caught_up(again)
            if backup == quiet:
                assert result["checksum"] == checksum["checksum"], (result, checksum)
            else:
                graph_goals = (
                    api(again)
                    .analyst()
                    .post("/api/v1/cypher", {"query": "MATCH (g:Goal) RETURN g.id AS id", "params": {}})
                )
                ids = {row["id"] if isinstance(row, dict) else row[0] for row in graph_goals["rows"]}
                assert ids == held


def test_a_damaged_backup_is_refused_and_nothing_is_written(tmp_path):
    backup = tmp_path / "backup"
    backup.mkdir()
    (backup / "plan-registry.key").write_text("x")
    (backup / "manifest.json").write_text(
        json.dumps(
            {
                "format": "planspor-backup/1",
                "started_at": "2026-01-01T00:00:00+00:00",
                "sources": {},
                "files": {"plan-registry.key": {"bytes": 1, "sha256": "0" * 64}},
            }
        )
    )
    target = tmp_path / "var"
    done = planspor({**store_env(target), "PATH": "/usr/bin:/bin"}, "restore", str(backup))
    assert done.returncode == 1 and "does not match its sha256" in done.stderr
    assert not target.exists()
    not_a_backup = planspor({**store_env(target), "PATH": "/usr/bin:/bin"}, "restore", str(tmp_path))
    assert not_a_backup.returncode == 2 and "not a planspor backup" in not_a_backup.stderr
