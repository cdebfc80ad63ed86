"""The feed: ``GET /events?after=N&limit=M``, a source's integration events in position order.

It serves the envelopes the relay recorded after the broker acknowledged them,
byte for byte as they were published (canonical JSON), so a consumer can fill a
gap or rebuild from zero without the broker (design.md, "Principles" 3) and hash
what it reads exactly as it would hash what came off the stream.

Response: ``{"events": [<envelope>, ...], "next_after": <last position served, or after>}``.
An empty ``events`` means the consumer is at the head; ask again later with the same ``after``.

Beside it, ``log_router``: the source's keys, signed tree heads and proofs (``GET /keys``,
``/checkpoints``, ``/checkpoints/latest``, ``/proofs/inclusion``, ``/proofs/consistency``).
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Depends, HTTPException, Query, status
from fastapi.responses import PlainTextResponse, Response

from planspor_runtime.access import Access, Role
from planspor_runtime.checkpoints import MerkleLog
from planspor_runtime.relay.store import RelayStore
from planspor_verify.merkle import ProofError
from planspor_verify.note import VerifierKey

FEED_ROLES = (Role.OPERATOR, Role.ANALYST, Role.AUDITOR)
MAX_LIMIT = 1000


def feed_body(rows: list, after: int) -> bytes:
    """The response bytes: envelopes spliced in as stored, so no re-encoding can change them."""
    next_after = rows[-1].position if rows else after
    return (
        b'{"events":[' + b",".join(row.canonical for row in rows) + b'],"next_after":' + str(next_after).encode() + b"}"
    )


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


def log_router(
    store: RelayStore, access: Access, *, source: str, configured_key: VerifierKey, roles: tuple[Role, ...] = FEED_ROLES
) -> APIRouter:
    """The source's keys, its signed tree heads, and inclusion and consistency proofs (RFC 9162).

    Hashes are base64, as in the checkpoints. ``/checkpoints/latest`` is the signed note
    itself (text/plain), the file an auditor keeps to check the record against later.
    """
    router = APIRouter(tags=["log"])
    log = MerkleLog(store)
    allowed = Depends(access.require(*roles))

    @router.get("/keys", summary="The source's signing keys: each verifier key and the first position it signs")
    async def keys(_principal=allowed) -> dict:
        records = await asyncio.to_thread(store.keys)
        return {
            "source": source,
            "origin": configured_key.name,
            "configured": str(configured_key),
            "keys": [k.as_json() for k in records if k.from_position is not None],
        }

    @router.get("/checkpoints", summary="Signed tree heads (C2SP checkpoints) after a tree size, smallest first")
    async def checkpoints(
        after: int = Query(0, ge=0, description="return heads with size > after"),
        limit: int = Query(100, ge=1, le=MAX_LIMIT, description=f"at most this many heads (1..{MAX_LIMIT})"),
        _principal=allowed,
    ) -> dict:
        heads = await asyncio.to_thread(store.heads, after, limit)
        return {"checkpoints": [h.as_json() for h in heads], "next_after": heads[-1].size if heads else after}

    @router.get(
        "/checkpoints/latest",
        summary="The latest signed tree head, as the signed note (text/plain)",
        response_class=PlainTextResponse,
    )
    async def latest(_principal=allowed) -> PlainTextResponse:
        head = await asyncio.to_thread(store.latest_head)
        if head is None:
            raise HTTPException(
                status.HTTP_404_NOT_FOUND,
                "no signed tree head yet: the relay issues one after the first events are published",
            )
        return PlainTextResponse(head.checkpoint)

    async def head_size(size: int | None) -> int:
        if size is not None:
            return size
        head = await asyncio.to_thread(store.latest_head)
        if head is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "no signed tree head yet: give a size")
        return head.size

    @router.get(
        "/proofs/inclusion", summary="The audit path of an event in the tree of a size (default: the latest head)"
    )
    async def inclusion(
        position: int = Query(..., ge=1, description="the event's position"),
        size: int | None = Query(None, ge=1, description="the tree size (default: the latest head's)"),
        _principal=allowed,
    ) -> dict:
        size = await head_size(size)
        return await _answer(log.inclusion, position, size)

    @router.get(
        "/proofs/consistency", summary="The proof that the tree of `first` events is a prefix of that of `second`"
    )
    async def consistency(
        first: int = Query(..., ge=1, description="the earlier tree size"),
        second: int | None = Query(None, ge=1, description="the later tree size (default: the latest head's)"),
        _principal=allowed,
    ) -> dict:
        second = await head_size(second)
        return await _answer(log.consistency, first, second)

    return router


async def _answer(prove, *args: int) -> dict:
    try:
        return await asyncio.to_thread(prove, *args)
    except ProofError as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(error)) from None
    except LookupError as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from None
