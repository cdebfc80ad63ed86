"""The refusals of the application boundary, answered like a domain rule's (``kind`` -> HTTP status).

Re-exported by ``planspor_runtime.application``, where the services import them from.
"""

from __future__ import annotations

from typing import ClassVar


class ApplicationRefusal(Exception):
    """A refusal at the application boundary; answered like a domain rule's (``kind`` -> status)."""

    kind: ClassVar[str] = "conflict"
    problem_name: ClassVar[str] = "conflict"
    paragraph: str | None = None

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message


class AggregateNotFound(ApplicationRefusal):
    kind = "not_found"
    problem_name = "not-found"


class ConcurrencyConflict(ApplicationRefusal):
    """Someone else changed the aggregate since the caller read it: reload and try again."""

    def __init__(self, message: str) -> None:
        super().__init__("concurrency.version_conflict", message)


class IdempotencyKeyReused(ApplicationRefusal):
    """The same Idempotency-Key was sent with a different request."""

    kind = "invalid"
    problem_name = "idempotency-key-reused"

    def __init__(self, message: str) -> None:
        super().__init__("idempotency.key_reused", message)


class StoreUnavailable(ApplicationRefusal):
    """The event store cannot be reached; nothing was stored. The same command may be sent again."""

    kind = "unavailable"
    problem_name = "unavailable"

    def __init__(self, message: str) -> None:
        super().__init__("store.unavailable", message)


class StoreFull(StoreUnavailable):
    """The event store has no space left on its disk; nothing was stored. Free space, then send the same command."""

    def __init__(self, message: str) -> None:
        ApplicationRefusal.__init__(self, "store.full", message)


NO_SPACE = ("disk is full", "no space left", "could not extend file")
"""How SQLite ("database or disk is full") and PostgreSQL (DiskFull: "could not extend file ... No space left on
device") say that the disk is full."""


def store_error(error: Exception) -> StoreUnavailable:
    """A store's failure as the caller's refusal (503, Retry-After): a full disk named as such."""
    text = f"{error} {error.__cause__ or ''}".lower()
    if any(words in text for words in NO_SPACE):
        return StoreFull(
            "the event store has no space left on its disk; nothing was stored: free space, then send the command again"
        )
    return StoreUnavailable(
        f"the event store cannot be reached ({type(error).__name__}); nothing was stored, send the command again later"
    )


class EventRefused(ApplicationRefusal):
    """The command would record an event the relay could not publish: nothing was stored.

    ``event.invalid``: the integration event breaks its contract (a text over its maximum);
    ``event.too_large``: its envelope would be over ``MAX_ENVELOPE_BYTES``.
    """

    kind = "invalid"
    problem_name = "event-refused"
