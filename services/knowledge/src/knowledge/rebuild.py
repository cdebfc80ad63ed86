"""Rebuild: empty the graph and replay every event, from the stream or (when it is gone) from the feeds.

The graph holds nothing that is not in the events (design.md, "Principles" 1 and 5),
so a rebuild gives the same graph, and the same checksum, as the live projection.
It goes through the same ``GraphWriter`` as the live consumer: same order, same
checks, same dead letters.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import nats
from nats.errors import TimeoutError as NatsTimeout
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from knowledge.graph.checksum import graph_checksum
from knowledge.graph.schema import empty_graph, ensure_constraints
from knowledge.pipeline.graph_writer import GraphWriter
from knowledge.pipeline.ordering import Incoming, decode, decode_feed_item
from planspor_runtime.bus import NatsAccess, NatsTarget
from planspor_shared.events import SOURCES
from planspor_shared.subjects import all_subjects, stream_name

Progress = Callable[[int, int | None], None]
"""Called with (events read so far, total if known)."""

BATCH = 500


async def _project_carrying(writer: GraphWriter, items: list[Incoming], carried: list[Incoming]) -> list[Incoming]:
    """Project; what is still ahead of its checkpoint (held behind a gap) is carried into the next batch."""
    result = await writer.project(carried + items)
    return [i for i in carried + items if i.key is not None and i.key[1] > result.checkpoints.get(i.key[0], 0)]


async def rebuild_from_stream(
    writer: GraphWriter, nats_url: NatsTarget, prefix: str, progress: Progress | None = None
) -> int:
    nc = await nats.connect(**NatsAccess.of(nats_url).connect_options(name="planspor-knowledge-rebuild"))
    try:
        js = nc.jetstream()
        info = await js.stream_info(stream_name(prefix))
        total, last = info.state.messages, info.state.last_seq
        subscription = await js.pull_subscribe(
            all_subjects(prefix),
            stream=stream_name(prefix),
            config=ConsumerConfig(ack_policy=AckPolicy.NONE, deliver_policy=DeliverPolicy.ALL, inactive_threshold=60.0),
        )
        read, seen_seq = 0, 0
        carried: list[Incoming] = []
        while seen_seq < last:
            try:
                messages = await subscription.fetch(BATCH, timeout=2)
            except NatsTimeout:
                break
            items = [decode(m.data, m.subject, (m.headers or {}).get("Nats-Msg-Id"), writer.registry) for m in messages]
            seen_seq = max(seen_seq, *(m.metadata.sequence.stream for m in messages))
            carried = await _project_carrying(writer, items, carried)
            read += len(messages)
            if progress:
                progress(read, total)
        await subscription.unsubscribe()
        return read
    finally:
        await nc.close()


async def rebuild_from_feeds(writer: GraphWriter, progress: Progress | None = None) -> int:
    if writer.feeds is None:
        raise ValueError("no feeds configured")
    read = 0
    for source in SOURCES:
        if not writer.feeds.has(source):
            continue
        after = 0
        carried: list[Incoming] = []
        while True:
            page, next_after = await writer.feeds.page(source, after, BATCH)
            if not page:
                break
            items = [decode_feed_item(envelope, writer.registry) for envelope in page]
            carried = await _project_carrying(writer, items, carried)
            read += len(page)
            if progress:
                progress(read, None)
            if next_after <= after:
                break
            after = next_after
    return read


async def rebuild(
    writer: GraphWriter,
    *,
    origin: Literal["stream", "feeds"] = "stream",
    nats_url: NatsTarget = "",
    prefix: str = "planspor",
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Empty the graph, replay everything, return the checksum (with the number of events read)."""
    async with writer.lock:
        await empty_graph(writer.driver, writer.database)
        await ensure_constraints(writer.driver, writer.database)
    if origin == "stream":
        read = await rebuild_from_stream(writer, nats_url, prefix, progress)
    else:
        read = await rebuild_from_feeds(writer, progress)
    checksum = await graph_checksum(writer.driver, writer.database)
    return {**checksum, "events_read": read, "origin": origin}
