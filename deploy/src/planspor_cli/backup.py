"""`planspor backup` and `planspor restore`: the sources' event stores and signing keys, with a manifest.

The event store is the record (design, principle 1): what a backup holds is each source's store,
taken consistently while commands go on (SQLite's online backup API copies one snapshot of the
database, whatever commits meanwhile; PostgreSQL through ``pg_dump``, one transaction), and the
signing key files, without which a restored source could not go on signing its log. The graph is
not in it: it is rebuilt from the restored stores (``planspor rebuild --from feeds``) or the stream.

The manifest (``manifest.json``) says what was taken, when, each file's size and sha256, and each
source's head: the last notification, the last position the relay sealed, and the size of the
latest signed tree head. A restore checks every hash before it writes anything.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic_settings import BaseSettings, SettingsConfigDict

from planspor_cli.client import EXIT_USAGE, CliError

MANIFEST = "manifest.json"
FORMAT = "planspor-backup/1"
SOURCES = ("plan-registry", "cocreation")


class StoreSettings(BaseSettings):
    """The sources' store settings, by the names the services read (``PLAN_REGISTRY_STORE``, ...).

    Unset paths are those of the local stack (``var/<profile>/data``, ``var/<profile>/secrets``)."""

    model_config = SettingsConfigDict(extra="ignore")

    plan_registry_store: Literal["sqlite", "postgres"] = "sqlite"
    plan_registry_sqlite_path: str | None = None
    plan_registry_postgres_schema: str = "plan_registry"
    plan_registry_signing_key_file: str | None = None
    cocreation_store: Literal["sqlite", "postgres"] = "sqlite"
    cocreation_sqlite_path: str | None = None
    cocreation_postgres_schema: str = "cocreation"
    cocreation_signing_key_file: str | None = None
    postgres_host: str = "127.0.0.1"
    postgres_port: int = 5432
    postgres_user: str = "planspor"
    postgres_password: str = "planspor-dev"
    postgres_db: str = "planspor"


@dataclass(frozen=True)
class SourceStore:
    name: str
    store: Literal["sqlite", "postgres"]
    sqlite_path: Path
    postgres_schema: str
    key_file: Path

    @property
    def prefix(self) -> str:
        return self.name.replace("-", "_")


def configured_sources(settings: StoreSettings | None = None) -> list[SourceStore]:
    settings = settings or StoreSettings()
    stack: Any = None
    found: list[SourceStore] = []
    for name in SOURCES:
        prefix = name.replace("-", "_")
        sqlite_path = getattr(settings, f"{prefix}_sqlite_path")
        key_file = getattr(settings, f"{prefix}_signing_key_file")
        if sqlite_path is None or key_file is None:
            from planspor_stack.settings import StackSettings

            stack = stack or StackSettings.from_env()
        found.append(
            SourceStore(
                name=name,
                store=getattr(settings, f"{prefix}_store"),
                sqlite_path=Path(sqlite_path or stack.data_dir / f"{name}.sqlite"),
                postgres_schema=getattr(settings, f"{prefix}_postgres_schema"),
                key_file=Path(key_file or stack.secrets_dir / f"{name}.key"),
            )
        )
    return found


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _scalar(conn: sqlite3.Connection, query: str) -> Any:
    try:
        row = conn.execute(query).fetchone()
    except sqlite3.Error:
        return None  # a table not made yet: a source that has not started
    return row[0] if row else None


def sqlite_head(path: Path) -> dict[str, Any]:
    """How far the copy goes: its last notification, the relay's sealed position, the latest signed head."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        return {
            "notification_id": _scalar(conn, "SELECT max(rowid) FROM stored_events") or 0,
            "relay_notification_id": _scalar(conn, "SELECT notification_id FROM relay_state WHERE id = 1") or 0,
            "position": _scalar(conn, "SELECT position FROM relay_state WHERE id = 1") or 0,
            "signed_head_size": _scalar(conn, "SELECT max(size) FROM relay_heads") or 0,
        }


def copy_sqlite(source: Path, target: Path) -> None:
    """One consistent snapshot through the online backup API, safe while the service writes."""
    if not source.exists():
        raise CliError(f"no event store at {source}: is the source's SQLITE_PATH right?")
    with sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30) as live, sqlite3.connect(target) as copy:
        live.backup(copy)
    with sqlite3.connect(target) as copy:
        ok = copy.execute("PRAGMA integrity_check").fetchone()[0]
    if ok != "ok":
        raise CliError(f"the copy of {source} fails SQLite's integrity check: {ok}")


def _pg_env(settings: StoreSettings) -> dict[str, str]:
    import os

    return {
        **os.environ,
        "PGHOST": settings.postgres_host,
        "PGPORT": str(settings.postgres_port),
        "PGUSER": settings.postgres_user,
        "PGPASSWORD": settings.postgres_password,
        "PGDATABASE": settings.postgres_db,
    }


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise CliError(
            f"a PostgreSQL store is backed up and restored with {name}, which is not on PATH here: "
            f"install the PostgreSQL client tools (or back up the database with your own tools); "
            f"this is not supported without them"
        )
    return path


def dump_postgres(source: SourceStore, target: Path, settings: StoreSettings) -> None:
    """``pg_dump`` of the source's schema in one transaction (the custom format, for ``pg_restore``)."""
    run = subprocess.run(
        [_tool("pg_dump"), "--format=custom", f"--schema={source.postgres_schema}", f"--file={target}"],
        env=_pg_env(settings),
        capture_output=True,
        text=True,
    )
    if run.returncode:
        raise CliError(f"pg_dump of {source.name} failed: {run.stderr.strip()}")


def postgres_head(source: SourceStore, settings: StoreSettings) -> dict[str, Any]:
    """The relay's recorded place in the schema, read just before the dump: the dump holds at least this much."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(**_pg_dsn(settings)) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s AND table_name LIKE %s",
                (source.postgres_schema, "%relay_state"),
            )
        ]
        if not tables:
            return {"position": 0}
        query = sql.SQL("SELECT notification_id, position FROM {} WHERE id = 1").format(
            sql.Identifier(source.postgres_schema, tables[0])
        )
        row = conn.execute(query).fetchone()
    return {"relay_notification_id": row[0], "position": row[1]} if row else {"position": 0}


def _schema_has_tables(schema: str, settings: StoreSettings) -> bool:
    import psycopg

    with psycopg.connect(**_pg_dsn(settings)) as conn:
        row = conn.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = %s", (schema,)
        ).fetchone()
    return bool(row and row[0])


def _pg_dsn(settings: StoreSettings) -> dict[str, Any]:
    return {
        "host": settings.postgres_host,
        "port": settings.postgres_port,
        "user": settings.postgres_user,
        "password": settings.postgres_password,
        "dbname": settings.postgres_db,
    }


def backup(directory: Path, settings: StoreSettings | None = None) -> dict[str, Any]:
    """Write the backup into ``directory`` (new or empty) and return its manifest."""
    settings = settings or StoreSettings()
    if directory.exists() and any(directory.iterdir()):
        raise CliError(f"{directory} is not empty: give a new or empty directory", EXIT_USAGE)
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)  # it holds the private signing keys
    started = datetime.now(UTC)
    files: dict[str, dict[str, Any]] = {}
    sources: dict[str, Any] = {}
    for source in configured_sources(settings):
        entry: dict[str, Any] = {"store": source.store}
        if source.store == "sqlite":
            name = f"{source.name}.sqlite"
            copy_sqlite(source.sqlite_path, directory / name)
            entry.update(file=name, head=sqlite_head(directory / name))
        else:
            name = f"{source.name}.pgdump"
            head = postgres_head(source, settings)
            dump_postgres(source, directory / name, settings)
            entry.update(file=name, schema=source.postgres_schema, head=head)
        if not source.key_file.exists():
            raise CliError(f"no signing key at {source.key_file}: is {source.prefix.upper()}_SIGNING_KEY_FILE right?")
        key_name = f"{source.name}.key"
        shutil.copyfile(source.key_file, directory / key_name)
        (directory / key_name).chmod(0o600)
        entry["key_file"] = key_name
        for part in (name, key_name):
            files[part] = {"bytes": (directory / part).stat().st_size, "sha256": sha256_of(directory / part)}
        sources[source.name] = entry
    manifest = {
        "format": FORMAT,
        "started_at": started.isoformat(),
        "finished_at": datetime.now(UTC).isoformat(),
        "sources": sources,
        "files": files,
        "graph": "not backed up: rebuild it from the restored stores (planspor rebuild --from feeds)",
    }
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def read_manifest(directory: Path) -> dict[str, Any]:
    """The manifest, with every file it names checked against its size and sha256."""
    try:
        manifest: dict[str, Any] = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CliError(f"{directory} holds no {MANIFEST}: it is not a planspor backup", EXIT_USAGE) from None
    except ValueError as error:
        raise CliError(f"{directory / MANIFEST} is not JSON: {error}") from None
    if manifest.get("format") != FORMAT:
        raise CliError(f"{directory / MANIFEST}: format {manifest.get('format')!r}, expected {FORMAT!r}")
    for name, expected in manifest.get("files", {}).items():
        path = directory / name
        if not path.is_file():
            raise CliError(f"the backup lacks {name}, which its manifest names")
        if sha256_of(path) != expected["sha256"] or path.stat().st_size != expected["bytes"]:
            raise CliError(f"{name} does not match its sha256 in the manifest: the backup is damaged")
    return manifest


def restore(directory: Path, *, force: bool = False, settings: StoreSettings | None = None) -> dict[str, Any]:
    """Copy a checked backup back to where the services' settings put their stores and keys."""
    settings = settings or StoreSettings()
    manifest = read_manifest(directory)
    targets = {source.name: source for source in configured_sources(settings)}
    occupied: list[str] = []
    for name, entry in manifest["sources"].items():
        if name not in targets:
            raise CliError(f"the backup holds a source {name!r} this platform does not have")
        target = targets[name]
        if entry["store"] != target.store:
            raise CliError(f"{name} was backed up from {entry['store']}, but is configured for {target.store}")
        candidates = [target.key_file]
        if target.store == "sqlite":
            candidates += [target.sqlite_path.with_name(target.sqlite_path.name + x) for x in ("", "-wal", "-shm")]
        occupied += [str(path) for path in candidates if path.exists()]
        if target.store == "postgres" and _schema_has_tables(target.postgres_schema, settings):
            occupied.append(f"the PostgreSQL schema {target.postgres_schema}")
    if occupied and not force:
        raise CliError(
            f"the target is not empty ({', '.join(occupied)}): stop the services, and give --force "
            f"to overwrite, or restore into an empty var/",
            EXIT_USAGE,
        )
    for name, entry in manifest["sources"].items():
        target = targets[name]
        if target.store == "sqlite":
            target.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
            for suffix in ("-wal", "-shm"):
                target.sqlite_path.with_name(target.sqlite_path.name + suffix).unlink(missing_ok=True)
            shutil.copyfile(directory / entry["file"], target.sqlite_path)
        else:
            run = subprocess.run(
                [_tool("pg_restore"), "--clean", "--if-exists", f"--dbname={settings.postgres_db}", entry["file"]],
                env=_pg_env(settings),
                cwd=directory,
                capture_output=True,
                text=True,
            )
            if run.returncode:
                raise CliError(f"pg_restore of {name} failed: {run.stderr.strip()}")
        target.key_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        shutil.copyfile(directory / entry["key_file"], target.key_file)
        target.key_file.chmod(0o600)
    return manifest
