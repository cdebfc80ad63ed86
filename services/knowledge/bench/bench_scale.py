"""Scale curves: the cost of projection and of the queries as the history grows (issue #16).

``python services/knowledge/bench/bench_scale.py --sizes 10000,100000 --may-empty-graph``

Needs a NATS and a Neo4j it may EMPTY: ``NATS_URL``, ``NEO4J_URI``, ``NEO4J_PASSWORD`` (loopback), as
``make bench`` (10k, 100k) and ``make bench-large`` (1M) give them. The synthetic story of
bench_projection.py (tests/kn_story.py, every event type, fresh ids per round) is generated once for the
largest size and grown into one stream and one graph, size by size, after an untimed pass of its first
4,400 events on a stream of their own and an emptied graph (Neo4j's plans and JIT warm, as in a running
service). Per size it prints:

- projection rate: the events added since the last size, published first, then the real Projector
  (GraphWriter, batches of ``--batch-size``) timed from its start until both checkpoints reach the ends;
- freshness: ``--fresh`` more events published at ``--rate``/s while the projector runs (bench_projection.py's
  measure: the service's fetch timeout, publishing once the projector has subscribed); per event, publish
  acknowledged -> its checkpoint seen (p50, p95);
- p50/p95 of ``--calls`` calls of each query (the knowledge service's query functions, as its API calls
  them, the lists their first page of the default size): trace back from a decision, trace forward from an
  input, plans outside strategy, overdue for revision, compliance of a strategy, plans over time;
- resident memory (VmRSS) of NATS and Neo4j (from the stack's pid files, ``--run-dir``) and of this process.

Targets, printed and not asserted: query p95 < 50 ms at 1M events; the rate at the largest size within 20%
of the rate at the smallest. The timings are of one shared machine: read them as a curve, not as a verdict.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import nats
import neo4j

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_projection import (
    ROUND,
    UnverifiedWriter,
    ends_of,
    fresh_graph,
    freshness,
    publish,
    run_projector,
    synthetic_story,
)

from knowledge.graph import queries
from knowledge.graph.checksum import graph_counts
from knowledge.graph.queries.reads import existed, fact
from knowledge.graph.queries.times import resolve_frame
from planspor_runtime.bus import without_credentials
from planspor_runtime.paging import DEFAULT_LIMIT
from planspor_runtime.stream import stream_config
from planspor_shared.envelope import Envelope
from planspor_shared.subjects import stream_name

DURABLE = "bench-scale"

WARM_UP_EVENTS = 4_400
"""Events of the untimed pass before the first size (on a stream of their own, the graph emptied after it)."""


async def warm_up(
    driver: neo4j.AsyncDriver, js: Any, nats_url: str, prefix: str, envelopes: list[Envelope], batch_size: int
) -> float:
    """One untimed pass of the story's first events, then an empty graph: the first size meets Neo4j with its
    plans made and its JIT warm, as a running service's projector does (bench_projection.py does the same;
    without it the smallest size ran cold and the ratio of the largest to it was flattered)."""
    await js.add_stream(stream_config(prefix))
    try:
        await publish(js, prefix, envelopes)
        seconds, applied = await run_projector(
            driver, nats_url, prefix, f"{DURABLE}-warm-up", batch_size, ends_of(envelopes), 600, UnverifiedWriter
        )
        if applied < len(envelopes):
            raise SystemExit(f"the warm-up pass applied {applied} of {len(envelopes)} events in {seconds:.0f} s")
    finally:
        await js.delete_stream(stream_name(prefix))
    await fresh_graph(driver)
    return seconds


def rss_mb(pid: int) -> float | None:
    """Resident memory of a process in MB (VmRSS in /proc), or None when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def stack_pids(run_dir: Path | None) -> dict[str, int]:
    pids: dict[str, int] = {}
    if run_dir is not None:
        for pid_file in sorted(run_dir.glob("*.pid")):
            try:
                pids[pid_file.stem] = int(pid_file.read_text().strip())
            except (OSError, ValueError):
                continue
    pids["bench (python)"] = os.getpid()
    return pids


def memory_line(run_dir: Path | None) -> str:
    parts, total = [], 0.0
    for name, pid in stack_pids(run_dir).items():
        mb = rss_mb(pid)
        if mb is not None:
            parts.append(f"{name} {mb:.0f}")
            total += mb
    return f"{total:.0f} MB resident ({', '.join(parts)})"


def progress(text: str) -> None:
    print(f"  ... {text}", file=sys.stderr, flush=True)


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


async def one_id(driver: neo4j.AsyncDriver, label: str) -> str:
    """An id of the label from the middle of the history (the queries' start points): a node that is a fact
    as of today (at 1M events the middle Input by id was one the story dates after today, and the trace
    forward from it answered 404)."""
    at = resolve_frame(None, None)
    records, _, _ = await driver.execute_query(
        f"MATCH (n:{label}) WHERE {fact('n')} AND {existed('n')} RETURN n.id AS id ORDER BY n.id", **at.params
    )
    if not records:
        raise SystemExit(f"no {label} in the graph")
    return str(records[len(records) // 2]["id"])


async def query_timings(driver: neo4j.AsyncDriver, calls: int) -> list[tuple[str, float, float]]:
    decision_id, input_id, strategy_id = [await one_id(driver, label) for label in ("Decision", "Input", "Strategy")]
    cases: list[tuple[str, Callable[[], Awaitable[Any]]]] = [
        ("trace back from a decision", lambda: queries.trace_back(driver, "decision", decision_id)),
        ("trace forward from an input", lambda: queries.trace_forward(driver, input_id)),
        ("plans outside strategy", lambda: queries.plans_outside_strategy(driver, limit=DEFAULT_LIMIT)),
        ("plans overdue for revision", lambda: queries.plans_overdue_for_revision(driver, limit=DEFAULT_LIMIT)),
        ("compliance of a strategy", lambda: queries.compliance_report(driver, strategy_id)),
        ("plans over time (years)", lambda: queries.plans_over_time(driver)),
    ]
    results = []
    for name, call in cases:
        await call()  # planned once, as in a running service
        samples = []
        for _ in range(calls):
            started = time.perf_counter()
            await call()
            samples.append(time.perf_counter() - started)
        p50, p95 = percentiles(samples)
        results.append((name, p50, p95))
    return results


async def bench(args: argparse.Namespace) -> None:
    sizes = sorted(args.sizes)
    rounds = -(-(sizes[-1] + args.fresh * len(sizes)) // ROUND)
    started = time.perf_counter()
    envelopes = synthetic_story(rounds)
    print(
        f"knowledge scale benchmark: sizes {', '.join(f'{s:,}' for s in sizes)} events ({rounds} rounds of "
        f"{ROUND}, generated and signed in {time.perf_counter() - started:.0f} s), batches of {args.batch_size}, "
        f"{args.calls} calls per query, Neo4j {args.neo4j_uri}, NATS {without_credentials(args.nats_url)}",
        flush=True,
    )
    driver = neo4j.AsyncGraphDatabase.driver(args.neo4j_uri, auth=(args.neo4j_user, args.neo4j_password))
    nc = await nats.connect(args.nats_url)
    js = nc.jetstream(publish_async_max_pending=4000)
    prefix = f"benchscale{uuid.uuid4().hex[:8]}"
    await js.add_stream(stream_config(prefix))
    rates: list[float] = []
    p95s: list[float] = []
    try:
        await fresh_graph(driver)
        progress("warm-up pass (untimed)")
        warm = envelopes[: min(sizes[0], WARM_UP_EVENTS)]
        warm_seconds = await warm_up(driver, js, args.nats_url, f"{prefix}warm", warm, args.batch_size)
        print(f"  warm-up: {len(warm):,} events projected untimed in {warm_seconds:.1f} s, then the graph emptied")
        done = 0
        for size in sizes:
            target = max(size, done)
            progress(f"publishing events {done:,}..{target:,}")
            t0 = time.perf_counter()
            await publish(js, prefix, envelopes[done:target])
            publish_seconds = time.perf_counter() - t0
            progress("projecting")
            seconds, applied = await run_projector(
                driver, args.nats_url, prefix, DURABLE, args.batch_size, ends_of(envelopes[:target]), args.limit
            )
            if applied < target:
                raise SystemExit(f"the projector applied {applied} of {target} events in {seconds:.0f} s")
            added = target - done
            rate = added / seconds
            rates.append(rate)
            progress("freshness")
            fresh = await freshness(
                driver,
                js,
                args.nats_url,
                prefix,
                envelopes[target : target + args.fresh],
                args.rate,
                args.batch_size,
                DURABLE,
            )
            done = target + args.fresh
            f50, f95 = percentiles(fresh)
            counts = await graph_counts(driver)
            print(
                f"\n{done:,} events ({counts['nodes']:,} nodes, {counts['relationships']:,} relationships)\n"
                f"  projection rate            {rate:>8.0f} events/s  ({added:,} added in "
                f"{seconds:.1f} s; publishing them took {publish_seconds:.1f} s)\n"
                f"  freshness ({args.fresh} at {args.rate:.0f}/s)   p50 {f50 * 1000:>6.0f} ms   p95 {f95 * 1000:>6.0f} ms",
                flush=True,
            )
            for name, p50, p95 in await query_timings(driver, args.calls):
                p95s.append(p95)
                print(f"  {name:<28} p50 {p50 * 1000:>6.1f} ms   p95 {p95 * 1000:>6.1f} ms", flush=True)
            print(f"  memory: {memory_line(args.run_dir)}", flush=True)
        worst = max(p95s[-6:])
        print(
            f"\ntargets (printed, not asserted): query p95 at {done:,} events: worst {worst * 1000:.1f} ms "
            f"(target < 50 ms at 1M); projection rate at the largest size {rates[-1] / rates[0]:.2f}x the rate "
            f"at the smallest (target >= 0.80)",
            flush=True,
        )
    finally:
        await js.delete_stream(stream_name(prefix))
        await nc.close()
        await driver.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="bench_scale.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",")], default=[10_000, 100_000])
    parser.add_argument("--batch-size", type=int, default=200)
    parser.add_argument("--calls", type=int, default=30, help="calls per query (p50, p95)")
    parser.add_argument("--fresh", type=int, default=300, help="events of the freshness run per size")
    parser.add_argument("--rate", type=float, default=100.0, help="events/s published in the freshness run")
    parser.add_argument("--limit", type=float, default=3600.0, help="seconds the projector may take per size")
    parser.add_argument("--run-dir", type=Path, default=None, help="the stack's pid files (memory of NATS, Neo4j)")
    parser.add_argument("--nats-url", default=os.environ.get("NATS_URL"))
    parser.add_argument("--neo4j-uri", default=os.environ.get("NEO4J_URI"))
    parser.add_argument("--neo4j-user", default=os.environ.get("NEO4J_USER", "neo4j"))
    parser.add_argument("--neo4j-password", default=os.environ.get("NEO4J_PASSWORD"))
    parser.add_argument("--may-empty-graph", action="store_true", help="required: the graph given is emptied")
    args = parser.parse_args(argv)
    if not args.nats_url or not args.neo4j_uri or not args.neo4j_password:
        parser.error("set NATS_URL, NEO4J_URI and NEO4J_PASSWORD; `make bench` starts its own stack")
    if not args.may_empty_graph:
        parser.error(f"the benchmark empties the graph at {args.neo4j_uri}: pass --may-empty-graph if that is fine")
    for url in (args.nats_url, args.neo4j_uri):
        host = url.split("://", 1)[-1].split("/", 1)[0].rsplit("@", 1)[-1].rsplit(":", 1)[0]
        if host not in ("127.0.0.1", "localhost", "[::1]"):
            parser.error(f"loopback only: {host}")
    logging.getLogger("neo4j").setLevel(logging.ERROR)
    asyncio.run(bench(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
