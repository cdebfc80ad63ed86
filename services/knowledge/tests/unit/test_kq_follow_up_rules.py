"""The follow-up's rules without a server: an item's status from the statuses its plans reached since the
adoption, the year its timing is due, and the council's adopted amendments with the items they changed."""

from __future__ import annotations

from datetime import date

import pytest

from knowledge.graph.queries.follow_up import amendments_of, due_year, item_status

pytestmark = pytest.mark.unit


def test_the_due_year_is_the_last_year_the_timing_names_and_none_for_a_yearly_revision():
    assert (due_year("2025-2026"), due_year("revised yearly"), due_year("2024"), due_year(None)) == (
        2026,
        None,
        2024,
        None,
    )


def test_an_item_is_adopted_continued_late_planprogram_work_started_or_not_started_in_that_order():
    december_2024 = date(2024, 12, 1)
    assert item_status("new", ["proposed", "in_preparation"], 2024, december_2024) == "work_started"
    assert item_status("new", ["proposed", "in_preparation"], 2024, date(2025, 1, 1)) == "late"
    assert item_status("new", ["proposed", "adopted"], 2024, date(2025, 1, 1)) == "adopted", "adopted beats late"
    assert item_status("revise", [], 2026, december_2024) == "not_started"
    assert item_status("revise", ["notice_of_start"], 2026, december_2024) == "planprogram"
    assert item_status("repeal", ["repealed"], 2024, december_2024) == "adopted"
    assert item_status("merge", ["merged"], 2024, december_2024) == "adopted"
    assert item_status("continue", [], 2028, december_2024) == "continued"
    assert item_status("continue", ["repealed"], 2028, december_2024) == "work_started", "a continued plan ended"
    assert item_status("revise", [], None, date(2030, 1, 1)) == "not_started", "revised yearly is never late"


def test_the_amendments_are_the_adopted_ones_each_with_the_items_it_set_or_removed():
    decision = {
        "id": "dec-1",
        "meeting_date": "2024-06-19",
        "amendments": '[{"adopted":true,"number":1,"proposed_by":"Ap","text":"Ny temaplan"},'
        '{"adopted":false,"number":2,"text":"Falt"}]',
        "changes": [
            {"item": "item-9", "number": 1, "change": "set"},
            {"item": "item-3", "number": 3, "change": "removed"},
        ],
    }
    assert amendments_of([decision]) == [
        {
            "decision_id": "dec-1",
            "meeting_date": "2024-06-19",
            "number": 1,
            "text": "Ny temaplan",
            "proposed_by": "Ap",
            "items_set": ["item-9"],
            "items_removed": [],
        },
        {
            "decision_id": "dec-1",
            "meeting_date": "2024-06-19",
            "number": 3,
            "text": None,
            "items_set": [],
            "items_removed": ["item-3"],
        },
    ]
    assert amendments_of([{**decision, "amendments": [], "changes": []}]) == []
