"""Keys and batches for the tests of signing and the log (deterministic, so failures reproduce)."""

from __future__ import annotations

from datetime import UTC, datetime

from planspor_runtime.relay import Outgoing
from planspor_shared.envelope import derive_event_id
from planspor_shared.events.plan_registry import GoalDefined
from planspor_verify.note import Signer

ORIGIN = "planspor.test/plan-registry"
KEY = Signer.from_seed(ORIGIN, b"\x01" * 32)
NEXT_KEY = Signer.from_seed(ORIGIN, b"\x02" * 32)
WHEN = datetime(2024, 6, 19, 12, 0, tzinfo=UTC)


def outgoing(aggregate: str) -> Outgoing:
    return Outgoing(
        event_id=derive_event_id(aggregate, 1),
        payload=GoalDefined(goal_id=aggregate, title=f"goal {aggregate}"),
        aggregate_id=aggregate,
        aggregate_version=1,
        occurred_at=WHEN,
        actor={"id": "p1", "name": "Planner", "role": "planner"},
    )


def batch(start: int, count: int) -> list[tuple[int, list[Outgoing]]]:
    """``count`` notifications from ``start``, each mapping to one ``goal.defined``."""
    return [(start + i, [outgoing(f"a{start + i}")]) for i in range(count)]
