"""Test helper: a graph of both sources' story and the Cypher endpoint on it, with tokens of several analysts.

The endpoint runs as in the service (``query_router`` with an ``AnalystQueries`` on a
driver of its own); the test talks to it through ASGI, on one event loop per module.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field

import httpx
import neo4j
from fastapi import FastAPI
from kn_story import STORY_KEYS, story

from knowledge.api import query_router
from knowledge.graph.analyst import AnalystLimits, AnalystQueries
from knowledge.graph.checksum import graph_checksum
from knowledge.graph.schema import empty_graph, ensure_constraints
from knowledge.pipeline.graph_writer import GraphWriter
from knowledge.pipeline.ordering import decode
from planspor_runtime.access import Access, Role, hash_token, parse_tokens

ANALYSTS = ("analyst-a", "analyst-b", "analyst-c")
AUDITOR = "auditor-a"


def tokens_setting() -> str:
    entries = [{"sha256": hash_token(f"{name}-token"), "role": Role.ANALYST.value, "name": name} for name in ANALYSTS]
    entries.append({"sha256": hash_token(f"{AUDITOR}-token"), "role": Role.AUDITOR.value, "name": AUDITOR})
    return json.dumps(entries)


@dataclass
class Reply:
    status: int
    body: dict
    seconds: float
    headers: dict = field(default_factory=dict)

    @property
    def detail(self) -> str:
        return str(self.body.get("detail", ""))


@dataclass
class World:
    loop: asyncio.AbstractEventLoop
    driver: neo4j.AsyncDriver
    analyst: AnalystQueries
    client: httpx.AsyncClient

    async def ask(self, query: str, params: dict | None = None, who: str = ANALYSTS[0]) -> Reply:
        headers = {"Authorization": f"Bearer {who}-token"} if who else {}
        body = {"query": query, **({"params": params} if params is not None else {})}
        started = time.monotonic()
        response = await self.client.post("/api/v1/cypher", json=body, headers=headers)
        return Reply(response.status_code, response.json(), time.monotonic() - started, dict(response.headers))

    def cypher(self, query: str, params: dict | None = None, who: str = ANALYSTS[0]) -> Reply:
        return self.loop.run_until_complete(self.ask(query, params, who))

    def checksum(self) -> dict:
        return self.loop.run_until_complete(graph_checksum(self.driver))


def open_world(loop, neo4j_uri, neo4j_auth, limits: AnalystLimits, *, pool_size: int = 4) -> World:
    driver = neo4j.AsyncGraphDatabase.driver(neo4j_uri, auth=neo4j_auth)
    registry, cocreation = story(1)

    async def setup() -> None:
        await empty_graph(driver)
        await ensure_constraints(driver)
        items = [decode(e.to_canonical(), msg_id=e.nats_msg_id) for e in registry.envelopes + cocreation.envelopes]
        await GraphWriter(driver, keys=STORY_KEYS).project(items)

    loop.run_until_complete(setup())
    analyst = AnalystQueries.connect(neo4j_uri, neo4j_auth, pool_size=pool_size, acquire_seconds=2.0, limits=limits)
    app = FastAPI()
    app.include_router(query_router(lambda: driver, Access(parse_tokens(tokens_setting())), analyst=analyst))
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://knowledge", timeout=120)
    return World(loop, driver, analyst, client)


def close_world(world: World) -> None:
    world.loop.run_until_complete(world.client.aclose())
    world.loop.run_until_complete(world.analyst.aclose())
    world.loop.run_until_complete(world.driver.close())
