"""AsyncAPI 3.0 documents of what each service publishes and consumes, generated from the contracts.

Every event type of a source is a channel ``<prefix>.<source>.<event_type>`` whose
message is the envelope with that event's payload model, so the document cannot
drift from the code: it is made from the same pydantic models the relay seals and
the consumers validate. faststream builds the document from a broker that is
never connected. ``python -m planspor_runtime.asyncapi`` (``make asyncapi``) writes
shared/asyncapi/<service>.json; each service serves its own at GET /asyncapi.json.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import Any, Literal

from planspor_shared.envelope import Envelope
from planspor_shared.events import REGISTRY, IntegrationEvent
from planspor_shared.subjects import DEFAULT_PREFIX, subject

SERVICES: dict[str, tuple[str, ...]] = {
    "plan-registry": ("cocreation:recommendation.issued",),
    "cocreation": (
        "plan-registry:plan.proposed",
        "plan-registry:plan.status_changed",
        "plan-registry:plan.parent_changed",
    ),
}
SERVICES["knowledge"] = tuple(sorted({f"{m.event_source}:{m.event_type}" for m in REGISTRY}))
"""What each service consumes, as ``<source>:<event_type>``: the plan registry drafts a strategy from a
recommendation; co-creation keeps a local catalogue of plans (design.md, "Shape"); the knowledge graph
projects every event and publishes none."""

PUBLISHERS = frozenset({"plan-registry", "cocreation"})

OUTPUT_DIR = Path(__file__).resolve().parents[3] / "shared" / "asyncapi"

Consumed = type[IntegrationEvent] | str


def envelope_model(model: type[IntegrationEvent]) -> type[Envelope]:
    """The envelope of one event type: the constants fixed, the payload typed."""
    return _envelope_model(model)


@cache
def _envelope_model(model: type[IntegrationEvent]) -> type[Envelope]:
    from pydantic import create_model

    suffix = "" if model.schema_version == 1 else f"V{model.schema_version}"
    return create_model(
        f"{model.__name__}{suffix}Envelope",
        __base__=Envelope,
        __doc__=f"{model.event_type} v{model.schema_version} from {model.event_source}: {model.__doc__ or ''}".strip(),
        event_type=(_only(model.event_type), ...),
        schema_version=(_only(model.schema_version), ...),
        source=(_only(model.event_source), ...),
        payload=(model, ...),
    )


def _only(value: str | int) -> Any:
    """The type whose one value is ``value`` (a JSON Schema ``const``): a ``Literal`` made at run time."""
    return Literal[value]


def _resolve(consumed: Consumed) -> type[IntegrationEvent]:
    if isinstance(consumed, str):
        source, _, event_type = consumed.rpartition(":")
        model = REGISTRY.latest(event_type)
        if source and model.event_source != source:
            raise ValueError(f"{event_type} is published by {model.event_source}, not {source}")
        return model
    return consumed


def published_models(source: str) -> list[type[IntegrationEvent]]:
    models = [m for m in REGISTRY if m.event_source == source]
    if not models:
        raise ValueError(f"no event of the catalogue is published by {source!r}")
    return models


def asyncapi_document(
    source: str,
    consumes: Iterable[Consumed] = (),
    *,
    prefix: str = DEFAULT_PREFIX,
    nats_url: str = "nats://localhost:4222",
    version: str = "1",
) -> dict[str, Any]:
    """The AsyncAPI 3.0 document (as JSON values) of ``source``: every event it publishes, and what it consumes."""
    from faststream.nats import NatsBroker
    from faststream.specification import AsyncAPI

    broker = NatsBroker(nats_url)
    for model in published_models(source) if source in PUBLISHERS else []:
        broker.publisher(
            subject(source, model.event_type, prefix=prefix),
            schema=envelope_model(model),
            title=f"publish {model.event_type} v{model.schema_version}",
            description=(model.__doc__ or "").strip() or None,
            headers={"Nats-Msg-Id": f"{source}:<position>"},
        )
    for consumed in consumes:
        model = _resolve(consumed)
        broker.subscriber(
            subject(model.event_source, model.event_type, prefix=prefix),
            title=f"consume {model.event_source} {model.event_type} v{model.schema_version}",
            description=(model.__doc__ or "").strip() or None,
        )(_handler_for(envelope_model(model)))
    spec = AsyncAPI(
        broker,
        title=f"planspor {source}",
        version=version,
        description=(
            f"Integration events of {source}. Every message is an envelope (position gap-free per source, "
            "hash-chained; Nats-Msg-Id header <source>:<position>), on one JetStream stream. "
            f"The same envelopes are served by the service's feed: GET /events?after=N&limit=M."
        ),
    ).to_specification()
    return json.loads(spec.to_json())


def _handler_for(model: type[Envelope]) -> Any:
    async def handler(envelope: Any) -> None:  # documentation only: the broker is never started
        return None

    handler.__annotations__ = {"envelope": model, "return": None}
    handler.__name__ = f"on_{model.__name__}"
    return handler


def asyncapi_router(
    source: str,
    consumes: Sequence[Consumed] = (),
    *,
    prefix: str = DEFAULT_PREFIX,
    access: Any = None,
    roles: Sequence[Any] = (),
):
    """GET /asyncapi.json: the service's document, made on the first request and kept.

    Public by default, like a published contract; pass ``access`` and ``roles`` to restrict it.
    """
    from fastapi import APIRouter, Depends
    from fastapi.responses import JSONResponse

    consumed = tuple(consumes)
    router = APIRouter(tags=["contracts"])
    dependencies = [Depends(access.require(*roles))] if access is not None else []
    made: list[dict[str, Any]] = []

    @router.get(
        "/asyncapi.json", summary=f"AsyncAPI 3.0 document of {source}", dependencies=dependencies, response_model=None
    )
    async def asyncapi_json():
        if not made:
            made.append(asyncapi_document(source, consumed, prefix=prefix))
        return JSONResponse(made[0])

    return router


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m planspor_runtime.asyncapi", description=__doc__)
    parser.add_argument("--out", type=Path, default=OUTPUT_DIR)
    parser.add_argument("--check", action="store_true", help="fail if a written document is out of date")
    args = parser.parse_args(argv)
    stale = []
    for service, consumes in SERVICES.items():
        path = args.out / f"{service}.json"
        text = render(asyncapi_document(service, consumes))
        if args.check:
            if not path.exists() or path.read_text() != text:
                stale.append(str(path))
            continue
        args.out.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        print(f"wrote {path}")
    if stale:
        print("out of date (run `make asyncapi`): " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
