"""``python -m knowledge [serve|project|rebuild]``.

serve (default): the HTTP API on 127.0.0.1:8003 with the projector running in its lifespan.
project: the projector alone (what the reliability tests kill and restart).
rebuild [--from stream|feeds]: empty the graph, replay everything, print the checksum.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from typing import Any, Literal

from knowledge.bootstrap import bootstrap, start
from knowledge.rebuild import rebuild
from knowledge.settings import Settings
from planspor_runtime.logs import configure_logging, secret_values


async def _project() -> None:
    container = bootstrap()
    await start(container)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, container.projector.stop)
    try:
        await container.projector.run()
    finally:
        await container.aclose()


async def _rebuild(origin: Literal["stream", "feeds"]) -> dict[str, Any]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    container = bootstrap()
    await start(container)
    try:
        with Progress(
            TextColumn("rebuild from " + origin),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            transient=False,
        ) as bar:
            task = bar.add_task("events", total=None)

            def progress(read: int, total: int | None) -> None:
                bar.update(task, completed=read, total=total)

            return await rebuild(
                container.writer,
                origin=origin,
                nats_url=container.settings.nats_access(),
                prefix=container.settings.planspor_subject_prefix,
                progress=progress,
            )
    finally:
        await container.aclose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m knowledge")
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("serve", help="HTTP API with the projector (default)")
    commands.add_parser("project", help="the projector alone")
    rebuild_cmd = commands.add_parser("rebuild", help="empty the graph and replay every event")
    rebuild_cmd.add_argument("--from", dest="origin", choices=("stream", "feeds"), default="stream")
    args = parser.parse_args(argv)
    settings = Settings()
    configure_logging("knowledge", secrets=secret_values(settings))
    if args.command == "project":
        asyncio.run(_project())
        return 0
    if args.command == "rebuild":
        result = asyncio.run(_rebuild(args.origin))
        print(
            f"events read: {result['events_read']}  nodes: {result['nodes']}  relationships: {result['relationships']}"
        )
        print(f"checksum: {result['checksum']}")
        return 0
    import uvicorn

    from knowledge.api import create_app

    container = bootstrap(settings)
    uvicorn.run(
        create_app(container),
        host=container.settings.knowledge_host,
        port=container.settings.knowledge_port,
        log_config=None,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
