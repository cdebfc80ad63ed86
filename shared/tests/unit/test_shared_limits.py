"""Every text and list of the contracts has a documented maximum, and an envelope has a size limit under the broker's."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from planspor_shared.canonical import GENESIS_HASH
from planspor_shared.envelope import Envelope, InvalidEnvelope
from planspor_shared.events import REGISTRY
from planspor_shared.events.log import KeyRotated
from planspor_shared.events.plan_registry import GoalDefined
from planspor_shared.limits import MAX_ENVELOPE_BYTES, SIGNATURE_RESERVE_BYTES, TEXT_MAX

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]
BOUNDED_FORMATS = {"date", "date-time", "uuid"}
UNBOUNDED_QUANTIFIER = re.compile(r"(?<!\\)[+*]|\{\d+,\}")
CHARACTER_CLASS = re.compile(r"\[(?:\\.|[^\]])*\]")


def bounded_pattern(pattern: str) -> bool:
    """An anchored pattern without ``+``, ``*`` or ``{n,}`` outside its character classes matches bounded text."""
    bare = CHARACTER_CLASS.sub("C", pattern)
    return bare.startswith("^") and bare.endswith("$") and not UNBOUNDED_QUANTIFIER.search(bare)


def unbounded(schema: dict[str, Any], where: str = "#") -> list[str]:
    """Every string without a maximum length (or a closed form) and every array without a maximum of items."""
    found: list[str] = []
    kind = schema.get("type")
    if kind == "string" and not (
        "maxLength" in schema
        or "enum" in schema
        or "const" in schema
        or schema.get("format") in BOUNDED_FORMATS
        or bounded_pattern(schema.get("pattern", ""))
    ):
        found.append(where)
    if kind == "array" and "maxItems" not in schema and "prefixItems" not in schema:
        found.append(where)
    for key in ("properties", "$defs"):
        for name, sub in schema.get(key, {}).items():
            found += unbounded(sub, f"{where}/{name}")
    for key in ("anyOf", "oneOf", "allOf"):
        for n, sub in enumerate(schema.get(key, [])):
            found += unbounded(sub, f"{where}/{key}{n}")
    if isinstance(schema.get("items"), dict):
        found += unbounded(schema["items"], f"{where}/items")
    return found


@pytest.mark.parametrize("model", list(REGISTRY), ids=lambda m: f"{m.event_type}.v{m.schema_version}")
def test_every_text_and_list_of_a_payload_has_a_maximum(model):
    assert unbounded(model.model_json_schema()) == []


def test_every_text_of_the_envelope_and_the_log_events_has_a_maximum():
    assert unbounded(Envelope.model_json_schema()) == []
    assert unbounded(KeyRotated.model_json_schema()) == []


def test_the_envelope_limit_is_well_under_the_brokers_max_payload():
    config = (ROOT / "deploy" / "nats" / "nats.conf").read_text(encoding="utf-8")
    megabytes = int(re.search(r"^max_payload:\s*(\d+)MB", config, re.MULTILINE).group(1))
    assert megabytes * 1024 * 1024 >= MAX_ENVELOPE_BYTES * 4
    assert MAX_ENVELOPE_BYTES * 4 <= 1024 * 1024, "under NATS's default max_payload (1 MiB) too"


def envelope_with(description: str) -> Envelope:
    return Envelope.seal(
        GENESIS_HASH,
        event_id="6f1c1d8e-3b7a-5c2e-9a4f-70c3a9e1b2d4",
        position=1,
        aggregate_id="goal-1",
        aggregate_version=1,
        occurred_at="2024-11-01T09:00:00Z",
        actor={"id": "u-1", "name": "Ola", "role": "planner"},
        payload=GoalDefined(goal_id="goal-1", title="Gode liv", description=description),
    )


def test_a_text_at_its_maximum_fits_an_envelope_even_in_four_byte_characters():
    envelope = envelope_with("🌍" * TEXT_MAX)
    assert envelope.size() + SIGNATURE_RESERVE_BYTES <= MAX_ENVELOPE_BYTES
    assert Envelope.from_json(envelope.to_canonical()) == envelope


def test_a_text_over_its_maximum_is_refused_naming_the_field_and_the_limit():
    with pytest.raises(ValueError, match=r"description\n.*at most 20000 characters"):
        GoalDefined(goal_id="goal-1", title="Gode liv", description="x" * (TEXT_MAX + 1))


def test_a_message_over_the_envelope_limit_is_refused_before_it_is_parsed():
    wire = envelope_with("x").to_canonical()
    padded = wire[:-1] + b" " * (MAX_ENVELOPE_BYTES - len(wire) + 1) + b"}"
    with pytest.raises(InvalidEnvelope, match=f"more than the {MAX_ENVELOPE_BYTES}"):
        Envelope.from_json(padded)
