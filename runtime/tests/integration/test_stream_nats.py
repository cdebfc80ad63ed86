"""The stream definition against a real NATS: the broker accepts it and deduplicates on Nats-Msg-Id."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import nats
import pytest
from nats.js.api import DiscardPolicy, StorageType

from planspor_runtime.stream import stream_config
from planspor_shared.canonical import GENESIS_HASH, verify_chain
from planspor_shared.envelope import Envelope, derive_event_id
from planspor_shared.events.plan_registry import PlanAnchored
from planspor_shared.subjects import subject

pytestmark = pytest.mark.integration


async def _story(nats_url: str, prefix: str) -> None:
    client = await nats.connect(nats_url)
    js = client.jetstream()
    config = stream_config(prefix)
    try:
        # 1. the stream is created from the shared definition and the broker keeps it as defined
        await js.add_stream(config=config)
        info = await js.stream_info(config.name)
        assert info.config.storage == StorageType.FILE
        assert info.config.discard == DiscardPolicy.NEW
        assert info.config.duplicate_window == 20 * 60
        assert info.config.subjects == [f"{prefix}.>"]

        # 2. a chain of envelopes is published; the second publish of position 1 is dropped as a duplicate
        chain, prev = [], GENESIS_HASH
        for position in (1, 2):
            envelope = Envelope.seal(
                prev,
                event_id=derive_event_id("plan-1", position),
                position=position,
                aggregate_id="plan-1",
                aggregate_version=position,
                occurred_at=datetime.now(UTC),
                actor={"id": "u-1", "name": "Ola", "role": "planner"},
                payload=PlanAnchored(plan_id="plan-1", goal_id=f"goal-{position}"),
            )
            chain.append(envelope)
            prev = envelope.hash
        acks = []
        for envelope in (chain[0], chain[0], chain[1]):
            acks.append(
                await js.publish(
                    subject(envelope.source, envelope.event_type, prefix=prefix),
                    envelope.to_canonical(),
                    headers={"Nats-Msg-Id": envelope.nats_msg_id},
                )
            )
        assert [bool(ack.duplicate) for ack in acks] == [False, True, False]
        assert [ack.seq for ack in acks] == [1, 1, 2]

        # 3. what the stream holds is the chain, byte for byte
        stored = [await js.get_msg(config.name, seq) for seq in (1, 2)]
        received = [Envelope.from_json(message.data) for message in stored]
        assert received == chain
        assert verify_chain(received) is None
    finally:
        await js.delete_stream(config.name)
        await client.close()


def test_the_stream_is_accepted_and_deduplicates(nats_url, subject_prefix):
    asyncio.run(_story(nats_url, subject_prefix))
