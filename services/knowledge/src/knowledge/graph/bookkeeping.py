"""The projector's own records in the graph: checkpoints, dead letters, idempotency records, the sources'
key chains and the witness's logs and heads.

None of them is a fact. The ``Checkpoint`` of a source (the last position applied, and its
hash) is written in the same transaction as the facts of the batch, so a batch is applied
exactly once; it is in the checksum. A ``DeadLetter`` keeps what arrived and why it could
not be used; an ``IdempotencyRecord`` keeps the first answer to an operator's request sent
with an ``Idempotency-Key`` (a dead letter's replay). Those two are operational state: not
in the checksum, not in the PROV export, and gone after a rebuild. So are the witness's records
(``knowledge.pipeline.witness``: a ``WitnessLog`` per source, the compact range of the tree over what was
applied, moved with the checkpoint; a ``WitnessHead`` per head received) and the key hand-overs a
source announced (``SourceKey``, ``knowledge.pipeline.signatures``): a rebuild finds them again in the
events and the heads on the stream.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import neo4j

from planspor_shared.events import SOURCES

Checkpoints = dict[str, tuple[int, str | None]]
"""Per source: the last position applied and its hash (None before the first)."""


def positions(checkpoints: Checkpoints) -> dict[str, int]:
    """Per source, the last position applied."""
    return {source: position for source, (position, _) in checkpoints.items()}


async def _run(tx: neo4j.AsyncManagedTransaction, query: str, **params: Any) -> list[neo4j.Record]:
    result = await tx.run(query, **params)
    return [record async for record in result]


# --- checkpoints -------------------------------------------------------------------------------


async def lock_checkpoints(tx: neo4j.AsyncManagedTransaction) -> Checkpoints:
    """Create the checkpoints if missing and write-lock them: two projectors never apply the same positions.

    The lock is a property set and removed, which leaves nothing in the graph but is a change in the
    transaction: Neo4j keeps one plan of a statement for a transaction that has changed something and
    another for one that has not, and the warm-up (``knowledge.graph.warmup``) makes the first. With the
    former lock (``SET c.position = c.position``, no change) a batch's first statement needed the second
    plan, and planned it on the spot the first time each shape came first: 0.2 to 2 s for a batch of one
    event on a warm Neo4j, which a fresh projector and a trickle of small batches met most (the knowledge
    README, "Few round trips per batch")."""
    records = await _run(
        tx,
        "UNWIND $sources AS source MERGE (c:Checkpoint {source: source}) ON CREATE SET c.position = 0 "
        "SET c.locked = true REMOVE c.locked RETURN c.source AS source, c.position AS position, c.hash AS hash",
        sources=list(SOURCES),
    )
    return {r["source"]: (r["position"], r["hash"]) for r in records}


async def read_checkpoints(tx: neo4j.AsyncManagedTransaction) -> Checkpoints:
    records = await _run(tx, "MATCH (c:Checkpoint) RETURN c.source AS source, c.position AS position, c.hash AS hash")
    return {r["source"]: (r["position"], r["hash"]) for r in records}


async def set_checkpoints(tx: neo4j.AsyncManagedTransaction, checkpoints: Mapping[str, tuple[int, str | None]]) -> None:
    """Move the checkpoints of the batch's sources in one statement, in the transaction of the facts."""
    if not checkpoints:
        return
    await _run(
        tx,
        "UNWIND $rows AS row MATCH (c:Checkpoint {source: row.source}) "
        "SET c.position = row.position, c.hash = row.hash",
        rows=[
            {"source": source, "position": position, "hash": hash_}
            for source, (position, hash_) in sorted(checkpoints.items())
        ],
    )


async def event_hash_at(tx: neo4j.AsyncManagedTransaction, source: str, position: int) -> str | None:
    """The hash of the event applied at a position of a source, if one is."""
    records = await _run(
        tx,
        "MATCH (e:Event {source: $source, position: $position}) RETURN e.hash AS hash",
        source=source,
        position=position,
    )
    return records[0]["hash"] if records else None


# --- key chains and the witness ------------------------------------------------------------------


async def read_key_entries(tx: neo4j.AsyncManagedTransaction) -> list[dict[str, Any]]:
    """Every key hand-over the sources announced: source, vkey, from_position, announced_at."""
    records = await _run(
        tx,
        "MATCH (k:SourceKey) RETURN k.source AS source, k.vkey AS vkey, k.from_position AS from_position, "
        "k.announced_at AS announced_at ORDER BY k.source, k.from_position",
    )
    return [dict(r) for r in records]


async def add_key_entries(tx: neo4j.AsyncManagedTransaction, rows: Sequence[Mapping[str, Any]]) -> None:
    if rows:
        await _run(
            tx,
            "UNWIND $rows AS row MERGE (k:SourceKey {id: row.source + ':' + toString(row.from_position)}) "
            "SET k.source = row.source, k.vkey = row.vkey, k.from_position = row.from_position, "
            "k.announced_at = row.announced_at",
            rows=list(rows),
        )


async def read_witness_logs(tx: neo4j.AsyncManagedTransaction) -> dict[str, dict[str, Any]]:
    """Per source: size, frontier (hex), head_size, head_root of the witness's log."""
    records = await _run(
        tx,
        "MATCH (w:WitnessLog) RETURN w.source AS source, w.size AS size, w.frontier AS frontier, "
        "w.head_size AS head_size, w.head_root AS head_root",
    )
    return {r["source"]: dict(r) for r in records}


async def set_witness_logs(tx: neo4j.AsyncManagedTransaction, rows: Sequence[Mapping[str, Any]]) -> None:
    if rows:
        await _run(
            tx,
            "UNWIND $rows AS row MERGE (w:WitnessLog {source: row.source}) SET w.size = row.size, "
            "w.frontier = row.frontier, w.head_size = row.head_size, w.head_root = row.head_root",
            rows=list(rows),
        )


async def read_witness_heads(
    tx: neo4j.AsyncManagedTransaction, sources: Sequence[str], sizes: Mapping[str, Sequence[int]]
) -> list[dict[str, Any]]:
    """The heads of ``sources`` still waiting, and those checked at the given sizes (source -> sizes)."""
    records = await _run(
        tx,
        "MATCH (h:WitnessHead) WHERE h.source IN $sources AND (h.status = 'pending' OR "
        "(h.status = 'checked' AND h.size IN coalesce($sizes[h.source], []))) RETURN h {.*} AS h",
        sources=list(sources),
        sizes={source: list(values) for source, values in sizes.items()},
    )
    return [dict(r["h"]) for r in records]


async def write_witness_heads(tx: neo4j.AsyncManagedTransaction, rows: Sequence[Mapping[str, Any]]) -> None:
    """Keep each head with what the witness found; a head seen again keeps its first verdict but ``pending``."""
    if rows:
        await _run(
            tx,
            "UNWIND $rows AS row MERGE (h:WitnessHead {id: row.id}) "
            "ON CREATE SET h.source = row.source, h.size = row.size, h.root = row.root, h.note = row.note, "
            "h.status = row.status, h.reason = row.reason "
            "WITH h, row WHERE h.status = 'pending' SET h.status = row.status, h.reason = row.reason",
            rows=list(rows),
        )


async def list_alarms(tx: neo4j.AsyncManagedTransaction) -> list[dict[str, Any]]:
    """The heads the witness raised an alarm on: source, size, root, reason."""
    records = await _run(
        tx,
        "MATCH (h:WitnessHead {status: 'alarm'}) "
        "RETURN h {.id, .source, .size, .root, .reason} AS h ORDER BY h.source, h.size, h.id",
    )
    return [dict(r["h"]) for r in records]


# --- dead letters ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeadLetter:
    """What arrived and could not be used, and why.

    ``id`` is ``<source>:<position>`` when the position is known (the ``Nats-Msg-Id``),
    otherwise ``sha256:<hex of raw>``; ``first_seen_position`` is the checkpoint of its
    source when it was seen.
    """

    id: str
    source: str | None
    position: int | None
    subject: str
    reason: str
    raw: bytes
    first_seen_position: int | None


FIRST_VERSION = 1
"""A dead letter's version when it is set aside; each change of its state (its replay) adds one.
It is the ``ETag`` of ``GET /api/v1/dead-letters/{id}`` and what ``If-Match`` names."""


async def write_dead_letters(tx: neo4j.AsyncManagedTransaction, letters: Sequence[DeadLetter]) -> None:
    """A dead letter keeps what arrived and why it could not be used; seeing it again changes nothing."""
    if not letters:
        return
    await _run(
        tx,
        "UNWIND $rows AS row MERGE (d:DeadLetter {id: row.id}) ON CREATE SET d.source = row.source, "
        "d.position = row.position, d.subject = row.subject, d.reason = row.reason, d.raw = row.raw, "
        "d.first_seen_position = row.first_seen, d.status = 'open', d.version = $version",
        rows=[
            {
                "id": d.id,
                "source": d.source,
                "position": d.position,
                "subject": d.subject,
                "reason": d.reason,
                "raw": d.raw.decode("utf-8", errors="replace"),
                "first_seen": d.first_seen_position,
            }
            for d in letters
        ],
        version=FIRST_VERSION,
    )


_AS_DICT = "d {.*, version: coalesce(d.version, $first)} AS d"


async def count_dead_letters(tx: neo4j.AsyncManagedTransaction, status: str | None = None) -> int:
    records = await _run(
        tx, "MATCH (d:DeadLetter) WHERE $status IS NULL OR d.status = $status RETURN count(d) AS n", status=status
    )
    return int(records[0]["n"]) if records else 0


DEAD_LETTER_ORDER = ("coalesce(d.source, '')", "coalesce(d.position, -1)", "d.id")
"""Dead letters in order of their source and position (unknown first), then id: also the key of a page."""


async def list_dead_letters(
    tx: neo4j.AsyncManagedTransaction,
    status: str | None = None,
    *,
    limit: int | None = None,
    after: list[Any] | None = None,
) -> list[dict[str, Any]]:
    """The dead letters (of ``status``, or all), each with its sort key as ``page_key``; with ``limit``, at most
    ``limit + 1`` of them after the key ``after`` (the caller keeps ``limit`` and learns whether more follow)."""
    source, position, ident = DEAD_LETTER_ORDER
    records = await _run(
        tx,
        f"MATCH (d:DeadLetter) WHERE ($status IS NULL OR d.status = $status) AND ($after IS NULL "
        f"OR {source} > $after[0] OR ({source} = $after[0] AND ({position} > $after[1] "
        f"OR ({position} = $after[1] AND {ident} > $after[2])))) "
        f"RETURN {_AS_DICT}, [{source}, {position}, {ident}] AS page_key "
        f"ORDER BY {source}, {position}, {ident} LIMIT $fetch",
        status=status,
        first=FIRST_VERSION,
        after=after,
        fetch=(1 << 62) if limit is None else limit + 1,
    )
    return [{**dict(r["d"]), "page_key": list(r["page_key"])} for r in records]


async def get_dead_letter(tx: neo4j.AsyncManagedTransaction, dead_letter_id: str) -> dict[str, Any] | None:
    records = await _run(
        tx, f"MATCH (d:DeadLetter {{id: $id}}) RETURN {_AS_DICT}", id=dead_letter_id, first=FIRST_VERSION
    )
    return dict(records[0]["d"]) if records else None


async def mark_dead_letter_replayed(
    tx: neo4j.AsyncManagedTransaction, dead_letter_id: str, event_id: str, version: int
) -> int | None:
    """Mark it replayed if it is still at ``version``; its new version, or None if it changed meanwhile.

    The first SET takes the node's write lock before the version is compared, so of two
    concurrent replays the second waits, then sees the first's version and changes nothing.
    """
    records = await _run(
        tx,
        "MATCH (d:DeadLetter {id: $id}) SET d.version = coalesce(d.version, $first) "
        "WITH d WHERE d.version = $version "
        "SET d.status = 'replayed', d.replayed_event_id = $event_id, d.version = $version + 1 "
        "RETURN d.version AS version",
        id=dead_letter_id,
        event_id=event_id,
        version=version,
        first=FIRST_VERSION,
    )
    return records[0]["version"] if records else None


# --- idempotency records --------------------------------------------------------------------------


@dataclass(frozen=True)
class IdempotencyRecord:
    """The first answer to a request sent with an ``Idempotency-Key``; unique per key (a constraint)."""

    key: str
    command: str
    fingerprint: str
    answer: str
    """The answer's body, as canonical JSON."""
    version: int
    """The version the answer's ``ETag`` named."""


async def find_idempotency_record(tx: neo4j.AsyncManagedTransaction, key: str) -> IdempotencyRecord | None:
    records = await _run(
        tx,
        "MATCH (r:IdempotencyRecord {key: $key}) "
        "RETURN r.command AS command, r.fingerprint AS fingerprint, r.answer AS answer, r.version AS version",
        key=key,
    )
    if not records:
        return None
    found = records[0]
    return IdempotencyRecord(key, found["command"], found["fingerprint"], found["answer"], found["version"])


async def create_idempotency_record(tx: neo4j.AsyncManagedTransaction, record: IdempotencyRecord) -> None:
    """CREATE, not MERGE: a second request with the same key at the same moment fails on the uniqueness
    constraint (``neo4j.exceptions.ConstraintError``) and its transaction writes nothing."""
    await _run(
        tx,
        "CREATE (:IdempotencyRecord {key: $key, command: $command, fingerprint: $fingerprint, answer: $answer, "
        "version: $version})",
        key=record.key,
        command=record.command,
        fingerprint=record.fingerprint,
        answer=record.answer,
        version=record.version,
    )
