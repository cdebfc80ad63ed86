"""The JSON Schemas in the repo are generated from the models; a contract change without them fails here."""

from __future__ import annotations

import json
from datetime import date
from typing import ClassVar

import pytest

from planspor_shared.canonical import GENESIS_HASH
from planspor_shared.envelope import Envelope
from planspor_shared.events import REGISTRY
from planspor_shared.events.plan_registry import PlanRegistryEvent
from planspor_shared.schemas import SCHEMA_DIR, event_schema, schema_path, stale_files, write_files
from planspor_shared.schemas import __main__ as cli

pytestmark = pytest.mark.unit


def test_the_schema_files_in_the_repo_match_the_models():
    problems = stale_files()
    assert problems == [], (
        "contracts changed without their schemas: run `python -m planspor_shared.schemas`\n" + "\n".join(problems)
    )


def test_each_event_has_its_file_named_by_source_type_and_version():
    for model in REGISTRY:
        path = schema_path(model)
        assert (
            path.relative_to(SCHEMA_DIR).as_posix()
            == f"{model.event_source}/{model.event_type}.v{model.schema_version}.json"
        )
        text = path.read_text(encoding="utf-8")
        assert text.endswith("}\n")
        schema = json.loads(text)
        assert schema["properties"]["event_type"]["const"] == model.event_type
        assert schema["properties"]["schema_version"]["const"] == model.schema_version
        assert schema["properties"]["source"]["const"] == model.event_source
        assert schema["$defs"][model.__name__]["additionalProperties"] is False


@pytest.mark.parametrize("model", list(REGISTRY), ids=lambda model: model.event_type)
def test_an_example_on_the_wire_has_the_fields_its_schema_names(model, make_example):
    """A light check without a JSON Schema validator: required fields present, no field the schema lacks."""
    envelope = Envelope.seal(
        GENESIS_HASH,
        event_id="6f1c1d8e-3b7a-4c2e-9a4f-70c3a9e1b2d4",
        position=1,
        aggregate_id="a",
        aggregate_version=1,
        occurred_at="2024-01-01T00:00:00Z",
        actor={"id": "u", "name": "U", "role": "planner"},
        payload=make_example(model.event_type, model.schema_version),
    )
    wire = json.loads(envelope.to_canonical())
    schema = json.loads(schema_path(model).read_text(encoding="utf-8"))
    assert set(schema["required"]) <= set(wire) <= set(schema["properties"])
    payload_schema = schema["$defs"][model.__name__]
    assert set(payload_schema.get("required", [])) <= set(wire["payload"]) <= set(payload_schema["properties"])


def test_a_changed_model_makes_its_file_stale_and_writing_fixes_it(tmp_path):
    write_files(root=tmp_path)
    assert stale_files(root=tmp_path) == []

    registry = REGISTRY.copy()

    @registry.register
    class PlanRetitledV1(PlanRegistryEvent):
        event_type: ClassVar[str] = "plan.retitled"

        plan_id: str
        title: str
        retitled_on: date

    assert stale_files(registry, root=tmp_path) == ["missing: plan-registry/plan.retitled.v1.json"]

    tampered = tmp_path / "plan-registry" / "plan.anchored.v1.json"
    tampered.write_text(tampered.read_text(encoding="utf-8").replace('"plan_id"', '"plan"', 1), encoding="utf-8")
    (tmp_path / "cocreation" / "ballot.cast.v9.json").write_text("{}\n", encoding="utf-8")
    assert stale_files(root=tmp_path) == [
        "stale: plan-registry/plan.anchored.v1.json",
        "left over: cocreation/ballot.cast.v9.json",
    ]
    write_files(root=tmp_path)
    assert stale_files(root=tmp_path) == []


def test_the_command_line_writes_and_check_exits_1_naming_stale_files(tmp_path, capsys):
    assert cli.main(["--root", str(tmp_path)]) == 0
    assert cli.main(["--check", "--root", str(tmp_path)]) == 0
    (tmp_path / "plan-registry" / "plan.anchored.v1.json").write_text("{}\n", encoding="utf-8")
    assert cli.main(["--check", "--root", str(tmp_path)]) == 1
    assert "stale: plan-registry/plan.anchored.v1.json" in capsys.readouterr().err


def test_the_schema_is_stable():
    model = REGISTRY.model_for("plan.proposed", 1)
    assert event_schema(model) == event_schema(model)
