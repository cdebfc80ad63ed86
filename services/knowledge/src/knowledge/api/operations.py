"""The operator's routes: liveness and readiness (``/healthz``, ``/readyz``), health (checkpoints, lag, dead
letters, last error, ``ok`` or ``degraded``), metrics and rebuild."""

from __future__ import annotations

import asyncio
import io
from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from knowledge.api.observability import projector_stuck, readiness_checks
from knowledge.bootstrap import Container
from knowledge.errors import BundleRefused
from knowledge.graph.bookkeeping import count_dead_letters, list_alarms, read_checkpoints, read_witness_logs
from knowledge.rebuild import checked_bundle, rebuild
from planspor_runtime.access import Role
from planspor_runtime.health import probes_router
from planspor_runtime.problems import problem_responses

MAX_BUNDLE_BYTES = 1 << 30
"""A record larger than this (1 GiB zipped) is refused (413); rebuild such a graph from the stream or the feeds."""
BUNDLE_ROUTE = "/api/v1/rebuild/bundle"
"""The one route whose body may be larger than a request body's limit (``BodyLimit``): an operator's file."""


class RebuildRequest(BaseModel):
    origin: Literal["stream", "feeds"] = "stream"


def operations_router(container: Container) -> APIRouter:
    router = APIRouter(tags=["operations"])
    operator = Depends(container.access.require(Role.OPERATOR))
    driver, database = container.driver, container.settings.neo4j_database

    router.include_router(probes_router(lambda: readiness_checks(container)))

    @router.get("/health", dependencies=[operator], responses=problem_responses(401, 403, 503))
    async def health() -> dict[str, Any]:
        """Checkpoints per source, the consumer's lag, open dead letters, batches, the last error, and the
        witness: per source the last head that matched, and every alarm (``status`` is then ``alarm``)."""
        async with driver.session(database=database) as session:
            checkpoints = await session.execute_read(read_checkpoints)
            open_letters = await session.execute_read(count_dead_letters, "open")
            alarms = await session.execute_read(list_alarms)
            logs = await session.execute_read(read_witness_logs)
        projector = container.projector
        lag = await projector.pending()
        stuck = projector_stuck(container, lag)
        return {
            "status": "alarm" if alarms else "degraded" if stuck else "ok",
            "reasons": [stuck] if stuck else [],
            "alarms": [
                {
                    "source": a["source"],
                    "size": a["size"],
                    "root": a["root"],
                    "reason": a["reason"],
                    "dead_letter": a["id"],
                }
                for a in alarms
            ],
            "witness": {
                source: {"size": log["size"], "head_size": log["head_size"], "head_root": log["head_root"]}
                for source, log in sorted(logs.items())
            },
            "checkpoints": {
                source: {"position": position, "hash": hash_}
                for source, (position, hash_) in sorted(checkpoints.items())
            },
            "lag": lag,
            "dead_letters_open": open_letters,
            "batches": projector.batches,
            "last_error": projector.last_error,
        }

    @router.post("/api/v1/rebuild", dependencies=[operator], responses=problem_responses(401, 403, 422, 503))
    async def rebuild_graph(request: RebuildRequest | None = None) -> dict[str, Any]:
        """Empty the graph and replay every event (from the stream, or from the feeds); returns the checksum."""
        origin = (request or RebuildRequest()).origin
        return await rebuild(
            container.writer,
            origin=origin,
            nats_url=container.settings.nats_access(),
            prefix=container.settings.planspor_subject_prefix,
        )

    @router.post(
        BUNDLE_ROUTE,
        dependencies=[operator],
        responses=problem_responses(401, 403, 422, 503),
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/zip": {"schema": {"type": "string", "format": "binary", "maxLength": MAX_BUNDLE_BYTES}}
                },
            }
        },
    )
    async def rebuild_from_bundle(request: Request) -> dict[str, Any]:
        """Empty the graph and replay the record of a bundle (`planspor export record`, a zip as the body).

        The bundle is checked first as `planspor-verify` checks it, from the first key it lists: every
        event in its place, hashed and signed, every head signed and recomputed. One that does not hold
        together is refused (422) and the graph is left as it was."""
        size = int(request.headers.get("content-length") or 0)
        if size > MAX_BUNDLE_BYTES:
            raise BundleRefused(f"the bundle has {size} bytes; at most {MAX_BUNDLE_BYTES} are read")
        data = bytearray()
        async for chunk in request.stream():
            data.extend(chunk)
            if len(data) > MAX_BUNDLE_BYTES:
                raise BundleRefused(f"the bundle is larger than {MAX_BUNDLE_BYTES} bytes")
        bundle = await asyncio.to_thread(checked_bundle, io.BytesIO(bytes(data)))
        return await rebuild(
            container.writer, origin="bundle", bundle=bundle, prefix=container.settings.planspor_subject_prefix
        )

    return router
