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

Numbers and booleans are strict (``StrictInt``, ``StrictBool``): ``false`` is no number, ``0`` no boolean.
"""

from __future__ import annotations

import decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, WithJsonSchema

from planspor_shared.events.base import Description, Heading, Label, Name, NonBlank, Reference, Text, Title, Url
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


class RequestBody(BaseModel):
    """A request body: unknown fields are refused (a typo is a 422, not silently dropped)."""

    model_config = ConfigDict(extra="forbid")


__all__ = [
    "Decimal",
    "Description",
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
]
