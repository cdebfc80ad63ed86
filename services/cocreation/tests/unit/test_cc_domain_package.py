"""The domain package: pure, one vocabulary with the contracts, and stored topics that never move."""

from __future__ import annotations

import ast
import pkgutil
from pathlib import Path

import pytest
from eventsourcing.domain import CanMutateAggregate
from eventsourcing.utils import get_topic, resolve_topic

import cocreation.domain as domain
from planspor_shared.events import base, cocreation

pytestmark = pytest.mark.unit

ALLOWED_IMPORTS = (
    "__future__",
    "collections",
    "dataclasses",
    "datetime",
    "enum",
    "re",
    "typing",
    "uuid",
    "eventsourcing.domain",
    "planspor_shared",
    "cocreation.domain",
)
"""What a domain module may import: the standard library's pure parts, eventsourcing's aggregates,
the contracts, and the domain itself. No I/O, frameworks, settings or ``os``."""


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    names |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    assert not [n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level], "use absolute imports"
    return names


MODULES = sorted(Path(domain.__file__).parent.glob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_a_domain_module_imports_nothing_of_io_frameworks_or_settings(path):
    refused = {
        name
        for name in imports_of(path)
        if not any(name == allowed or name.startswith(allowed + ".") for allowed in ALLOWED_IMPORTS)
    }
    assert not refused, f"{path.name} imports {sorted(refused)}"


def test_every_module_of_the_package_is_checked():
    assert {m.name for m in pkgutil.iter_modules(domain.__path__)} == {p.stem for p in MODULES if p.stem != "__init__"}


def test_the_domain_speaks_the_vocabulary_of_the_contracts():
    assert domain.ProcessPhase is cocreation.ProcessPhase
    assert domain.ParticipantKind is cocreation.ParticipantKind
    assert domain.WorkshopFormat is cocreation.WorkshopFormat
    assert domain.InputKind is cocreation.InputKind
    assert domain.PlanNeedKind is cocreation.PlanNeedKind
    assert domain.PrioritisationMethod is cocreation.PrioritisationMethod
    assert domain.Body is base.Body
    assert domain.PlanType is base.PlanType
    assert domain.StrategyAction is base.StrategyAction


def test_the_phases_table_covers_every_phase_in_the_order_of_the_contract():
    assert tuple(domain.ProcessPhase) == domain.PHASE_ORDER
    assert set(domain.ALLOWED_IN) == set(domain.Activity)
    assert domain.next_phase(domain.ProcessPhase.HANDED_OVER) is None


def domain_event_classes() -> list[type]:
    return [
        value
        for aggregate in domain.AGGREGATES
        for name, value in vars(aggregate).items()
        if isinstance(value, type) and issubclass(value, CanMutateAggregate) and name not in ("Event", "Created")
    ]


@pytest.mark.parametrize("stored_class", [*domain.AGGREGATES, *domain_event_classes()], ids=lambda c: c.__qualname__)
def test_an_aggregate_and_its_events_keep_the_topic_they_had_before_the_domain_became_a_package(stored_class):
    topic = get_topic(stored_class)
    assert topic == f"cocreation.domain:{stored_class.__qualname__}"
    assert resolve_topic(topic) is stored_class
