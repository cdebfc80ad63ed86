"""Every event of the catalogue has a graph mapping, typed with its contract model; anything else is set aside."""

import inspect
import typing

import pytest
from kn_story import interleaved, story

from knowledge.graph.batch import EventToWrite, compile_event
from knowledge.graph.handlers import HANDLERS, UnmappedEvent, mapping_for, unmapped_reason
from knowledge.pipeline.graph_writer import has_graph_mapping, reason_to_set_aside
from knowledge.pipeline.ordering import decode
from planspor_shared.events import REGISTRY

pytestmark = pytest.mark.unit


def test_the_table_maps_every_event_type_and_version_of_the_catalogue_and_nothing_else():
    catalogue = {(model.event_type, model.schema_version) for model in REGISTRY}
    assert set(HANDLERS) == catalogue


def test_each_handler_takes_the_contract_model_its_row_names():
    for key, mapping in HANDLERS.items():
        assert key == (mapping.model.event_type, mapping.model.schema_version)
        hints = typing.get_type_hints(mapping.handler)
        event_parameter = list(inspect.signature(mapping.handler).parameters)[1]
        assert hints[event_parameter] is mapping.model, (key, hints)


def test_an_event_type_or_version_without_a_mapping_has_a_reason_and_is_not_compiled():
    assert unmapped_reason("plan.proposed", 1) is None
    assert (
        unmapped_reason("plan.celebrated", 1) == "no graph mapping for event type 'plan.celebrated' (schema version 1)"
    )
    assert "schema version 2" in (unmapped_reason("plan.proposed", 2) or "")
    with pytest.raises(UnmappedEvent, match="plan.celebrated"):
        mapping_for("plan.celebrated", 1)


def test_what_fails_a_check_is_set_aside_with_the_first_reason():
    envelope = interleaved(*story(1))[0]
    usable = decode(envelope.to_canonical(), msg_id=envelope.nats_msg_id)
    broken = decode(b'{"event_id": "broken', msg_id="plan-registry:9")
    assert reason_to_set_aside(usable) is None and has_graph_mapping(usable) is None
    assert "invalid envelope" in (reason_to_set_aside(broken) or "")
    assert reason_to_set_aside(usable, (lambda item: None, lambda item: "signature missing")) == "signature missing"


def test_a_payload_of_another_model_than_its_row_is_refused():
    goal, indicator = (
        next(e for e in interleaved(*story(1)) if e.event_type == kind)
        for kind in ("goal.defined", "indicator.defined")
    )
    payload = decode(indicator.to_canonical()).payload
    assert payload is not None
    with pytest.raises(TypeError, match="is written from GoalDefined, not IndicatorDefined"):
        compile_event(EventToWrite(goal, payload))
