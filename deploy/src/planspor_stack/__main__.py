"""`python -m planspor_stack up|down|status|run`: the front door behind the Makefile."""

from __future__ import annotations

import argparse
import importlib.util
import os
import signal
import sys
import time
from dataclasses import dataclass
from functools import partial

from planspor_runtime.bus import NatsAccess, NatsTarget

from .processes import ManagedProcess, StackError, port_is_free, wait_until
from .stack import COMPONENTS, Stack


@dataclass(frozen=True)
class Service:
    name: str
    package: str
    port: int

    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


SERVICES = tuple(
    Service(name, package, int(os.environ.get(f"PLANSPOR_{package.upper()}_PORT", port)))
    for name, package, port in (
        ("plan-registry", "plan_registry", 8001),
        ("cocreation", "cocreation", 8002),
        ("knowledge", "knowledge", 8003),
    )
)
"""Ports: 8001-8003, or PLANSPOR_PLAN_REGISTRY_PORT, PLANSPOR_COCREATION_PORT, PLANSPOR_KNOWLEDGE_PORT."""
PORTAL = Service("portal", "portal", int(os.environ.get("PLANSPOR_PORTAL_PORT", 8004)))
"""The web front (services/portal, 8004 or PLANSPOR_PORTAL_PORT): started with the services, its address first."""


def built(service: Service) -> bool:
    return importlib.util.find_spec(f"{service.package}.__main__") is not None


def signing_key_file(stack: Stack, service: Service) -> str:
    """Where a source's development signing key lives; the service generates it there on first start."""
    return str(stack.settings.var / stack.settings.profile / "secrets" / f"{service.name}.key")


def knowledge_keys_env(key_files: dict[str, str]) -> dict[str, str]:
    """knowledge's ``KNOWLEDGE_<SOURCE>_KEYS``: the public keys of the sources' signing key files.

    A development key that is not there yet is made first (as the source itself would at its first
    start; two processes racing get the same key), so knowledge trusts the key the source signs with.
    """
    from planspor_runtime.signing import development_name, ensure_development_key

    return {
        f"KNOWLEDGE_{source.upper().replace('-', '_')}_KEYS": str(
            ensure_development_key(path, development_name(source)).verifier_key
        )
        for source, path in key_files.items()
    }


def service_env(stack: Stack, service: Service) -> dict[str, str]:
    """Each service's own settings names; relays, reactions and subscribers on, so the platform runs whole."""
    s = stack.settings
    host, port = "127.0.0.1", str(service.port)
    sqlite = str(s.data_dir / f"{service.name}.sqlite")
    env = {
        "PLANSPOR_ENV": os.environ.get("PLANSPOR_ENV", "development"),
        # the portal only talks HTTP to the services: no NATS account
        **({} if service is PORTAL else nats_env(stack.nats_access(service.name))),
        "PLAN_REGISTRY_URL": SERVICES[0].url(),
        "COCREATION_URL": SERVICES[1].url(),
        "KNOWLEDGE_URL": SERVICES[2].url(),
    }
    if service.package == "plan_registry":
        env.update(
            PLAN_REGISTRY_HOST=host,
            PLAN_REGISTRY_PORT=port,
            PLAN_REGISTRY_STORE="sqlite",
            PLAN_REGISTRY_SQLITE_PATH=sqlite,
            PLAN_REGISTRY_RELAY="1",
            PLAN_REGISTRY_REACTIONS="1",
            PLAN_REGISTRY_SIGNING_KEY_FILE=signing_key_file(stack, service),
        )
    elif service.package == "cocreation":
        env.update(
            COCREATION_HOST=host,
            COCREATION_PORT=port,
            COCREATION_STORE="sqlite",
            COCREATION_SQLITE_PATH=sqlite,
            COCREATION_RELAY="1",
            COCREATION_CATALOGUE_SUBSCRIBER="1",
            COCREATION_SIGNING_KEY_FILE=signing_key_file(stack, service),
        )
    elif service.package == "portal":
        env.update(PORTAL_HOST=host, PORTAL_PORT=port)
    else:
        env.update(
            KNOWLEDGE_HOST=host,
            KNOWLEDGE_PORT=port,
            NEO4J_URI=stack.endpoints["neo4j"].url,
            NEO4J_USER=s.neo4j_user,
            NEO4J_PASSWORD=s.neo4j_password,
            **knowledge_keys_env({source.name: signing_key_file(stack, source) for source in SERVICES[:2]}),
        )
    return env


def nats_env(access: NatsAccess) -> dict[str, str]:
    """A service's NATS settings: the servers, its own credentials, the stream's replicas."""
    env = {"NATS_URL": ",".join(access.servers), "NATS_STREAM_REPLICAS": str(access.stream_replicas)}
    if access.user:
        env.update(NATS_USER=access.user, NATS_PASSWORD=access.password or "")
    return env


def ensure_stream(access: NatsTarget) -> None:
    """The platform's stream, before any service subscribes to it (a subscriber does not create it)."""
    import asyncio

    from planspor_runtime.bus import connect
    from planspor_runtime.stream import stream_config

    replicas = NatsAccess.of(access).stream_replicas

    async def create() -> None:
        connection = await connect(access, name="planspor-stack")
        try:
            prefix = os.environ.get("PLANSPOR_SUBJECT_PREFIX", "planspor")
            await connection.jetstream().add_stream(stream_config(prefix, replicas))
        finally:
            await connection.close()

    asyncio.run(create())


def load_demo_and_tour(stack: Stack, knowledge: Service) -> None:
    """Loads the Bærum scenario unless the ids file shows it loaded, then prints the tour.

    Before a load it waits for knowledge's warm-up, so the scenario's graph follows at once; when the scenario is
    there already, the tour reads the graph while knowledge plans its statements (30 to 45 s on a fresh Neo4j):
    events recorded meanwhile reach the graph once it has."""
    from rich.console import Console

    from planspor_cli.client import CliError, Platform
    from planspor_cli.demo import Loader
    from planspor_cli.tour import print_tour

    console = Console()
    url = {service.package: service.url() for service in SERVICES}
    platform = Platform(
        plan_registry_url=url["plan_registry"], cocreation_url=url["cocreation"], knowledge_url=url["knowledge"]
    )
    ids_file = stack.settings.var / stack.settings.profile / "demo-ids.json"
    try:
        loader = Loader(platform, ids_file=ids_file, say=lambda text: print(f"planspor: {text}"))
        if loader.already_loaded():
            print("planspor: knowledge plans its statements in the background (its /readyz answers 200 when done)")
        else:
            wait_for_knowledge(knowledge)
        report = loader.run()
        if report.loaded:
            print(
                f"planspor: scenario loaded in {report.load_seconds:.1f} s ({report.requests} requests); "
                f"the graph caught up {report.graph_seconds:.1f} s later"
            )
        print_tour(console, platform, report.ids)
    except CliError as error:
        print(f"planspor: the demo could not be loaded: {error.message}", file=sys.stderr)


def wait_for_knowledge(knowledge: Service, timeout: float = 180) -> None:
    """Before the scenario: knowledge ready, its projector subscribed and its statements planned (on a fresh
    Neo4j it plans each of its statement shapes first, 30 to 45 s here), so the scenario's graph follows at once."""
    print("planspor: waiting for knowledge to be ready (on a fresh Neo4j it first plans its statements) ...")
    started = time.monotonic()
    try:
        wait_until(partial(http_ok, f"{knowledge.url()}/readyz"), "knowledge", timeout)
        print(f"planspor: knowledge ready after {time.monotonic() - started:.1f} s")
    except StackError as error:
        print(f"planspor: {error} (see its log); loading the scenario anyway", file=sys.stderr)


def http_ok(url: str) -> bool:
    import httpx

    return httpx.get(url, timeout=2).status_code == 200


def run(stack: Stack) -> int:
    """Start the stack and every built service; Ctrl-C stops all that this run started."""
    print("planspor: starting the local stack (profile dev)")

    def on_signal(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    # Ctrl-C stops it even when it was started with SIGINT ignored (from the background of a script or a CI
    # runner: Python then keeps SIGINT ignored and no KeyboardInterrupt ever comes)
    signal.signal(signal.SIGINT, on_signal)
    processes: list[ManagedProcess] = []
    try:
        stack.start(("nats", "neo4j"))
        services = [s for s in SERVICES if built(s)]
        if services:
            ensure_stream(stack.nats_access())
        if not services:
            print("planspor: the services are not built yet: the stack runs alone.")
        started = [PORTAL, *services] if services and built(PORTAL) else services
        for service in started:
            if not port_is_free(service.port):
                raise StackError(f"{service.name}: port {service.port} is taken; stop what holds it and run again.")
            process = ManagedProcess(
                service.name, stack.settings.run_dir, stack.settings.log_dir / f"{service.name}.log"
            )
            process.start([sys.executable, "-m", service.package], env=service_env(stack, service))
            processes.append(process)
        for service, process in zip(started, processes):
            wait_until(partial(http_ok, f"{service.url()}/healthz"), service.name, 60, process)
            print(
                f"  {service.name}: {service.url()}"
                + ("  (sign in with a token below)" if service is PORTAL else f"  (OpenAPI: {service.url()}/docs)")
            )
            if service.package not in ("knowledge", "portal"):
                from planspor_runtime.signing import verifier_key_of

                print(f"  {service.name} signing key: {verifier_key_of(signing_key_file(stack, service))}")
        if len(services) == len(SERVICES) and os.environ.get("PLANSPOR_DEMO", "1") != "0":
            load_demo_and_tour(stack, next(s for s in services if s.package == "knowledge"))
        print("planspor: ready. Logs in", stack.settings.log_dir, "- press Ctrl-C to stop.")
        while all(p.pid() is not None for p in processes):
            time.sleep(0.5)
        dead = [p.name for p in processes if p.pid() is None]
        print(f"planspor: {', '.join(dead)} stopped unexpectedly; see {stack.settings.log_dir}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nplanspor: stopping ...")
        return 0
    except StackError as error:
        print(f"planspor: {error}", file=sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        for process in reversed(processes):
            stopping = time.monotonic()
            process.stop()
            if time.monotonic() - stopping > 5:  # each has 30 s before it is killed: say who was slow
                print(f"planspor: {process.name} took {time.monotonic() - stopping:.0f} s to stop")
        stack.stop()
        print("planspor: stopped.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m planspor_stack", description=__doc__)
    parser.add_argument(
        "command",
        choices=["install", "up", "down", "status", "run", "reset", "nats-url", "nats-conf"],
        help="reset: delete the profile's data (stop it first); "
        "nats-url: print the operator's URL of the running NATS (it holds the password); "
        "nats-conf: print the deployments' NATS configuration (deploy/nats/nats.conf)",
    )
    parser.add_argument("--profile", default=None, help="dev (default) or test")
    parser.add_argument(
        "--with",
        dest="components",
        default="nats,neo4j",
        help=f"components for `up`, comma-separated, of {','.join(COMPONENTS)}",
    )
    args = parser.parse_args(argv)
    stack = Stack.from_env(args.profile)
    try:
        if args.command == "install":
            servers = stack.servers()
            if not stack.settings.neo4j_uri:
                servers["neo4j"].ensure_installed()
            if not stack.settings.postgres_host:
                servers["postgres"].bin_dir()
            print("planspor: Python packages, Neo4j 5.26 jars and PostgreSQL are in place.")
        elif args.command == "up":
            print(f"planspor: starting the local stack (profile {stack.settings.profile})")
            stack.start(tuple(c for c in args.components.split(",") if c))
            print(
                f"planspor: stack is up; data in {stack.settings.var / stack.settings.profile}; `make down` stops it."
            )
        elif args.command == "down":
            print(f"planspor: stopping the local stack (profile {stack.settings.profile})")
            stack.stop(everything=True)
            for service in (*SERVICES, PORTAL):
                ManagedProcess(service.name, stack.settings.run_dir, stack.settings.log_dir / "x").stop()
            print("planspor: stack is down.")
        elif args.command == "reset":
            if any(state.startswith("running") for state in stack.status().values()):
                raise StackError("the stack is running: `make down` first")
            for removed in stack.reset():
                print(f"planspor: deleted {removed}")
        elif args.command == "nats-url":
            print(stack.servers()["nats"].url)
        elif args.command == "nats-conf":
            from .bus import deploy_config

            print(deploy_config(), end="")
        elif args.command == "status":
            for name, state in stack.status().items():
                print(f"  {name:9} {state}")
        else:
            return run(stack)
    except StackError as error:
        print(f"planspor: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
