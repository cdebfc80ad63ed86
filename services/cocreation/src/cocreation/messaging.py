"""The plan catalogue: plan-registry's ``plan.*`` events into ``on_plan_event``.

Redelivery is safe because ``on_plan_event`` is idempotent and order-independent
(each field keeps the highest source position that set it). Delivery and
acknowledgement are ``planspor_runtime.reactions``.
"""

from typing import Any

from planspor_runtime.bus import NatsTarget
from planspor_runtime.reactions import Outcome, ReactionSubscriber
from planspor_runtime.reactions import apply_message as _apply
from planspor_shared.subjects import DEFAULT_PREFIX, check_prefix

DURABLE = "cocreation-plan-catalogue"
__all__ = ["DURABLE", "Outcome", "PlanCatalogueSubscriber", "apply_message", "plan_subjects"]


def plan_subjects(prefix: str = DEFAULT_PREFIX) -> str:
    return f"{check_prefix(prefix)}.plan-registry.plan.>"


def apply_message(application: Any, data: bytes) -> tuple[Outcome, str]:
    return _apply(data, application.on_plan_event)


def PlanCatalogueSubscriber(
    application: Any, *, nats_url: NatsTarget, subject_prefix: str = DEFAULT_PREFIX, durable: str = DURABLE
) -> ReactionSubscriber:
    return ReactionSubscriber(
        name="plan catalogue",
        subject=plan_subjects(subject_prefix),
        durable=durable,
        nats_url=nats_url,
        subject_prefix=subject_prefix,
        react=application.on_plan_event,
    )
