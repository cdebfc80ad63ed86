"""The catalogue from wire messages: sealed envelopes, redelivered and reordered, and bad ones rejected."""

from datetime import UTC, date, datetime
from uuid import uuid4

import pytest

from cocreation.application import in_memory
from cocreation.messaging import Outcome, apply_message, plan_subjects
from planspor_shared.envelope import GENESIS_HASH, Envelope
from planspor_shared.events.plan_registry import PlanProposed, PlanStatusChanged

pytestmark = pytest.mark.unit

ACTOR = {"id": "p1", "name": "Planner", "role": "planner"}


def sealed(payload, position: int, plan_id: str) -> bytes:
    envelope = Envelope.seal(
        GENESIS_HASH,
        event_id=uuid4(),
        payload=payload,
        position=position,
        aggregate_id=plan_id,
        aggregate_version=position,
        occurred_at=datetime(2024, 1, 1, tzinfo=UTC),
        actor=ACTOR,
    )
    return envelope.to_canonical()


def test_envelopes_in_any_order_and_twice_give_one_catalogue_state():
    app = in_memory()
    plan_id = f"plan-{uuid4()}"
    proposed = sealed(
        PlanProposed(
            plan_id=plan_id,
            title="Climate plan",
            plan_type="temaplan",
            owning_unit="Climate",
            initiated_through_strategy=False,
            proposed_on=date(2024, 1, 1),
        ),
        4,
        plan_id,
    )
    adopted = sealed(
        PlanStatusChanged(plan_id=plan_id, from_status="proposed", to_status="adopted", changed_on=date(2024, 6, 1)),
        9,
        plan_id,
    )
    outcomes = [apply_message(app, m)[0] for m in (adopted, proposed, adopted, proposed)]
    assert outcomes == [Outcome.APPLIED, Outcome.APPLIED, Outcome.UNCHANGED, Outcome.UNCHANGED]
    assert app.get_plan(plan_id) == {
        "plan_id": plan_id,
        "title": "Climate plan",
        "plan_type": "temaplan",
        "status": "adopted",
        "position": 9,
    }


@pytest.mark.parametrize("data", [b"not json", b'{"event_type": "plan.proposed"}'])
def test_a_message_that_is_not_an_envelope_is_rejected_with_its_reason(data):
    outcome, reason = apply_message(in_memory(), data)
    assert outcome is Outcome.REJECTED and reason


def test_the_subscription_is_only_plan_events_of_plan_registry():
    assert plan_subjects("planspor") == "planspor.plan-registry.plan.>"
