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
import nats
import pytest
from nats.js.api import AckPolicy, ConsumerConfig
from prometheus_client.parser import text_string_to_metric_families

from knowledge.api import create_app
from knowledge.bootstrap import bootstrap
from knowledge.settings import Settings
from planspor_runtime.stream import stream_config

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


async def eventually(condition, timeout: float = 90.0) -> None:
    """90 s: a projector's start plans its statements first, some 45 s when Neo4j's query cache has lost them."""
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


def knowledge_settings(neo4j_uri, neo4j_auth, nats_url, subject_prefix) -> Settings:
    return Settings(
        neo4j_uri=neo4j_uri,
        neo4j_user=neo4j_auth[0],
        neo4j_password=neo4j_auth[1],
        nats_url=nats_url,
        planspor_subject_prefix=subject_prefix,
        knowledge_fetch_timeout=0.2,
    )


def test_nats_out_of_reach_at_the_start_is_waited_for(neo4j_uri, neo4j_auth, nats_url, subject_prefix):
    target = urlparse(nats_url)
    relay = Cut(target.hostname or "127.0.0.1", target.port or 4222)
    through_relay = nats_url.replace(f"@{target.hostname}:{target.port}", f"@127.0.0.1:{relay.port}")
    assert through_relay != nats_url

    async def story() -> None:
        app = create_app(bootstrap(knowledge_settings(neo4j_uri, neo4j_auth, through_relay, subject_prefix)))
        async with app.router.lifespan_context(app):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://k") as http:
                answer = await http.get("/readyz")  # the projector counts as running from the start
                assert answer.status_code == 503
                assert answer.json()["checks"]["broker"] == "the projector is not connected to NATS"

                await relay.restore()

                async def ready() -> bool:
                    return (await http.get("/readyz")).status_code == 200

                await eventually(ready)
        await relay.cut()

    asyncio.run(story())


def test_a_refused_subscription_is_asked_again_until_jetstream_grants_it(
    neo4j_uri, neo4j_auth, nats_url, subject_prefix
):
    """CI, stop 22: the consumer's creation timed out while a cluster elected the stream's leader, and the
    projector ended for good. Here JetStream refuses it for real (the stream's consumer limit is taken) until
    the operator frees the place; the projector says why it waits, then subscribes and is ready."""

    async def story() -> None:
        nc = await nats.connect(nats_url)
        js = nc.jetstream()
        config = stream_config(subject_prefix, 1)
        config.max_consumers = 1
        await js.add_stream(config)
        await js.add_consumer(config.name, ConsumerConfig(durable_name="blocker", ack_policy=AckPolicy.EXPLICIT))
        try:
            app = create_app(bootstrap(knowledge_settings(neo4j_uri, neo4j_auth, nats_url, subject_prefix)))
            async with app.router.lifespan_context(app):
                async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://k") as http:

                    async def refused_with_the_reason() -> bool:
                        answer = await http.get("/readyz")
                        assert answer.status_code == 503
                        return (
                            answer.json()["checks"].get("projector", "").startswith("the projector has no subscription")
                        )

                    await eventually(refused_with_the_reason)
                    assert (
                        "maximum consumers limit reached" in (await http.get("/readyz")).json()["checks"]["projector"]
                    )

                    await js.delete_consumer(config.name, "blocker")

                    async def ready() -> bool:
                        return (await http.get("/readyz")).status_code == 200

                    await eventually(ready)
                    assert (await http.get("/readyz")).json()["checks"] == {
                        "graph": "ok",
                        "broker": "ok",
                        "projector": "ok",
                    }
        finally:
            await js.delete_stream(config.name)
            await nc.close()

    asyncio.run(story())
