"""What the knowledge service refuses: each refusal names its rule and says what to change.

They are raised where the rule lives (a query, a replay) and answered as RFC 9457 problem
details by ``knowledge.api.problems``: ``kind`` gives the status (``not_found`` 404,
``conflict`` 409, ``invalid`` 422) and ``QueryRefused`` is 400 (the question cannot be
answered as asked). A stale ``If-Match`` and a reused ``Idempotency-Key`` are the runtime's
``ConcurrencyConflict`` and ``IdempotencyKeyReused``, so they read as in every service.
"""

from __future__ import annotations

import re
from typing import ClassVar


class KnowledgeRefusal(Exception):
    kind: ClassVar[str] = "conflict"
    problem_name: ClassVar[str] = "conflict"
    paragraph: str | None = None

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message


class NotFound(KnowledgeRefusal):
    """The node a query starts from (or a dead letter) does not exist, as of the instant asked about."""

    kind = "not_found"
    problem_name = "not-found"

    @classmethod
    def node(cls, label: str, node_id: str, as_of: str | None = None) -> NotFound:
        when = f" as of {as_of}" if as_of else ""
        return cls(f"{snake_case(label)}.exists", f"no {label} with id {node_id!r}{when}")


class QueryRefused(KnowledgeRefusal):
    """The question cannot be answered as asked (400, like a refused Cypher query); the message says what to change."""

    kind = "refused"
    problem_name = "bad-request"


class ReplayRefused(KnowledgeRefusal):
    """The dead letter still cannot be applied; the message is the reason."""

    def __init__(self, message: str) -> None:
        super().__init__("dead_letter.usable", message)


class BundleRefused(KnowledgeRefusal):
    """A bundle to rebuild from that is not a readable, self-consistent record (422); the graph is left as it was."""

    kind = "invalid"
    problem_name = "unprocessable-content"

    def __init__(self, message: str) -> None:
        super().__init__("rebuild.bundle", message)


def snake_case(label: str) -> str:
    """``StrategyItem`` -> ``strategy_item``: a label as the first word of a rule."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", label).lower()
