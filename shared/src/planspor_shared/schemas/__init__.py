"""JSON Schema of every integration event, generated from the models and kept in the repo.

One file per event and version, ``<source>/<event_type>.v<N>.json``: the envelope
with ``event_type``, ``schema_version`` and ``source`` fixed and the payload's own
schema in place of ``payload``; beside them ``envelope.json``, the envelope of any
event. Files are written sorted and indented, with a newline at the end, so a
contract change shows as a readable diff in review.

``python -m planspor_shared.schemas`` writes them; ``--check`` only compares and
exits 1 naming the files that are stale, missing or left over.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from planspor_shared.envelope import Envelope
from planspor_shared.events import REGISTRY, EventRegistry, IntegrationEvent

SCHEMA_DIR = Path(__file__).resolve().parent
DRAFT = "https://json-schema.org/draft/2020-12/schema"


def schema_path(model: type[IntegrationEvent], root: Path = SCHEMA_DIR) -> Path:
    return root / model.event_source / f"{model.event_type}.v{model.schema_version}.json"


def envelope_schema() -> dict[str, Any]:
    schema = Envelope.model_json_schema()
    schema["$schema"] = DRAFT
    schema["$id"] = "urn:planspor:schema:envelope"
    return schema


def event_schema(model: type[IntegrationEvent]) -> dict[str, Any]:
    """The envelope of ``model``'s event, with its payload's schema in place."""
    schema = Envelope.model_json_schema()
    payload = model.model_json_schema()
    defs: dict[str, Any] = schema.pop("$defs", {})
    for name, definition in payload.pop("$defs", {}).items():
        if name in defs and defs[name] != definition:
            raise ValueError(f"{model.__name__}: schema name {name!r} clashes with the envelope's")
        defs[name] = definition
    defs[model.__name__] = payload
    properties = schema["properties"]
    properties["event_type"] = {"const": model.event_type, "title": "Event Type", "type": "string"}
    properties["schema_version"] = {"const": model.schema_version, "title": "Schema Version", "type": "integer"}
    properties["source"] = {"const": model.event_source, "title": "Source", "type": "string"}
    properties["payload"] = {"$ref": f"#/$defs/{model.__name__}"}
    schema["$defs"] = defs
    schema["$schema"] = DRAFT
    schema["$id"] = f"urn:planspor:schema:{model.event_source}:{model.event_type}:v{model.schema_version}"
    schema["title"] = f"{model.event_type} v{model.schema_version}"
    schema["description"] = (model.__doc__ or model.event_type).strip()
    return schema


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def expected_files(registry: EventRegistry = REGISTRY, root: Path = SCHEMA_DIR) -> dict[Path, str]:
    files = {root / "envelope.json": render(envelope_schema())}
    for model in registry:
        files[schema_path(model, root)] = render(event_schema(model))
    return files


def existing_files(root: Path = SCHEMA_DIR) -> set[Path]:
    return set(root.rglob("*.json"))


def stale_files(registry: EventRegistry = REGISTRY, root: Path = SCHEMA_DIR) -> list[str]:
    """Files that differ from the models, are missing, or belong to no model; empty when all is current."""
    expected = expected_files(registry, root)
    problems = []
    for path, text in sorted(expected.items()):
        if not path.exists():
            problems.append(f"missing: {path.relative_to(root)}")
        elif path.read_text(encoding="utf-8") != text:
            problems.append(f"stale: {path.relative_to(root)}")
    for path in sorted(existing_files(root) - set(expected)):
        problems.append(f"left over: {path.relative_to(root)}")
    return problems


def write_files(registry: EventRegistry = REGISTRY, root: Path = SCHEMA_DIR) -> list[Path]:
    """Write every schema and remove those of models that no longer exist; returns the files changed."""
    expected = expected_files(registry, root)
    changed = []
    for path, text in sorted(expected.items()):
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            changed.append(path)
    for path in sorted(existing_files(root) - set(expected)):
        path.unlink()
        changed.append(path)
    return changed


def catalogue_markdown(registry: EventRegistry = REGISTRY) -> str:
    """The event catalogue as a Markdown table (README); optional fields end in ``?``."""
    lines = [
        "| event | source | v | what it records | payload fields (`?` optional) |",
        "|---|---|---|---|---|",
    ]
    for model in registry:
        fields = ", ".join(
            f"`{name}`" if field.is_required() else f"`{name}?`" for name, field in model.model_fields.items()
        )
        meaning = (model.__doc__ or "").strip().split("\n")[0].replace("|", "\\|").replace("``", "`")
        lines.append(f"| `{model.event_type}` | {model.event_source} | {model.schema_version} | {meaning} | {fields} |")
    return "\n".join(lines) + "\n"


README_PATH = SCHEMA_DIR.parents[2] / "README.md"
_START, _END = "<!-- catalogue:start -->\n", "<!-- catalogue:end -->"


def readme_with_catalogue(text: str, registry: EventRegistry = REGISTRY) -> str:
    """``text`` with the catalogue table between its markers replaced by the current one."""
    head, rest = text.split(_START, 1)
    _, tail = rest.split(_END, 1)
    return head + _START + catalogue_markdown(registry) + _END + tail


def readme_is_current(path: Path = README_PATH) -> bool:
    """True when there is no README (an installed package) or its catalogue table is current."""
    if not path.exists():
        return True
    text = path.read_text(encoding="utf-8")
    return readme_with_catalogue(text) == text


def write_readme(path: Path = README_PATH) -> bool:
    """Refresh the catalogue table of the shared README; True if it changed."""
    if readme_is_current(path):
        return False
    path.write_text(readme_with_catalogue(path.read_text(encoding="utf-8")), encoding="utf-8")
    return True
