"""The reaction through a real NATS: ``recommendation.issued`` delivered twice drafts one strategy,
and both deliveries are acknowledged after the commit."""

from __future__ import annotations

import asyncio

import nats
import pytest
from pr_recommendation import recommendation_envelope

from plan_registry.application import PlanRegistry
from plan_registry.domain import strategy_id_for
from plan_registry.messaging import DURABLE, recommendation_subscriber
from planspor_runtime.stream import stream_config
from planspor_shared.subjects import subject

pytestmark = pytest.mark.integration


async def wait_for(condition, timeout=20.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while not await condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


async def _story(nats_url: str, prefix: str, app: PlanRegistry) -> None:
    client = await nats.connect(nats_url)
    js = client.jetstream()
    config = stream_config(prefix)
    await js.add_stream(config=config)
    subscriber = recommendation_subscriber(app, nats_url=nats_url, subject_prefix=prefix)
    try:
        # 1. the same recommendation is published twice (as after a producer retry past the dedup window)
        envelope = recommendation_envelope()
        for attempt in (1, 2):
            await js.publish(
                subject("cocreation", "recommendation.issued", prefix=prefix),
                envelope.to_canonical(),
                headers={"Nats-Msg-Id": f"{envelope.nats_msg_id}:{attempt}"},
            )
        # 2. an unreadable message on the same subject is terminated, not retried forever
        await js.publish(
            subject("cocreation", "recommendation.issued", prefix=prefix), b"{broken", headers={"Nats-Msg-Id": "broken"}
        )
        await subscriber.start()

        # 3. every delivery is settled: nothing pending, nothing waiting for an ack
        async def settled() -> bool:
            try:
                info = await js.consumer_info(config.name, DURABLE)
            except nats.js.errors.NotFoundError:
                return False
            return info.delivered.stream_seq >= 3 and info.num_pending == 0 and info.num_ack_pending == 0

        await wait_for(settled)
        # 4. one strategy, drafted once
        strategy_id = strategy_id_for(envelope.payload["recommendation_id"])
        assert [s["id"] for s in app.states("strategy")] == [str(strategy_id)]
        assert [e["type"] for e in app.history_of("strategy", strategy_id)] == [
            "PlanStrategy.Drafted",
            "PlanStrategy.ItemSet",
            "PlanStrategy.ItemSet",
        ]
    finally:
        await subscriber.stop()
        await js.delete_stream(config.name)
        await client.close()


def test_a_recommendation_delivered_twice_drafts_one_strategy(nats_url, subject_prefix, tmp_path):
    app = PlanRegistry(
        env={"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(tmp_path / "plan-registry.sqlite")}
    )
    try:
        asyncio.run(_story(nats_url, subject_prefix, app))
    finally:
        app.close()
