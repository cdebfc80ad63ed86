"""Neo4j out of reach makes knowledge not ready, with the reason (issue 14), and ready again when it is back.

knowledge runs in-process with its projector, against the test stack's NATS and Neo4j; between it and Neo4j
stands a TCP relay of the test's own on loopback, so "Neo4j unreachable" is a real cut connection (every
connection reset, the port closed), without stopping the Neo4j the other tests share.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from urllib.parse import urlparse

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from knowledge.api import create_app
from knowledge.bootstrap import bootstrap
from knowledge.settings import Settings

pytestmark = pytest.mark.integration
OPERATOR = {"Authorization": "Bearer dev-operator-token"}


class Cut:
    """A TCP relay to a server that can be cut (connections reset, port closed) and restored (same port)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.target = host, port
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self._server: asyncio.Server | None = None
        self._open: set[asyncio.StreamWriter] = set()

    async def restore(self) -> None:
        self._server = await asyncio.start_server(self._connect, "127.0.0.1", self.port)

    async def cut(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._open):
            writer.transport.abort()
        self._open.clear()
        self._server = None

    async def _connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(self.host, self.target)
        except OSError:
            writer.transport.abort()
            return
        self._open |= {writer, up_writer}

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError, OSError):
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            sink.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self._open -= {writer, up_writer}


async def eventually(condition, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not await condition():
        assert time.monotonic() < deadline, "not reached in time"
        await asyncio.sleep(0.1)


def neo4j_up(text: str) -> float | None:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "planspor_neo4j_up":
                return sample.value
    return None


def test_neo4j_out_of_reach_makes_knowledge_not_ready_with_the_reason(neo4j_uri, neo4j_auth, nats_url, subject_prefix):
    target = urlparse(neo4j_uri)
    relay = Cut(target.hostname or "127.0.0.1", target.port or 7687)

    async def story() -> None:
        await relay.restore()
        settings = Settings(
            neo4j_uri=f"bolt://127.0.0.1:{relay.port}",
            neo4j_user=neo4j_auth[0],
            neo4j_password=neo4j_auth[1],
            nats_url=nats_url,
            planspor_subject_prefix=subject_prefix,
            knowledge_fetch_timeout=0.2,
        )
        app = create_app(bootstrap(settings))
        async with app.router.lifespan_context(app):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://k") as http:

                async def ready() -> bool:
                    return (await http.get("/readyz")).status_code == 200

                await eventually(ready)
                assert (await http.get("/readyz")).json()["checks"] == {
                    "graph": "ok",
                    "broker": "ok",
                    "projector": "ok",
                }
                assert neo4j_up((await http.get("/metrics", headers=OPERATOR)).text) == 1

                await relay.cut()
                answer = await http.get("/readyz")
                assert answer.status_code == 503
                assert answer.headers["content-type"].startswith("application/problem+json")
                problem = answer.json()
                assert problem["checks"]["graph"].startswith(f"Neo4j does not answer at bolt://127.0.0.1:{relay.port}")
                assert problem["checks"]["broker"] == "ok"
                assert "graph: Neo4j does not answer" in problem["detail"]
                assert (await http.get("/healthz")).json() == {"status": "ok"}  # alive: nothing to restart
                assert neo4j_up((await http.get("/metrics", headers=OPERATOR)).text) == 0

                await relay.restore()
                await eventually(ready)
                assert neo4j_up((await http.get("/metrics", headers=OPERATOR)).text) == 1

    asyncio.run(story())
