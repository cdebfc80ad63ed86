"""The local stack as one object: what `make up`, `make run` and the tests use.

Each server is started only if it is not configured from outside (``NATS_URL``,
``NEO4J_URI``, ``POSTGRES_HOST``) and not already running from an earlier `up`.
``stop`` stops only what this object started, unless asked to stop all of the
profile's processes (`make down`).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypedDict

from planspor_runtime.bus import NatsAccess, without_credentials

from .processes import StackError
from .secrets import write_private
from .servers import Endpoint, Nats, Neo4j, Postgres
from .settings import StackSettings

Component = Literal["nats", "neo4j", "postgres"]
COMPONENTS: tuple[Component, ...] = ("nats", "neo4j", "postgres")
Say = Callable[[str], object]


class Servers(TypedDict):
    """The stack's servers by name: each its own kind (``servers["nats"].accounts`` is a NATS's)."""

    nats: Nats
    neo4j: Neo4j
    postgres: Postgres


def docker_engine_available() -> bool:
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "info"], capture_output=True).returncode == 0


@dataclass
class Stack:
    settings: StackSettings
    endpoints: dict[str, Endpoint] = field(default_factory=dict)
    _containers: list[Any] = field(default_factory=list)
    """testcontainers' containers (PLANSPOR_DOCKER=1), stopped with the stack."""

    @classmethod
    def from_env(cls, profile: str | None = None) -> Stack:
        return cls(StackSettings.from_env(profile))

    def servers(self) -> Servers:
        return {"nats": Nats(self.settings), "neo4j": Neo4j(self.settings), "postgres": Postgres(self.settings)}

    def start(self, components: Sequence[str] = ("nats", "neo4j"), say: Say = print) -> dict[str, Endpoint]:
        wanted = [name for name in components if name in COMPONENTS]
        unknown = set(components) - set(wanted)
        if unknown:
            raise StackError(f"unknown component(s) {', '.join(sorted(unknown))}: choose from {', '.join(COMPONENTS)}")
        if self.settings.use_docker:
            return self._start_with_docker(wanted, say)
        servers = self.servers()
        for name in wanted:
            if name in self.endpoints:
                continue
            say(
                f"  {name}: starting ..."
                if not _configured(self.settings, name)
                else f"  {name}: using {name.upper()} from settings"
            )
            endpoint = servers[name].start()
            self.endpoints[name] = endpoint
            how = "external" if endpoint.external else ("started" if endpoint.started_here else "already running")
            say(f"  {name}: ready at {endpoint.shown} ({how})")
        return self.endpoints

    def stop(self, everything: bool = False, say: Say = print) -> None:
        for container in reversed(self._containers):
            container.stop()
        self._containers.clear()
        servers = self.servers()
        for name in reversed(COMPONENTS):
            endpoint = self.endpoints.get(name)
            ours = endpoint is not None and endpoint.started_here
            if (ours or (everything and not _configured(self.settings, name))) and servers[name].stop():
                say(f"  {name}: stopped")
        self.endpoints.clear()

    def nats_access(self, user: str = "operator") -> NatsAccess:
        """How ``user`` (the operator or a service) connects to the stack's NATS, with its own credentials."""
        nats = self.servers()["nats"]
        endpoint = self.endpoints.get("nats")
        if self.settings.nats_url or endpoint is None:
            return nats.access(user)
        return NatsAccess(
            url=",".join(without_credentials(u) for u in endpoint.url.split(",")),
            user=user,
            password=nats.accounts.password(user),
            stream_replicas=nats.size,
        )

    def reset(self) -> list[Path]:
        """Delete the profile's data: var/<profile>, and the PostgreSQL cluster wherever it lives."""
        deleted = self.servers()["postgres"].delete_data()
        profile_dir = self.settings.var / self.settings.profile
        if profile_dir.exists():
            shutil.rmtree(profile_dir)
            deleted.append(profile_dir)
        return deleted

    def status(self) -> dict[str, str]:
        result: dict[str, str] = {}
        servers = self.servers()
        for name in COMPONENTS:
            server = servers[name]
            if _configured(self.settings, name):
                result[name] = "external (from settings)"
            else:
                pid = server.process.pid()
                result[name] = f"running (pid {pid})" if pid else "stopped"
        return result

    # The optional path for users with a Docker engine: same servers, in containers.
    def _start_with_docker(self, components: Sequence[Component], say: Say) -> dict[str, Endpoint]:
        if not docker_engine_available():
            raise StackError(
                "PLANSPOR_DOCKER=1 but no Docker engine answers `docker info`: unset it to run the servers locally."
            )
        from testcontainers.core.container import DockerContainer
        from testcontainers.core.waiting_utils import wait_for_logs

        s = self.settings
        for name in components:
            if name == "nats":  # the same accounts as the local server, in the container's paths
                nats = self.servers()["nats"]
                conf = s.data_dir / "nats" / "docker-nats.conf"
                write_private(
                    conf,
                    nats.config(nats.nodes[0])
                    .replace(f"127.0.0.1:{nats.port}", "0.0.0.0:4222")
                    .replace(str(nats.nodes[0].directory / "jetstream"), "/data"),
                )
                c = (
                    DockerContainer("nats:2.11")
                    .with_command("-c /etc/nats/nats.conf")
                    .with_volume_mapping(str(conf), "/etc/nats/nats.conf")
                    .with_exposed_ports(4222)
                )
                c.start()
                wait_for_logs(c, "Server is ready")
                password = nats.accounts.password("operator")
                url = f"nats://operator:{password}@{c.get_container_host_ip()}:{c.get_exposed_port(4222)}"
            elif name == "neo4j":
                c = (
                    DockerContainer("neo4j:5.26-community")
                    .with_env("NEO4J_AUTH", f"neo4j/{s.neo4j_password}")
                    .with_exposed_ports(7687)
                )
                c.start()
                wait_for_logs(c, "Started.", timeout=180)
                url = f"bolt://{c.get_container_host_ip()}:{c.get_exposed_port(7687)}"
            else:
                c = (
                    DockerContainer("postgres:15")
                    .with_env("POSTGRES_USER", s.postgres_user)
                    .with_env("POSTGRES_PASSWORD", s.postgres_password)
                    .with_env("POSTGRES_DB", s.postgres_db)
                    .with_exposed_ports(5432)
                )
                c.start()
                wait_for_logs(c, "database system is ready to accept connections")
                url = f"postgresql://{c.get_container_host_ip()}:{c.get_exposed_port(5432)}"
            self._containers.append(c)
            self.endpoints[name] = Endpoint(name, url, started_here=False, external=True)
            say(f"  {name}: container ready at {self.endpoints[name].shown}")
        return self.endpoints


def _configured(settings: StackSettings, name: str) -> bool:
    return bool({"nats": settings.nats_url, "neo4j": settings.neo4j_uri, "postgres": settings.postgres_host}[name])
