"""The reaction to co-creation's ``recommendation.issued``, from JetStream into
``PlanRegistry.on_recommendation_issued``.

A durable pull consumer (``plan-registry-reactions``) with MANUAL acks: a message is
acknowledged only after the drafted strategy is committed; a failure asks for
redelivery (nak) instead of faststream's default of terminating the message.
Redelivery is safe: the strategy and item ids derive from the recommendation, so a
second delivery drafts nothing. A message that can never be applied (not an
envelope, a payload that does not validate, a rule it breaks) is terminated with
its reason logged, so the pipeline goes on.
"""


import asyncio
import logging
from enum import Enum
from typing import Any

from planspor_shared.envelope import Envelope, parse_payload
from planspor_shared.errors import InvalidEnvelope, InvalidPayload, UnknownEventType
from planspor_shared.subjects import DEFAULT_PREFIX, check_prefix, stream_name

from plan_registry.domain import DomainError

DURABLE = "plan-registry-reactions"
log = logging.getLogger(__name__)


class Outcome(Enum):
    APPLIED = "applied"  # committed, ack
    UNCHANGED = "unchanged"  # already drafted (redelivery), ack
    REJECTED = "rejected"  # can never be applied: term with a reason


def recommendation_subject(prefix: str = DEFAULT_PREFIX) -> str:
    return f"{check_prefix(prefix)}.cocreation.recommendation.issued"


def apply_message(application: Any, data: bytes) -> tuple[Outcome, str]:
    """Read one message and commit its effect. Raises on a transient failure (the
    store), so the caller naks and the broker redelivers."""
    try:
        envelope = Envelope.from_json(data)
        parse_payload(envelope)
    except (InvalidEnvelope, InvalidPayload, UnknownEventType) as error:
        return Outcome.REJECTED, str(getattr(error, "reason", None) or error)
    try:
        drafted = application.on_recommendation_issued(envelope)
    except DomainError as error:
        return Outcome.REJECTED, f"{error.rule}: {error.message}"
    return (Outcome.APPLIED if drafted else Outcome.UNCHANGED), envelope.nats_msg_id


class RecommendationSubscriber:
    """Started and stopped with the service (see ``bootstrap``)."""

    def __init__(self, application: Any, *, nats_url: str, subject_prefix: str = DEFAULT_PREFIX,
                 durable: str = DURABLE) -> None:
        from faststream import AckPolicy
        from faststream.nats import JStream, NatsBroker, PullSub
        from faststream.nats.annotations import NatsMessage

        self.application = application
        self.broker = NatsBroker(nats_url)
        stream = JStream(name=stream_name(subject_prefix), declare=False)

        @self.broker.subscriber(recommendation_subject(subject_prefix), stream=stream, durable=durable,
                                pull_sub=PullSub(batch_size=10, timeout=1.0), ack_policy=AckPolicy.MANUAL)
        async def on_recommendation_message(msg: NatsMessage) -> None:
            try:
                outcome, detail = await asyncio.to_thread(apply_message, application, msg.body)
            except Exception:
                log.exception("reactions: failed to apply a recommendation; asking for redelivery")
                await msg.nack()
                return
            if outcome is Outcome.REJECTED:
                log.error("reactions: rejected a recommendation that can never be applied: %s", detail)
                await msg.reject()
                return
            await msg.ack()

        self.handler = on_recommendation_message

    async def start(self) -> None:
        await self.broker.start()

    async def stop(self) -> None:
        await self.broker.stop()
