"""The sources' feeds (``GET /events?after=N&limit=M``): where a gap in the stream is filled from."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx


class FeedUnavailable(RuntimeError):
    """The feed could not be read now; the held events wait for a later try."""


class Feeds:
    def __init__(self, urls: Mapping[str, str], token: str | None = None, timeout: float = 10.0) -> None:
        self._urls = {source: url.rstrip("/") for source, url in urls.items()}
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._client = httpx.AsyncClient(headers=headers, timeout=timeout)

    def has(self, source: str) -> bool:
        return source in self._urls

    async def page(self, source: str, after: int, limit: int = 500) -> tuple[list[Any], int]:
        """One page of envelopes (as JSON objects) after ``after`` and the feed's ``next_after``."""
        if source not in self._urls:
            raise FeedUnavailable(f"no feed URL configured for {source}")
        try:
            response = await self._client.get(f"{self._urls[source]}/events", params={"after": after, "limit": limit})
            response.raise_for_status()
            body = response.json()
            return list(body["events"]), int(body.get("next_after", after))
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as error:
            raise FeedUnavailable(f"feed of {source} at {self._urls[source]}: {error}") from error

    async def between(self, source: str, after: int, before: int) -> list[Any]:
        """Envelopes with positions after+1 .. before-1 (fewer if the feed has fewer)."""
        events: list[Any] = []
        cursor = after
        while cursor < before - 1:
            page, next_after = await self.page(source, cursor, min(500, before - 1 - cursor))
            if not page:
                break
            events.extend(page)
            if next_after <= cursor:
                break
            cursor = next_after
        return events

    async def aclose(self) -> None:
        await self._client.aclose()
