"""Settings of the local stack: the one place that reads its environment.

Two profiles keep a developer's running platform and the test run apart:
``dev`` (``make up``/``make run``: the usual ports, data in var/dev) and
``test`` (``make test``: ports 1xxxx, data in var/test, emptied by the tests).
Setting ``NATS_URL``, ``NEO4J_URI`` or ``POSTGRES_HOST`` means "use that server":
nothing of that kind is started (``NATS_USER``/``NATS_PASSWORD`` are then the
credentials used on it). ``PLANSPOR_NATS_CLUSTER=3`` starts three NATS servers as one
cluster instead of one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROFILES = {
    "dev": {"nats": 4222, "neo4j": 7687, "postgres": 5432},
    "test": {"nats": 14222, "neo4j": 17687, "postgres": 15432},
}

NEO4J_MEMORY = {"dev": ("512m", "64m"), "test": ("1g", "512m")}
"""Neo4j's heap and page cache per profile, unless PLANSPOR_NEO4J_HEAP / PLANSPOR_NEO4J_PAGECACHE say otherwise.

dev (``make run``) is sized to the Bærum graph (a few thousand nodes, store files of a few MB: the page cache
holds them many times over) so that the stack at rest stays under 1 GB resident; a larger municipality sets
the two variables. test keeps the room the chaos runs and ``make bench`` (up to 1M events) need."""


NEO4J_MIN_REPLAN_SECONDS = {"dev": 10, "test": 86_400}
"""How long Neo4j keeps a query plan before it compares the statistics the plan was made on with the graph's, and
plans again if a count changed fourfold (``dbms.cypher.min_replan_interval``), unless
PLANSPOR_NEO4J_MIN_REPLAN_SECONDS says otherwise.

dev (``make run``) keeps Neo4j's 10 s: a graph that grows gets plans made for its size. The test profile's graph
is emptied and filled with another story by test after test, and every statement a test ran was planned again
when the counts moved (a trace back of the kq story: 6.5 s against 0.13 s with its plans kept); there a plan
lives a day. ``make bench`` sets 10 s again: it measures what a deployment does as the graph grows."""


def find_repo(start: Path | None = None) -> Path:
    """The checkout: the nearest folder above that holds deploy/neo4j/pom.xml."""
    env = os.environ.get("PLANSPOR_HOME")
    if env:
        return Path(env).resolve()
    here = Path(__file__).resolve()
    origin = (start or Path.cwd()).resolve()
    for candidate in [*here.parents, origin, *origin.parents]:
        if (candidate / "deploy" / "neo4j" / "pom.xml").exists():
            return candidate
    raise RuntimeError("cannot find the planspor checkout: set PLANSPOR_HOME to it")


@dataclass(frozen=True)
class StackSettings:
    profile: str
    repo: Path
    var: Path
    nats_url: str | None
    nats_port: int
    nats_cluster: int
    """How many NATS servers the stack starts as one cluster: 1, 3 or 5."""
    nats_user: str | None
    nats_password: str | None
    """Credentials on a NATS from NATS_URL; the stack's own NATS has credentials it makes itself."""
    neo4j_uri: str | None
    neo4j_port: int
    neo4j_user: str
    neo4j_password_given: str | None
    """NEO4J_PASSWORD when set; otherwise the stack's own Neo4j has a generated one (``neo4j_password``)."""
    neo4j_heap: str
    neo4j_pagecache: str
    neo4j_min_replan_seconds: int
    postgres_host: str | None
    postgres_port: int
    postgres_user: str
    postgres_password: str
    postgres_db: str
    use_docker: bool
    ports_pinned: bool = False
    """True when a PLANSPOR_*_PORT is set: then a taken port is an error, never silently replaced."""

    @property
    def data_dir(self) -> Path:
        return self.var / self.profile / "data"

    @property
    def run_dir(self) -> Path:
        return self.var / self.profile / "run"

    @property
    def log_dir(self) -> Path:
        return self.var / self.profile / "log"

    @property
    def secrets_dir(self) -> Path:
        return self.var / self.profile / "secrets"

    @property
    def cache_dir(self) -> Path:
        return self.var / "cache"

    @property
    def neo4j_password_file(self) -> Path:
        return self.secrets_dir / "neo4j-password"

    @property
    def neo4j_password(self) -> str:
        """NEO4J_PASSWORD if set, else the installation's own random password (generated on first use).

        There is no default password: a local user who knows one could read and change the
        graph. The file is 0600 in a 0700 folder; the stack's launcher sets the password at
        every start, so replacing the file (with the stack stopped) rotates it. A server from
        NEO4J_URI without NEO4J_PASSWORD gets an empty password and refuses the login.
        """
        if self.neo4j_password_given is not None:
            return self.neo4j_password_given
        if self.neo4j_uri:
            return ""
        from planspor_stack.secrets import secret

        return secret(self.secrets_dir, self.neo4j_password_file.name)

    @classmethod
    def from_env(cls, profile: str | None = None, env: dict[str, str] | None = None) -> StackSettings:
        env = dict(os.environ if env is None else env)
        profile = profile or env.get("PLANSPOR_PROFILE", "dev")
        if profile not in PROFILES:
            raise ValueError(f"unknown profile {profile!r}: use one of {', '.join(PROFILES)}")
        ports = PROFILES[profile]
        repo = find_repo()
        postgres_host = env.get("POSTGRES_HOST") or None
        postgres_port = env.get("POSTGRES_PORT") if postgres_host else None  # counts only for a server from outside
        return cls(
            profile=profile,
            repo=repo,
            var=Path(env.get("PLANSPOR_VAR", repo / "var")).resolve(),
            nats_url=env.get("NATS_URL") or None,
            nats_port=int(env.get("PLANSPOR_NATS_PORT", ports["nats"])),
            nats_cluster=_cluster_size(env.get("PLANSPOR_NATS_CLUSTER", "1")),
            nats_user=env.get("NATS_USER") or None,
            nats_password=env.get("NATS_PASSWORD") or None,
            neo4j_uri=env.get("NEO4J_URI") or None,
            neo4j_port=int(env.get("PLANSPOR_NEO4J_PORT", ports["neo4j"])),
            neo4j_user=env.get("NEO4J_USER", "neo4j"),
            neo4j_password_given=env.get("NEO4J_PASSWORD") or None,
            neo4j_heap=env.get("PLANSPOR_NEO4J_HEAP", NEO4J_MEMORY[profile][0]),
            neo4j_pagecache=env.get("PLANSPOR_NEO4J_PAGECACHE", NEO4J_MEMORY[profile][1]),
            neo4j_min_replan_seconds=int(
                env.get("PLANSPOR_NEO4J_MIN_REPLAN_SECONDS", NEO4J_MIN_REPLAN_SECONDS[profile])
            ),
            postgres_host=postgres_host,
            postgres_port=int(postgres_port)
            if postgres_port
            else int(env.get("PLANSPOR_POSTGRES_PORT", ports["postgres"])),
            postgres_user=env.get("POSTGRES_USER", "planspor"),
            postgres_password=env.get("POSTGRES_PASSWORD", "planspor-dev"),
            postgres_db=env.get("POSTGRES_DB", "planspor"),
            use_docker=env.get("PLANSPOR_DOCKER", "") in {"1", "true", "yes"},
            ports_pinned=any(f"PLANSPOR_{n}_PORT" in env for n in ("NATS", "NEO4J", "POSTGRES")),
        )


def _cluster_size(value: str) -> int:
    """A JetStream cluster needs a majority to keep writing: an odd number of servers, at most 5."""
    try:
        size = int(value)
    except ValueError:
        size = 0
    if size not in (1, 3, 5):
        raise ValueError(f"PLANSPOR_NATS_CLUSTER={value!r}: use 1 (one server), 3 or 5 (a cluster)")
    return size


def main(argv: list[str] | None = None) -> int:
    """``python -m planspor_stack.settings neo4j-password [--profile P]``: the password, for scripts (``make bench``)."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m planspor_stack.settings")
    parser.add_argument("secret", choices=["neo4j-password"])
    parser.add_argument("--profile", default=None)
    args = parser.parse_args(argv)
    print(StackSettings.from_env(args.profile).neo4j_password)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
