"""How every list route pages, the same way in every service: ``?limit=`` and ``?cursor=``, ``next`` and ``Link``.

A list answers at most ``limit`` items (default ``DEFAULT_LIMIT``, at most ``MAX_LIMIT``; outside
that 422 on ``query.limit``), with ``next``: the cursor of the following page, or null on the last,
and the same as a ``Link: <...>; rel="next"`` header. A cursor is opaque to clients: base64url of
the list it belongs to, the sort key of the last item served (a keyset, not an offset, so a page
stays right while the store grows) and what the first page was asked with (the times of a
question, its filters). A cursor of another list, a tampered one, or one sent with other filters
is 422 on ``query.cursor``: a page sequence is one question.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Query, Request, Response

from planspor_runtime.problems import FieldError, ProblemError

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
MAX_CURSOR_CHARS = 2000

Json = str | int | float | bool | None
"""A value a cursor keeps: a sort key's part (dates as ISO strings) or a filter."""


def cursor_refused(detail: str) -> ProblemError:
    return ProblemError(
        422,
        f"cursor {detail}; send the 'next' of the previous page unchanged, with the same filters, or no cursor",
        name="validation",
        rule="request.cursor",
        errors=[FieldError(pointer="#", location="query.cursor", detail=detail)],
    )


def encode_cursor(kind: str, key: Sequence[Json], context: Mapping[str, Json] | None = None) -> str:
    """The cursor after the item whose sort key is ``key``, in the list ``kind`` asked with ``context``."""
    body = json.dumps({"list": kind, "after": list(key), "asked": dict(context or {})}, separators=(",", ":"))
    return base64.urlsafe_b64encode(body.encode("utf-8")).decode("ascii").rstrip("=")


@dataclass(frozen=True)
class Cursor:
    """A decoded cursor: the sort key to continue after, and what the first page was asked with."""

    after: list[Json]
    asked: dict[str, Json]


def decode_cursor(text: str, kind: str, size: int) -> Cursor:
    """``text`` as a cursor of the list ``kind`` whose sort key has ``size`` parts; 422 if it is not one."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        body = json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise cursor_refused("is not a cursor this service gave") from None
    if not isinstance(body, dict) or set(body) != {"list", "after", "asked"}:
        raise cursor_refused("is not a cursor this service gave")
    if body["list"] != kind:
        raise cursor_refused(f"belongs to another list ({str(body['list'])[:60]!r}), not {kind!r}")
    after, asked = body["after"], body["asked"]
    if not isinstance(after, list) or len(after) != size or not isinstance(asked, dict):
        raise cursor_refused("is not a cursor this service gave")
    if any(isinstance(part, (list, dict)) for part in [*after, *asked.values()]):
        raise cursor_refused("is not a cursor this service gave")
    return Cursor(after, asked)


@dataclass(frozen=True)
class PageRequest:
    """``?limit=`` and ``?cursor=`` as sent (the cursor still opaque: the route knows its list)."""

    limit: int = DEFAULT_LIMIT
    cursor: str | None = None

    def after(self, kind: str, size: int, asked: Mapping[str, Json] | None = None) -> list[Json] | None:
        """The sort key to continue after (None for the first page); 422 for a cursor of another list or asked
        with other ``asked`` values (filters, times)."""
        if self.cursor is None:
            return None
        cursor = decode_cursor(self.cursor, kind, size)
        if cursor.asked != dict(asked or {}):
            differ = sorted(k for k in {*cursor.asked, *(asked or {})} if cursor.asked.get(k) != (asked or {}).get(k))
            raise cursor_refused(f"was given for other {', '.join(differ)}")
        return cursor.after

    def after_position(self, kind: str, asked: Mapping[str, Json] | None = None) -> int:
        """For a list keyed by one position in an append-only log: the position to continue after (0 first)."""
        key = self.after(kind, 1, asked)
        if key is None:
            return 0
        if not isinstance(key[0], int) or isinstance(key[0], bool) or key[0] < 0:
            raise cursor_refused("is not a cursor this service gave")
        return key[0]

    def after_text(self, kind: str, asked: Mapping[str, Json] | None = None) -> str | None:
        """For a list keyed by one id: the id to continue after (None first)."""
        key = self.after(kind, 1, asked)
        if key is None:
            return None
        if not isinstance(key[0], str):
            raise cursor_refused("is not a cursor this service gave")
        return key[0]

    def answer(
        self,
        request: Request,
        response: Response,
        kind: str,
        items: list[Any],
        last: Json,
        asked: Mapping[str, Json] | None = None,
    ) -> dict[str, Any]:
        """``{"items": [...], "next": cursor or null}`` with the ``Link`` header; ``last`` is the key (one part) of
        the last item when another page follows, else None."""
        cursor = None if last is None else encode_cursor(kind, [last], asked)
        return {"items": items, "next": next_link(request, response, cursor)}

    def asked(self, kind: str, size: int) -> dict[str, Json]:
        """What the first page was asked with (empty without a cursor): a route takes its times from here when a
        next page does not name them."""
        return {} if self.cursor is None else decode_cursor(self.cursor, kind, size).asked


LIMIT_HELP = f"at most this many items (default {DEFAULT_LIMIT}, at most {MAX_LIMIT})"
CURSOR_HELP = "the 'next' of the previous page (opaque); none for the first page"


def page_request(
    limit: int = Query(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description=LIMIT_HELP),
    cursor: str | None = Query(default=None, min_length=1, max_length=MAX_CURSOR_CHARS, description=CURSOR_HELP),
) -> PageRequest:
    return PageRequest(limit, cursor)


Paging = Annotated[PageRequest, Depends(page_request)]
"""The parameters ``limit`` and ``cursor`` of a list route."""


def next_link(request: Request, response: Response, next_cursor: str | None) -> str | None:
    """Set ``Link: <this URL with cursor=next>; rel="next"`` when there is a next page; gives ``next_cursor``."""
    if next_cursor is not None:
        url = request.url.include_query_params(cursor=next_cursor)
        response.headers["Link"] = f'<{url.path}?{url.query}>; rel="next"'
    return next_cursor


def page_of(items: list[Any], limit: int, key: Any) -> tuple[list[Any], Any | None]:
    """Of ``limit + 1`` items fetched, the page and the item whose key is the next cursor (None at the end)."""
    if len(items) > limit:
        return items[:limit], key(items[limit - 1])
    return items, None
