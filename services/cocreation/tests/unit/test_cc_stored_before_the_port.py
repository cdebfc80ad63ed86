"""What co-creation stored before it ran on the runtime's application base is read back unchanged.

The bytes below are what the service wrote then (topics under ``cocreation.domain`` and
``cocreation.application``, ``Meta`` as ``cocreation_meta`` with a plain actor dict, its own
idempotency records): a store of that time keeps working, and its relay keeps publishing.
"""

from __future__ import annotations

import json
from uuid import uuid4

import pytest
from eventsourcing.persistence import StoredEvent

from cocreation.application import CataloguedPlan, EarlierIdempotencyRecord, in_memory
from cocreation.contracts import map_event
from planspor_runtime.application import AggregateNotFound
from planspor_shared.meta import Meta

pytestmark = pytest.mark.unit

ACTOR = {"id": "token:abc", "name": "Facilitator", "role": "facilitator"}


def state(**fields) -> bytes:
    return json.dumps(
        {"timestamp": {"_type_": "datetime_iso", "_data_": "2024-03-01T09:00:00+00:00"}, **fields},
        separators=(",", ":"),
    ).encode()


def meta() -> dict:
    return {"_type_": "cocreation_meta", "_data_": {"actor": ACTOR, "correlation_id": "corr-1", "causation_id": None}}


@pytest.fixture
def earlier_store():
    """A process started, a plan catalogued and an idempotency record, as stored before the port."""
    app = in_memory()
    process_id, record_id, plan_id = uuid4(), uuid4(), f"plan-{uuid4()}"
    catalogued_id = CataloguedPlan.id_for(plan_id)
    app.recorder.insert_events(
        [
            StoredEvent(
                process_id,
                1,
                "cocreation.domain:Process.Started",
                state(
                    originator_topic="cocreation.domain:Process",
                    title="Planstrategi 2024-2027",
                    purpose="Prioritise",
                    election_period="2024-2027",
                    roles_and_limits="Officials decide",
                    all_officials_invited=True,
                    follow_up_days=14,
                    meta=meta(),
                ),
            ),
            StoredEvent(
                record_id,
                1,
                "cocreation.application:IdempotencyRecord.Recorded",
                state(
                    originator_topic="cocreation.application:IdempotencyRecord",
                    key="k-1",
                    command="start_process",
                    fingerprint="ab" * 32,
                    response={"process_id": str(process_id), "version": 1},
                ),
            ),
            StoredEvent(
                catalogued_id,
                1,
                "cocreation.application:CataloguedPlan.Catalogued",
                state(originator_topic="cocreation.application:CataloguedPlan", plan_id=plan_id),
            ),
        ]
    )
    return app, process_id, record_id, plan_id


def test_a_process_stored_before_the_port_is_read_listed_and_changed(earlier_store):
    app, process_id, _, _ = earlier_store
    assert app.get_process(process_id)["title"] == "Planstrategi 2024-2027"
    assert [p["process_id"] for p in app.list_processes()] == [str(process_id)]
    assert app.history(process_id)[0]["actor"] == ACTOR
    enrolled = app.enroll_participant(
        process_id, name="Kari", kind="administration", role="planner", meta=Meta.of(ACTOR), expected_version=1
    )
    assert enrolled.version == 2


def test_the_catalogue_stored_before_the_port_still_knows_its_plans(earlier_store):
    app, _, _, plan_id = earlier_store
    assert plan_id in [p["plan_id"] for p in app.list_plans()]
    assert app.unknown_plans([plan_id]) == set()


def test_the_relay_maps_what_was_stored_before_the_port(earlier_store):
    app, _, record_id, _ = earlier_store
    events = [app.mapper.to_domain_event(n) for n in app.notification_log.select(1, 10)]
    assert isinstance(events[1], EarlierIdempotencyRecord.Recorded)
    outgoing = [o for e in events for o in map_event(e)]
    assert [o.payload.event_type for o in outgoing] == ["process.started"]
    assert outgoing[0].actor == ACTOR and outgoing[0].correlation_id == "corr-1"
    assert app.history(record_id)[0]["type"] == "EarlierIdempotencyRecord.Recorded"


def test_an_earlier_idempotency_record_is_no_aggregate_of_the_domain(earlier_store):
    app, _, record_id, _ = earlier_store
    with pytest.raises(AggregateNotFound):
        app.get_process(record_id)
