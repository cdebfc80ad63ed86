"""A service's reaction to another service's events, the same way in every service.

A durable JetStream pull consumer with MANUAL acks: a message is acknowledged only
after its effect is committed; a failure asks for redelivery (nak) instead of
faststream's default of terminating the message. Reactions must be idempotent
(derive ids from the cause), because redelivery is how nothing gets lost. A message
that can never be applied (not an envelope, an invalid payload, a rule it breaks)
is terminated with its reason logged, so the pipeline goes on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from functools import partial
from typing import Any

from faststream import AckPolicy
from faststream.nats import JStream, NatsBroker, PullSub
from faststream.nats.annotations import NatsMessage  # at module level: faststream resolves the annotation here

from planspor_runtime.application import EventRefused
from planspor_runtime.bus import NatsAccess, NatsTarget
from planspor_shared.envelope import Envelope, parse_payload
from planspor_shared.errors import InvalidEnvelope, InvalidPayload, UnknownEventType
from planspor_shared.subjects import DEFAULT_PREFIX, check_prefix, stream_name

log = logging.getLogger(__name__)


class Outcome(Enum):
    APPLIED = "applied"  # committed: ack
    UNCHANGED = "unchanged"  # already done (a redelivery): ack
    REJECTED = "rejected"  # can never be applied: terminate, with the reason logged


def apply_message(
    data: bytes, react: Callable[[Envelope], bool], refusals: tuple[type[Exception], ...] = ()
) -> tuple[Outcome, str]:
    """Read one message and commit its effect. Raises on a transient failure (the
    store), so the caller naks and the broker redelivers."""
    try:
        envelope = Envelope.from_json(data)
        parse_payload(envelope)
    except (InvalidEnvelope, InvalidPayload, UnknownEventType) as error:
        return Outcome.REJECTED, str(getattr(error, "reason", None) or error)
    try:
        changed = react(envelope)
    except refusals + (EventRefused,) as error:  # an event the relay could not publish: never applicable
        rule = getattr(error, "rule", type(error).__name__)
        return Outcome.REJECTED, f"{rule}: {getattr(error, 'message', error)}"
    return (Outcome.APPLIED if changed else Outcome.UNCHANGED), envelope.nats_msg_id


class ReactionSubscriber:
    """Started and stopped with the service's lifespan."""

    def __init__(
        self,
        *,
        name: str,
        subject: str,
        durable: str,
        nats_url: NatsTarget,
        subject_prefix: str,
        react: Callable[[Envelope], bool],
        refusals: tuple[type[Exception], ...] = (),
    ) -> None:
        access = NatsAccess.of(nats_url)
        self.broker = NatsBroker(
            **access.broker_options(name=f"planspor-{durable}"),
            logger=logging.getLogger("planspor.reactions.broker"),  # the service's handler and format, not faststream's
        )
        stream = JStream(name=stream_name(subject_prefix), declare=False)

        @self.broker.subscriber(
            subject,
            stream=stream,
            durable=durable,
            inbox_prefix=access.subscriber_inbox_prefix,
            pull_sub=PullSub(batch_size=10, timeout=1.0),
            ack_policy=AckPolicy.MANUAL,
        )
        async def on_message(msg: NatsMessage) -> None:
            try:
                outcome, detail = await asyncio.to_thread(apply_message, msg.body, react, refusals)
            except Exception:
                log.exception("%s: failed to apply a message; asking for redelivery", name)
                await msg.nack()
                return
            if outcome is Outcome.REJECTED:
                log.error("%s: terminated a message that can never be applied: %s", name, detail)
                await msg.reject()
                return
            await msg.ack()

        self.handler: Any = on_message

    async def start(self) -> None:
        await self.broker.start()

    async def stop(self) -> None:
        await self.broker.stop()


@dataclass(frozen=True)
class Reaction:
    """One service's reaction to another's events: what it listens to, under which durable consumer, the
    method of its application that applies an envelope (``react``, true when something changed), the
    domain's refusals that end a message, and the service's own setting that turns it on."""

    name: str
    subject: str
    """Below the subject prefix: ``plan-registry.plan.>``."""
    durable: str
    react: Callable[[Any, Envelope], bool]
    setting: str
    """The service's own setting without its prefix (``reactions``: ``PLAN_REGISTRY_REACTIONS``)."""
    refusals: tuple[type[Exception], ...] = ()

    def subject_under(self, prefix: str = DEFAULT_PREFIX) -> str:
        return f"{check_prefix(prefix)}.{self.subject}"

    def apply(self, application: Any, data: bytes) -> tuple[Outcome, str]:
        """One message applied to ``application`` (what the subscriber does with each)."""
        return apply_message(data, partial(self.react, application), self.refusals)

    def subscriber(
        self,
        application: Any,
        *,
        nats_url: NatsTarget,
        subject_prefix: str = DEFAULT_PREFIX,
        durable: str | None = None,
    ) -> ReactionSubscriber:
        return ReactionSubscriber(
            name=self.name,
            subject=self.subject_under(subject_prefix),
            durable=durable or self.durable,
            nats_url=nats_url,
            subject_prefix=subject_prefix,
            react=partial(self.react, application),
            refusals=self.refusals,
        )
