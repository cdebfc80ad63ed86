"""The auditor's exports gathered over the routes of a source (feed and log, in-process over ASGI): the record
bundle and an evidence pack verify; a trace ahead of the signed head waits, then says why; the page escapes."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from fastapi import FastAPI
from log_support import KEY, batch

from planspor_runtime.access import DEVELOPMENT_TOKENS, Access, Role, parse_tokens
from planspor_runtime.checkpoints import KeyRecord, make_head
from planspor_runtime.evidence import EvidenceError, evidence_pack, record_bundle
from planspor_runtime.feed import feed_router, log_router
from planspor_runtime.relay import MemoryRelayStore, RelayState, seal_batch
from planspor_runtime.relay.sealing import stored
from planspor_verify import verify_bundle, verify_pack
from planspor_verify.canonical import loads

pytestmark = pytest.mark.unit

AUDITOR = {"Authorization": f"Bearer {DEVELOPMENT_TOKENS[Role.AUDITOR]}"}


def source_store(events: int, head_at: int) -> MemoryRelayStore:
    store = MemoryRelayStore()
    store.add_key(KeyRecord(str(KEY.verifier_key), 1, None, "2024-06-19T12:00:00.000000Z"))
    sealed, state = seal_batch("plan-registry", RelayState(), batch(1, head_at), KEY)
    store.record(RelayState(), state, [stored(e) for e in sealed])
    store.add_head(make_head(KEY, store.log_state()))
    if events > head_at:
        more, after = seal_batch("plan-registry", state, batch(head_at + 1, events - head_at), KEY)
        store.record(state, after, [stored(e) for e in more])
    return store


def fetch_over(store: MemoryRelayStore, trace: dict):
    access = Access(parse_tokens(None))
    api = FastAPI()
    api.include_router(feed_router(store, access))
    api.include_router(log_router(store, access, source="plan-registry", configured_key=KEY.verifier_key))

    async def fetch(service: str, path: str, params) -> bytes:
        if service == "knowledge":
            return json.dumps(trace).encode()
        assert service == "plan-registry"
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url="http://source") as client:
            response = await client.get(path, params=dict(params), headers=AUDITOR)
        response.raise_for_status()
        return response.content

    return fetch


def trace_naming(store: MemoryRelayStore, positions: list[int]) -> dict:
    steps = []
    for position in positions:
        (row,) = store.read(after=position - 1, limit=1)
        envelope = loads(row.canonical)
        event = {"id": envelope["event_id"], "type": envelope["event_type"], "source": "plan-registry"}
        event.update(position=position, occurred_at=envelope["occurred_at"])
        title = "<script>alert(1)</script> Mål" if position == positions[0] else f"goal {position}"
        steps.append(
            {"label": "Goal", "id": envelope["aggregate_id"], "properties": {"title": title}, "events": [event]}
        )
    steps[0]["depth"] = 0
    return {"start": {"label": "Decision", "id": "d-1"}, "as_of": "2024-06-19T12:00:00+00:00", "steps": steps}


def test_the_record_and_a_pack_gathered_from_the_routes_verify():
    store = source_store(40, 40)
    trace = trace_naming(store, [3, 17, 40])
    fetch = fetch_over(store, trace)
    bundle = asyncio.run(record_bundle(fetch, sources=("plan-registry",)))
    assert len(bundle.sources[0].lines) == 40 and len(bundle.sources[0].checkpoints) == 1
    assert verify_bundle(bundle, [KEY.verifier_key]).ok
    pack = asyncio.run(evidence_pack(fetch, "decision", "d-1", sources=("plan-registry",)))
    assert [loads(line)["position"] for line in pack.sources[0].lines] == [3, 17, 40]
    report = verify_pack(pack, [KEY.verifier_key])
    assert report.ok, report
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Mål" in pack.page and "<script" not in pack.page
    assert "planspor-verify evidence.zip --key plan-registry.vkey" in pack.readme


def test_a_trace_ahead_of_the_signed_head_waits_then_says_why():
    store = source_store(40, 30)
    fetch = fetch_over(store, trace_naming(store, [3, 35]))
    with pytest.raises(EvidenceError, match="latest signed head covers 30 events, and the trace names position 35"):
        asyncio.run(evidence_pack(fetch, "decision", "d-1", sources=("plan-registry",), wait=0.3))
