"""What the query routes share: the driver they read with and the two times every query takes.

``?as_of=`` is the effective day (``YYYY-MM-DD``; an ISO datetime is taken as its day in Norway;
default today in Norway) and ``?known_at=`` the recorded instant (ISO datetime or date; default
now): "what was in force on 2024-01-01, as the register knew it on 2024-03-01".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

import neo4j
from fastapi import Depends, Query, Request, Response

from knowledge.graph.queries.reads import Keyset, check_key
from knowledge.graph.queries.times import (
    AS_OF_FORMAT,
    KNOWN_AT_FORMAT,
    TimeFrame,
    parse_as_of,
    parse_known_at,
    resolve_frame,
)
from planspor_runtime.paging import Json, PageRequest, Paging, cursor_refused, encode_cursor, next_link
from planspor_runtime.problems import FieldError, ProblemError

DriverProvider = Callable[[], neo4j.AsyncDriver]
"""Gives the service's driver when a request needs it."""

AS_OF_HELP = (
    f"answer for this day in the municipality (effective time, {AS_OF_FORMAT}, not in the future; "
    "an ISO datetime is taken as its day in Norway); default today"
)
KNOWN_AT_HELP = f"as the register knew it at this instant (recorded time, {KNOWN_AT_FORMAT}); default now"


def _invalid(name: str, message: str) -> ProblemError:
    return ProblemError(
        422,
        f"{name} must be {message}",
        name="validation",
        rule=f"request.{name}",
        errors=[FieldError(pointer="#", location=f"query.{name}", detail=message)],
    )


def time_frame(
    as_of: str | None = Query(default=None, description=AS_OF_HELP),
    known_at: str | None = Query(default=None, description=KNOWN_AT_HELP),
) -> TimeFrame:
    """``?as_of=`` and ``?known_at=`` as a ``TimeFrame``; a malformed or future one is 422 on the parameter (the
    value is not echoed)."""
    try:
        day = parse_as_of(as_of)
    except ValueError:
        raise _invalid("as_of", f"a day ({AS_OF_FORMAT}, e.g. 2024-06-30) that is not in the future") from None
    try:
        instant = parse_known_at(known_at)
    except ValueError:
        raise _invalid("known_at", KNOWN_AT_FORMAT) from None
    return resolve_frame(day, instant)


AsOf = Annotated[TimeFrame, Depends(time_frame)]
"""The question's two times (the parameters ``as_of`` and ``known_at``)."""


@dataclass(frozen=True)
class Listing:
    """A page of one of the lists (``planspor_runtime.paging``) and the times it is asked in.

    A next page is the same question: its times are the cursor's unless it names them, and then they must be the
    cursor's (and so must its filters), else 422. So a page sequence reads one record (``known_at``) even while
    the graph grows; without ``known_at`` the first page's "now" is kept in the cursor.
    """

    kind: str
    keyset: Keyset
    frame: TimeFrame
    page: PageRequest

    @property
    def limit(self) -> int:
        return self.page.limit

    def after(self, **filters: str | None) -> list[Json] | None:
        """The sort key to continue after (None on the first page); 422 for another list's cursor or other filters."""
        key = self.page.after(self.kind, len(self.keyset), {**self.frame.echo(), **filters})
        if key is not None:
            try:
                check_key(self.keyset, key)
            except ValueError as error:
                raise cursor_refused(f"is not a cursor this service gave ({error})") from None
        return key

    def next(
        self, request: Request, response: Response, next_after: list[Json] | None, **filters: str | None
    ) -> str | None:
        """The cursor of the next page (None on the last), also sent as the ``Link`` header."""
        cursor = None if next_after is None else encode_cursor(self.kind, next_after, {**self.frame.echo(), **filters})
        return next_link(request, response, cursor)


def listing(kind: str, keyset: Keyset) -> Callable[..., Listing]:
    """The dependency of a list route: ``limit``, ``cursor``, ``as_of`` and ``known_at`` (taken from the cursor when
    a next page leaves them out)."""

    def dependency(
        page: Paging,
        as_of: str | None = Query(default=None, description=AS_OF_HELP),
        known_at: str | None = Query(default=None, description=KNOWN_AT_HELP),
    ) -> Listing:
        asked = page.asked(kind, len(keyset))
        given_as_of = as_of if as_of is not None else _text(asked.get("as_of"))
        given_known_at = known_at if known_at is not None else _text(asked.get("known_at"))
        return Listing(kind, keyset, time_frame(given_as_of, given_known_at), page)

    return dependency


def _text(value: Json) -> str | None:
    return None if value is None else str(value)
