"""The paging contract every list route shares (``planspor_runtime.paging``), without a server."""

from __future__ import annotations

import base64

import pytest

from planspor_runtime.paging import PageRequest, decode_cursor, encode_cursor, page_of
from planspor_runtime.problems import ProblemError

pytestmark = pytest.mark.unit


def test_a_cursor_gives_back_the_key_and_what_the_first_page_was_asked_with():
    cursor = encode_cursor("plans", ["2024-01-01", 7, "p-1"], {"as_of": "2024-06-30", "strategy_id": None})
    assert "=" not in cursor and "+" not in cursor and "/" not in cursor  # safe in a query string as it is
    decoded = decode_cursor(cursor, "plans", 3)
    assert decoded.after == ["2024-01-01", 7, "p-1"] and decoded.asked == {"as_of": "2024-06-30", "strategy_id": None}
    page = PageRequest(10, cursor)
    assert page.after("plans", 3, {"as_of": "2024-06-30", "strategy_id": None}) == ["2024-01-01", 7, "p-1"]
    assert PageRequest(10).after("plans", 3) is None and PageRequest(10).after_position("plans") == 0


@pytest.mark.parametrize(
    ("cursor", "kind", "asked", "says"),
    [
        ("%%%", "plans", {}, "not a cursor"),
        (base64.urlsafe_b64encode(b"[1, 2]").decode(), "plans", {}, "not a cursor"),
        (encode_cursor("goals", [1]), "plans", {}, "another list"),
        (encode_cursor("plans", [1, 2]), "plans", {}, "not a cursor"),
        (encode_cursor("plans", [{"a": 1}]), "plans", {}, "not a cursor"),
        (encode_cursor("plans", [1], {"status": "open"}), "plans", {"status": "replayed"}, "other status"),
    ],
)
def test_a_cursor_that_is_not_one_of_this_list_and_question_is_422_on_the_cursor(cursor, kind, asked, says):
    with pytest.raises(ProblemError) as refused:
        PageRequest(10, cursor).after(kind, 1, asked)
    assert refused.value.status == 422 and refused.value.rule == "request.cursor" and says in refused.value.detail


def test_a_position_cursor_must_hold_a_position_and_an_id_cursor_an_id():
    for key in ("seven", -1, True):
        with pytest.raises(ProblemError):
            PageRequest(10, encode_cursor("plans", [key])).after_position("plans")
    with pytest.raises(ProblemError):
        PageRequest(10, encode_cursor("plans", [3])).after_text("plans")
    assert PageRequest(10, encode_cursor("plans", [3])).after_position("plans") == 3


def test_of_one_more_than_a_page_the_page_and_the_key_to_continue_after():
    assert page_of([1, 2, 3], 2, lambda n: n * 10) == ([1, 2], 20)
    assert page_of([1, 2], 2, lambda n: n * 10) == ([1, 2], None)
