"""Run a relay as a process of its own: ``python -m planspor_runtime.relay --app pkg.mod:factory --mapper pkg.mod:map_event``.

The application factory is called with no arguments and configures itself from
the environment (PERSISTENCE_MODULE, SQLITE_DBNAME, POSTGRES_*), like the service.
The bus credentials come from NATS_USER and NATS_PASSWORD (never from the command
line, where any local user could read them) or from the URL.
The process can be killed at any moment: the next one resumes from what was recorded.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import signal
from typing import Any

from planspor_runtime.bus import NatsAccess
from planspor_runtime.relay.core import Relay
from planspor_runtime.signing import load_key_file
from planspor_shared.subjects import DEFAULT_PREFIX


def load(reference: str) -> Any:
    """``package.module:attribute``."""
    module_name, _, attribute = reference.partition(":")
    if not attribute:
        raise SystemExit(f"{reference!r}: expected 'package.module:attribute'")
    return getattr(importlib.import_module(module_name), attribute)


async def main(args: argparse.Namespace) -> None:
    application = load(args.app)()
    signer = load_key_file(args.signing_key) if args.signing_key else None
    access = NatsAccess(
        url=args.nats_url,
        user=os.environ.get("NATS_USER") or None,
        password=os.environ.get("NATS_PASSWORD") or None,
        stream_replicas=int(os.environ.get("NATS_STREAM_REPLICAS", "1")),
    )
    relay = Relay(
        application=application,
        source=args.source,
        mapper=load(args.mapper),
        nats_url=access,
        subject_prefix=args.prefix,
        batch_size=args.batch_size,
        poll_interval=args.poll_interval,
        signer=signer,
    )
    loop = asyncio.get_running_loop()
    stopped = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopped.set)
    await relay.start()
    await stopped.wait()
    await relay.stop()
    application.close()


def cli(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m planspor_runtime.relay", description=__doc__)
    parser.add_argument("--app", required=True, help="factory of the eventsourcing Application, pkg.mod:attr")
    parser.add_argument("--mapper", required=True, help="domain event -> list[Outgoing], pkg.mod:attr")
    parser.add_argument("--source", required=True, help="plan-registry | cocreation")
    parser.add_argument("--nats-url", default=os.environ.get("NATS_URL", "nats://127.0.0.1:4222"))
    parser.add_argument("--prefix", default=os.environ.get("PLANSPOR_SUBJECT_PREFIX", DEFAULT_PREFIX))
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--poll-interval", type=float, default=0.1)
    parser.add_argument("--signing-key", default=None, help="the source's key file; without it envelopes go unsigned")
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    from planspor_runtime.logs import configure_logging

    configure_logging(f"relay-{args.source}", level=args.log_level.upper())
    asyncio.run(main(args))


if __name__ == "__main__":
    cli()
