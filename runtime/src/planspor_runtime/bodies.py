"""What the request bodies of every service share: unknown fields refused, and the text fields.

A text field must hold something other than white space; its length is bounded by its
kind (a name, a line of text, a long text), so that no body is unbounded.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

Name = Annotated[str, Field(min_length=1, max_length=200, pattern=r"\S")]
"""A name or a title of a part (a participant, a body)."""
Text = Annotated[str, Field(min_length=1, max_length=500, pattern=r"\S")]
"""A line of text: a title, a summary, a reason."""
LongText = Annotated[str, Field(min_length=1, max_length=20_000, pattern=r"\S")]
"""A text: a decision's, an input's, a purpose."""
Ref = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^\S+$")]
"""An identifier another service made (no white space)."""


class RequestBody(BaseModel):
    """A request body: unknown fields are refused (a typo is a 422, not silently dropped)."""

    model_config = ConfigDict(extra="forbid")
