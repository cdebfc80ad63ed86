"""The feed: ``GET /events?after=N&limit=M``, a source's integration events in position order.

It serves the envelopes the relay recorded after the broker acknowledged them,
byte for byte as they were published (canonical JSON), so a consumer can fill a
gap or rebuild from zero without the broker (design.md, "Principles" 3) and hash
what it reads exactly as it would hash what came off the stream.

Response: ``{"events": [<envelope>, ...], "next_after": <last position served, or after>}``.
An empty ``events`` means the consumer is at the head; ask again later with the same ``after``.
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from planspor_runtime.access import Access, Role
from planspor_runtime.relay.store import RelayStore

FEED_ROLES = (Role.OPERATOR, Role.ANALYST, Role.AUDITOR)
MAX_LIMIT = 1000


def feed_body(rows: list, after: int) -> bytes:
    """The response bytes: envelopes spliced in as stored, so no re-encoding can change them."""
    next_after = rows[-1].position if rows else after
    return b'{"events":[' + b",".join(row.canonical for row in rows) + b'],"next_after":' + str(next_after).encode() + b"}"


def feed_router(store: RelayStore, access: Access, roles: tuple[Role, ...] = FEED_ROLES) -> APIRouter:
    router = APIRouter(tags=["feed"])

    @router.get(
        "/events",
        summary="Integration events after a position, in position order (the same envelopes as on the stream)",
        responses={200: {"content": {"application/json": {"example": {"events": [], "next_after": 0}}}}},
    )
    async def events(
        after: int = Query(0, ge=0, description="return events with position > after"),
        limit: int = Query(100, ge=1, le=MAX_LIMIT, description=f"at most this many events (1..{MAX_LIMIT})"),
        _principal=Depends(access.require(*roles)),
    ) -> Response:
        rows = await asyncio.to_thread(store.read, after, limit)
        return Response(content=feed_body(rows, after), media_type="application/json")

    return router
