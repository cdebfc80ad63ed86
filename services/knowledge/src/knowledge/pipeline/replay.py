"""A dead letter's replay: after a fix (a new contract version, a new mapping), apply what was set aside.

Its position was consumed when it was dead-lettered, so it is applied on its own, outside
the order: its Event node joins the chain where it belongs (FOLLOWS both ways) and the
checkpoint does not move. It passes the same checks as the live projector's events, its
signature by the key in force at its position included (``GraphWriter.problem``); broken bytes
stay broken (``ReplayRefused``).

The operator's request runs as every service's commands do (``planspor_runtime.http``):
``If-Match`` names the dead letter's version (a stale one is ``ConcurrencyConflict``, 409),
and with an ``Idempotency-Key`` a retry returns the first answer and acts once, while the
same key with another request is ``IdempotencyKeyReused`` (422). The fingerprint is the
runtime's one rule (command, request, expected version); the first answer is kept in an
``IdempotencyRecord`` in the same transaction that marks the dead letter replayed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import neo4j
from neo4j.exceptions import ConstraintError

from knowledge.errors import NotFound, ReplayRefused
from knowledge.graph.batch import EventToWrite, write_events
from knowledge.graph.bookkeeping import (
    IdempotencyRecord,
    create_idempotency_record,
    event_hash_at,
    find_idempotency_record,
    get_dead_letter,
    mark_dead_letter_replayed,
    positions,
)
from knowledge.pipeline.graph_writer import GraphWriter
from knowledge.pipeline.ordering import decode
from planspor_runtime.application import ConcurrencyConflict, IdempotencyKeyReused, fingerprint
from planspor_shared.canonical import GENESIS_HASH, canonical_json

COMMAND = "replay_dead_letter"


@dataclass(frozen=True)
class ReplayAnswer:
    """The answer's body (``{id, status, event_id}``) and the dead letter's version after it (the ``ETag``)."""

    body: dict[str, Any]
    version: int


async def replay_dead_letter(
    writer: GraphWriter, dead_letter_id: str, *, expected_version: int | None = None, idempotency_key: str | None = None
) -> ReplayAnswer:
    """Apply a dead letter again; one replayed already answers as it did (it is not applied twice)."""
    print_ = fingerprint(COMMAND, {"dead_letter_id": dead_letter_id}, expected_version)
    if idempotency_key:
        earlier = await _earlier_answer(writer, idempotency_key, print_)
        if earlier is not None:
            return earlier
    letter = await _dead_letter(writer, dead_letter_id)
    version = int(letter["version"])
    if expected_version is not None and expected_version != version:
        raise ConcurrencyConflict(
            f"dead letter {dead_letter_id!r} is at version {version}, not {expected_version}: "
            "read it again (GET /api/v1/dead-letters/{id}) and decide again"
        )
    applied_now = letter.get("status") != "replayed"
    event_id: str | None = (
        await _apply(writer, dead_letter_id, letter) if applied_now else letter.get("replayed_event_id")
    )
    answer = ReplayAnswer(
        {"id": dead_letter_id, "status": "replayed", "event_id": event_id}, version + 1 if applied_now else version
    )
    kept = (
        IdempotencyRecord(idempotency_key, COMMAND, print_, canonical_json(answer.body).decode(), answer.version)
        if idempotency_key
        else None
    )
    if not applied_now and kept is None:
        return answer

    async def settle(tx: neo4j.AsyncManagedTransaction) -> bool:
        """Mark it replayed (if it was applied now) and keep the answer, in one transaction."""
        if applied_now and await mark_dead_letter_replayed(tx, dead_letter_id, str(event_id), version) is None:
            return False
        if kept is not None:
            await create_idempotency_record(tx, kept)
        return True

    try:
        async with writer.driver.session(database=writer.database) as session:
            settled = await session.execute_write(settle)
    except ConstraintError:  # the same key, at the same moment, in another request: its answer holds
        earlier = await _earlier_answer(writer, idempotency_key, print_) if idempotency_key else None
        if earlier is None:
            raise
        return earlier
    if not settled:  # another request replayed it meanwhile: answer as to a request that came after it
        earlier = await _earlier_answer(writer, idempotency_key, print_) if idempotency_key else None
        if earlier is not None:
            return earlier
        if expected_version is not None:
            raise ConcurrencyConflict(f"dead letter {dead_letter_id!r} changed while it was replayed: read it again")
        return await replay_dead_letter(writer, dead_letter_id, idempotency_key=idempotency_key)
    return answer


async def _dead_letter(writer: GraphWriter, dead_letter_id: str) -> dict[str, Any]:
    async with writer.driver.session(database=writer.database) as session:
        letter = await session.execute_read(get_dead_letter, dead_letter_id)
    if letter is None:
        raise NotFound("dead_letter.exists", f"no dead letter {dead_letter_id!r}")
    return letter


async def _apply(writer: GraphWriter, dead_letter_id: str, letter: dict[str, Any]) -> str:
    """Decode and check it again, then apply it; returns its event id.

    Ahead of its checkpoint (it was seen before the events before it): in order, as the
    projector does. Behind it: alone, chained to the event before it if that one is in the graph.
    """
    item = decode(letter["raw"].encode("utf-8"), letter.get("subject") or "", None, writer.registry, via="replay")
    if item.head is not None:
        raise ReplayRefused(f"dead letter {dead_letter_id!r} is a signed tree head: the witness checks it once")
    async with writer.driver.session(database=writer.database) as session:
        chains = await session.execute_read(writer.key_chains)
    envelope = item.envelope
    chain = chains.get(envelope.source) if envelope is not None else None
    reason = writer.problem(item, chain) if chain is not None else writer.reason_to_set_aside(item) or "not decoded"
    payload = item.payload
    if reason is None and item.announcement is not None:
        reason = "a key announcement hands over only in its place in the order, not as a replay"
    if reason is not None or envelope is None or payload is None:
        raise ReplayRefused(f"dead letter {dead_letter_id!r} still cannot be applied: {reason}")
    if envelope.position > positions(await writer.checkpoints()).get(envelope.source, 0):
        await writer.project([item])
        return str(envelope.event_id)

    async def apply(tx: neo4j.AsyncManagedTransaction) -> None:
        before = await event_hash_at(tx, envelope.source, envelope.position - 1)
        expected = before if before is not None else (GENESIS_HASH if envelope.position == 1 else None)
        chain_ok = expected is None or expected == envelope.prev_hash
        await write_events(tx, [EventToWrite(envelope, payload, chain_ok)])

    async with writer.lock, writer.driver.session(database=writer.database) as session:
        await session.execute_write(apply)
    return str(envelope.event_id)


async def _earlier_answer(writer: GraphWriter, key: str, print_: str) -> ReplayAnswer | None:
    """The first answer given for ``key``, if any; ``IdempotencyKeyReused`` if it was another request."""
    async with writer.driver.session(database=writer.database) as session:
        record = await session.execute_read(find_idempotency_record, key)
    if record is None:
        return None
    if record.fingerprint != print_:
        raise IdempotencyKeyReused(
            f"Idempotency-Key {key!r} was first used for a different request "
            f"({record.command}): use a new key for a new request"
        )
    return ReplayAnswer(json.loads(record.answer), record.version)
