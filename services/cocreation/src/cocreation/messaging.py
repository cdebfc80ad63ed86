"""The plan-catalogue subscriber: plan-registry's ``plan.*`` events from JetStream into
``CocreationApplication.on_plan_event``.

A durable pull consumer (``cocreation-plan-catalogue``) with MANUAL acks: a message
is acknowledged only after the catalogue change is committed, and a failure asks
for redelivery (nak) instead of faststream's default of terminating the message.
Redelivery is safe because ``on_plan_event`` is idempotent and order-independent.
A message that can never be read (not an envelope, or a payload that does not
validate) is terminated with its reason logged, so the pipeline goes on.
"""

from __future__ import annotations

import asyncio
import logging
from enum import Enum
from typing import Any

from planspor_shared.envelope import Envelope, parse_payload
from planspor_shared.errors import InvalidEnvelope, InvalidPayload, UnknownEventType
from planspor_shared.subjects import DEFAULT_PREFIX, check_prefix, stream_name

DURABLE = "cocreation-plan-catalogue"
log = logging.getLogger(__name__)


class Outcome(Enum):
    APPLIED = "applied"  # committed, ack
    UNCHANGED = "unchanged"  # already known (redelivery), ack
    REJECTED = "rejected"  # can never be applied: term with a reason


def plan_subjects(prefix: str = DEFAULT_PREFIX) -> str:
    return f"{check_prefix(prefix)}.plan-registry.plan.>"


def apply_message(application: Any, data: bytes) -> tuple[Outcome, str]:
    """Read one message and commit its effect on the catalogue. Raises on a
    transient failure (the store), so the caller naks and the broker redelivers."""
    try:
        envelope = Envelope.from_json(data)
        parse_payload(envelope)
    except (InvalidEnvelope, InvalidPayload, UnknownEventType) as error:
        return Outcome.REJECTED, str(getattr(error, "reason", None) or error)
    changed = application.on_plan_event(envelope)
    return (Outcome.APPLIED if changed else Outcome.UNCHANGED), envelope.nats_msg_id


class PlanCatalogueSubscriber:
    """Started and stopped with the service (see ``bootstrap``)."""

    def __init__(self, application: Any, *, nats_url: str, subject_prefix: str = DEFAULT_PREFIX,
                 durable: str = DURABLE) -> None:
        from faststream import AckPolicy
        from faststream.nats import JStream, NatsBroker, PullSub
        from faststream.nats.annotations import NatsMessage

        self.application = application
        self.broker = NatsBroker(nats_url)
        stream = JStream(name=stream_name(subject_prefix), declare=False)

        @self.broker.subscriber(plan_subjects(subject_prefix), stream=stream, durable=durable,
                                pull_sub=PullSub(batch_size=100, timeout=1.0), ack_policy=AckPolicy.MANUAL)
        async def on_plan_message(msg: NatsMessage) -> None:
            try:
                outcome, detail = await asyncio.to_thread(apply_message, application, msg.body)
            except Exception:
                log.exception("plan catalogue: failed to apply a message; asking for redelivery")
                await msg.nack()
                return
            if outcome is Outcome.REJECTED:
                log.error("plan catalogue: rejected a message that can never be applied: %s", detail)
                await msg.reject()
                return
            await msg.ack()

        self.handler = on_plan_message

    async def start(self) -> None:
        await self.broker.start()

    async def stop(self) -> None:
        await self.broker.stop()
