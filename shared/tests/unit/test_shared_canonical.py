"""Canonical JSON: the one byte form every party hashes."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planspor_shared.canonical import canonical_json

pytestmark = pytest.mark.unit


def test_keys_are_sorted_at_every_level_and_there_is_no_whitespace():
    assert canonical_json({"b": 1, "a": {"d": [1, 2], "c": None}}) == b'{"a":{"c":null,"d":[1,2]},"b":1}'


def test_text_is_utf8_not_ascii_escaped():
    assert canonical_json({"kommune": "Bærum"}) == '{"kommune":"Bærum"}'.encode()


def test_datetimes_are_utc_with_z_and_microseconds():
    oslo = timezone(timedelta(hours=2))
    assert canonical_json(datetime(2024, 10, 16, 18, 30, tzinfo=oslo)) == b'"2024-10-16T16:30:00.000000Z"'
    assert canonical_json(datetime(2024, 1, 1, 0, 0, 0, 5, tzinfo=UTC)) == b'"2024-01-01T00:00:00.000005Z"'


def test_the_same_instant_in_two_time_zones_encodes_the_same():
    utc = datetime(2024, 3, 1, 12, tzinfo=UTC)
    assert canonical_json(utc) == canonical_json(utc.astimezone(timezone(timedelta(hours=-5))))


def test_a_naive_datetime_is_refused():
    with pytest.raises(ValueError, match="naive"):
        canonical_json({"at": datetime(2024, 1, 1, 12)})


def test_dates_uuids_and_enums():
    class Kind(StrEnum):
        STATE = "state"

    value = {"on": date(2024, 9, 20), "id": UUID("ABCDEF01-2345-6789-ABCD-EF0123456789"), "kind": Kind.STATE}
    assert canonical_json(value) == b'{"id":"abcdef01-2345-6789-abcd-ef0123456789","kind":"state","on":"2024-09-20"}'


@pytest.mark.parametrize(
    ("number", "text"),
    [
        (Decimal("1.50"), b'"1.50"'),
        (Decimal("0.1"), b'"0.1"'),
        (Decimal("1E+2"), b'"100"'),
        (Decimal("-0.000001"), b'"-0.000001"'),
        (Decimal("12345678901234567890.123456789"), b'"12345678901234567890.123456789"'),
    ],
)
def test_decimals_are_exact_strings_without_exponent(number, text):
    assert canonical_json(number) == text


@pytest.mark.parametrize("number", [Decimal("NaN"), Decimal("Infinity")])
def test_a_decimal_that_is_not_finite_is_refused(number):
    with pytest.raises(ValueError):
        canonical_json(number)


@pytest.mark.parametrize("value", [0.1, {"a": [1, 2.5]}, {"nested": {"x": float("nan")}}, (1.0,)])
def test_floats_are_refused_anywhere(value):
    with pytest.raises(TypeError, match="float"):
        canonical_json(value)


@pytest.mark.parametrize("value", [{1: "a"}, {"a": {1, 2}}, b"bytes", object()])
def test_values_without_a_canonical_form_are_refused(value):
    with pytest.raises(TypeError):
        canonical_json(value)


def test_integers_and_booleans_stay_json_numbers_and_literals():
    assert (
        canonical_json({"n": 10**30, "t": True, "f": False})
        == b'{"f":false,"n":1000000000000000000000000000000,"t":true}'
    )


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=100, deadline=None)
@given(json_values)
def test_canonical_json_is_a_fixed_point_of_parsing(value):
    encoded = canonical_json(value)
    assert canonical_json(json.loads(encoded)) == encoded


@settings(max_examples=50, deadline=None)
@given(st.dictionaries(st.text(max_size=8), st.integers(), max_size=8))
def test_insertion_order_does_not_matter(mapping):
    reversed_mapping = dict(reversed(list(mapping.items())))
    assert canonical_json(mapping) == canonical_json(reversed_mapping)
