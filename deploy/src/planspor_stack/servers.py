"""The three servers of the local stack, each started only when not configured from outside.

Readiness is always a real round trip: JetStream account info, Bolt ``RETURN 1``,
``select 1``. Never a fixed sleep.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from planspor_runtime.bus import without_credentials

from .bus import Nats, nats_ready  # the NATS servers and their accounts live in bus.py
from .processes import ManagedProcess, StackError, free_port, port_is_free, require_free_port, wait_until
from .secrets import write_private
from .settings import StackSettings

__all__ = ["Endpoint", "Nats", "Neo4j", "Postgres", "choose_port", "nats_ready"]


@dataclass
class Endpoint:
    """Where a server is, and whether this stack started it."""

    name: str
    url: str
    """What a client connects to; NATS's carries the operator's credentials, so print ``shown`` instead."""
    started_here: bool
    external: bool

    @property
    def shown(self) -> str:
        """The URL(s) with the user but never the password."""

        def redact(url: str) -> str:
            user = urlsplit(url).username
            return without_credentials(url).replace("://", f"://{user}@", 1) if user else url

        return ",".join(redact(u) for u in self.url.split(","))


def choose_port(settings: StackSettings, port: int, what: str, setting: str, url_setting: str) -> int:
    """The test stack is private to a test run: when its usual port is taken it takes a free
    one. Anywhere else (or with the port set explicitly) a taken port is an error that says what to do."""
    if port_is_free(port):
        return port
    if settings.profile == "test" and not settings.ports_pinned:
        return free_port()
    require_free_port(port, what, setting, url_setting)
    return port


# --------------------------------------------------------------------------- Neo4j


def neo4j_ready(uri: str, user: str, password: str) -> bool:
    from neo4j import GraphDatabase

    with GraphDatabase.driver(uri, auth=(user, password), connection_timeout=2, max_transaction_retry_time=0) as driver:
        with driver.session() as session:  # a plain session: no retries, one real round trip
            record = session.run("RETURN 1 AS one").single()
            return record is not None and record["one"] == 1


def transaction_memory(heap: str) -> dict[str, str]:
    """Memory limits for transactions, from the heap: one may take a quarter, all together half.

    A query over its limit fails alone (the analyst gets a 400) instead of exhausting the
    heap that the projector's writes need too (an OutOfMemoryError stops the server).
    """
    units = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
    text = heap.strip().lower()
    size = int(text[:-1]) * units[text[-1]] if text[-1:] in units else int(text)
    return {"NEO4J_TRANSACTION_MEMORY": str(size // 4), "NEO4J_TRANSACTION_MEMORY_TOTAL": str(size // 2)}


def heap_options(heap: str, profile: str) -> list[str]:
    """The JVM's heap: at most ``heap``; for ``make run`` it starts small and gives back what it no longer uses.

    The dev profile's Neo4j is idle most of the time with a small graph: a heap committed at its maximum
    (``-Xms`` = ``-Xmx``) is resident for nothing. There the heap starts at 64m and G1 collects every
    15 s when idle (``G1PeriodicGCInterval``), returning the free regions to the system. The test profile,
    loaded by the benchmarks and the chaos runs, commits its heap at start, as a server does.
    """
    if profile == "dev":
        return ["-Xms64m", f"-Xmx{heap}", "-XX:G1PeriodicGCInterval=15000"]
    return [f"-Xms{heap}", f"-Xmx{heap}"]


def jit_options(profile: str) -> list[str]:
    """The JIT: for ``make run`` its first tier only (C1, ``-XX:TieredStopAtLevel=1``).

    A fresh Neo4j compiles much of itself while it starts and while it plans the knowledge service's
    statements (its warm-up), and the optimising tier (C2) takes most of that CPU. Measured on this 2-core
    machine, a cold Neo4j with make run's memory, alternating (a benchmark running beside it): ready in 18 s
    against 32 to 36 s; the 56 statements planned in 74 to 80 s against 85 to 97 s; 96 to 101 s of CPU
    against 120 to 137 s. Its peak speed is lower, which a graph of the scenario's size does not show; the
    test profile (the benchmarks, the chaos runs, a graph of up to 1M events) keeps both tiers.
    """
    return ["-XX:TieredStopAtLevel=1"] if profile == "dev" else []


class Neo4j:
    """Neo4j 5.26 LTS embedded, from Maven Central, started by deploy/neo4j's launcher."""

    name = "neo4j"

    def __init__(self, settings: StackSettings) -> None:
        self.settings = settings
        self.project = settings.repo / "deploy" / "neo4j"
        self.classpath_file = settings.cache_dir / "neo4j.classpath"
        self.process = ManagedProcess("neo4j", settings.run_dir, settings.log_dir / "neo4j.log")
        self.port = self.process.port(settings.neo4j_port)

    @property
    def uri(self) -> str:
        return self.settings.neo4j_uri or f"bolt://127.0.0.1:{self.port}"

    def ensure_installed(self) -> str:
        """Fetch the jars once (cached in ~/.m2) and compile the launcher; return the classpath."""
        classes = self.project / "target" / "classes" / "no" / "planspor" / "neo4j" / "Launcher.class"
        sources = [self.project / "pom.xml", *self.project.rglob("*.java")]
        newest_source = max(p.stat().st_mtime for p in sources)
        if (
            self.classpath_file.exists()
            and classes.exists()
            and self.classpath_file.stat().st_mtime >= newest_source
            and classes.stat().st_mtime >= newest_source
        ):
            return self.classpath_file.read_text().strip()
        for tool, hint in (
            ("java", "a Java 17+ JDK (Debian: apt-get install openjdk-17-jdk-headless)"),
            ("mvn", "Maven (Debian: apt-get install maven)"),
        ):
            if shutil.which(tool) is None:
                raise StackError(
                    f"Neo4j needs {tool!r}, which is not on PATH: install {hint}, "
                    "or set NEO4J_URI to a Neo4j 5.26 server that is already running."
                )
        self.classpath_file.parent.mkdir(parents=True, exist_ok=True)
        print("  fetching Neo4j 5.26 from Maven Central (first time only) and compiling the launcher ...", flush=True)
        result = subprocess.run(
            [
                "mvn",
                "-q",
                "-B",
                "-f",
                str(self.project / "pom.xml"),
                "compile",
                "dependency:build-classpath",
                f"-Dmdep.outputFile={self.classpath_file}",
            ],
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise StackError(
                "Maven could not fetch or build Neo4j (is Maven Central reachable? a proxy in ~/.m2/settings.xml?). "
                f"Output:\n{(result.stdout + result.stderr)[-3000:]}"
            )
        return self.classpath_file.read_text().strip()

    def _argfile(self, classpath: str) -> Path:
        """The long classpath goes into a java @argfile, so `ps` stays readable."""
        argfile = self.settings.cache_dir / "neo4j.args"
        argfile.write_text(f'-cp "{self.project / "target" / "classes"}:{classpath}"\n')
        return argfile

    def start(self) -> Endpoint:
        s = self.settings
        if s.neo4j_uri:
            return Endpoint(self.name, self.uri, started_here=False, external=True)

        def ready() -> bool:
            return neo4j_ready(self.uri, s.neo4j_user, s.neo4j_password)

        if self.process.pid() is not None:
            self._refuse_another_password()
            wait_until(ready, "Neo4j", 120, self.process)
            return Endpoint(self.name, self.uri, started_here=False, external=False)
        self.port = choose_port(s, self.port, "Neo4j", "PLANSPOR_NEO4J_PORT", "NEO4J_URI")
        classpath = self.ensure_installed()
        home = s.data_dir / "neo4j"
        home.mkdir(parents=True, exist_ok=True)
        self.process.start(
            [
                "java",
                *heap_options(s.neo4j_heap, s.profile),
                *jit_options(s.profile),
                "-XX:+UseG1GC",
                "-XX:MaxGCPauseMillis=100",
                "-XX:+ExitOnOutOfMemoryError",
                f"@{self._argfile(classpath)}",
                "no.planspor.neo4j.Launcher",
            ],
            env={
                "NEO4J_HOME": str(home),
                "NEO4J_BOLT_PORT": str(self.port),
                "NEO4J_PASSWORD": s.neo4j_password,
                "NEO4J_PAGECACHE": s.neo4j_pagecache,
                "NEO4J_MIN_REPLAN_INTERVAL_SECONDS": str(s.neo4j_min_replan_seconds),
                **transaction_memory(s.neo4j_heap),
            },
            port=self.port,
        )
        wait_until(ready, "Neo4j", 180, self.process)
        return Endpoint(self.name, self.uri, started_here=True, external=False)

    def _refuse_another_password(self) -> None:
        """A Neo4j left running from before a rotation answers, but not to this password: say so at once."""
        from neo4j.exceptions import AuthError

        try:
            neo4j_ready(self.uri, self.settings.neo4j_user, self.settings.neo4j_password)
        except AuthError:
            raise StackError(
                f"Neo4j (pid {self.process.pid()}) is running with another password than "
                f"{self.settings.neo4j_password_file}: stop it (`make down`) and start again."
            ) from None
        except Exception:  # noqa: BLE001 - still starting: the caller waits for it
            pass

    def stop(self) -> bool:
        return self.process.stop(timeout=60)


# --------------------------------------------------------------------------- PostgreSQL


Dsn = dict[str, str | int]
"""libpq's connection parameters by name (host, port, user, password, dbname)."""


def postgres_ready(dsn: Dsn) -> bool:
    import psycopg
    from psycopg.conninfo import make_conninfo

    with psycopg.connect(make_conninfo("", **dsn), connect_timeout=2) as conn:
        return conn.execute("select 1").fetchone() == (1,)


class Postgres:
    """PostgreSQL from Debian's packages, in a cluster of its own, on loopback.

    The server refuses to run as root, so as root it runs as the ``postgres`` user, who
    may not be able to reach the checkout at all (a clone under a 0700 home directory).
    Its cluster then lives in that user's own home, in a folder keyed by the checkout's
    ``var/`` and the profile (``~postgres/planspor/<profile>-<key>/``, with a link to it
    at ``var/<profile>/data/postgres``); `make reset` deletes it. Anyone else runs the
    server as themselves, with the cluster under ``var/<profile>/data/postgres``.
    """

    name = "postgres"

    def __init__(self, settings: StackSettings) -> None:
        self.settings = settings
        self.outside = self._outside_var()
        self.data = self.outside / "data" if self.outside else settings.data_dir / "postgres"
        self.socket_dir = self.outside / "socket" if self.outside else settings.run_dir / "postgres-socket"
        self.process = ManagedProcess("postgres", settings.run_dir, settings.log_dir / "postgres.log")
        self.port = settings.postgres_port if settings.postgres_host else self.process.port(settings.postgres_port)

    def _outside_var(self) -> Path | None:
        """Where the cluster lives when the server runs as the postgres user (None: under var/)."""
        if self._user() is None:
            return None
        import hashlib
        import pwd

        try:
            home = Path(pwd.getpwnam("postgres").pw_dir)
        except KeyError:  # not installed yet: Debian's package makes the user with this home
            home = Path("/var/lib/postgresql")
        key = hashlib.sha256(str(self.settings.var).encode()).hexdigest()[:16]
        return home / "planspor" / f"{self.settings.profile}-{key}"

    @property
    def dsn(self) -> Dsn:
        s = self.settings
        return {
            "host": s.postgres_host or "127.0.0.1",
            "port": self.port,
            "user": s.postgres_user,
            "password": s.postgres_password,
            "dbname": s.postgres_db,
        }

    @property
    def url(self) -> str:
        d = self.dsn
        return f"postgresql://{d['user']}@{d['host']}:{d['port']}/{d['dbname']}"

    def bin_dir(self) -> Path:
        found = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"), key=lambda p: int(p.parent.parent.name))
        if found:
            return found[-1].parent
        if os.geteuid() == 0 and shutil.which("apt-get"):
            print("  installing PostgreSQL from Debian's packages (first time only) ...", flush=True)
            env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
            for argv in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "postgresql"]):
                result = subprocess.run(argv, capture_output=True, text=True, env=env)
                if result.returncode != 0:
                    raise StackError(f"`{' '.join(argv)}` failed:\n{(result.stdout + result.stderr)[-2000:]}")
            return self.bin_dir()
        raise StackError(
            "PostgreSQL is not installed. Install it (Debian: sudo apt-get install postgresql), "
            "or point POSTGRES_HOST, POSTGRES_PORT, POSTGRES_USER, POSTGRES_PASSWORD and POSTGRES_DB "
            "at a server that is already running."
        )

    def _user(self) -> str | None:
        """The server refuses to run as root, so root runs it as the postgres user."""
        return "postgres" if os.geteuid() == 0 else None

    def _run(self, argv: list[str], what: str, input_text: str | None = None) -> None:
        user = self._user()
        if user:
            argv = ["runuser", "-u", user, "--", *argv]
        result = subprocess.run(argv, capture_output=True, text=True, input=input_text)
        if result.returncode != 0:
            raise StackError(f"PostgreSQL {what} failed:\n{(result.stdout + result.stderr)[-2000:]}")

    def _chown(self, *paths: Path) -> None:
        if self._user():
            shutil.chown(paths[0], user="postgres", group="postgres")
            for path in paths[1:]:
                shutil.chown(path, user="postgres", group="postgres")

    def start(self) -> Endpoint:
        s = self.settings
        if s.postgres_host:
            return Endpoint(self.name, self.url, started_here=False, external=True)
        if self.process.pid() is not None:
            wait_until(lambda: postgres_ready(self.dsn), "PostgreSQL", 60, self.process)
            return Endpoint(self.name, self.url, started_here=False, external=False)
        self.port = choose_port(s, self.port, "PostgreSQL", "PLANSPOR_POSTGRES_PORT", "POSTGRES_HOST")
        bin_dir = self.bin_dir()
        self._prepare_outside_var()
        for directory in (self.data.parent, self.socket_dir, s.log_dir, s.run_dir):
            directory.mkdir(parents=True, exist_ok=True)
        if not (self.data / "PG_VERSION").exists():
            self.data.mkdir(parents=True, exist_ok=True)
            self._chown(self.data)
            pwfile = self.data.parent / "postgres.pw"  # where the server's user can read it, for initdb only
            write_private(pwfile, s.postgres_password + "\n")
            self._chown(pwfile)
            try:
                self._run(
                    [
                        str(bin_dir / "initdb"),
                        "-D",
                        str(self.data),
                        "-U",
                        s.postgres_user,
                        "--auth=scram-sha-256",
                        f"--pwfile={pwfile}",
                        "-E",
                        "UTF8",
                        "--locale=C.UTF-8",
                    ],
                    "initdb",
                )
            finally:
                pwfile.unlink(missing_ok=True)
        self._chown(self.socket_dir)
        log = s.log_dir / "postgres.log"
        log.touch()
        self._chown(log)
        self.process.start(
            [
                str(bin_dir / "postgres"),
                "-D",
                str(self.data),
                "-p",
                str(self.port),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                f"unix_socket_directories={self.socket_dir}",
                "-c",
                "fsync=on",
                "-c",
                "max_connections=200",
                "-c",
                "shared_buffers=256MB",
            ],
            user=self._user(),
            port=self.port,
        )
        admin = {**self.dsn, "dbname": "postgres"}
        wait_until(lambda: postgres_ready(admin), "PostgreSQL", 60, self.process)
        self._create_database()
        wait_until(lambda: postgres_ready(self.dsn), "PostgreSQL", 30, self.process)
        return Endpoint(self.name, self.url, started_here=True, external=False)

    def _prepare_outside_var(self) -> None:
        """The postgres user's folders for this checkout's cluster, and a link to them from var/."""
        if self.outside is None:
            return
        for directory in (self.outside.parent, self.outside, self.socket_dir):
            directory.mkdir(parents=True, exist_ok=True)
            os.chmod(directory, 0o700)
            self._chown(directory)
        (self.outside / "checkout").write_text(f"{self.settings.var / self.settings.profile}\n")
        link = self.settings.data_dir / "postgres"
        if not link.exists() and not link.is_symlink():
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(self.data, target_is_directory=True)

    def delete_data(self) -> list[Path]:
        """Delete the cluster (`make reset`); the server must be stopped. Returns what was deleted."""
        deleted = []
        for path in (self.outside, self.settings.data_dir / "postgres"):
            if path is None:
                continue
            if path.is_symlink():
                path.unlink()
            elif path.exists():
                shutil.rmtree(path)
            else:
                continue
            deleted.append(path)
        return deleted

    def _create_database(self) -> None:
        import psycopg
        from psycopg.conninfo import make_conninfo

        with psycopg.connect(make_conninfo("", **{**self.dsn, "dbname": "postgres"}), autocommit=True) as conn:
            exists = conn.execute(
                "select 1 from pg_database where datname = %s", (self.settings.postgres_db,)
            ).fetchone()
            if not exists:
                conn.execute(f'create database "{self.settings.postgres_db}"')

    def stop(self) -> bool:
        return self.process.stop(timeout=60, sig=signal.SIGINT)  # fast shutdown: do not wait for clients
