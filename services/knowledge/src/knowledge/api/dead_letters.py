"""``/api/v1/dead-letters``: what was set aside and why, one dead letter (with its version), and its replay.

The replay is a command like every service's: ``If-Match`` takes the version that
``GET /api/v1/dead-letters/{id}`` served as ``ETag`` (``*`` = any; a stale one is 409), and
``Idempotency-Key`` makes a retry return the first answer (the same key with another
request is 422 ``idempotency.key_reused``). The answer's ``ETag`` is the version after it.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Request, Response

from knowledge.bootstrap import Container
from knowledge.errors import NotFound
from knowledge.graph.bookkeeping import get_dead_letter, list_dead_letters
from knowledge.pipeline.replay import replay_dead_letter
from planspor_runtime.access import Role
from planspor_runtime.http import IdempotencyKey, IfMatch, etag, expected_version
from planspor_runtime.paging import Paging, cursor_refused, encode_cursor, next_link, page_of
from planspor_runtime.problems import problem_responses


def dead_letters_router(container: Container) -> APIRouter:
    router = APIRouter(
        prefix="/api/v1/dead-letters",
        tags=["operations"],
        dependencies=[Depends(container.access.require(Role.OPERATOR))],
    )
    driver, database = container.driver, container.settings.neo4j_database

    @router.get("", responses=problem_responses(401, 403, 422, 503))
    async def dead_letters(
        request: Request, response: Response, page: Paging, status: Literal["open", "replayed"] | None = None
    ) -> dict[str, Any]:
        """The dead letters (``status`` open or replayed, or all) with their reasons, a page at a time (``limit``,
        ``cursor``; ``next`` and ``Link`` name the next page); ``count`` is the page's."""
        after = page.after("dead-letters", 3, {"status": status})
        if after is not None and not (
            isinstance(after[0], str) and type(after[1]) is int and isinstance(after[2], str)
        ):
            raise cursor_refused("is not a cursor this service gave")
        async with driver.session(database=database) as session:
            found = await session.execute_read(list_dead_letters, status, limit=page.limit, after=after)
        letters, last = page_of(found, page.limit, lambda letter: letter["page_key"])
        for letter in letters:
            letter.pop("page_key")
        cursor = None if last is None else encode_cursor("dead-letters", last, {"status": status})
        return {"dead_letters": letters, "count": len(letters), "next": next_link(request, response, cursor)}

    @router.get("/{dead_letter_id}", responses=problem_responses(401, 403, 404, 422, 503))
    async def dead_letter(dead_letter_id: str, response: Response) -> dict[str, Any]:
        """One dead letter; its ``ETag`` is its version (1 when set aside, 2 once replayed)."""
        async with driver.session(database=database) as session:
            letter = await session.execute_read(get_dead_letter, dead_letter_id)
        if letter is None:
            raise NotFound("dead_letter.exists", f"no dead letter {dead_letter_id!r}")
        etag(response, int(letter["version"]))
        return letter

    @router.post("/{dead_letter_id}/replay", responses=problem_responses(401, 403, 404, 409, 422, 503))
    async def replay(
        dead_letter_id: str, response: Response, if_match: IfMatch = None, idempotency_key: IdempotencyKey = None
    ) -> dict[str, Any]:
        """Apply a dead letter after a fix; 404 unknown, 409 still unusable (with the reason) or a stale If-Match."""
        answer = await replay_dead_letter(
            container.writer,
            dead_letter_id,
            expected_version=expected_version(if_match),
            idempotency_key=idempotency_key,
        )
        etag(response, answer.version)
        return answer.body

    return router
