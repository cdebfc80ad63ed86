"""Rebuild: empty the graph and replay every event, from the stream, from the feeds (when the stream is
gone), or from a bundle of the whole record (``planspor export record``, checked before the graph is emptied).

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

from knowledge.errors import BundleRefused
from knowledge.graph.checksum import graph_checksum
from knowledge.graph.schema import empty_graph, ensure_constraints
from knowledge.pipeline.graph_writer import GraphWriter
from knowledge.pipeline.ordering import Incoming, decode, decode_feed_item
from planspor_runtime.bus import NatsAccess, NatsTarget
from planspor_shared.events import SOURCES
from planspor_shared.subjects import all_subjects, head_subject, stream_name
from planspor_verify.bundle import Bundle, BundleError, read_bundle
from planspor_verify.note import NoteError, VerifierKey
from planspor_verify.verifier import verify_bundle

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


def checked_bundle(data: Any) -> Bundle:
    """The bundle in ``data`` (a path or a file), if it is a record that holds together: every event in
    its place, hashed and signed, every head signed and recomputed, from the first key it lists on
    (``planspor_verify``, as an auditor checks it). ``BundleRefused`` (422) otherwise."""
    try:
        bundle = read_bundle(data)
    except BundleError as error:
        raise BundleRefused(f"not a bundle of the record: {error}") from None
    unknown = [r.source for r in bundle.sources if r.source not in SOURCES]
    if unknown:
        raise BundleRefused(f"the bundle holds sources this platform does not know: {', '.join(unknown)}")
    first_keys = []
    for record in bundle.sources:
        for entry in record.keys[:1]:
            try:
                first_keys.append(VerifierKey.parse(str(entry.get("vkey"))))
            except NoteError:
                continue
    report = verify_bundle(bundle, first_keys)
    if not report.ok:
        raise BundleRefused(f"the bundle does not hold together, so the graph was not touched: {report}")
    return bundle


def _size(note: str) -> int:
    return int(note.split("\n", 2)[1])  # the bundle was checked: every head parses


async def rebuild_from_bundle(
    writer: GraphWriter, bundle: Bundle, progress: Progress | None = None, prefix: str = "planspor"
) -> int:
    total = sum(len(record.lines) for record in bundle.sources)
    read = 0
    for record in bundle.sources:
        carried: list[Incoming] = []
        subject = head_subject(record.source, prefix=prefix)
        heads = sorted((_size(note), note) for note in record.checkpoints)
        for start in range(0, len(record.lines), BATCH):
            page = record.lines[start : start + BATCH]
            items = [decode(line, registry=writer.registry, via="bundle") for line in page]
            # the signed heads of these positions follow their events, as on the stream: the witness checks them
            last = len(record.lines) if start + BATCH >= len(record.lines) else start + len(page)
            items += [
                decode(note.encode("utf-8"), subject, registry=writer.registry, via="bundle")
                for size, note in heads
                if start < size <= last
            ]
            carried = await _project_carrying(writer, items, carried)
            read += len(page)
            if progress:
                progress(read, total)
    return read


async def rebuild(
    writer: GraphWriter,
    *,
    origin: Literal["stream", "feeds", "bundle"] = "stream",
    nats_url: NatsTarget = "",
    prefix: str = "planspor",
    progress: Progress | None = None,
    bundle: Bundle | None = None,
) -> dict[str, Any]:
    """Empty the graph, replay everything, return the checksum (with the number of events read)."""
    if origin == "bundle" and bundle is None:
        raise ValueError("a rebuild from a bundle needs the bundle (checked_bundle)")
    async with writer.lock:
        await empty_graph(writer.driver, writer.database)
        await ensure_constraints(writer.driver, writer.database)
    if origin == "stream":
        read = await rebuild_from_stream(writer, nats_url, prefix, progress)
    elif bundle is not None:
        read = await rebuild_from_bundle(writer, bundle, progress, prefix)
    else:
        read = await rebuild_from_feeds(writer, progress)
    checksum = await graph_checksum(writer.driver, writer.database)
    return {**checksum, "events_read": read, "origin": origin}
