"""The reaction to co-creation's ``recommendation.issued``: drafts the strategy.

Redelivery is safe: the strategy and item ids derive from the recommendation, so a
second delivery drafts nothing. Delivery and acknowledgement are
``planspor_runtime.reactions``; a broken rule terminates the message with its reason.
"""

from typing import Any

from plan_registry.domain import DomainError
from planspor_runtime.bus import NatsTarget
from planspor_runtime.reactions import Outcome, ReactionSubscriber
from planspor_runtime.reactions import apply_message as _apply
from planspor_shared.subjects import DEFAULT_PREFIX, check_prefix

DURABLE = "plan-registry-reactions"
__all__ = ["DURABLE", "Outcome", "RecommendationSubscriber", "apply_message", "recommendation_subject"]


def recommendation_subject(prefix: str = DEFAULT_PREFIX) -> str:
    return f"{check_prefix(prefix)}.cocreation.recommendation.issued"


def apply_message(application: Any, data: bytes) -> tuple[Outcome, str]:
    return _apply(data, application.on_recommendation_issued, (DomainError,))


def RecommendationSubscriber(
    application: Any, *, nats_url: NatsTarget, subject_prefix: str = DEFAULT_PREFIX, durable: str = DURABLE
) -> ReactionSubscriber:
    return ReactionSubscriber(
        name="plan-registry reactions",
        subject=recommendation_subject(subject_prefix),
        durable=durable,
        nats_url=nats_url,
        subject_prefix=subject_prefix,
        react=application.on_recommendation_issued,
        refusals=(DomainError,),
    )
