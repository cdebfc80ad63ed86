"""The reaction to ``recommendation.issued``: one strategy however often it is delivered."""

from uuid import UUID

import pytest
from pr_recommendation import recommendation_envelope

from plan_registry.application import PlanRegistry
from plan_registry.domain import strategy_id_for, strategy_item_id
from plan_registry.messaging import Outcome, apply_message

pytestmark = pytest.mark.unit


@pytest.fixture
def app():
    app = PlanRegistry(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    yield app
    app.close()


def test_delivered_twice_drafts_one_strategy_with_an_item_per_plan_need(app):
    envelope = recommendation_envelope()
    payload = envelope.payload
    assert app.on_recommendation_issued(envelope) is True
    count = app.recorder.max_notification_id()
    assert app.on_recommendation_issued(envelope) is False
    assert app.recorder.max_notification_id() == count
    strategy_id = strategy_id_for(payload["recommendation_id"])
    state = app.state("strategy", strategy_id)
    assert state["recommendation_id"] == payload["recommendation_id"] and state["process_id"] == payload["process_id"]
    assert {i["item_id"] for i in state["items"]} == {
        str(strategy_item_id(strategy_id, UUID(n["plan_need_id"]))) for n in payload["items"]
    }
    assert {i["origin"] for i in state["items"]} == {"plan_need"}
    history = app.history_of("strategy", strategy_id)
    assert [e["type"] for e in history] == ["PlanStrategy.Drafted", "PlanStrategy.ItemSet", "PlanStrategy.ItemSet"]
    assert {e["causation_id"] for e in history} == {str(envelope.event_id)}
    assert {e["correlation_id"] for e in history} == {"corr-rec"}
    assert history[0]["actor"]["role"] == "system"


def test_the_message_handler_acks_applied_and_unchanged_and_rejects_the_unreadable(app):
    envelope = recommendation_envelope()
    assert apply_message(app, envelope.to_canonical())[0] is Outcome.APPLIED
    assert apply_message(app, envelope.to_canonical())[0] is Outcome.UNCHANGED
    outcome, reason = apply_message(app, b"{not json")
    assert outcome is Outcome.REJECTED and "invalid envelope" in reason
    outcome, reason = apply_message(app, recommendation_envelope(council_constituted_on=None).to_canonical())
    assert outcome is Outcome.REJECTED and reason.startswith("strategy.council_constituted_on_required")
    assert len(app.states("strategy")) == 1


def test_a_store_failure_raises_so_the_message_is_redelivered(app):
    envelope = recommendation_envelope()

    def broken(*_):
        raise OSError("disk full")

    app.save = broken
    with pytest.raises(OSError):
        apply_message(app, envelope.to_canonical())
