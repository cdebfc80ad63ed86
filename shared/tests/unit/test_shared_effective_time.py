"""Effective time (when a fact happened in the municipality) against recorded time (``occurred_at``)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from planspor_shared.events import REGISTRY
from planspor_shared.events.base import effective_date, municipal_day
from planspor_shared.events.plan_registry import StrategyAdopted

pytestmark = pytest.mark.unit


def test_the_payloads_own_date_is_the_effective_date_not_the_day_of_entry() -> None:
    adopted = StrategyAdopted(strategy_id="s1", decision_id="d1", adopted_on=date(2024, 6, 12))
    assert effective_date(adopted, datetime(2026, 12, 1, 9, tzinfo=UTC)) == date(2024, 6, 12)


def test_without_a_date_the_norwegian_day_of_recording_stands_in() -> None:
    assert municipal_day(datetime(2024, 12, 31, 23, 30, tzinfo=UTC)) == date(2025, 1, 1)
    assert municipal_day(datetime(2024, 6, 30, 21, 59, tzinfo=UTC)) == date(2024, 6, 30)


def test_every_named_effective_field_is_a_date_field_of_its_model() -> None:
    for model in REGISTRY:
        field = model.effective_field
        if field is not None:
            assert field in model.model_fields, f"{model.__name__}.effective_field names {field!r}, not a field"
            assert "date" in str(model.model_fields[field].annotation), f"{model.__name__}.{field} is not a date"


def test_a_date_field_added_later_is_left_out_while_none_so_old_events_hash_as_before() -> None:
    from planspor_shared.canonical import canonical_json
    from planspor_shared.events.cocreation import InputRecorded

    fields = {
        "process_id": "p",
        "input_id": "i",
        "workshop_id": "w",
        "author_participant_id": "a",
        "kind": "need",
        "text": "Fewer plans",
    }
    before = b'{"author_participant_id":"a","goal_ids":[],"input_id":"i","kind":"need","plan_ids":[],'
    before += b'"process_id":"p","text":"Fewer plans","workshop_id":"w"}'
    assert canonical_json(InputRecorded(**fields).to_payload()) == before
    dated = InputRecorded(**fields, raised_on=date(2024, 3, 5))
    assert dated.to_payload()["raised_on"] == date(2024, 3, 5)
    assert effective_date(dated, datetime(2026, 12, 1, 9, tzinfo=UTC)) == date(2024, 3, 5)
    assert InputRecorded.model_validate(InputRecorded(**fields).to_payload()).raised_on is None


def test_an_input_that_answers_no_request_keeps_the_bytes_it_had_before_in_reply_to_existed() -> None:
    from planspor_shared.canonical import canonical_json
    from planspor_shared.events.plan_registry import InputReceived

    fields = {
        "input_id": "x",
        "from_party": "Statsforvalteren",
        "party_kind": "state",
        "received_on": date(2024, 9, 20),
        "strategy_id": "s",
        "summary": "Climate",
    }
    before = b'{"document_reference":null,"from_party":"Statsforvalteren","input_id":"x","party_kind":"state",'
    before += b'"plan_id":null,"received_on":"2024-09-20","strategy_id":"s","summary":"Climate"}'
    assert canonical_json(InputReceived(**fields).to_payload()) == before
    assert InputReceived(**fields, in_reply_to="req-1").to_payload()["in_reply_to"] == "req-1"
