"""What the request bodies of every service share: unknown fields refused, bounded texts, strict numbers.

The text types are the contracts' own (``planspor_shared.events.base``, maxima in
``planspor_shared.limits``), so a body can hold no value its event could not carry: a value
over its maximum is a 422 naming the field and the limit before anything is stored.

| type | at most | must say something |
|---|---|---|
| ``Text`` | 20,000 characters | yes |
| ``Description`` | 20,000 characters | no |
| ``Title`` | 500 characters | yes |
| ``Heading`` | 500 characters | no |
| ``PersonName`` / ``Name`` | 300 characters | yes / no |
| ``Reference`` | 200 characters | no (``Annotated[Reference, NonBlank]``: yes) |
| ``Label`` | 100 characters | no |
| ``Url`` | 2,000 characters | no |
| ``Ref`` | an id of 200 characters, no white space | yes |
| ``Decimal`` | 30 digits, no infinity or NaN | |

``EffectiveDate`` is the day something happened in the municipality (a meeting, a seminar, the day
work started): written ``YYYY-MM-DD`` and not after today in Norway (Europe/Oslo, never UTC's date).
Left out, the command takes today there (``municipal_today``).

Numbers and booleans are strict (``StrictInt``, ``StrictBool``): ``false`` is no number, ``0`` no boolean.
"""

from __future__ import annotations

import decimal
import re
from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    WithJsonSchema,
)

from planspor_shared.events.base import (
    Description,
    Heading,
    Label,
    Name,
    NonBlank,
    Reference,
    Text,
    Title,
    Url,
    municipal_day,
)
from planspor_shared.events.base import Id as Ref
from planspor_shared.limits import NUMBER_DIGITS_MAX

PersonName = Annotated[Name, NonBlank]
"""A person's name (or a body's, a unit's) that must say something, at most 300 characters."""

Decimal = Annotated[
    decimal.Decimal,
    Field(allow_inf_nan=False, max_digits=NUMBER_DIGITS_MAX),
    WithJsonSchema({"anyOf": [{"type": "number"}, {"type": "string", "maxLength": NUMBER_DIGITS_MAX + 2}]}),
]
"""An exact number of at most ``NUMBER_DIGITS_MAX`` digits; infinity and NaN refused."""


def municipal_today() -> date:
    """Today in the municipality's calendar (Europe/Oslo): at 23:30 UTC on 31 December it is already 1 January."""
    return municipal_day(datetime.now(UTC))


_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _written_as_iso_day(value: Any) -> Any:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _ISO_DAY.match(value):
        raise ValueError("a date is written YYYY-MM-DD, for example 2024-06-12")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError("no such day in the calendar; a date is written YYYY-MM-DD, for example 2024-06-12") from None


def _not_in_the_future(value: date) -> date:
    today = municipal_today()
    if value > today:
        raise ValueError(
            f"{value} is in the future (today is {today} in Norway): give the day it happened, as YYYY-MM-DD"
        )
    return value


EffectiveDate = Annotated[
    date,
    BeforeValidator(_written_as_iso_day),
    AfterValidator(_not_in_the_future),
    Field(examples=["2024-06-12"], description="The day it happened, YYYY-MM-DD, not after today (Europe/Oslo)."),
]
"""The day something happened in the municipality: ``YYYY-MM-DD``, not after today in Norway."""


class RequestBody(BaseModel):
    """A request body: unknown fields are refused (a typo is a 422, not silently dropped)."""

    model_config = ConfigDict(extra="forbid")


__all__ = [
    "Decimal",
    "Description",
    "EffectiveDate",
    "Heading",
    "Label",
    "Name",
    "NonBlank",
    "PersonName",
    "Reference",
    "Ref",
    "RequestBody",
    "StrictBool",
    "StrictInt",
    "Text",
    "Title",
    "Url",
    "municipal_today",
]
