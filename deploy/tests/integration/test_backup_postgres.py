"""`planspor backup` and `restore` of a source on PostgreSQL: pg_dump of its schema, pg_restore into a database
that lost it (the other source on SQLite beside it, as a mixed installation has)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest

RELAY_APP_DIR = Path(__file__).resolve().parents[3] / "runtime" / "tests"
sys.path.insert(0, str(RELAY_APP_DIR))

from relay_app import make_application, postgres_env  # noqa: E402 - importable once the path is set

from planspor_runtime.signing import generate_key_file  # noqa: E402

pytestmark = pytest.mark.integration


def planspor(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "planspor_cli.main", *args], env=env, capture_output=True, text=True, timeout=300
    )


def count_events(dsn: dict, schema: str) -> int:
    with psycopg.connect(**dsn) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s AND table_name LIKE %s",
                (schema, "%events"),
            )
        ]
        return sum(conn.execute(f'SELECT count(*) FROM "{schema}"."{t}"').fetchone()[0] for t in tables)


def test_a_source_on_postgresql_is_dumped_and_restored_into_a_database_that_lost_it(postgres_dsn, tmp_path):
    schema = f"backup_{uuid.uuid4().hex[:10]}"
    app = make_application(postgres_env(postgres_dsn, schema))
    try:
        app.define_goals([f"goal {i}" for i in range(25)])
    finally:
        app.close()
    stored = count_events(postgres_dsn, schema)
    assert stored >= 25
    for source in ("plan-registry", "cocreation"):
        generate_key_file(tmp_path / "secrets" / f"{source}.key", f"test/{source}")
    import sqlite3

    with sqlite3.connect(tmp_path / "cocreation.sqlite") as conn:
        conn.execute("CREATE TABLE stored_events (originator_id TEXT)")
    env = {
        **os.environ,
        "PLAN_REGISTRY_STORE": "postgres",
        "PLAN_REGISTRY_POSTGRES_SCHEMA": schema,
        "PLAN_REGISTRY_SIGNING_KEY_FILE": str(tmp_path / "secrets" / "plan-registry.key"),
        "COCREATION_STORE": "sqlite",
        "COCREATION_SQLITE_PATH": str(tmp_path / "cocreation.sqlite"),
        "COCREATION_SIGNING_KEY_FILE": str(tmp_path / "secrets" / "cocreation.key"),
        "POSTGRES_HOST": str(postgres_dsn["host"]),
        "POSTGRES_PORT": str(postgres_dsn["port"]),
        "POSTGRES_USER": postgres_dsn["user"],
        "POSTGRES_PASSWORD": postgres_dsn["password"],
        "POSTGRES_DB": postgres_dsn["dbname"],
    }
    # 1. the backup: the schema's dump, both keys, the manifest
    taken = planspor(env, "backup", str(tmp_path / "backup"), "--json")
    assert taken.returncode == 0, taken.stderr
    manifest = json.loads(taken.stdout)
    assert manifest["sources"]["plan-registry"]["file"] == "plan-registry.pgdump"
    assert manifest["files"]["plan-registry.pgdump"]["bytes"] > 0

    # 2. a restore over the running schema is refused; then the schema is lost, and the keys too
    refused = planspor(env, "restore", str(tmp_path / "backup"))
    assert refused.returncode == 2 and f"the PostgreSQL schema {schema}" in refused.stderr
    with psycopg.connect(**postgres_dsn, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
    for path in [*(tmp_path / "secrets").iterdir(), tmp_path / "cocreation.sqlite"]:
        path.unlink()

    # 3. restored: every event back
    done = planspor(env, "restore", str(tmp_path / "backup"))
    assert done.returncode == 0, done.stderr
    assert count_events(postgres_dsn, schema) == stored
    assert (tmp_path / "secrets" / "plan-registry.key").stat().st_mode & 0o777 == 0o600
