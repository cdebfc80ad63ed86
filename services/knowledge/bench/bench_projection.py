"""Projection benchmark: ratios measured side by side in one run (design.md, "Quality bars").

``python services/knowledge/bench/bench_projection.py [--rounds N] [--per-event-seconds S] [--rate R] [--seconds D]``

Needs a NATS and a Neo4j it may EMPTY: ``NATS_URL`` and ``NEO4J_URI`` (loopback), and
``--may-empty-graph`` to say so (`make bench` starts a stack of its own under var/bench).

1. End-to-end: the events are published to a fresh stream as the relays publish them
   (subject per type, ``Nats-Msg-Id``); the projector (batches of ``--batch-size``) is
   timed from its start until both checkpoints reach the ends, after one untimed pass of the same events
   (signatures unchecked; its rate is printed as the first pass): Neo4j's JIT and plans are warm, as in a
   running service. (With a warm-up of 20 rounds only, the timed run gave 176 events/s on 2026-12-07 and the
   same run repeated at once 400 to 540.)
2. Ceiling: the very nodes and relationships the projector wrote are read back, the graph
   emptied, and they are written raw (``UNWIND ... CREATE`` per label and type; 1000, 5000 and 20000 rows a
   transaction tried, the fastest is the ceiling): no ordering, no MERGE, no checks. The checksum must come out identical
   (the same facts). Both sides run with their statements planned already (a warm-up).
3. Without verification: the same end-to-end run with the signature checks left out (a writer of
   this benchmark only; the service has no such switch), to show what checking every signature
   costs on the hot path. The memo of checked signatures is emptied before the verified run (the warm-up
   pass checks none), so none is checked from it.
4. The usual approach: the same projector with one transaction per event (batch size 1),
   on a fresh graph, bounded by ``--per-event-seconds``; its rate is positions applied / time.
5. Freshness: events published at a steady ``--rate`` for ``--seconds`` while the projector
   runs (the service's fetch timeout, 0.1 s: this run used 1 s until 2026-12-07, and a pull at a trickle
   waits out its timeout, so every event waited up to a second more; publishing starts once it is
   subscribed); per event, publish acknowledged -> its checkpoint (same transaction as its facts) seen
   by a reader polling every 5 ms. Printed: p50, p95, p99, max.
Printed too: where the batched run's time goes per phase (decode and validate, ordering, checks,
statement building, Neo4j, checkpoint, commit, ack), and each target of issue 16 as a ratio.
The events are a synthetic municipal story (every event type of the catalogue) repeated
``--rounds`` times with fresh ids.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import nats
import neo4j

from knowledge.graph.checksum import graph_checksum
from knowledge.graph.schema import empty_graph, ensure_constraints
from knowledge.pipeline.graph_writer import PHASES, BatchResult, GraphWriter
from knowledge.pipeline.ordering import Incoming
from knowledge.pipeline.projector import Projector
from knowledge.pipeline.signatures import KeyChain
from knowledge.settings import Settings
from planspor_runtime.bus import without_credentials
from planspor_runtime.stream import stream_config
from planspor_shared.envelope import Envelope
from planspor_shared.subjects import stream_name, subject
from planspor_verify.note import ed25519_verify

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from kn_story import STORY_KEYS, interleaved, story


def synthetic_story(rounds: int) -> list[Envelope]:
    """``rounds`` planning cycles of both sources (tests/kn_story.py), fresh ids, interleaved in time order."""
    return interleaved(*story(rounds))


ROUND = len(synthetic_story(1))
"""Events in one round of the story."""


def ends_of(envelopes: list[Envelope]) -> dict[str, int]:
    ends: dict[str, int] = defaultdict(int)
    for e in envelopes:
        ends[e.source] = max(ends[e.source], e.position)
    return dict(ends)


async def publish(js, prefix: str, envelopes: list[Envelope]) -> None:
    for offset in range(0, len(envelopes), 500):
        futures = [
            await js.publish_async(
                subject(e.source, e.event_type, prefix=prefix), e.to_canonical(), headers={"Nats-Msg-Id": e.nats_msg_id}
            )
            for e in envelopes[offset : offset + 500]
        ]
        await asyncio.gather(*futures)


async def positions(driver: neo4j.AsyncDriver) -> dict[str, int]:
    records, _, _ = await driver.execute_query("MATCH (c:Checkpoint) RETURN c.source AS s, c.position AS p")
    return {r["s"]: r["p"] for r in records}


async def fresh_graph(driver: neo4j.AsyncDriver) -> None:
    await empty_graph(driver)
    await ensure_constraints(driver)


class UnverifiedWriter(GraphWriter):
    """The graph writer with the signature checks left out: the benchmark's baseline, nothing else's."""

    def problem(self, item: Incoming, chain: KeyChain) -> str | None:
        return self.reason_to_set_aside(item)

    def check_ahead(self, items: Sequence[Incoming]) -> None:
        return None


async def run_projector(
    driver,
    nats_url: str,
    prefix: str,
    durable: str,
    batch_size: int,
    ends: dict[str, int],
    limit_seconds: float,
    writer: type[GraphWriter] = GraphWriter,
    split: Split | None = None,
) -> tuple[float, int]:
    """Seconds until the checkpoints reach ``ends`` (or the limit), and the positions applied by then."""
    projector = Projector(
        writer(driver, keys=STORY_KEYS),
        nats_url,
        prefix,
        durable,
        batch_size=batch_size,
        fetch_timeout=0.2,
        nak_delay=0.2,
    )
    if split is not None:
        projector.observers.append(split.observe)
    started = time.perf_counter()
    task = asyncio.create_task(projector.run())
    try:
        while True:
            current = await positions(driver)
            elapsed = time.perf_counter() - started
            if all(current.get(s, 0) >= p for s, p in ends.items()) or elapsed > limit_seconds:
                return elapsed, sum(current.values())
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
    finally:
        projector.stop()
        await asyncio.wait_for(task, 30)


class Split:
    """Where the batches' time went: seconds per phase (the graph writer's and the projector's), summed."""

    PHASES = ("decode", *PHASES, "ack")

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.batches = 0
        self.messages = 0
        self.statements = 0

    def observe(self, result: BatchResult | None, size: int, seconds: float) -> None:
        if result is None:
            return
        self.batches += 1
        self.messages += size
        self.statements += result.statements
        for phase, value in result.seconds.items():
            self.seconds[phase] += value

    def lines(self, wall: float) -> list[str]:
        total = sum(self.seconds.values())
        out = [
            f"  where the batched projector's time goes ({self.batches} batches, {self.messages} messages, "
            f"{self.statements / max(1, self.batches):.1f} statements a batch; phases sum to {total:.1f} s "
            f"of {wall:.1f} s wall: the decode of the next batch overlaps the write):"
        ]
        for phase in self.PHASES:
            value = self.seconds.get(phase, 0.0)
            out.append(
                f"    {phase:<11} {value:>7.2f} s  {1000 * value / max(1, self.batches):>7.1f} ms/batch  "
                f"{1e6 * value / max(1, self.messages):>7.0f} us/event  {100 * value / max(total, 1e-9):>5.1f}%"
            )
        return out


NODES = "MATCH (n) WHERE NOT n:DeadLetter RETURN labels(n) AS labels, properties(n) AS props"
RELS = (
    "MATCH (a)-[r]->(b) RETURN labels(a)[0] AS a_label, coalesce(a.id, a.source) AS a_key, type(r) AS type, "
    "properties(r) AS props, labels(b)[0] AS b_label, coalesce(b.id, b.source) AS b_key"
)


RAW_CHUNKS = (1000, 5000, 20000)
"""Rows a transaction in the raw write: each is tried after a warm-up pass, the fastest is the ceiling."""


async def raw_write(driver: neo4j.AsyncDriver) -> tuple[float, int, dict[int, float]]:
    """Read the graph back, empty it, write the same nodes and relationships raw.

    A warm-up pass plans the statements (the projector's are planned in its warm-up), then each
    chunk size of ``RAW_CHUNKS`` writes the whole graph into an empty one. Returns the seconds of the
    fastest, its chunk size, and the seconds of each.
    """
    nodes, _, _ = await driver.execute_query(NODES)
    rels, _, _ = await driver.execute_query(RELS)
    by_labels: dict[tuple[str, ...], list[dict]] = defaultdict(list)
    for r in nodes:
        by_labels[tuple(sorted(r["labels"]))].append(dict(r["props"]))
    by_type: dict[tuple[str, str, str], list[dict]] = defaultdict(list)
    for r in rels:
        by_type[(r["a_label"], r["type"], r["b_label"])].append(
            {"a": r["a_key"], "b": r["b_key"], "props": dict(r["props"])}
        )
    await fresh_graph(driver)
    await _write_raw(driver, by_labels, by_type, RAW_CHUNKS[0])  # warm-up: plans and JIT
    tried: dict[int, float] = {}
    for chunk in RAW_CHUNKS:
        await fresh_graph(driver)
        started = time.perf_counter()
        await _write_raw(driver, by_labels, by_type, chunk)
        tried[chunk] = time.perf_counter() - started
    best = min(tried, key=lambda c: tried[c])
    return tried[best], best, tried


async def _write_raw(driver, by_labels, by_type, chunk: int) -> None:
    async with driver.session() as session:
        for labels, rows in by_labels.items():
            label_text = ":".join(f"`{label}`" for label in labels)
            for offset in range(0, len(rows), chunk):
                await session.execute_write(
                    _run, f"UNWIND $rows AS row CREATE (n:{label_text}) SET n = row", rows=rows[offset : offset + chunk]
                )
        for (a_label, type_, b_label), rows in by_type.items():
            a_key = "source" if a_label == "Checkpoint" else "id"
            b_key = "source" if b_label == "Checkpoint" else "id"
            query = (
                f"UNWIND $rows AS row MATCH (a:`{a_label}` {{{a_key}: row.a}}) MATCH (b:`{b_label}` {{{b_key}: row.b}}) "
                f"CREATE (a)-[r:`{type_}`]->(b) SET r = row.props"
            )
            for offset in range(0, len(rows), chunk):
                await session.execute_write(_run, query, rows=rows[offset : offset + chunk])


async def _run(tx, query: str, **params) -> None:
    await (await tx.run(query, **params)).consume()


async def freshness(
    driver,
    js,
    nats_url: str,
    prefix: str,
    envelopes: list[Envelope],
    rate: float,
    batch_size: int,
    durable: str = "bench-fresh",
) -> list[float]:
    """Latency (s) from each publish acknowledged to its checkpoint seen, at a steady publish rate, by a
    projector on consumer ``durable`` (bench_scale.py passes the one that projected the graph so far)."""
    projector = Projector(
        GraphWriter(driver, keys=STORY_KEYS),
        nats_url,
        prefix,
        durable,
        batch_size=batch_size,
        fetch_timeout=Settings.model_fields["knowledge_fetch_timeout"].default,  # the service's (it was 1 s here)
        nak_delay=0.2,
    )
    task = asyncio.create_task(projector.run())
    published: dict[tuple[str, int], float] = {}
    seen: dict[tuple[str, int], float] = {}
    ends = ends_of(envelopes)
    stop = asyncio.Event()

    async def watch() -> None:
        last = await positions(driver)  # what the graph held before (bench_scale.py: every size so far)
        while not stop.is_set():
            current = await positions(driver)
            now = time.perf_counter()
            for source, position in current.items():
                for p in range(last.get(source, 0) + 1, position + 1):
                    seen[(source, p)] = now
                last[source] = max(last.get(source, 0), position)
            if all(last.get(s, 0) >= p for s, p in ends.items()):
                return
            await asyncio.sleep(0.005)

    watcher = asyncio.create_task(watch())
    # the consumer is subscribed (after its warm-up: its 56 samples take a second or more when planned) and idle
    deadline = time.monotonic() + 300
    while await projector.pending() is None:
        if task.done() or time.monotonic() > deadline:
            task.result()
            raise SystemExit("freshness: the projector did not subscribe within 300 s")
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.5)
    start = time.perf_counter()
    for i, e in enumerate(envelopes):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        await js.publish(
            subject(e.source, e.event_type, prefix=prefix), e.to_canonical(), headers={"Nats-Msg-Id": e.nats_msg_id}
        )
        published[(e.source, e.position)] = time.perf_counter()
    try:
        await asyncio.wait_for(watcher, 120)
    finally:
        stop.set()
        projector.stop()
        await asyncio.wait_for(task, 30)
    return [seen[k] - t for k, t in published.items() if k in seen]


async def bench(args) -> None:
    driver = neo4j.AsyncGraphDatabase.driver(args.neo4j_uri, auth=(args.neo4j_user, args.neo4j_password))
    nc = await nats.connect(args.nats_url)
    js = nc.jetstream(publish_async_max_pending=4000)
    run = uuid.uuid4().hex[:8]
    prefixes = []
    try:
        envelopes = synthetic_story(args.rounds)
        ends = ends_of(envelopes)
        n = len(envelopes)
        print(
            f"knowledge projection benchmark: {n} events ({args.rounds} rounds of a synthetic story), "
            f"batches of {args.batch_size}, Neo4j {args.neo4j_uri}, NATS {without_credentials(args.nats_url)}",
            flush=True,
        )
        prefix = f"benchkn{run}"
        prefixes.append(prefix)
        await js.add_stream(stream_config(prefix))
        await publish(js, prefix, envelopes)

        # warm-up: one whole untimed pass plans the statements and warms Neo4j's JIT (a running service has
        # both; the raw write gets a warm-up pass too). Unverified, so the timed run below finds no signature
        # in the memo of checked ones.
        await fresh_graph(driver)
        cold_seconds, cold_applied = await run_projector(
            driver, args.nats_url, prefix, "bench-warm-up", args.batch_size, ends, 600, UnverifiedWriter
        )
        if cold_applied != n:
            raise SystemExit(f"the warm-up pass applied {cold_applied} of {n} events")
        ed25519_verify.cache_clear()

        await fresh_graph(driver)
        split = Split()
        seconds, applied = await run_projector(
            driver, args.nats_url, prefix, "bench-batched", args.batch_size, ends, limit_seconds=600, split=split
        )
        if applied != n:
            raise SystemExit(f"the batched projector applied {applied} of {n} events in {seconds:.0f} s")
        batched_rate = n / seconds
        projected = await graph_checksum(driver)

        await fresh_graph(driver)
        unverified_seconds, unverified_applied = await run_projector(
            driver, args.nats_url, prefix, "bench-unverified", args.batch_size, ends, 600, UnverifiedWriter
        )
        if unverified_applied != n:
            raise SystemExit(f"the unverified projector applied {unverified_applied} of {n} events")
        unverified_rate = n / unverified_seconds

        raw_seconds, raw_chunk, raw_tried = await raw_write(driver)
        raw_rate = n / raw_seconds
        rewritten = await graph_checksum(driver)
        same = "identical checksum" if rewritten["checksum"] == projected["checksum"] else "CHECKSUM DIFFERS"

        await fresh_graph(driver)
        per_event_seconds, per_event_applied = await run_projector(
            driver, args.nats_url, prefix, "bench-per-event", 1, ends, limit_seconds=args.per_event_seconds
        )
        per_event_rate = per_event_applied / per_event_seconds

        print(
            f"  projector, batched (end to end)   {batched_rate:>8.0f} events/s  ({n} in {seconds:.1f} s, "
            f"{projected['nodes']} nodes, {projected['relationships']} relationships)"
        )
        print(f"  projector, signatures unchecked   {unverified_rate:>8.0f} events/s  ({unverified_seconds:.1f} s)")
        print(
            f"  projector, first pass (untimed)   {n / cold_seconds:>8.0f} events/s  ({cold_seconds:.1f} s: the warm-up "
            "pass, signatures unchecked; on a freshly started Neo4j, its JIT cold, and it plans every statement)"
        )
        items = projected["nodes"] + projected["relationships"]
        print(
            f"  raw batched write, same facts     {raw_rate:>8.0f} events/s  ({raw_seconds:.1f} s, "
            f"{items / raw_seconds:.0f} nodes+relationships/s, {raw_chunk} rows a transaction; {same})"
        )
        print(
            "    (the ceiling: UNWIND ... CREATE per label and type, after a warm-up pass; rows a transaction tried: "
            + ", ".join(f"{c}: {n / t:.0f} events/s" for c, t in raw_tried.items())
            + ")"
        )
        print(
            f"  projector, 1 transaction/event    {per_event_rate:>8.0f} events/s  "
            f"({per_event_applied} in {per_event_seconds:.1f} s)"
        )
        print(f"  ratio batched / raw ceiling        {batched_rate / raw_rate:>8.2f}  (target >= 0.6)")
        print(f"  ratio batched / 1 tx per event     {batched_rate / per_event_rate:>8.1f}  (target >= 20)")
        check_us = signature_check_microseconds(envelopes)
        print(f"  ratio verified / unverified        {batched_rate / unverified_rate:>8.2f}")
        print(
            f"  one signature check               {check_us:>8.0f} us/event  "
            f"({100 * check_us / (1e6 / batched_rate):.1f}% of an event's time in the batched projector)",
            flush=True,
        )
        for line in split.lines(seconds):
            print(line)

        fresh_prefix = f"benchknf{run}"
        prefixes.append(fresh_prefix)
        await js.add_stream(stream_config(fresh_prefix))
        await fresh_graph(driver)
        live = synthetic_story(max(1, int(args.rate * args.seconds) // ROUND + 1))[: int(args.rate * args.seconds)]
        latencies = sorted(await freshness(driver, js, args.nats_url, fresh_prefix, live, args.rate, args.batch_size))
        if not latencies:
            raise SystemExit("freshness: no event became visible")

        def p(q: float) -> float:
            return latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000

        print(
            f"  freshness at {args.rate:.0f} events/s for {args.seconds:.0f} s ({len(latencies)} of {len(live)} events "
            f"seen): publish -> queryable p50 {p(0.5):.0f} ms, p95 {p(0.95):.0f} ms, p99 {p(0.99):.0f} ms, "
            f"max {latencies[-1] * 1000:.0f} ms (mean {statistics.mean(latencies) * 1000:.0f} ms)",
            flush=True,
        )
        print(f"  ratio freshness p99 / 100 ms       {p(0.99) / 100:>8.2f}  (target < 1, at 200 events/s steady)")
    finally:
        for prefix in prefixes:
            try:
                await js.delete_stream(stream_name(prefix))
            except Exception:  # noqa: BLE001 - a stream already gone is fine
                pass
        await nc.close()
        await driver.close()


def signature_check_microseconds(envelopes: list[Envelope]) -> float:
    """CPU time of checking one envelope's signature, as the projector does, without the memo of checked ones."""
    chains = {source: KeyChain(source, STORY_KEYS.of(source)) for source in ends_of(envelopes)}
    ed25519_verify.cache_clear()
    started = time.process_time()
    problems = [chains[e.source].signature_problem(e) for e in envelopes]
    seconds = time.process_time() - started
    if any(problems):
        raise SystemExit(f"a signature of the story does not verify: {next(p for p in problems if p)}")
    return seconds / len(envelopes) * 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="bench_projection.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=100, help=f"story rounds ({ROUND} events each)")
    parser.add_argument("--batch-size", type=int, default=200)
    parser.add_argument(
        "--per-event-seconds", type=float, default=20.0, help="time bound of the one-transaction-per-event run"
    )
    parser.add_argument("--rate", type=float, default=200.0, help="events/s published in the freshness run")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the freshness run")
    parser.add_argument("--nats-url", default=os.environ.get("NATS_URL"))
    parser.add_argument("--neo4j-uri", default=os.environ.get("NEO4J_URI"))
    parser.add_argument("--neo4j-user", default=os.environ.get("NEO4J_USER", "neo4j"))
    parser.add_argument(
        "--neo4j-password",
        default=os.environ.get("NEO4J_PASSWORD"),
        help="default NEO4J_PASSWORD; `make bench` takes it from its stack's settings",
    )
    parser.add_argument(
        "--may-empty-graph", action="store_true", help="required: the benchmark empties the Neo4j graph it is given"
    )
    args = parser.parse_args(argv)
    if not args.nats_url or not args.neo4j_uri:
        parser.error("set NATS_URL and NEO4J_URI (or --nats-url, --neo4j-uri); `make bench` starts its own stack")
    if not args.neo4j_password:
        parser.error("set NEO4J_PASSWORD (or --neo4j-password); `make bench` takes it from its stack's settings")
    if not args.may_empty_graph:
        parser.error(f"the benchmark empties the graph at {args.neo4j_uri}: pass --may-empty-graph if that is fine")
    for url in (args.nats_url, args.neo4j_uri):
        host = url.split("://", 1)[-1].split("/", 1)[0].rsplit("@", 1)[-1].rsplit(":", 1)[0]  # no credentials
        if host not in ("127.0.0.1", "localhost", "[::1]"):
            parser.error(f"loopback only: {host}")
    import logging

    logging.getLogger("neo4j").setLevel(logging.ERROR)
    asyncio.run(bench(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
