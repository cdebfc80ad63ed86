"""Gathering a record or an evidence pack from the services, over their HTTP routes only.

``fetch(service, path, params)`` is the caller's: it asks ``plan-registry``, ``cocreation`` or
``knowledge`` for ``path`` with its own token and returns the body's bytes (raising its own error
for a 4xx/5xx). The CLI passes one over httpx; the portal one over its service clients. Both get
the same pack from the same routes:

- a source's ``GET /keys``, ``GET /checkpoints``, ``GET /checkpoints/latest``, ``GET /events`` and
  ``GET /proofs/inclusion`` (runtime ``feed``);
- knowledge's trace: ``GET /api/v1/trace/back/{decision|strategy|strategy-item}/{id}`` and
  ``GET /api/v1/trace/forward/input/{id}``.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from planspor_runtime.checkpoints import utc_now, utc_text
from planspor_runtime.evidence.page import pack_readme, trace_page
from planspor_verify.bundle import Bundle, SourceRecord
from planspor_verify.canonical import canonical_of_loaded, loads
from planspor_verify.checkpoint import parse_checkpoint
from planspor_verify.evidence import EvidencePack, PackSource, event_refs, verify_pack
from planspor_verify.note import NoteError, VerifierKey

Fetch = Callable[[str, str, Mapping[str, Any]], Awaitable[bytes]]
"""``(service, path, query parameters) -> body``; raises the caller's error on a 4xx or 5xx."""

SOURCES = ("plan-registry", "cocreation")
PAGE = 1000
TRACE_PATHS = {
    "decision": "/api/v1/trace/back/decision/{id}",
    "strategy": "/api/v1/trace/back/strategy/{id}",
    "strategy-item": "/api/v1/trace/back/strategy-item/{id}",
    "input": "/api/v1/trace/forward/input/{id}",
}


class EvidenceError(Exception):
    """The services could not give what a pack needs (a head that does not come, a proof that does not prove)."""


def _json(body: bytes) -> Any:
    return json.loads(body)


async def feed_lines(fetch: Fetch, source: str, upto: int | None = None) -> list[bytes]:
    """The source's envelopes in position order as canonical lines (all of them, or those up to ``upto``)."""
    lines: list[bytes] = []
    while upto is None or len(lines) < upto:
        page = loads(await fetch(source, "/events", {"after": len(lines), "limit": PAGE}))
        events = page.get("events") or []
        if not events:
            break
        lines.extend(canonical_of_loaded(envelope) for envelope in events)
    return lines if upto is None else lines[:upto]


async def heads(fetch: Fetch, source: str) -> list[str]:
    notes: list[str] = []
    after = 0
    while True:
        page = _json(await fetch(source, "/checkpoints", {"after": after, "limit": PAGE}))
        found = page.get("checkpoints") or []
        if not found:
            return notes
        notes.extend(str(item["checkpoint"]) for item in found)
        after = int(page["next_after"])


async def keys(fetch: Fetch, source: str) -> dict[str, Any]:
    """``{"source", "origin", "configured", "keys": [{vkey, from_position, announced_at}]}``."""
    answer: dict[str, Any] = _json(await fetch(source, "/keys", {}))
    return answer


async def record_bundle(fetch: Fetch, sources: Sequence[str] = SOURCES) -> Bundle:
    """The whole record: every event of each source with its signature, every signed head, the keys.

    Heads are read before the events (a head never covers more than the events read after it) and
    the keys last (a key rotated meanwhile is in the list)."""
    records = []
    for source in sources:
        notes = await heads(fetch, source)
        lines = await feed_lines(fetch, source)
        served = await keys(fetch, source)
        records.append(SourceRecord(source, str(served["origin"]), lines, notes, list(served["keys"])))
    return Bundle(records, created_at=utc_text(utc_now()))


async def latest_head(fetch: Fetch, source: str, covering: int, wait: float, poll: float = 0.5) -> str | None:
    """The source's latest signed head once it covers position ``covering`` (None if it has none and
    nothing needs covering). A source issues a head at an interval, so this waits up to ``wait`` s."""
    deadline = time.monotonic() + wait
    while True:
        notes = await heads_tail(fetch, source)
        note = notes[-1] if notes else None
        size = parse_checkpoint(note).checkpoint.size if note else 0
        if size >= covering:
            return note
        if time.monotonic() >= deadline:
            raise EvidenceError(
                f"{source}'s latest signed head covers {size} events, and the trace names position {covering}: "
                f"the source signs a head at an interval; ask again in a minute (waited {wait:.0f} s)"
            )
        await asyncio.sleep(poll)


async def heads_tail(fetch: Fetch, source: str) -> list[str]:
    """The latest head, as a list of at most one note (the route answers 404 before the first head)."""
    page = _json(await fetch(source, "/checkpoints", {"after": 0, "limit": 1}))
    if not page.get("checkpoints"):
        return []
    body = await fetch(source, "/checkpoints/latest", {})
    return [body.decode("utf-8")]


async def evidence_pack(
    fetch: Fetch,
    kind: str,
    subject_id: str,
    *,
    as_of: str | None = None,
    wait: float = 90.0,
    sources: Sequence[str] = SOURCES,
    concurrency: int = 8,
) -> EvidencePack:
    """The evidence pack of a decision, strategy, strategy item or input: its trace, every event the trace
    names with an inclusion proof against its source's latest signed head, the heads and the keys.

    Before it is returned it is checked as ``planspor-verify`` will check it, against the keys the
    sources serve: a pack that would not verify is an ``EvidenceError``, never a file."""
    if kind not in TRACE_PATHS:
        raise ValueError(f"an evidence pack is of one of {', '.join(TRACE_PATHS)}, not {kind!r}")
    params = {"as_of": as_of} if as_of else {}
    trace = _json(await fetch("knowledge", TRACE_PATHS[kind].format(id=subject_id), params))
    refs = event_refs(trace)
    wanted: dict[str, set[int]] = {source: set() for source in sources}
    for ref in refs:
        if ref.source in wanted and ref.position is not None:
            wanted[ref.source].add(ref.position)
    unplaced = {ref.id for ref in refs if ref.position is None}
    served_keys = {source: await keys(fetch, source) for source in sources}
    for source in sources:  # each handover, so that a key the auditor holds vouches for the next
        wanted[source].update(k["announced_at"] for k in served_keys[source]["keys"] if k.get("announced_at"))
    gathered: dict[str, list[bytes]] = {}
    for source in sources:
        upto = None if unplaced else max(wanted[source], default=0)
        lines = await feed_lines(fetch, source, upto) if upto != 0 else []
        gathered[source] = lines
        for position, line in enumerate(lines, start=1):
            event_id = loads(line).get("event_id") if unplaced else None
            if event_id in unplaced:
                wanted[source].add(position)
                unplaced.discard(event_id)
    if unplaced:
        raise EvidenceError(f"the trace names events no source holds: {', '.join(sorted(unplaced))}")
    gate = asyncio.Semaphore(concurrency)
    parts = []
    for source in sources:
        positions = sorted(wanted[source])
        note = await latest_head(fetch, source, max(positions, default=0), wait)
        if note is None:
            continue
        size = parse_checkpoint(note).checkpoint.size

        async def proof(position: int, source: str = source, size: int = size) -> dict[str, Any]:
            async with gate:
                answer = _json(await fetch(source, "/proofs/inclusion", {"position": position, "size": size}))
            return {"position": position, "proof": answer["proof"]}

        proofs = await asyncio.gather(*(proof(p) for p in positions))
        served = served_keys[source]
        lines = gathered[source]
        parts.append(
            PackSource(
                source,
                str(served["origin"]),
                [lines[p - 1] for p in positions],
                list(proofs),
                note,
                list(served["keys"]),
            )
        )
    events = {(part.source, loads(line)["position"]): loads(line) for part in parts for line in part.lines}
    pack = EvidencePack(kind, subject_id, trace, parts, created_at=utc_text(utc_now()))
    pack.page = trace_page(pack, events)
    pack.readme = pack_readme(pack)
    check = verify_pack(pack, _served_keys(parts))
    if not check.ok:
        raise EvidenceError(f"the pack the services gave does not verify: {check}")
    return pack


def _served_keys(parts: Sequence[PackSource]) -> list[VerifierKey]:
    found = []
    for part in parts:
        for entry in part.keys:
            try:
                found.append(VerifierKey.parse(str(entry.get("vkey"))))
            except NoteError:
                continue
    return found
