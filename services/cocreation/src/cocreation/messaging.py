"""The plan catalogue: plan-registry's ``plan.*`` events into ``on_plan_event``.

Redelivery is safe because ``on_plan_event`` is idempotent and order-independent
(each field keeps the highest source position that set it). Delivery and
acknowledgement are ``planspor_runtime.reactions``; ``COCREATION_CATALOGUE_SUBSCRIBER``
turns it on.
"""

from cocreation.application import CocreationApplication
from planspor_runtime.reactions import Outcome, Reaction
from planspor_shared.subjects import DEFAULT_PREFIX

PLAN_CATALOGUE = Reaction(
    "plan catalogue",
    subject="plan-registry.plan.>",
    durable="cocreation-plan-catalogue",
    react=CocreationApplication.on_plan_event,
    setting="catalogue_subscriber",
)
DURABLE = PLAN_CATALOGUE.durable
apply_message = PLAN_CATALOGUE.apply
plan_catalogue_subscriber = PLAN_CATALOGUE.subscriber
__all__ = ["DURABLE", "PLAN_CATALOGUE", "Outcome", "apply_message", "plan_catalogue_subscriber", "plan_subjects"]


def plan_subjects(prefix: str = DEFAULT_PREFIX) -> str:
    return PLAN_CATALOGUE.subject_under(prefix)
