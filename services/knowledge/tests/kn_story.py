"""Test helpers: the story of both sources (``knowledge.story``), publishing, a feed server."""

from __future__ import annotations

import asyncio
import socket
import threading
import time

import uvicorn
from fastapi import FastAPI, Header, HTTPException

from planspor_shared.envelope import Envelope
from planspor_shared.subjects import subject

from knowledge.story import T0, Chain, interleaved, rid, story  # noqa: F401 (re-exported for the tests)


async def publish(js, prefix: str, envelopes, *, raw: dict[tuple[str, int], bytes] | None = None) -> None:
    """Publish as the relay does: subject per event type, Nats-Msg-Id source:position."""
    for e in envelopes:
        data = (raw or {}).get((e.source, e.position), e.to_canonical())
        await js.publish(subject(e.source, e.event_type, prefix=prefix), data,
                         headers={"Nats-Msg-Id": e.nats_msg_id})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FeedServer:
    """A source's feed (GET /events?after=N&limit=M, bearer auth) over a list of envelopes, in a thread."""

    TOKEN = "feed-test-token"

    def __init__(self, envelopes: list[Envelope]) -> None:
        self.envelopes = envelopes
        self.requests = 0
        app = FastAPI()

        @app.get("/events")
        def events(after: int = 0, limit: int = 100, authorization: str | None = Header(default=None)) -> dict:
            if authorization != f"Bearer {self.TOKEN}":
                raise HTTPException(401, "bearer token required")
            self.requests += 1
            page = [e for e in self.envelopes if e.position > after][:limit]
            return {"events": [e.model_dump(mode="json") for e in page],
                    "next_after": page[-1].position if page else after}

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> "FeedServer":
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("feed server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=5)


async def wait_for(predicate, timeout: float = 30.0, interval: float = 0.05, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = await predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what} (last value {value!r})")
        await asyncio.sleep(interval)
