"""The AsyncAPI documents are made from the contracts and the written ones are up to date."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import FastAPI

from planspor_runtime.asyncapi import OUTPUT_DIR, SERVICES, asyncapi_document, asyncapi_router, main
from planspor_shared.events import REGISTRY
from planspor_shared.events.cocreation import RecommendationIssued

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("source", sorted(SERVICES))
def test_every_event_of_a_source_is_a_send_operation_on_its_subject_with_its_envelope(source):
    document = asyncapi_document(source, SERVICES[source])
    sends = {op["channel"]["$ref"] for op in document["operations"].values() if op["action"] == "send"}
    published = [m for m in REGISTRY if m.event_source == source]
    assert len(sends) == len(published)
    addresses = {channel["address"] for channel in document["channels"].values()}
    schemas = document["components"]["schemas"]
    for model in published:
        assert f"planspor.{source}.{model.event_type}" in addresses
        envelope = schemas[f"{model.__name__}Envelope"]
        assert envelope["properties"]["event_type"]["const"] == model.event_type
        assert envelope["properties"]["source"]["const"] == source


def test_what_a_service_consumes_is_a_receive_operation_with_the_producers_envelope():
    document = asyncapi_document("plan-registry", [RecommendationIssued])
    receives = [op for op in document["operations"].values() if op["action"] == "receive"]
    assert len(receives) == 1
    assert "planspor.cocreation.recommendation.issued" in {c["address"] for c in document["channels"].values()}
    payloads = {m["payload"]["$ref"] for m in document["components"]["messages"].values()}
    assert "#/components/schemas/RecommendationIssuedEnvelope" in payloads


def test_a_consumed_event_must_come_from_the_source_named():
    with pytest.raises(ValueError, match="published by cocreation"):
        asyncapi_document("cocreation", ["plan-registry:recommendation.issued"])


def test_the_written_documents_are_up_to_date():
    assert main(["--check", "--out", str(OUTPUT_DIR)]) == 0, "run `make asyncapi` and commit shared/asyncapi/"


def test_a_service_serves_its_document():
    api = FastAPI()
    api.include_router(asyncapi_router("cocreation", SERVICES["cocreation"]))

    async def get():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url="http://svc") as client:
            return await client.get("/asyncapi.json")

    response = asyncio.run(get())
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "planspor cocreation"
    assert response.json()["asyncapi"] == "3.0.0"


def test_the_knowledge_graph_receives_every_event_of_the_catalogue_and_sends_none():
    document = asyncapi_document("knowledge", SERVICES["knowledge"])
    actions = [op["action"] for op in document["operations"].values()]
    assert "send" not in actions
    addresses = {channel["address"] for channel in document["channels"].values()}
    assert addresses == {f"planspor.{m.event_source}.{m.event_type}" for m in REGISTRY}
    assert actions.count("receive") == len(addresses)
