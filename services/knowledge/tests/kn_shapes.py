"""Writes knowledge's ``shapes.json`` (``knowledge.graph.warmup``): a sample event of every statement shape known.

Run it after a handler changed: ``python services/knowledge/tests/kn_shapes.py`` keeps the shapes the file
holds and adds those of the tests' story. With ``--stream`` it also reads every event of a running
platform's stream (the Bærum scenario of a ``make run``: its events take paths the story does not), e.g.
``--stream "$(.venv/bin/python -m planspor_stack nats-url)"``; ``--fresh`` starts from nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Iterable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import nats
from kn_story import interleaved, story
from nats.js.api import DeliverPolicy

from knowledge.graph.batch import EventToWrite, compile_event
from knowledge.graph.warmup import SHAPES_FILE, Sample, known_samples, samples_document
from knowledge.pipeline.ordering import Incoming, decode
from planspor_shared.subjects import DEFAULT_PREFIX, all_subjects, stream_name


def samples_of(items: Iterable[Incoming]) -> list[Sample]:
    """The first event of each shape, compiled."""
    samples: dict[tuple[str, ...], Sample] = {}
    for item in items:
        if item.envelope is None or item.reason is not None:
            continue
        compiled = compile_event(EventToWrite(item.envelope, item.payload))
        samples.setdefault(compiled.shape, Sample(compiled.shape, compiled.row))
    return list(samples.values())


def story_samples(rounds: int = 1) -> list[Sample]:
    return samples_of(decode(e.to_canonical(), msg_id=e.nats_msg_id) for e in interleaved(*story(rounds)))


async def stream_samples(url: str, prefix: str) -> list[Sample]:
    """Every event of the stream, read with an ordered consumer (nothing acknowledged, nothing left behind)."""
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        total = (await js.stream_info(stream_name(prefix))).state.messages
        subscription = await js.subscribe(all_subjects(prefix), ordered_consumer=True, deliver_policy=DeliverPolicy.ALL)
        items = []
        for _ in range(total):
            message = await subscription.next_msg(timeout=10)
            items.append(decode(message.data, message.subject, (message.headers or {}).get("Nats-Msg-Id")))
        await subscription.unsubscribe()
        return samples_of(items)
    finally:
        await nc.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stream", metavar="NATS_URL", help="also every event of this NATS's stream")
    parser.add_argument("--prefix", default=DEFAULT_PREFIX, help="the stream's subject prefix")
    parser.add_argument("--fresh", action="store_true", help="forget the shapes the file holds")
    args = parser.parse_args()
    samples = [] if args.fresh or not SHAPES_FILE.exists() else list(known_samples())
    samples += story_samples()
    if args.stream:
        samples += asyncio.run(stream_samples(args.stream, args.prefix))
    document = samples_document(samples)
    SHAPES_FILE.write_text(json.dumps(document, ensure_ascii=False, sort_keys=True, indent=0) + "\n", encoding="utf-8")
    print(f"{SHAPES_FILE}: {len(document['shapes'])} shapes, {len(document['fragments'])} fragments")


if __name__ == "__main__":
    main()
