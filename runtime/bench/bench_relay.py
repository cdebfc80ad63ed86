"""Relay throughput on SQLite and PostgreSQL, against a raw JetStream publish of the same envelopes.

``python runtime/bench/bench_relay.py [--events N] [--nats-url URL] [--postgres]``

For each store: N events are committed first (not timed); a relay then publishes
all of them from the notification log, timed from start until everything is
acknowledged and recorded. The baseline, measured in the same run on the same
server, publishes the very same envelope bytes straight to JetStream in batches
of the same size with the same message ids (no store reads, no mapping, no
sealing, no recording): the ceiling a relay can approach. Printed: events/s of
each and the ratio relay / baseline.

Signing, in the same run: the same N events relayed by a relay that signs every
envelope and issues heads, against one that does not (both keep the Merkle log),
measured unsigned, signed, signed, unsigned (so a drift of the machine's load
cancels out); printed: events/s of each, their ratio and the cost of signing.
The target is a cost of at most 10%.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

from planspor_runtime.relay import Relay, RelayStore
from planspor_runtime.stream import stream_config
from planspor_shared.subjects import subject
from planspor_verify.note import Signer

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from datetime import UTC

from relay_app import SOURCE, make_application, map_event, postgres_env, sqlite_env


def fill(app, events: int) -> None:
    for start in range(0, events, 100):
        app.define_goals([f"goal {i}" for i in range(start, min(events, start + 100))])


async def time_relay(
    app, nats_url: str, prefix: str, batch_size: int, signer: Signer | None = None
) -> tuple[float, RelayStore]:
    store = RelayStore.for_application(app)
    relay = Relay(
        application=app,
        source=SOURCE,
        mapper=map_event,
        nats_url=nats_url,
        subject_prefix=prefix,
        store=store,
        batch_size=batch_size,
        signer=signer,
    )
    started = time.perf_counter()
    await relay.start()
    await relay.wait_caught_up(timeout=600)
    elapsed = time.perf_counter() - started
    await relay.stop()
    return elapsed, store


async def time_raw_publish(store: RelayStore, nats_url: str, prefix: str, batch_size: int) -> float:
    import nats

    rows = []
    while True:
        page = store.read(after=len(rows), limit=1000)
        if not page:
            break
        rows.extend(page)
    nc = await nats.connect(nats_url)
    js = nc.jetstream(publish_async_max_pending=max(4000, 2 * batch_size))
    await js.add_stream(stream_config(prefix))
    started = time.perf_counter()
    for offset in range(0, len(rows), batch_size):
        futures = [
            await js.publish_async(
                subject(SOURCE, row.event_type, prefix=prefix),
                row.canonical,
                headers={"Nats-Msg-Id": f"{SOURCE}:{row.position}"},
            )
            for row in rows[offset : offset + batch_size]
        ]
        await asyncio.gather(*futures)
    elapsed = time.perf_counter() - started
    await js.delete_stream(stream_config(prefix).name)
    await nc.close()
    return elapsed


async def cleanup(nats_url: str, prefix: str) -> None:
    import nats

    nc = await nats.connect(nats_url)
    await nc.jetstream().delete_stream(stream_config(prefix).name)
    await nc.close()


async def bench(kind: str, env: dict[str, str], events: int, nats_url: str, batch_size: int) -> None:
    app = make_application(env)
    fill(app, events)
    relay_prefix, raw_prefix = f"bench{uuid.uuid4().hex[:8]}", f"benchraw{uuid.uuid4().hex[:8]}"
    relay_seconds, store = await time_relay(app, nats_url, relay_prefix, batch_size)
    raw_seconds = await time_raw_publish(store, nats_url, raw_prefix, batch_size)
    await cleanup(nats_url, relay_prefix)
    app.close()
    relay_rate, raw_rate = events / relay_seconds, events / raw_seconds
    print(
        f"{kind:<10} relay {relay_rate:>9.0f} events/s   raw JetStream publish {raw_rate:>9.0f} events/s   "
        f"ratio {relay_rate / raw_rate:.2f}   ({events} events, batches of {batch_size})",
        flush=True,
    )


async def bench_signing(kind: str, make_env, events: int, nats_url: str, batch_size: int) -> None:
    signer = Signer.generate("planspor.bench/plan-registry")
    seconds: dict[bool, list[float]] = {False: [], True: []}
    for signed in (False, True, True, False):
        app = make_application(make_env())
        fill(app, events)
        prefix = f"benchsig{uuid.uuid4().hex[:8]}"
        elapsed, store = await time_relay(app, nats_url, prefix, batch_size, signer if signed else None)
        if signed:
            assert store.latest_head() is not None, "the signed relay issued no head"
        await cleanup(nats_url, prefix)
        app.close()
        seconds[signed].append(elapsed)
    signed_rate = events / (sum(seconds[True]) / 2)
    unsigned_rate = events / (sum(seconds[False]) / 2)
    print(
        f"{kind:<10} relay signed {signed_rate:>9.0f} events/s   unsigned {unsigned_rate:>9.0f} events/s   "
        f"ratio {signed_rate / unsigned_rate:.2f}   signing costs {100 * (1 - signed_rate / unsigned_rate):.0f}%   "
        f"({events} events, each measured twice: unsigned, signed, signed, unsigned)",
        flush=True,
    )


def bench_sealing(events: int, batch_size: int) -> None:
    """The CPU cost of signing alone: sealing the same notifications with and without a key (no I/O)."""
    from datetime import datetime

    from planspor_runtime.relay import Outgoing, RelayState, seal_batch
    from planspor_shared.envelope import derive_event_id
    from planspor_shared.events.plan_registry import GoalDefined

    when = datetime(2024, 6, 19, tzinfo=UTC)
    mapped = [
        (
            i,
            [
                Outgoing(
                    event_id=derive_event_id(f"g{i}", 1),
                    payload=GoalDefined(goal_id=f"g{i}", title=f"mål {i}"),
                    aggregate_id=f"g{i}",
                    aggregate_version=1,
                    occurred_at=when,
                    actor={"id": "bench", "name": "Bench", "role": "planner"},
                )
            ],
        )
        for i in range(1, events + 1)
    ]
    signer = Signer.generate("planspor.bench/plan-registry")
    timings = {}
    for label, key in (("unsigned", None), ("signed", signer)):
        started = time.perf_counter()
        for offset in range(0, events, batch_size):
            seal_batch(SOURCE, RelayState(), mapped[offset : offset + batch_size], key)
        timings[label] = (time.perf_counter() - started) / events * 1e6
    print(
        f"{'sealing':<10} signed {timings['signed']:>7.0f} us/event   unsigned {timings['unsigned']:>7.0f} us/event   "
        f"signing adds {timings['signed'] - timings['unsigned']:.0f} us/event (CPU only, {events} events)",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python runtime/bench/bench_relay.py", description=__doc__)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--nats-url", default=os.environ.get("NATS_URL", "nats://127.0.0.1:4222"))
    parser.add_argument("--postgres", action="store_true", help="also on PostgreSQL (POSTGRES_HOST, _PORT, ...)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(
            bench("SQLite", sqlite_env(os.path.join(tmp, "bench.sqlite")), args.events, args.nats_url, args.batch_size)
        )
        asyncio.run(
            bench_signing(
                "SQLite",
                lambda: sqlite_env(os.path.join(tmp, f"{uuid.uuid4().hex}.sqlite")),
                args.events,
                args.nats_url,
                args.batch_size,
            )
        )
    bench_sealing(args.events, args.batch_size)
    if args.postgres:
        dsn = {
            "host": os.environ.get("POSTGRES_HOST", "127.0.0.1"),
            "port": int(os.environ.get("POSTGRES_PORT", 5432)),
            "user": os.environ.get("POSTGRES_USER", "planspor"),
            "password": os.environ.get("POSTGRES_PASSWORD", "planspor-dev"),
            "dbname": os.environ.get("POSTGRES_DB", "planspor"),
        }
        asyncio.run(
            bench(
                "PostgreSQL",
                postgres_env(dsn, f"bench_{uuid.uuid4().hex[:8]}"),
                args.events,
                args.nats_url,
                args.batch_size,
            )
        )
        asyncio.run(
            bench_signing(
                "PostgreSQL",
                lambda: postgres_env(dsn, f"bench_{uuid.uuid4().hex[:8]}"),
                args.events,
                args.nats_url,
                args.batch_size,
            )
        )


if __name__ == "__main__":
    main()
