"""The reaction to co-creation's ``recommendation.issued``: drafts the strategy.

Redelivery is safe: the strategy and item ids derive from the recommendation, so a
second delivery drafts nothing. Delivery and acknowledgement are
``planspor_runtime.reactions``; a broken rule terminates the message with its reason.
``PLAN_REGISTRY_REACTIONS`` turns it on.
"""

from plan_registry.application import PlanRegistry
from plan_registry.domain import DomainError
from planspor_runtime.reactions import Outcome, Reaction
from planspor_shared.subjects import DEFAULT_PREFIX

RECOMMENDATIONS = Reaction(
    "plan-registry reactions",
    "cocreation.recommendation.issued",
    "plan-registry-reactions",
    PlanRegistry.on_recommendation_issued,
    setting="reactions",
    refusals=(DomainError,),
)
DURABLE = RECOMMENDATIONS.durable
recommendation_subscriber = RECOMMENDATIONS.subscriber
__all__ = [
    "DURABLE",
    "RECOMMENDATIONS",
    "Outcome",
    "apply_message",
    "recommendation_subject",
    "recommendation_subscriber",
]


def recommendation_subject(prefix: str = DEFAULT_PREFIX) -> str:
    return RECOMMENDATIONS.subject_under(prefix)


def apply_message(application: PlanRegistry, data: bytes) -> tuple[Outcome, str]:
    return RECOMMENDATIONS.apply(application, data)
