"""The log's routes: keys, signed heads, inclusion and consistency proofs, and their refusals."""

from __future__ import annotations

import asyncio
import base64

import httpx
import pytest
from fastapi import FastAPI
from log_support import KEY, batch

from planspor_runtime.access import DEVELOPMENT_TOKENS, Access, Role, parse_tokens
from planspor_runtime.checkpoints import KeyRecord, make_head
from planspor_runtime.feed import log_router
from planspor_runtime.relay import MemoryRelayStore, RelayState, seal_batch
from planspor_runtime.relay.sealing import stored
from planspor_verify.checkpoint import open_checkpoint
from planspor_verify.merkle import verify_consistency, verify_inclusion
from planspor_verify.note import Signer

pytestmark = pytest.mark.unit

AUDITOR = {"Authorization": f"Bearer {DEVELOPMENT_TOKENS[Role.AUDITOR]}"}


def api_over(store: MemoryRelayStore, key: Signer = KEY) -> FastAPI:
    api = FastAPI()
    api.include_router(
        log_router(store, Access(parse_tokens(None)), source="plan-registry", configured_key=key.verifier_key)
    )
    return api


def get(api: FastAPI, path: str, headers=AUDITOR, **params) -> httpx.Response:
    async def call():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url="http://log") as client:
            return await client.get(path, params=params, headers=headers)

    return asyncio.run(call())


@pytest.fixture
def store() -> MemoryRelayStore:
    store = MemoryRelayStore()
    store.add_key(KeyRecord(str(KEY.verifier_key), 1, None, "2024-06-19T12:00:00.000000Z"))
    state = RelayState()
    for start, size in ((1, 30), (31, 12)):
        sealed, new = seal_batch("plan-registry", state, batch(start, size), KEY)
        store.record(state, new, [stored(e) for e in sealed])
        store.add_head(make_head(KEY, store.log_state()))
        state = new
    return store


def b64list(values):
    return [base64.b64decode(v) for v in values]


def test_an_auditor_gets_the_keys_the_heads_and_the_latest_head_as_a_signed_note(store):
    api = api_over(store)
    keys = get(api, "/keys").json()
    assert keys == {
        "source": "plan-registry",
        "origin": KEY.name,
        "configured": str(KEY.verifier_key),
        "keys": [{"vkey": str(KEY.verifier_key), "from_position": 1, "announced_at": None}],
    }
    heads = get(api, "/checkpoints").json()
    assert [h["size"] for h in heads["checkpoints"]] == [30, 42] and heads["next_after"] == 42
    assert get(api, "/checkpoints", after=30).json()["checkpoints"][0]["size"] == 42
    latest = get(api, "/checkpoints/latest")
    assert latest.headers["content-type"].startswith("text/plain")
    assert open_checkpoint(latest.text, [KEY.verifier_key]).checkpoint.size == 42


def test_proofs_against_the_latest_head_and_any_earlier_size_verify(store):
    api = api_over(store)
    inclusion = get(api, "/proofs/inclusion", position=17).json()
    assert inclusion["size"] == 42
    verify_inclusion(
        16,
        42,
        base64.b64decode(inclusion["leaf_hash"]),
        b64list(inclusion["proof"]),
        base64.b64decode(inclusion["root"]),
    )
    head30 = open_checkpoint(get(api, "/checkpoints").json()["checkpoints"][0]["checkpoint"], [KEY.verifier_key])
    consistency = get(api, "/proofs/consistency", first=30).json()
    assert base64.b64decode(consistency["first_root"]) == head30.checkpoint.root
    verify_consistency(
        30, 42, head30.checkpoint.root, base64.b64decode(consistency["second_root"]), b64list(consistency["proof"])
    )
    assert get(api, "/proofs/inclusion", position=3, size=5).json()["size"] == 5


@pytest.mark.parametrize(
    ("path", "params", "status", "says"),
    [
        ("/proofs/inclusion", {"position": 43}, 422, "not in a tree of 42"),
        ("/proofs/inclusion", {"position": 1, "size": 99}, 404, "the log has 42 events"),
        ("/proofs/inclusion", {"position": 0}, 422, "position"),
        ("/proofs/consistency", {"first": 50, "second": 42}, 422, "no consistency proof"),
        ("/proofs/consistency", {"first": 1, "second": 43}, 404, "the log has 42 events"),
        ("/checkpoints", {"limit": 0}, 422, "limit"),
    ],
)
def test_a_proof_that_cannot_exist_is_refused_with_what_to_fix(store, path, params, status, says):
    response = get(api_over(store), path, **params)
    assert response.status_code == status and says in response.text


def test_before_the_first_head_there_is_nothing_to_prove_against():
    api = api_over(MemoryRelayStore())
    assert get(api, "/checkpoints/latest").status_code == 404
    assert "no signed tree head yet" in get(api, "/proofs/inclusion", position=1).text
    assert get(api, "/keys").json()["keys"] == []


def test_the_log_is_for_operators_analysts_and_auditors_only(store):
    api = api_over(store)
    assert get(api, "/keys", headers={}).status_code == 401
    assert (
        get(
            api, "/checkpoints/latest", headers={"Authorization": f"Bearer {DEVELOPMENT_TOKENS[Role.PLANNER]}"}
        ).status_code
        == 403
    )
