"""A tiny event-sourced application for the relay's own tests, reliability runs and benchmark.

Not used by the services. Its events map to a real payload model of the catalogue
(``goal.defined`` of plan-registry), so what the tests see on the stream is what a
consumer would see.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from uuid import UUID

from eventsourcing.domain import Aggregate, DomainEvent, event

from planspor_runtime.application import ServiceApplication
from planspor_runtime.relay.core import Outgoing
from planspor_shared.envelope import derive_event_id
from planspor_shared.events.plan_registry import GoalDefined, GoalRetired

SOURCE = "plan-registry"
ACTOR = {"id": "relay-test", "name": "Relay test", "role": "planner"}


class Goal(Aggregate):
    @event("Defined")
    def __init__(self, title: str) -> None:
        self.title = title
        self.notes: list[str] = []

    @event("Noted")
    def note(self, text: str) -> None:
        """A private note: maps to no integration event, so positions and notification ids drift apart."""
        self.notes.append(text)

    @event("Retired")
    def retire(self, reason: str) -> None:
        self.reason = reason


class Goals(ServiceApplication):
    """On the services' base, so the relay is woken by its commits exactly as in a service."""

    def define_goal(self, title: str, notes: int = 0) -> UUID:
        goal = Goal(title)
        for i in range(notes):
            goal.note(f"note {i}")
        self.save(goal)
        return goal.id

    def define_goals(self, titles: list[str]) -> list[UUID]:
        goals = [Goal(title) for title in titles]
        self.save(*goals)
        return [g.id for g in goals]

    def retire_goal(self, goal_id: UUID, reason: str) -> None:
        goal: Goal = self.repository.get(goal_id)
        goal.retire(reason)
        self.save(goal)


def map_event(domain_event: DomainEvent) -> list[Outgoing]:
    common = dict(
        aggregate_id=str(domain_event.originator_id),
        aggregate_version=domain_event.originator_version,
        occurred_at=domain_event.timestamp,
        actor=ACTOR,
    )
    event_id = derive_event_id(domain_event.originator_id, domain_event.originator_version)
    if isinstance(domain_event, Goal.Defined):
        payload = GoalDefined(goal_id=str(domain_event.originator_id), title=domain_event.title)
        return [Outgoing(event_id=event_id, payload=payload, **common)]
    if isinstance(domain_event, Goal.Retired):
        payload = GoalRetired(
            goal_id=str(domain_event.originator_id),
            retired_on=domain_event.timestamp.date(),
            reason=domain_event.reason,
        )
        return [Outgoing(event_id=event_id, payload=payload, **common)]
    return []


def make_application(env: Mapping[str, str] | None = None) -> Goals:
    """Configured from the environment (PERSISTENCE_MODULE, SQLITE_DBNAME, POSTGRES_*), as the services are."""
    return Goals(env=dict(env) if env is not None else dict(os.environ))


async def read_stream(
    nats_url: str, prefix: str, source: str | None = None, *, heads: bool = False
) -> list[tuple[str, bytes]]:
    """Every event message of the prefix's stream (or of one source), in stream order: (Nats-Msg-Id, data).

    The signed tree heads a relay publishes on the same stream are left out, unless ``heads``.
    """
    import nats
    import nats.js.errors

    from planspor_shared.subjects import all_subjects, head_source, source_subjects, stream_name

    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        filter_subject = source_subjects(source, prefix=prefix) if source else all_subjects(prefix)
        info = await js.stream_info(stream_name(prefix), subjects_filter=filter_subject)
        total = info.state.messages
        messages: list[tuple[str, bytes]] = []
        if total == 0:
            return messages
        for attempt in range(1, 7):  # a cluster that lost a node may answer a consumer's creation late
            try:
                sub = await js.pull_subscribe(filter_subject, stream=stream_name(prefix))
                break
            except nats.errors.TimeoutError:
                if attempt == 6:
                    raise
        read, unavailable = 0, 0
        try:
            while read < total:
                try:
                    batch = await sub.fetch(min(1000, total - read), timeout=10)
                except nats.js.errors.ServiceUnavailableError:  # 503: the consumer's new leader not elected yet
                    unavailable += 1
                    if unavailable == 20:
                        raise
                    await asyncio.sleep(0.5)
                    continue
                for msg in batch:
                    read += 1
                    if heads or head_source(msg.subject) is None:
                        messages.append(((msg.headers or {}).get("Nats-Msg-Id", ""), msg.data))
                    await msg.ack()
        finally:
            await sub.unsubscribe()
        return messages
    finally:
        await nc.close()


def sqlite_env(path: str) -> dict[str, str]:
    return {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": path, "SQLITE_LOCK_TIMEOUT": "30"}


def postgres_env(dsn: Mapping[str, str | int], schema: str) -> dict[str, str]:
    """Environment of an application on PostgreSQL, in a schema of its own (created here)."""
    import psycopg
    from psycopg.conninfo import make_conninfo

    with psycopg.connect(make_conninfo("", **dsn), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": str(dsn["dbname"]),
        "POSTGRES_HOST": str(dsn["host"]),
        "POSTGRES_PORT": str(dsn["port"]),
        "POSTGRES_USER": str(dsn["user"]),
        "POSTGRES_PASSWORD": str(dsn["password"]),
        "POSTGRES_SCHEMA": schema,
        "POSTGRES_POOL_SIZE": "10",
        "POSTGRES_MAX_OVERFLOW": "10",
    }
