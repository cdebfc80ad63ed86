"""The domain's shape: one source per vocabulary, nothing of I/O imported, stored topics unchanged."""

import ast
import importlib
import pkgutil
from pathlib import Path

import pytest
from eventsourcing.utils import get_topic, resolve_topic

import plan_registry.domain as domain
import planspor_shared.events.base as common
import planspor_shared.events.plan_vocabulary as contract
from plan_registry.domain import vocabulary

pytestmark = pytest.mark.unit

SHARED_WORDS = {
    "PlanType": common.PlanType,
    "STATUTORY_PLAN_TYPES": common.STATUTORY_PLAN_TYPES,
    "Body": common.Body,
    "StrategyAction": common.StrategyAction,
    "PlanStatus": contract.PlanStatus,
    "ENDED_PLAN_STATUSES": contract.ENDED_PLAN_STATUSES,
    "DecisionOutcome": contract.DecisionOutcome,
    "EvidenceKind": contract.EvidenceKind,
    "GoalLevel": contract.GoalLevel,
    "IndicatorSource": contract.IndicatorSource,
    "ItemOrigin": contract.ItemOrigin,
    "KommuneplanAssessment": contract.KommuneplanAssessment,
    "PartyKind": contract.PartyKind,
}
"""Every word the register's events carry: the domain uses the contract's own definition."""

DOMAIN_ONLY_WORDS = {"StrategyStatus", "AmendmentChange"}

ALLOWED_IMPORTS = (
    "__future__",
    "collections",
    "dataclasses",
    "datetime",
    "decimal",
    "enum",
    "re",
    "typing",
    "uuid",
    "eventsourcing.domain",
    "planspor_shared",
    "plan_registry.domain",
)
"""Pure computation, the library's aggregates, the contracts, and the domain itself: no I/O, framework,
settings or ``os`` (the lead's import-linter contract says the same for every domain)."""


@pytest.mark.parametrize("name", sorted(SHARED_WORDS))
def test_the_domain_speaks_the_vocabulary_of_its_contracts(name):
    assert getattr(domain, name) is SHARED_WORDS[name]


@pytest.mark.parametrize("name", sorted(DOMAIN_ONLY_WORDS))
def test_a_word_only_the_register_uses_is_defined_in_its_vocabulary_and_nowhere_in_the_contracts(name):
    assert getattr(domain, name) is getattr(vocabulary, name)
    assert not hasattr(common, name) and not hasattr(contract, name)


def test_a_planprogram_is_a_step_of_a_plan_not_a_type_of_plan():
    assert "planprogram" not in {t.value for t in domain.PlanType}
    assert domain.PlanStatus.PLANPROGRAM_ADOPTED in domain.DATED_STEPS


def test_the_statutory_plans_are_the_kommuneplan_parts_with_a_planprogram_and_the_kommunedelplan():
    assert {
        domain.PlanType.KOMMUNEPLAN_SAMFUNNSDEL,
        domain.PlanType.KOMMUNEPLAN_AREALDEL,
        domain.PlanType.KOMMUNEDELPLAN,
    } == domain.STATUTORY_PLAN_TYPES
    assert set(domain.PLAN_TYPE_NORWEGIAN) == set(domain.PlanType)


def _imports(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names.append("." * node.level + (node.module or ""))
    return names


def test_the_domain_imports_nothing_of_io_frameworks_settings_or_os():
    modules = [Path(domain.__file__).parent / f"{m.name}.py" for m in pkgutil.iter_modules(domain.__path__)]
    assert len(modules) >= 8
    for module in [Path(domain.__file__), *modules]:
        for name in _imports(module):
            assert any(name == allowed or name.startswith(allowed + ".") for allowed in ALLOWED_IMPORTS), (
                f"{module.name} imports {name}"
            )


@pytest.mark.parametrize(
    "topic",
    [
        "plan_registry.domain:Goal.Defined",
        "plan_registry.domain:Indicator.MeasurementCorrected",
        "plan_registry.domain:Decision.Recorded",
        "plan_registry.domain:Plan.Proposed",
        "plan_registry.domain:Plan.StatusChanged",
        "plan_registry.domain:PlanStrategy.ItemSet",
        "plan_registry.domain:PlanStrategy.Adopted",
    ],
)
def test_events_stored_before_the_domain_became_a_package_keep_their_topics(topic):
    event_class = resolve_topic(topic)
    assert get_topic(event_class) == topic


@pytest.mark.parametrize("aggregate", domain.AGGREGATES, ids=lambda a: a.__name__)
def test_every_aggregate_keeps_its_stored_topic(aggregate):
    assert get_topic(aggregate) == f"plan_registry.domain:{aggregate.__name__}"


def test_idempotency_records_stored_before_the_runtime_base_are_read_as_earlier_records():
    application = importlib.import_module("plan_registry.application")
    earlier = application.EarlierIdempotencyRecord
    assert resolve_topic("plan_registry.application:IdempotencyRecord") is earlier
    assert resolve_topic("plan_registry.application:IdempotencyRecord.Recorded") is earlier.Recorded
    assert get_topic(earlier.Recorded) == "plan_registry.application:IdempotencyRecord.Recorded"
